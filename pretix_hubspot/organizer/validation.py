"""
Checks an object mapping against pretix's data fields and the connected HubSpot account before it is stored.

A wrong mapping would otherwise surface hours later, when orders fail to sync; here every problem becomes a message
that names the field and says what to do. Errors block saving, warnings are shown but the mapping is saved.
"""
import json
from dataclasses import dataclass
from typing import List, Optional, Union

from django.utils.translation import gettext_lazy as _
from pretix.base.models import Question

from ..datasync_api import AVAILABLE_MODELS, MODE_APPEND_LIST, ORDER_POSITION
from ..hubspot_api.properties import TYPE_BOOL, TYPE_DATE, TYPE_DATETIME, TYPE_ENUMERATION, TYPE_NUMBER
from ..hubspot_api.schema import (
    DEAL_STAGE_PROPERTY, PIPELINE_PROPERTIES, STAGE_PROPERTIES, TICKET_PIPELINE_PROPERTY, TICKET_STAGE_PROPERTY,
    ObjectSchema,
)
from ..hubspot_api.value_rules import is_bool, is_number, unknown_options
from ..models import HUBSPOT_COMPANIES, HUBSPOT_CONTACTS, HUBSPOT_DEALS, HUBSPOT_LINE_ITEMS, HUBSPOT_TICKETS
from ..transfer.company_domains import identifies_by_domain
from ..transfer.currency import currency_missing, currency_property, missing_currency_message
from ..transfer.data_fields import get_data_fields
from . import identifier_property

ERROR = "error"
WARNING = "warning"
IDENTIFIER = "identifier"

CHOICE_TYPES = (Question.TYPE_CHOICE, Question.TYPE_CHOICE_MULTIPLE)
QUESTION_TYPE_LABELS = dict(Question.TYPE_CHOICES)
DEAL_NAME_PROPERTY = "dealname"
TICKET_NAME_PROPERTY = "subject"
EMAIL_PROPERTY = "email"

# Which pretix field types fit which HubSpot property types. Text properties take anything.
ACCEPTED_SOURCE_TYPES = {
    TYPE_NUMBER: (Question.TYPE_NUMBER,),
    TYPE_DATE: (Question.TYPE_DATE, Question.TYPE_DATETIME),
    TYPE_DATETIME: (Question.TYPE_DATE, Question.TYPE_DATETIME),
    TYPE_BOOL: (Question.TYPE_BOOLEAN,),
    TYPE_ENUMERATION: CHOICE_TYPES,
}
HUBSPOT_TYPE_DESCRIPTIONS = {
    TYPE_NUMBER: _("numbers"),
    TYPE_DATE: _("dates"),
    TYPE_DATETIME: _("dates and times"),
    TYPE_BOOL: _("yes/no values"),
    TYPE_ENUMERATION: _("one of a fixed list of options"),
}
HUBSPOT_TYPE_HINTS = {
    TYPE_NUMBER: _("Choose a pretix field of type Number (e.g. Order total) or another HubSpot property."),
    TYPE_DATE: _("Choose a pretix date field (e.g. Payment date and time) or another HubSpot property."),
    TYPE_DATETIME: _("Choose a pretix date field (e.g. Payment date and time) or another HubSpot property."),
    TYPE_BOOL: _("Choose a yes/no pretix field or another HubSpot property."),
    TYPE_ENUMERATION: _("Choose a pretix choice field (e.g. Order status) and map its options with the value "
                        "mapping button, or choose a text property in HubSpot."),
}


@dataclass
class Issue:
    level: str
    message: str
    # IDENTIFIER, the index of a property row, or None for the mapping as a whole
    target: Union[str, int, None] = None
    field: Optional[str] = None
    # Offer the button that creates the identifier property (pretix-order-id, pretix-company-id) with unique values
    offer_identifier_property: bool = False

    @property
    def is_error(self):
        return self.level == ERROR


def parse_value_map(raw):
    """The stored value map as a dict, ``{}`` for none, or None when it is not a JSON object of strings."""
    if raw in (None, ""):
        return {}
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    return value


def field_display(field):
    return "{} [{}]".format(field.label, QUESTION_TYPE_LABELS.get(field.type, field.type))


