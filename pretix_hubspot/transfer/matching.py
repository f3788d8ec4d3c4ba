"""
Finding the HubSpot record of each pretix object, and folding objects that mean the same record into one write.

Records are found, in this order: by the HubSpot ID remembered from the order's previous sync, by the mapping's
identifier property, and, for contacts, by e-mail (HubSpot's own key for contacts). Every lookup is a batch read
(``batch/read``, with ``idProperty`` for the last two), never a search: search is eventually consistent and would
miss a record written moments ago, which is how duplicates are born. The one exception are companies identified by
their domain, which HubSpot does not keep unique (``find_companies_by_domain``, see ``company_domains``).
"""
from ..models import HUBSPOT_COMPANIES, HUBSPOT_CONTACTS
from .batches import normalize_key, read_records
from .company_domains import search_by_domain


def find_records(api, object_type, objects, id_property, id_property_is_unique, read_properties,
                 by_value=lambda obj: True):
    """
    Sets ``obj.record_id`` and ``obj.current`` (HubSpot's current values) for every object HubSpot already knows.
    Errors of a lookup are set on the objects it concerned. Remembered records are read for every object; records are
    looked up by identifier or e-mail only for the objects ``by_value`` names.
    """
    def lookup(candidates, value_of, id_prop=None):
        values = {obj: value_of(obj) for obj in candidates if value_of(obj)}
        if not values:
            return
        try:
            found = read_records(api, object_type, values.values(), id_property=id_prop, properties=read_properties)
        except Exception as e:
            for obj in values:
                obj.fail(e)
            return
        for obj, value in values.items():
            record = found.get(normalize_key(value, id_prop))
            if record:
                obj.record_id = record["id"]
                obj.current = record["properties"]
                # how it was found (shown by the preview): "id" (remembered), the identifier property, or "email"
                obj.matched_by = id_prop or "id"

    lookup([o for o in objects if o.remembered_id], lambda o: o.remembered_id)
    if id_property_is_unique:
        lookup(_open(objects, by_value), lambda o: o.id_value, id_property)
    if object_type == HUBSPOT_CONTACTS and id_property != "email":
        lookup(_open(objects, by_value), lambda o: o.email, "email")


def find_companies_by_domain(api, objects, read_properties, known_ids):
    """
    Sets ``record_id`` and ``current`` for the companies (``id_value``: a normalised domain) HubSpot has: first those
    the plugin's memory names (``known_ids``: ``{domain: record id}`` from earlier transfers, read by id, so a company
    written moments ago is found, search lag or not), then, for the domains still unknown, those HubSpot's search
    finds: one request per 100 domains.
    """
    def found(obj, record):
        obj.record_id = record["id"]
        obj.current = record["properties"]
        obj.matched_by = "domain"

    remembered = {obj: known_ids[obj.id_value] for obj in objects if not obj.error and obj.id_value in known_ids}
    if remembered:
        try:
            records = read_records(api, HUBSPOT_COMPANIES, remembered.values(), properties=read_properties)
        except Exception as e:
            for obj in remembered:
                obj.fail(e)
            records = {}
        for obj, record_id in remembered.items():
            if record_id in records:
                found(obj, records[record_id])
    # Companies not remembered, or deleted in HubSpot since: HubSpot's search.
    unknown = [o for o in objects if not o.error and not o.record_id]
    if not unknown:
        return
    try:
        records = search_by_domain(api, [o.id_value for o in unknown], read_properties)
    except Exception as e:
        for obj in unknown:
            obj.fail(e)
        return
    for obj in unknown:
        if obj.id_value in records:
            found(obj, records[obj.id_value])


def _open(objects, by_value):
    return [o for o in objects if not o.error and not o.record_id and by_value(o)]


class RecordGroup:
    """One HubSpot record and the pretix objects of this run that are written into it."""

    def __init__(self, record_id=None, current=None):
        self.record_id = record_id
        self.current = dict(current or {})
        self.objects = []
        self.values = {}  # the record's values after this run's writes
        self.changes = {}
        self.error = None
        self.action = None
        # a new line item created with its deal association inline: the id of that deal
        self.inline_deal = None

    @property
    def is_new(self):
        return not self.record_id


def group_objects(objects, object_type):
    """
    Objects found in HubSpot are grouped by record. New ones are grouped when they share the identifier value or,
    for contacts, the e-mail: two orders with one e-mail in one run must end up in one contact, and HubSpot rejects
    a batch in which two inputs resolve to the same record.
    """
    groups = {}
    parent = {}

    def find(key):
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    def union(a, b):
        parent[find(a)] = find(b)

    new_objects = []
    for obj in objects:
        if obj.error:
            continue
        if obj.record_id:
            group = groups.setdefault(("id", obj.record_id), RecordGroup(obj.record_id, obj.current))
            group.objects.append(obj)
        else:
            new_objects.append(obj)
    for i, obj in enumerate(new_objects):
        keys = [("obj", i), ("value", normalize_key(obj.id_value))]
        if object_type == HUBSPOT_CONTACTS and obj.email:
            keys.append(("email", normalize_key(obj.email, "email")))
        for key in keys[1:]:
            union(keys[0], key)
    new_groups = {}
    for i, obj in enumerate(new_objects):
        new_groups.setdefault(find(("obj", i)), RecordGroup()).objects.append(obj)
    return list(groups.values()) + list(new_groups.values())
