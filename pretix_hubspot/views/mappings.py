"""
Object mappings: the list on the settings page, the mapping editor, deleting a mapping, refreshing HubSpot's fields.
"""
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from pretix.control.permissions import EventPermissionRequiredMixin
from pretix.control.views.event import EventSettingsViewMixin

from .. import log_actions
from ..datasync_api import get_data_fields
from ..hubspot_api import errors, schema as hubspot_schema
from ..hubspot_api.schema import DEAL_STAGE_PROPERTY
from ..models import EventConnection
from ..organizer.forms import (
    AssociationFormSet, IdentifierForm, MappingPropertyFormSet, external_fields_id, object_mapping_formset_for,
)
from ..organizer.identifier_property import property_for
from ..organizer.starter_sets import build_initial, build_required_rows, get_starter_set
from ..organizer.validation import IDENTIFIER, validate_mapping
from ..permissions import SETTINGS_PERMISSION
from ..transfer import associations as association_setup
from .connection import SettingsView, settings_url
from .safe_redirect import redirect_to_next

STORED_KEYS = ("pretix_field", "external_field", "value_map", "overwrite")


def edit_url(mapping):
    return reverse("plugins:pretix_hubspot:mappings.edit", kwargs={
        "organizer": mapping.event.organizer.slug, "event": mapping.event.slug, "mapping": mapping.pk,
    })


def log_data(mapping):
    return {
        "id": mapping.pk,
        "position": mapping.position,
        "pretix_model": mapping.pretix_model,
        "external_object_type": mapping.external_object_type,
        "pretix_id_field": mapping.pretix_id_field,
        "external_id_field": mapping.external_id_field,
        "property_mappings": mapping.property_mappings,
        "associations": mapping.associations,
    }


def stored_rows(rows):
    """Property rows in the stored shape (the keys of ``to_property_mappings_list()``, without form bookkeeping)."""
    return [{key: row.get(key) or "" for key in STORED_KEYS} for row in rows]


def load_schema(event, object_type, fresh=False):
    """``(schema, notice)``: the account's fields for the editor, or None and a message saying why there are none."""
    connection = EventConnection.objects.connection_for(event)
    if connection is None:
        return None, _("This event is not connected to HubSpot, so the HubSpot fields cannot be listed or checked. "
                       "Please connect to HubSpot on the settings page.")
    try:
        return hubspot_schema.get_schema(connection, object_type, fresh=fresh), None
    except errors.SchemaUnavailable as e:
        return None, e.message


