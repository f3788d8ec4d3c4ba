"""
One model of a HubSpot property, for everything that needs to know one: the mapping editor and its validation, the
preview and the transfer.

HubSpot describes each property by its ``type`` (what it holds: string, number, date, datetime, enumeration, bool),
its ``fieldType`` (how its screens show it, e.g. ``checkbox`` for a multi-select), its options and whether its values
are unique. The editor reads the definitions through ``schema`` (cached for a few minutes), the transfer once per run
through ``PropertyCatalog``; both build the same ``HubSpotProperty`` from HubSpot's answer, so both judge a value
with the same rules (``value_rules``).
"""
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

# HubSpot property types (``type``), as the API names them.
TYPE_STRING = "string"
TYPE_NUMBER = "number"
TYPE_DATE = "date"
TYPE_DATETIME = "datetime"
TYPE_ENUMERATION = "enumeration"
TYPE_BOOL = "bool"

# HubSpot keeps at most this many characters of a text value, and joins multi-select values with ";".
MAX_TEXT_LENGTH = 65536
MULTI_VALUE_SEPARATOR = ";"


@dataclass(frozen=True)
class HubSpotProperty:
    name: str
    label: str
    type: str
    field_type: str = ""
    # (value, label) pairs of an enumeration, in HubSpot's display order
    options: Tuple[Tuple[str, str], ...] = ()
    has_unique_value: bool = False
    read_only: bool = False
    # (value, label) pairs HubSpot hides from its forms: not offered in the editor, but still accepted on writes
    hidden_options: Tuple[Tuple[str, str], ...] = ()

    @property
    def display_name(self) -> str:
        # The guide shows properties as "pretix-order-id (pretix_order_id | string)".
        return "{} ({} | {})".format(self.label or self.name, self.name, self.type)

    @property
    def option_values(self):
        return [value for value, label in self.options]

    @property
    def accepted_values(self):
        """Every option value HubSpot accepts on a write, the hidden ones included."""
        return self.option_values + [value for value, label in self.hidden_options]

    def option_label(self, value):
        """An option as HubSpot's screens name it ("Closed won" for ``closedwon``), or the value itself."""
        return dict(self.hidden_options + self.options).get(value) or value

    @property
    def field_name(self):
        """The property in a message: "Close Date (closedate)", or the bare name where the label says no more."""
        if self.label and self.label != self.name:
            return "{} ({})".format(self.label, self.name)
        return self.name

    def as_select2(self) -> dict:
        """One entry of the editor's property list; the value-map editor reads ``type`` and ``options``."""
        return {
            "id": self.name,
            "text": self.display_name,
            "type": self.type,
            "fieldType": self.field_type,
            "options": [[value, label] for value, label in self.options],
        }


def property_from_sdk(p) -> HubSpotProperty:
    """HubSpot's answer for one property (the SDK's ``Property``) as a ``HubSpotProperty``."""
    meta = p.modification_metadata
    read_only = bool(getattr(meta, "read_only_value", False)) or bool(getattr(p, "calculated", False))
    ordered = sorted(p.options or [], key=lambda o: (o.display_order if o.display_order is not None else 0))
    return HubSpotProperty(
        name=p.name, label=p.label or p.name, type=p.type or TYPE_STRING, field_type=p.field_type or "",
        options=tuple((str(o.value), str(o.label or o.value)) for o in ordered if not o.hidden),
        has_unique_value=bool(p.has_unique_value), read_only=read_only,
        hidden_options=tuple((str(o.value), str(o.label or o.value)) for o in ordered if o.hidden),
    )


def read_properties(api, object_type) -> Dict[str, HubSpotProperty]:
    """All live properties of ``object_type`` in the account, read-only ones included: one request."""
    response = api.call(api.sdk.crm.properties.core_api.get_all, object_type)
    return {p.name: property_from_sdk(p) for p in (response.results or []) if not getattr(p, "archived", False)}


class PropertyCatalog:
    """The property definitions of one transfer run, read from HubSpot once per object type."""

    def __init__(self, api):
        self._api = api  # a callable returning the run's ``HubSpotApi``
        self._definitions = {}

    def of(self, object_type) -> Dict[str, HubSpotProperty]:
        if object_type not in self._definitions:
            self._definitions[object_type] = read_properties(self._api(), object_type)
        return self._definitions[object_type]

    def known(self, object_type) -> Dict[str, HubSpotProperty]:
        """What was read already, without asking HubSpot (for wording a message)."""
        return self._definitions.get(object_type, {})

    def get(self, object_type, name) -> Optional[HubSpotProperty]:
        return self.known(object_type).get(name)
