"""
Forms of the settings page: the object mapping list and the mapping editor (built on pretix's
``PropertyMappingFormSet``), and the "Marketing event" section.
"""
from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _, pgettext_lazy
from pretix.control.forms.mapping import PropertyMappingForm, PropertyMappingFormSet, pretix_fields_choices

from ..datasync_api import MODE_APPEND_LIST, MODE_OVERWRITE, MODE_SET_IF_EMPTY, MODE_SET_IF_NEW
from ..models import HUBSPOT_OBJECT_TYPES, PRETIX_MODELS, EventConnection
from ..transfer.data_fields import get_data_fields
from ..transfer.marketing_events import PARTICIPANT_CHOICES, REGISTER_ON_CHOICES, MarketingEventSettings

AVAILABLE_MODES = (MODE_OVERWRITE, MODE_SET_IF_NEW, MODE_SET_IF_EMPTY, MODE_APPEND_LIST)
PROPERTIES_PREFIX = "properties"
# The editor's column headings (templates/pretix_hubspot/mapping_edit.html), which name the controls below them.
COLUMN_IDS = {"pretix": "hubspot-column-pretix-field", "hubspot": "hubspot-column-hubspot-field",
              "mode": "hubspot-column-mode"}


def label_by_columns(form, columns):
    """Screen readers announce each control of a row by its column heading ("pretix Field", "HubSpot Field", …)."""
    for field_name, column in columns.items():
        form.fields[field_name].widget.attrs["aria-labelledby"] = COLUMN_IDS[column]


def external_fields_id(prefix=PROPERTIES_PREFIX):
    # The id pretix's formset gives the <script> holding the HubSpot properties for select2.
    return prefix + "external-fields"


