"""
The "Association setup" of a mapping: which records of earlier mappings its records are associated with, and how.

Each mapping stores a list of rows (``ObjectMapping.associations``)::

    {"to_mapping": <id of an earlier mapping of the event>, "category": "HUBSPOT_DEFINED" | "USER_DEFINED" | "",
     "type_id": <HubSpot association type id> | None, "label": "Primary" | "", "remove_stale": bool}

``type_id`` None is HubSpot's default (unlabelled) association. A record is associated with the records of the
earlier mapping made for the same order; where both mappings are made per order position, only with the one of the
same position. ``AssociationStep`` writes them after all mappings of a chunk are written: one batch per pair of
object types and association type, only the pairs not written before (remembered in the result's
``sync_info["associations"]``), and it removes the ones that no longer hold where the row asks for it.
"""
from dataclasses import dataclass
from typing import List, Optional

from ..models import HUBSPOT_CONTACTS, HUBSPOT_DEALS
from .batches import archive_associations, associate_default, associate_labelled

DEFAULT_KEY = "default"
# HubSpot's type of a line item's association with its deal (HUBSPOT_DEFINED)
LINE_ITEM_TO_DEAL_TYPE_ID = 20


@dataclass(frozen=True)
class AssociationRow:
    to_mapping: int
    category: str = ""
    type_id: Optional[int] = None
    label: str = ""
    remove_stale: bool = False

    @property
    def labelled(self):
        return self.type_id is not None

    @property
    def key(self):
        """Where ``sync_info["associations"]`` remembers the records associated through this row."""
        return "{}:{}".format(self.to_mapping, self.type_id if self.labelled else DEFAULT_KEY)

    def as_json(self):
        return {"to_mapping": self.to_mapping, "category": self.category if self.labelled else "",
                "type_id": self.type_id, "label": self.label if self.labelled else "",
                "remove_stale": bool(self.remove_stale)}


def rows_of(mapping) -> List[AssociationRow]:
    rows = []
    for row in mapping.associations or []:
        try:
            type_id = row.get("type_id")
            rows.append(AssociationRow(
                to_mapping=int(row["to_mapping"]), category=row.get("category") or "",
                type_id=int(type_id) if type_id not in (None, "") else None, label=row.get("label") or "",
                remove_stale=bool(row.get("remove_stale")),
            ))
        except (KeyError, TypeError, ValueError):
            continue
    return rows


def implicit_rows(mappings):
    """
    The associations the plugin made before the association setup existed, as rows: every deal mapping with every
    contact mapping (buyer and attendees), HubSpot's default type, stored on the later of the two.
    ``mappings`` are ``(id, object type, rows)`` in the event's order; returns ``{id: rows to add}``.
    """
    added = {}
    for index, (mapping_id, object_type, existing) in enumerate(mappings):
        for earlier_id, earlier_type, __ in mappings[:index]:
            if {object_type, earlier_type} != {HUBSPOT_CONTACTS, HUBSPOT_DEALS}:
                continue
            if any(int(r.get("to_mapping") or 0) == earlier_id for r in existing):
                continue
            added.setdefault(mapping_id, []).append(AssociationRow(to_mapping=earlier_id).as_json())
    return added


def same_scope(a, b):
    """Records of the same order are related, unless both belong to positions: then only those of one position."""
    return a.position is None or b.position is None or a.position.pk == b.position.pk


def written(obj):
    return obj is not None and obj.record_id and not obj.error