class ObjectMappingListView(SettingsView):
    """Saves the "Object mappings" list of the settings page; on errors the settings page is shown again."""

    def get(self, request, *args, **kwargs):
        return redirect(settings_url(request.event))

    def post(self, request, *args, **kwargs):
        event = request.event
        formset = object_mapping_formset_for(event, data=request.POST)
        if formset.is_valid() and self.check_type_changes(formset):
            self.save(formset)
            messages.success(request, _("Your changes have been saved."))
            return redirect(settings_url(event))
        messages.error(request, _("We could not save your changes. See below for details."))
        return self.render_to_response(self.get_context_data(object_mapping_formset=formset))

    def check_type_changes(self, formset):
        """A mapping whose object types change must still make sense with the properties it already has."""
        ok = True
        for form in formset.ordered_forms:
            mapping = form.instance
            if mapping is None or not (mapping.property_mappings or mapping.pretix_id_field):
                continue
            pretix_model = form.cleaned_data["pretix_model"]
            object_type = form.cleaned_data["external_object_type"]
            if (pretix_model, object_type) == (mapping.pretix_model, mapping.external_object_type):
                continue
            schema, notice = load_schema(self.request.event, object_type, fresh=True)
            issues = validate_mapping(
                self.request.event, pretix_model, object_type,
                {"pretix_id_field": mapping.pretix_id_field, "external_id_field": mapping.external_id_field},
                mapping.property_mappings, schema,
            )
            errors = [i for i in issues if i.is_error]
            if errors:
                ok = False
                form.add_error(None, _("The properties of this mapping do not fit the new object types. Change them "
                                       "back, or edit the mapping first. The first problem: {problem}").format(
                    problem=errors[0].message))
        return ok

    @transaction.atomic
    def save(self, formset):
        user = self.request.user
        created = []
        for form in formset.deleted_forms:
            mapping = form.instance
            if mapping is not None:
                mapping.log_action(log_actions.MAPPING_DELETED, user=user, data=log_data(mapping))
                mapping.delete()
        for position, form in enumerate(formset.ordered_forms):
            data = form.cleaned_data
            mapping = form.instance
            if mapping is None:
                mapping = self.request.event.hubspot_object_mappings.create(
                    position=position, pretix_model=data["pretix_model"],
                    external_object_type=data["external_object_type"],
                )
                mapping.log_action(log_actions.MAPPING_CREATED, user=user, data=log_data(mapping))
                created.append(mapping.pk)
                continue
            before = log_data(mapping)
            mapping.position = position
            mapping.pretix_model = data["pretix_model"]
            mapping.external_object_type = data["external_object_type"]
            if log_data(mapping) != before:
                mapping.save()
                mapping.log_action(log_actions.MAPPING_CHANGED, user=user, data=log_data(mapping))
        if created:
            self.add_default_associations(created)

    def add_default_associations(self, created):
        """
        A new mapping starts with the associations a deal and the contacts of its order always had (the guide's
        "Order → Contacts" then "Order → Deals" keeps linking them); the organizer may change or remove them in the
        editor. Mappings that existed before are left as their association setup says.
        """
        mappings = list(self.request.event.hubspot_object_mappings.order_by("position", "id"))
        added = association_setup.implicit_rows(
            [(m.pk, m.external_object_type, m.associations or []) for m in mappings])
        for mapping in mappings:
            if mapping.pk in created and added.get(mapping.pk):
                mapping.associations = list(mapping.associations or []) + added[mapping.pk]
                mapping.save(update_fields=["associations"])


class MappingMixin(EventPermissionRequiredMixin):
    permission = SETTINGS_PERMISSION

    @cached_property
    def mapping(self):
        return get_object_or_404(self.request.event.hubspot_object_mappings, pk=self.kwargs["mapping"])