class PretixFieldChoiceField(forms.ChoiceField):
    """
    Shows the pretix fields that fit the mapping's object type, but accepts every pretix field of the event, so that a
    field of the wrong kind (e.g. an attendee field on an order mapping) reaches validation and gets a message that
    says what is wrong, instead of a bare "invalid choice".
    """

    def __init__(self, *args, known_keys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.known_keys = set(known_keys)

    def valid_value(self, value):
        return value in self.known_keys or super().valid_value(value)


def pretix_field_choices(event, pretix_model, current=None):
    """pretix's grouped choices for the object type, plus the current value when it is not among them."""
    fields = get_data_fields(event, for_model=pretix_model)
    choices = pretix_fields_choices(fields, current)
    offered = {f.key for f in fields}
    if current and current not in offered:
        all_fields = {f.key: f for f in get_data_fields(event)}
        label = all_fields[current].label if current in all_fields else _("Unknown field: {key}").format(key=current)
        choices = choices + [(str(_("Not available for this object type")), [(current, label)])]
    return choices


def value_before_binding(form, field_name):
    """
    The value the field's bound field would show, read without creating it. Django keeps the first bound field of a
    name for the life of the form, so a field replaced after a bound field was made would still be rendered and
    cleaned as the old one: the fields here are built from this value before anything reads them through the form.
    """
    field = form.fields[field_name]
    if form.is_bound:
        return field.bound_data(field.widget.value_from_datadict(form.data, form.files, form.add_prefix(field_name)),
                                form.get_initial_for_field(field, field_name))
    return form.get_initial_for_field(field, field_name)


def _widen_pretix_field(form, event, pretix_model, field_name, label, required):
    current = value_before_binding(form, field_name)
    form.fields[field_name] = PretixFieldChoiceField(
        label=label, required=required,
        choices=[("", "---------")] + pretix_field_choices(event, pretix_model, current),
        known_keys=[f.key for f in get_data_fields(event)] + ([current] if current else []),
    )


def hubspot_field_select(external_fields_id, **kwargs):
    """A select of the account's HubSpot properties, filled by select2 from the list in ``external_fields_id``."""
    return forms.ChoiceField(widget=forms.Select(attrs={
        "data-model-select2": "json_script",
        "data-select2-src": "#" + external_fields_id,
    }), **kwargs)


class MappingPropertyForm(PropertyMappingForm):
    def __init__(self, pretix_fields, external_fields_id, available_modes, *args, event=None, pretix_model=None,
                 **kwargs):
        # Without the list's id, pretix's form leaves the HubSpot field a plain one and does not read its value;
        # the select is built here, with its label, before anything reads it.
        super().__init__(pretix_fields, None, available_modes, *args, **kwargs)
        if external_fields_id:
            field = hubspot_field_select(external_fields_id)
            current = value_before_binding(self, "external_field")
            field.choices = [(current, current)]  # as pretix's form has it
            self.fields["external_field"] = field
        _widen_pretix_field(self, event, pretix_model, "pretix_field", _("pretix field"), required=False)
        self.fields["external_field"].label = _("HubSpot field")
        self.fields["overwrite"].label = _("Mode")
        label_by_columns(self, {"pretix_field": "pretix", "external_field": "hubspot", "overwrite": "mode"})


class MappingPropertyFormSet(PropertyMappingFormSet):
    """pretix's property rows ("Add property", reorder, delete), with pretix fields of the mapping's object type."""

    form = MappingPropertyForm
    template_name = "pretix_hubspot/fragments/property_rows.html"

    def __init__(self, *args, event, pretix_model, external_fields, **kwargs):
        super().__init__(
            get_data_fields(event, for_model=pretix_model), external_fields, AVAILABLE_MODES, PROPERTIES_PREFIX,
            *args, **kwargs
        )
        self.form_kwargs.update(event=event, pretix_model=pretix_model)


class IdentifierForm(forms.Form):
    """The first line of the editor: which pretix field identifies the record in HubSpot, by which property."""

    pretix_id_field = forms.CharField()
    external_id_field = forms.CharField(label=_("HubSpot field"))

    def __init__(self, *args, event, pretix_model, external_fields=None, **kwargs):
        super().__init__(*args, prefix="identifier", **kwargs)
        _widen_pretix_field(self, event, pretix_model, "pretix_id_field", _("pretix field"), required=False)
        if external_fields:
            field = hubspot_field_select(external_fields_id(), label=_("HubSpot field"), required=False)
            # Like pretix's rows: any value is taken here and checked against the account by the validation.
            field.valid_value = lambda value: True
            current = value_before_binding(self, "external_id_field")
            field.choices = [(current, current)] if current else []
            self.fields["external_id_field"] = field
        else:
            self.fields["external_id_field"].required = False
        label_by_columns(self, {"pretix_id_field": "pretix", "external_id_field": "hubspot"})


class ObjectMappingForm(forms.Form):
    """One row of the "Object mappings" list: pretix object type → HubSpot object type."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    pretix_model = forms.ChoiceField(choices=PRETIX_MODELS, label=_("pretix object type"))
    external_object_type = forms.ChoiceField(choices=HUBSPOT_OBJECT_TYPES,
                                             label=pgettext_lazy("hubspot", "HubSpot object type"))

    # The stored mapping this row stands for; None for a row that has not been saved yet.
    instance = None

    def __init__(self, *args, event, object_types=HUBSPOT_OBJECT_TYPES, **kwargs):
        self.event = event
        super().__init__(*args, **kwargs)
        self.fields["external_object_type"].choices = object_types

    def clean(self):
        data = super().clean()
        if "id" in self.errors:
            # The id is a hidden field, whose own errors would not be shown.
            self.add_error(None, _("This mapping does not exist (any more). Please reload the page."))
        elif data.get("id") is not None:
            self.instance = self.event.hubspot_object_mappings.filter(pk=data["id"]).first()
            if self.instance is None:
                self.add_error(None, _("This mapping does not exist (any more). Please reload the page."))
        return data


class BaseObjectMappingFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        ids = [f.cleaned_data.get("id") for f in self.forms if hasattr(f, "cleaned_data") and f.cleaned_data.get("id")]
        if len(ids) != len(set(ids)):
            raise forms.ValidationError(_("The same mapping was sent twice. Please reload the page."))


ObjectMappingFormSet = formset_factory(
    ObjectMappingForm, formset=BaseObjectMappingFormSet, can_order=True, can_delete=True, extra=0,
)


MAPPINGS_PREFIX = "mappings"


def object_type_choices(event, mappings):
    """
    HubSpot's standard object types and the connected account's custom objects; a custom object that a stored mapping
    uses stays a choice while HubSpot cannot be asked (or after the object was deleted there), so the list still saves.
    """
    from ..hubspot_api.schema import get_custom_object_types

    connection = EventConnection.objects.connection_for(event)
    custom = get_custom_object_types(connection) if connection is not None else []
    known = {t for t, label in HUBSPOT_OBJECT_TYPES} | {t for t, label in custom}
    stored = [(m.external_object_type, m.external_object_type) for m in mappings.values()
              if m.external_object_type not in known]
    return list(HUBSPOT_OBJECT_TYPES) + custom + sorted(set(stored))


def object_mapping_formset_for(event, data=None):
    """
    The "Object mappings" list of the settings page. An event without mappings gets one unsaved "Order → Contacts"
    row, the first entry the guide tells organizers to edit: saving the page creates it.
    """
    mappings = {m.pk: m for m in event.hubspot_object_mappings.all()}
    initial = [
        {"id": m.pk, "pretix_model": m.pretix_model, "external_object_type": m.external_object_type}
        for m in mappings.values()
    ] or [{"pretix_model": PRETIX_MODELS[0][0], "external_object_type": HUBSPOT_OBJECT_TYPES[0][0]}]
    formset = ObjectMappingFormSet(data=data, initial=initial, prefix=MAPPINGS_PREFIX,
                                   form_kwargs={"event": event, "object_types": object_type_choices(event, mappings)})
    if data is None:
        for form in formset.forms:
            form.instance = mappings.get(form.initial.get("id"))
    return formset


ASSOCIATIONS_PREFIX = "associations"


class AssociationForm(forms.Form):
    """One row of the editor's "Association setup": an earlier mapping and the association type (label)."""

    target = forms.CharField(
        label=_("Associate with"), required=False,
        widget=forms.Select(),
    )
    remove_stale = forms.BooleanField(
        label=_("Remove associations that no longer hold"), required=False,
        help_text=_("When a later transfer finds that a record no longer belongs to this one (e.g. a ticket went to "
                    "another order), the association is removed in HubSpot."),
    )

    def __init__(self, *args, target_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].widget.choices = [("", _("– choose –"))] + list(target_choices)


BaseAssociationFormSet = formset_factory(AssociationForm, extra=1, can_delete=True)


class AssociationFormSet(BaseAssociationFormSet):
    def __init__(self, *args, target_choices=(), **kwargs):
        self.target_choices = target_choices
        kwargs.setdefault("prefix", ASSOCIATIONS_PREFIX)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "target_choices": self.target_choices}

    @property
    def empty_form(self):
        form = self.form(auto_id=self.auto_id, prefix=self.add_prefix("__prefix__"), empty_permitted=True,
                         use_required_attribute=False, target_choices=self.target_choices)
        self.add_fields(form, None)
        return form

    def rows(self):
        """``(form, target value, remove_stale)`` of the rows to keep, in order."""
        return [(form, form.cleaned_data.get("target") or "", bool(form.cleaned_data.get("remove_stale")))
                for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("target")]


class MarketingEventForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Show this event in HubSpot as a marketing event"), required=False,
        help_text=_("In an event series, each date becomes a marketing event of its own."))
    participants = forms.ChoiceField(label=_("Participants"), choices=PARTICIPANT_CHOICES,
                                     widget=forms.RadioSelect)
    register_on = forms.ChoiceField(label=_("Registered"), choices=REGISTER_ON_CHOICES, widget=forms.RadioSelect)
    checkin_lists = forms.MultipleChoiceField(
        label=_("Check-in lists that count as attendance"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None selected: a check-in on any list counts."))

    def __init__(self, *args, event, **kwargs):
        current = MarketingEventSettings(event)
        kwargs.setdefault("initial", {
            "enabled": current.enabled, "participants": current.participants, "register_on": current.register_on,
            "checkin_lists": [str(i) for i in current.checkin_list_ids],
        })
        super().__init__(*args, **kwargs)
        self.fields["checkin_lists"].choices = [(str(cl.pk), cl.name) for cl in event.checkin_lists.all()]