class MappingValidator:
    def __init__(self, event, pretix_model, object_type, schema: Optional[ObjectSchema]):
        self.event = event
        self.pretix_model = pretix_model
        self.object_type = object_type
        self.schema = schema
        self.fields = {f.key: f for f in get_data_fields(event)}
        self.inputs = AVAILABLE_MODELS.get(pretix_model, ())
        self.issues: List[Issue] = []

    def add(self, level, message, target=None, field=None, **kwargs):
        self.issues.append(Issue(level, message, target, field, **kwargs))

    # --- pretix side -------------------------------------------------------------------------------------------

    def check_pretix_field(self, key, target, field_name):
        if not key:
            self.add(ERROR, _("Please choose a pretix field."), target, field_name)
            return None
        field = self.fields.get(key)
        if field is None:
            self.add(ERROR, _("The pretix field “{key}” does not exist (any more), e.g. because a question or check-in "
                              "list was deleted. Please choose another pretix field or remove the row.").format(key=key),
                     target, field_name)
            return None
        if field.required_input not in self.inputs:
            if field.required_input == ORDER_POSITION:
                msg = _("“{field}” belongs to a single ticket (order position), but this mapping exports orders. "
                        "Choose an order field instead, or add a mapping for the pretix object type “Order "
                        "position”.")
            else:
                msg = _("“{field}” cannot be used for this pretix object type. Please choose another pretix field.")
            self.add(ERROR, msg.format(field=field.label), target, field_name)
            return None
        return field

    # --- HubSpot side ------------------------------------------------------------------------------------------

    def check_property(self, name, target, field_name):
        if not name:
            self.add(ERROR, _("Please choose a HubSpot property."), target, field_name)
            return None
        if self.schema is None:
            return None
        prop = self.schema.get(name)
        if prop is None:
            self.add(ERROR, _("The property “{name}” does not exist for {object_type} in your HubSpot account. Create "
                              "it in HubSpot, or choose another property.").format(
                name=name, object_type=self.object_type_label), target, field_name,
                offer_identifier_property=(target == IDENTIFIER))
            return None
        if prop.read_only:
            self.add(ERROR, _("HubSpot does not allow writing to “{prop}”. Please choose another property.").format(
                prop=prop.display_name), target, field_name)
            return None
        return prop

    @property
    def object_type_label(self):
        labels = {HUBSPOT_CONTACTS: _("contacts"), HUBSPOT_DEALS: _("deals"), HUBSPOT_COMPANIES: _("companies"),
                  HUBSPOT_LINE_ITEMS: _("line items"), HUBSPOT_TICKETS: _("tickets")}
        return labels.get(self.object_type, self.object_type)

    def check_types(self, field, prop, row, target):
        """Type fit between a pretix field and a HubSpot property, including the value map."""
        value_map = parse_value_map(row.get("value_map"))
        if value_map is None:
            self.add(ERROR, _("The value mapping of this row is malformed. Please open the value mapping editor and "
                              "set it again."), target, "value_map")
            return
        is_choice = bool(field.enum_opts) and field.type in CHOICE_TYPES
        if is_choice:
            self.check_value_map(field, prop, value_map, target)
        if prop is None:
            return

        accepted = ACCEPTED_SOURCE_TYPES.get(prop.type)
        mapped_choice = is_choice and value_map
        if accepted is not None and field.type not in accepted and not mapped_choice:
            self.add(ERROR, _("“{field}” cannot be written into “{prop}”: that HubSpot property holds {kind}. "
                              "{hint}").format(field=field_display(field), prop=prop.display_name,
                                               kind=HUBSPOT_TYPE_DESCRIPTIONS[prop.type],
                                               hint=HUBSPOT_TYPE_HINTS[prop.type]),
                     target, "external_field")
            return
        if row.get("overwrite") == MODE_APPEND_LIST and prop.type in (TYPE_NUMBER, TYPE_DATE, TYPE_DATETIME, TYPE_BOOL):
            self.add(ERROR, _("“Add to list” does not work with “{prop}”, which holds {kind}. Please choose another "
                              "mode.").format(prop=prop.display_name, kind=HUBSPOT_TYPE_DESCRIPTIONS[prop.type]),
                     target, "overwrite")

    def check_value_map(self, field, prop, value_map, target):
        pretix_options = [str(k) for k, label in field.enum_opts]
        option_labels = {str(k): str(label) for k, label in field.enum_opts}
        unknown = [k for k in value_map if k not in option_labels]
        if unknown:
            self.add(ERROR, _("The value mapping of “{field}” names options that do not exist in pretix: {options}. "
                              "Please open the value mapping editor and set it again.").format(
                field=field.label, options=", ".join(unknown)), target, "value_map")
            return
        if prop is None:
            if value_map:
                self._check_complete(field, pretix_options, option_labels, value_map, target)
            return

        # The values a value map produces are judged by the rules the preview applies to every value it would send.
        if prop.type == TYPE_ENUMERATION:
            if not value_map:
                missing = [k for k in pretix_options if unknown_options(prop, k)]
                if missing:
                    self.add(ERROR, _("“{prop}” only accepts its own options, and pretix's “{option}” is not one of "
                                      "them. Please use the value mapping button to choose a HubSpot option for every "
                                      "option of “{field}”.").format(
                        prop=prop.display_name, option=option_labels[missing[0]], field=field.label),
                        target, "value_map")
                return
            if not self._check_complete(field, pretix_options, option_labels, value_map, target):
                return
            for key, value in value_map.items():
                if unknown_options(prop, value):
                    choices = ", ".join("{} ({})".format(label, v) for v, label in prop.options[:12])
                    self.add(ERROR, _("“{value}” is not an option of “{prop}” in your HubSpot account (used for "
                                      "“{option}”). Please choose one of: {choices}.").format(
                        value=value, prop=prop.display_name, option=option_labels[key], choices=choices or "–"),
                        target, "value_map")
                    return
            if prop.name in STAGE_PROPERTIES and self.schema is not None:
                self._check_stage_pipelines(value_map, target)
        elif value_map:
            if not self._check_complete(field, pretix_options, option_labels, value_map, target):
                return
            if prop.type == TYPE_NUMBER:
                for key, value in value_map.items():
                    if not is_number(value):
                        self.add(ERROR, _("“{prop}” holds numbers, but the value mapping turns “{option}” into "
                                          "“{value}”. Please enter a number.").format(
                            prop=prop.display_name, option=option_labels[key], value=value), target, "value_map")
                        return
            elif prop.type == TYPE_BOOL:
                for key, value in value_map.items():
                    if not is_bool(value):
                        self.add(ERROR, _("“{prop}” holds yes/no values, but the value mapping turns “{option}” into "
                                          "“{value}”. Please use “true” or “false”.").format(
                            prop=prop.display_name, option=option_labels[key], value=value), target, "value_map")
                        return

    def _check_complete(self, field, pretix_options, option_labels, value_map, target):
        missing = [k for k in pretix_options if not value_map.get(k)]
        if missing:
            self.add(ERROR, _("The value mapping of “{field}” has no HubSpot value for “{option}”; orders with that "
                              "value could not be transferred. Please complete the value mapping.").format(
                field=field.label, option=option_labels[missing[0]]), target, "value_map")
            return False
        return True

    def _check_stage_pipelines(self, value_map, target):
        pipelines = {self.schema.pipeline_of_stage(v) for v in value_map.values()}
        pipelines.discard(None)
        default = self.schema.default_pipeline()
        if len(pipelines) > 1:
            self.add(ERROR, _("The deal stages in the value mapping belong to different pipelines ({pipelines}). A deal "
                              "can only move within one pipeline: please choose stages of one pipeline.").format(
                pipelines=", ".join(sorted(p.label for p in pipelines))), target, "value_map")
        elif pipelines and default and pipelines != {default} and not self.mapped_pipeline:
            pipeline = pipelines.pop()
            self.add(WARNING, _("The deal stages in the value mapping belong to the pipeline “{pipeline}”, but deals "
                                "without a pipeline are created in “{default}”. Add a row for the HubSpot property "
                                "“Pipeline” so that HubSpot accepts the stages.").format(
                pipeline=pipeline.label, default=default.label), target, "value_map")

    # --- the whole mapping -------------------------------------------------------------------------------------

    def validate(self, identifier: dict, rows: List[dict]) -> List[Issue]:
        pipeline_property = PIPELINE_PROPERTIES.get(self.object_type, (None, None))[0]
        self.mapped_pipeline = any(r.get("external_field") == pipeline_property for r in rows)

        id_field = self.check_pretix_field(identifier.get("pretix_id_field"), IDENTIFIER, "pretix_id_field")
        id_prop = self.check_property(identifier.get("external_id_field"), IDENTIFIER, "external_id_field")
        if id_field is not None and id_field.type in CHOICE_TYPES:
            self.add(ERROR, _("“{field}” is a choice field and cannot identify a record. Please choose a field with a "
                              "unique value, such as the order code.").format(field=id_field.label),
                     IDENTIFIER, "pretix_id_field")
        if id_prop is not None:
            unique_by_nature = self.object_type == HUBSPOT_CONTACTS and id_prop.name == EMAIL_PROPERTY
            # A company's domain is HubSpot's own de-duplication key for companies, though HubSpot does not enforce
            # it: the transfer looks every company up by it (its stored results first, then HubSpot's search) and
            # never creates a second company for a domain it knows (transfer/company_domains.py).
            by_domain = identifies_by_domain(self.object_type, id_prop.name)
            identifier_label = identifier_property.property_for(self.object_type).label
            if not id_prop.has_unique_value and self.object_type != HUBSPOT_CONTACTS and not by_domain:
                # Records other than contacts are then written with plain creates: after a lost answer, the next
                # attempt cannot find the record and creates it a second time. Contacts are upserted by e-mail.
                self.add(ERROR, _("The HubSpot property “{prop}” does not require unique values. Deals and other "
                                  "records that are not contacts can only be identified by a property with unique "
                                  "values: otherwise a lost answer from HubSpot would create a duplicate. Create a "
                                  "property that holds unique values (the button below creates “{identifier}”) "
                                  "and choose it as the identifier.").format(prop=id_prop.display_name, identifier=identifier_label),
                         IDENTIFIER, "external_id_field", offer_identifier_property=True)
            elif not id_prop.has_unique_value and not unique_by_nature and not by_domain:
                self.add(WARNING, _("The HubSpot property “{prop}” does not require unique values, so HubSpot may end "
                                    "up with duplicate records and cannot look them up by it reliably. Create a property "
                                    "that holds unique values (the button below creates “{identifier}”) and choose "
                                    "it as the identifier.").format(prop=id_prop.display_name, identifier=identifier_label),
                         IDENTIFIER, "external_id_field", offer_identifier_property=True)

        seen = {}
        for index, row in enumerate(rows):
            field = self.check_pretix_field(row.get("pretix_field"), index, "pretix_field")
            prop = self.check_property(row.get("external_field"), index, "external_field")
            if field is not None:
                self.check_types(field, prop, row, index)
            name = row.get("external_field")
            if name and name in seen and row.get("overwrite") != MODE_APPEND_LIST:
                self.add(WARNING, _("The HubSpot property “{name}” is filled by more than one row; the last row wins. "
                                    "Remove one of the rows unless that is what you want.").format(name=name),
                         index, "external_field")
            seen[name] = index

        targets = {r.get("external_field") for r in rows} | {identifier.get("external_id_field")}
        currency = currency_property(self.object_type, targets)
        currency_definition = self.schema.get(currency) if currency and self.schema is not None else None
        if currency_definition is not None and currency_missing(self.event.currency, currency_definition.accepted_values):
            self.add(ERROR, missing_currency_message(self.event.currency))
        if self.object_type == HUBSPOT_DEALS:
            if DEAL_NAME_PROPERTY not in targets:
                self.add(ERROR, _("HubSpot needs a name for every deal. Please add a row that fills “Deal name” "
                                  "(dealname), e.g. from “Event and order code”."))
            if DEAL_STAGE_PROPERTY not in targets:
                self.add(ERROR, _("HubSpot needs a stage for every deal. Please add a row that fills “Deal stage” "
                                  "(dealstage), e.g. from “Order status”, and map each status onto a stage of your "
                                  "pipeline with the value mapping button."))
        elif self.object_type == HUBSPOT_TICKETS:
            if TICKET_NAME_PROPERTY not in targets:
                self.add(ERROR, _("HubSpot needs a name for every ticket. Please add a row that fills “Ticket name” "
                                  "(subject), e.g. from “Event and order code”."))
            if TICKET_PIPELINE_PROPERTY not in targets or TICKET_STAGE_PROPERTY not in targets:
                self.add(ERROR, _("HubSpot needs a pipeline and a status for every ticket. Please add rows that fill "
                                  "“Pipeline” (hs_pipeline) and “Ticket status” (hs_pipeline_stage), e.g. from "
                                  "“Order status”, and map each status onto a pipeline and a stage with the value "
                                  "mapping button."))
        elif self.object_type == HUBSPOT_CONTACTS and EMAIL_PROPERTY not in targets:
            self.add(WARNING, _("HubSpot identifies contacts by their e-mail address. Without a row that fills “Email” "
                                "(email), HubSpot cannot recognize a person it already knows and may create duplicate "
                                "contacts. Add a row from “Order email” or “Attendee email”."))
        return self.issues


def validate_mapping(event, pretix_model, object_type, identifier, rows, schema) -> List[Issue]:
    """
    ``identifier`` has ``pretix_id_field``/``external_id_field``; ``rows`` are property mappings as stored.
    ``schema`` is the account's ``ObjectSchema``, or None when HubSpot could not be asked (then only the pretix side
    and the rules that need no account data are checked).
    """
    return MappingValidator(event, pretix_model, object_type, schema).validate(identifier, rows)