class MappingEditView(EventSettingsViewMixin, MappingMixin, TemplateView):
    template_name = "pretix_hubspot/mapping_edit.html"

    @cached_property
    def schema_and_notice(self):
        # Saving checks against the account as it is now; showing the page may use what HubSpot said a minute ago ...
        fresh = self.request.method == "POST"
        schema, notice = load_schema(self.request.event, self.mapping.external_object_type, fresh=fresh)
        starter = get_starter_set(self.mapping.pretix_model, self.mapping.external_object_type)
        identifier = self.mapping.external_id_field or (starter.identifier[1] if starter and self.starter_requested() else "")
        if schema is not None and not fresh and identifier and identifier not in schema.properties:
            # ... unless the identifier property is missing from that answer: it may have been created a moment ago
            # with the button on this page, and the organizer should not be told it is still missing.
            schema, notice = load_schema(self.request.event, self.mapping.external_object_type, fresh=True)
        return schema, notice

    def starter_requested(self):
        return self.request.method == "GET" and self.request.GET.get("starter") == "1"

    def build_forms(self, data=None, starter=False):
        event = self.request.event
        mapping = self.mapping
        schema, notice = self.schema_and_notice
        external_fields = schema.select2_choices() if schema else None
        identifier_initial = {"pretix_id_field": mapping.pretix_id_field, "external_id_field": mapping.external_id_field}
        rows = stored_rows(mapping.property_mappings)
        if starter:
            identifier_initial, rows = build_initial(event, mapping.pretix_model, mapping.external_object_type, schema)
        elif data is None and self.is_empty():
            # A new deals or tickets mapping starts with the rows HubSpot insists on (name, pipeline, stage), not
            # stored until saved.
            rows = build_required_rows(event, mapping.pretix_model, mapping.external_object_type, schema)
        identifier_form = IdentifierForm(data=data, initial=identifier_initial, event=event,
                                         pretix_model=mapping.pretix_model, external_fields=external_fields)
        formset = MappingPropertyFormSet(data=data, initial=rows, event=event, pretix_model=mapping.pretix_model,
                                         external_fields=external_fields)
        return identifier_form, formset

    @cached_property
    def association_formset(self):
        stored = association_setup.rows_of(self.mapping)
        connection = EventConnection.objects.connection_for(self.request.event)
        return AssociationFormSet(
            data=self.request.POST if self.request.method == "POST" else None,
            initial=[{"target": association_setup.target_value(r), "remove_stale": r.remove_stale} for r in stored],
            target_choices=association_setup.target_choices(self.mapping, connection, stored),
        )

    def checked_associations(self):
        """The association rows sent, validated; None when one of them has a problem (shown at its row)."""
        formset = self.association_formset
        if formset.add_prefix("TOTAL_FORMS") not in self.request.POST:
            # The page showed no association rows (the first mapping has no earlier ones): nothing changes.
            return list(self.mapping.associations or [])
        if not formset.is_valid():
            return None
        sent = formset.rows()
        rows = [association_setup.parse_target(target, remove_stale) for form, target, remove_stale in sent]
        connection = EventConnection.objects.connection_for(self.request.event)
        checked, problems = association_setup.check_rows(self.mapping, connection, rows)
        for index, message in problems:
            sent[index][0].add_error("target", message)
        return None if problems else [row.as_json() for row in checked]

    def is_empty(self):
        return not (self.mapping.pretix_id_field or self.mapping.external_id_field or self.mapping.property_mappings)

    def get(self, request, *args, **kwargs):
        starter = self.starter_requested() and self.offers_starter_set()
        identifier_form, formset = self.build_forms(starter=starter)
        issues = []
        if starter or not self.is_empty():
            # Point out what is wrong with the stored (or suggested) mapping before anyone saves it.
            issues = validate_mapping(
                request.event, self.mapping.pretix_model, self.mapping.external_object_type,
                identifier_form.initial, formset.initial or [], self.schema_and_notice[0],
            )
        # The deal stage row of a new mapping opens its value mapping right away: which order status is which stage.
        open_value_map = DEAL_STAGE_PROPERTY if self.is_empty() and not starter and any(
            row["external_field"] == DEAL_STAGE_PROPERTY for row in formset.initial or []) else ""
        return self.render_to_response(self.get_context_data(
            identifier_form=identifier_form, formset=formset, issues=issues, starter_applied=starter,
            open_value_map=open_value_map,
        ))

    def post(self, request, *args, **kwargs):
        identifier_form, formset = self.build_forms(data=request.POST)
        schema, notice = self.schema_and_notice
        general_errors = []
        issues = []
        associations = self.checked_associations()
        if identifier_form.is_valid() and formset.is_valid() and associations is not None:
            identifier = {
                "pretix_id_field": identifier_form.cleaned_data.get("pretix_id_field") or "",
                "external_id_field": identifier_form.cleaned_data.get("external_id_field") or "",
            }
            rows = stored_rows(formset.to_property_mappings_list())
            issues = validate_mapping(request.event, self.mapping.pretix_model, self.mapping.external_object_type,
                                      identifier, rows, schema)
            errors = [i for i in issues if i.is_error]
            if not errors:
                self.save(identifier, rows, associations)
                if notice:
                    messages.warning(request, _("Your changes have been saved, but HubSpot could not be asked, so the "
                                                "HubSpot fields have not been checked."))
                elif issues:
                    messages.warning(request, _("Your changes have been saved. Please have a look at the notes "
                                                "below."))
                else:
                    messages.success(request, _("Your changes have been saved."))
                return redirect(edit_url(self.mapping))
            ordered = formset.ordered_forms
            for issue in errors:
                if issue.target == IDENTIFIER:
                    identifier_form.add_error(issue.field, issue.message)
                elif isinstance(issue.target, int):
                    # The value map is a hidden input, whose errors pretix's row template would not show.
                    field = None if issue.field == "value_map" else issue.field
                    ordered[issue.target].add_error(field, issue.message)
                else:
                    general_errors.append(issue.message)
        messages.error(request, _("We could not save your changes. See below for details."))
        return self.render_to_response(self.get_context_data(
            identifier_form=identifier_form, formset=formset, general_errors=general_errors,
            issues=[i for i in issues if not i.is_error],
            identifier_property_offer=any(i.offer_identifier_property for i in issues),
        ))

    @transaction.atomic
    def save(self, identifier, rows, associations):
        mapping = self.mapping
        before = log_data(mapping)
        mapping.pretix_id_field = identifier["pretix_id_field"]
        mapping.external_id_field = identifier["external_id_field"]
        mapping.property_mappings = rows
        mapping.associations = associations
        if log_data(mapping) != before:
            mapping.save()
            mapping.log_action(log_actions.MAPPING_CHANGED, user=self.request.user, data=log_data(mapping))

    def offers_starter_set(self):
        return self.is_empty() and get_starter_set(self.mapping.pretix_model, self.mapping.external_object_type)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        schema, notice = self.schema_and_notice
        ctx.update(
            mapping=self.mapping,
            schema=schema,
            schema_notice=notice,
            connected=EventConnection.objects.connection_for(self.request.event) is not None,
            # Only on a fresh page of an empty mapping: next to the errors of a save it would throw away what was sent.
            offer_starter_set=(self.request.method == "GET" and bool(self.offers_starter_set())
                               and not kwargs.get("starter_applied")),
            settings_url=settings_url(self.request.event),
            pretix_field_info=self.pretix_field_info(),
            external_fields_id=external_fields_id(),
            association_formset=self.association_formset,
            earlier_mappings=association_setup.earlier_mappings(self.mapping),
        )
        ctx.setdefault("issues", [])
        ctx.setdefault("general_errors", [])
        ctx.setdefault("identifier_property_offer", any(i.offer_identifier_property for i in ctx["issues"]))
        ctx["identifier_property"] = property_for(self.mapping.external_object_type).label
        return ctx

    def pretix_field_info(self):
        """What the value-map editor needs to know about pretix's choice fields: their options."""
        return {
            f.key: {"label": str(f.label), "type": f.type, "options": [[str(k), str(v)] for k, v in f.enum_opts]}
            for f in get_data_fields(self.request.event) if f.enum_opts
        }


class MappingDeleteView(MappingMixin, TemplateView):
    template_name = "pretix_hubspot/mapping_delete.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["mapping"] = self.mapping
        ctx["settings_url"] = settings_url(self.request.event)
        return ctx

    @transaction.atomic
    def post(self, request, *args, **kwargs):
        mapping = self.mapping
        mapping.log_action(log_actions.MAPPING_DELETED, user=request.user, data=log_data(mapping))
        mapping.delete()
        messages.success(request, _("The mapping has been deleted."))
        return redirect(settings_url(request.event))


class SchemaRefreshView(EventPermissionRequiredMixin, View):
    """Forgets the cached HubSpot fields of the event's account, so they are read from HubSpot again."""

    permission = SETTINGS_PERMISSION

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, *args, **kwargs):
        connection = EventConnection.objects.connection_for(request.event)
        if connection is None:
            raise Http404()
        hubspot_schema.forget(connection)
        messages.success(request, _("The fields will be read from HubSpot again."))
        return redirect_to_next(request, settings_url(request.event))