def inline_deal_association(deal_id):
    """A new line item's association with its deal, written with the line item (``associations`` of a create)."""
    return {"to": {"id": str(deal_id)},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": LINE_ITEM_TO_DEAL_TYPE_ID}]}


def batch_direction(from_type, to_type, row, directions):
    """
    The direction a pair is written in, as ``(from type, to type, flipped)``. HubSpot's default association holds
    both ways, so the default ones of a pair of object types go into one batch whichever mapping names the other (a
    deal's buyer and a ticket's attendee with the deal, for instance), in the direction the first such row names.
    A label has a direction of its own (its inverse is another type id). ``directions`` remembers the first ones.
    """
    if row.labelled:
        return from_type, to_type, False
    first = directions.setdefault(frozenset((from_type, to_type)), (from_type, to_type))
    if first == (from_type, to_type):
        return from_type, to_type, False
    return to_type, from_type, True


class AssociationStep:
    """
    Writes the associations of the association setup after all mappings of a chunk are written: one batch per pair
    of object types and association type (never two for the same pair), only the pairs not written before.
    """

    def __init__(self, api, mappings):
        self.api = api
        self.mappings = list(mappings)

    def run(self, outcomes):
        order_of = {m.id: i for i, m in enumerate(self.mappings)}
        by_id = {m.id: m for m in self.mappings}
        creates, removals, directions = {}, {}, {}
        for mapping in self.mappings:
            for row in rows_of(mapping):
                target = by_id.get(row.to_mapping)
                if target is None or order_of[target.id] >= order_of[mapping.id]:
                    continue  # validation on save prevents this; a later change of order must not break a run
                from_type, to_type, flipped = batch_direction(mapping.external_object_type,
                                                              target.external_object_type, row, directions)
                batch_key = (from_type, to_type, row.category, row.type_id)
                for outcome in outcomes.values():
                    self._plan(outcome, mapping, target, row, flipped, creates.setdefault(batch_key, {}),
                               removals.setdefault(batch_key, {}))
        for (from_type, to_type, category, type_id), wanted in creates.items():
            if not wanted:
                continue
            if type_id is None:
                results = associate_default(self.api, from_type, to_type, list(wanted))
            else:
                results = associate_labelled(self.api, from_type, to_type, category, type_id, list(wanted))
            for pair, result in results.items():
                for obj, row, to_id in wanted[pair]:
                    if isinstance(result, Exception):
                        # The record itself was written: its id is kept, and the next attempt adds the association.
                        obj.association_error = obj.association_error or result
                        done = obj.associations.get(row.key, [])
                        if to_id in done:
                            done.remove(to_id)
        for (from_type, to_type, category, type_id), stale in removals.items():
            if not stale:
                continue
            results = archive_associations(self.api, from_type, to_type, list(stale), category, type_id)
            for pair, result in results.items():
                for obj, row, to_id in stale[pair]:
                    if isinstance(result, Exception):
                        obj.association_error = obj.association_error or result
                        obj.associations.setdefault(row.key, []).append(to_id)
                        obj.associations[row.key].sort()

    def _plan(self, outcome, mapping, target, row, flipped, creates, removals):
        targets = outcome.objects.get(target.id, [])
        complete = all(written(t) for t in targets)
        for obj in outcome.objects.get(mapping.id, []):
            if not written(obj):
                continue
            done = set(previous_associations(obj, row, target))
            wanted = {t.record_id for t in targets if written(t) and same_scope(obj, t)}
            # Only a complete picture shows what no longer holds: a record that failed now may still be related.
            stale = (done - wanted) if (row.remove_stale and complete) else set()
            obj.associations[row.key] = sorted((done | wanted) - stale)
            for to_id in sorted(wanted - done):
                if to_id == obj.parent_deal and not row.labelled:
                    continue  # a line item's deal: written with the line item, or by the line items' own batch
                pair = (to_id, obj.record_id) if flipped else (obj.record_id, to_id)
                creates.setdefault(pair, []).append((obj, row, to_id))
            for to_id in sorted(stale):
                pair = (to_id, obj.record_id) if flipped else (obj.record_id, to_id)
                removals.setdefault(pair, []).append((obj, row, to_id))


def previous_associations(obj, row, target):
    """The records an earlier transfer associated ``obj`` with through ``row`` (none if the record changed)."""
    if not obj.previous or obj.remembered_id != obj.record_id:
        return []
    info = obj.previous.sync_info or {}
    if row.key in (info.get("associations") or {}):
        return info["associations"][row.key]
    if (not row.labelled and obj.mapping.external_object_type == HUBSPOT_DEALS
            and target.external_object_type == HUBSPOT_CONTACTS):
        # Written before the association setup existed: the deal remembered all its contacts in one list.
        return info.get("associated_contacts", [])
    return []


# --- The editor's "Association setup" -------------------------------------------------------------------------------

def target_value(row: AssociationRow) -> str:
    """A row as the value of the editor's select: ``<mapping id>:<category>:<type id>`` (both empty: default)."""
    if row.labelled:
        return "{}:{}:{}".format(row.to_mapping, row.category, row.type_id)
    return "{}::".format(row.to_mapping)


def parse_target(value, remove_stale=False) -> Optional[AssociationRow]:
    try:
        mapping_id, category, type_id = str(value).split(":")
        return AssociationRow(to_mapping=int(mapping_id), category=category,
                              type_id=int(type_id) if type_id else None, remove_stale=remove_stale)
    except ValueError:
        return None


def earlier_mappings(mapping):
    """The mappings of the event evaluated before ``mapping``: the ones its records can be associated with."""
    mappings = list(mapping.event.hubspot_object_mappings.all())
    return mappings[:[m.pk for m in mappings].index(mapping.pk)] if mapping in mappings else []


def association_types(connection, from_type, to_type):
    """The account's types for the pair, or None when HubSpot cannot be asked right now."""
    from ..hubspot_api.errors import SchemaUnavailable
    from ..hubspot_api.schema import get_association_types
    if connection is None:
        return None
    try:
        return get_association_types(connection, from_type, to_type)
    except SchemaUnavailable:
        return None


def target_choices(mapping, connection, current_rows=()):
    """
    The select's options, grouped per earlier mapping: HubSpot's default association and every label of the pair
    in the account (e.g. "Primary", or the account's own "Attendee"). Stored rows stay selectable when HubSpot
    cannot be asked.
    """
    from django.utils.translation import gettext as _
    groups = []
    for index, earlier in enumerate(earlier_mappings(mapping), start=1):
        types = association_types(connection, mapping.external_object_type, earlier.external_object_type)
        # The option names the mapping too: a closed select shows only the option, not its group.
        name = "{}. {}".format(index, earlier)
        options = [("{}::".format(earlier.pk), "{}: {}".format(name, _("Associated (no label)")))]
        for t in types or []:
            if t.label:
                options.append(("{}:{}:{}".format(earlier.pk, t.category, t.type_id), "{}: {}".format(name, t.label)))
        known = {value for value, text in options}
        for row in current_rows:
            if row.to_mapping == earlier.pk and target_value(row) not in known:
                options.append((target_value(row), "{}: {}".format(name, row.label or row.type_id)))
        if types == []:
            options = [(value, text) for value, text in options if value in {target_value(r) for r in current_rows}]
        if options:
            groups.append((name, options))
    return groups


def check_rows(mapping, connection, rows):
    """
    Validates the rows of the editor. Returns ``(rows with labels filled in, [(row index, message)])``: the earlier
    mapping must exist and come before this one, HubSpot must be able to associate the two object types, the label
    must exist in the account, and no association may be set up twice.
    """
    from django.utils.translation import gettext as _
    earlier = {m.pk: m for m in earlier_mappings(mapping)}
    checked, problems, seen = [], [], set()
    for index, row in enumerate(rows):
        target = earlier.get(row.to_mapping) if row else None
        if target is None:
            problems.append((index, _("Associations can only refer to a mapping that is evaluated before this one. "
                                      "Please choose one of the mappings above this one in the list.")))
            continue
        if (row.to_mapping, row.type_id) in seen:
            problems.append((index, _("This association is set up twice. Please remove one of the rows.")))
            continue
        seen.add((row.to_mapping, row.type_id))
        types = association_types(connection, mapping.external_object_type, target.external_object_type)
        label = row.label
        if types is not None:
            if not types:
                problems.append((index, _("HubSpot cannot associate {from_type} with {to_type}. Please remove this "
                                          "row.").format(from_type=mapping.get_external_object_type_display(),
                                                         to_type=target.get_external_object_type_display())))
                continue
            if row.labelled:
                match = [t for t in types if t.type_id == row.type_id and t.category == row.category and t.label]
                if not match:
                    problems.append((index, _("The HubSpot account has no such association label (any more). Please "
                                              "choose another one, or create it in HubSpot and read the fields "
                                              "from HubSpot again.")))
                    continue
                label = match[0].label
        checked.append(AssociationRow(to_mapping=row.to_mapping, category=row.category, type_id=row.type_id,
                                      label=label, remove_stale=row.remove_stale))
    return checked, problems
