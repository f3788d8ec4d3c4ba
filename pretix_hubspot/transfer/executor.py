"""
The executor: carries out the planner's plans with HubSpot's batch endpoints and records the results.

Per mapping one batch update, one batch upsert per key and one batch create (``batches`` splits a batch HubSpot
refuses because of one input, so that only that input fails); a create that HubSpot refuses because the record exists
after all ("already exists. Existing ID: N") is written into that record instead. After all mappings of a chunk: one
batch for the line items whose deal association was not written with them, and the associations of the association
setup (``associations.AssociationStep``). Last, each written object's record is stored as pretix's ``OrderSyncResult``,
as pretix's base class stores it, so the order page's "Data transfer to external systems" box works unchanged.
"""
from django.utils.timezone import now
from django.utils.translation import gettext as _

from ..datasync_api import OrderSyncResult, save_results
from ..hubspot_api.errors import HubSpotConflict
from ..models import HUBSPOT_DEALS, HUBSPOT_LINE_ITEMS
from .associations import AssociationStep
from .batches import WriteItem, associate_default, read_records, write_records
from .planner import compute_changes
from .record_links import stored_name


class Executor:
    def __init__(self, api, mappings):
        self.api = api  # a callable returning the run's ``HubSpotApi``
        self.mappings = list(mappings)

    # records ------------------------------------------------------------------------------------------------------

    def write(self, plan):
        """Writes one mapping's plan; sets ``record_id``, ``action`` or ``error`` on its groups."""
        api = self.api()
        object_type = plan.mapping.external_object_type
        id_property = plan.mapping.external_id_field
        conflicts = []
        outcome = write_records(api, "update", object_type, plan.updates)
        for prop, items in plan.upserts.items():
            outcome.update(write_records(api, "upsert", object_type, items, id_property=prop))
        outcome.update(write_records(api, "create", object_type, plan.creates, match_property=id_property))
        inline = {id(item.key) for item in plan.creates if item.associations}
        for group, result in outcome.items():
            if isinstance(result, HubSpotConflict) and result.existing_id and group.is_new:
                conflicts.append((group, result.existing_id))
            elif isinstance(result, Exception):
                group.error = result
            else:
                if group.is_new and result.get("new") is False:
                    # An upsert found the record after all (e.g. the answer to an earlier attempt was lost).
                    group.action = "update"
                group.record_id = group.record_id or result["id"]
            if id(group) in inline and (isinstance(result, Exception) or not group.record_id):
                group.inline_deal = None

        if conflicts:
            # "Contact already exists. Existing ID: N": HubSpot knows the record after all (written by someone else
            # after our lookup). Read that record and write into it instead.
            try:
                found = read_records(api, object_type, [cid for g, cid in conflicts], properties=plan.read_properties)
            except Exception as e:
                found = {}
                for g, cid in conflicts:
                    g.error = e
            retry = []
            for group, existing_id in conflicts:
                group.inline_deal = None
                if existing_id in found:
                    group.record_id = existing_id
                    group.current = found[existing_id]["properties"]
                    compute_changes(group)
                    group.action = "update"
                    if group.changes:
                        retry.append(WriteItem(group, group.changes, record_id=existing_id))
                elif not group.error:
                    group.error = HubSpotConflict(_("HubSpot reported a record that it then could not find."))
            for group, result in write_records(api, "update", object_type, retry).items():
                if isinstance(result, Exception):
                    group.error = result

    @staticmethod
    def finish(plan):
        for group in plan.groups:
            for obj in group.objects:
                if group.error:
                    obj.fail(group.error)
                else:
                    obj.record_id = group.record_id
                    obj.group = group

    # associations -------------------------------------------------------------------------------------------------

    def associate(self, outcomes):
        """Line items with their deals, then the associations of each mapping's "Association setup"."""
        self.associate_line_items(outcomes)
        AssociationStep(self.api(), self.mappings).run(outcomes)

    def associate_line_items(self, outcomes):
        """Associates each line item whose deal is new to it (and was not written with it), in one batch per chunk."""
        wanted = {}
        for outcome in outcomes.values():
            for obj in (o for objs in outcome.objects.values() for o in objs if o and o.record_id and not o.error):
                if obj.mapping.external_object_type != HUBSPOT_LINE_ITEMS or not obj.parent_deal:
                    continue
                done = None
                if obj.previous and obj.remembered_id == obj.record_id:
                    done = (obj.previous.sync_info or {}).get("associated_deal")
                if obj.group is not None and obj.group.inline_deal == obj.parent_deal:
                    done = obj.parent_deal
                obj.associated = [obj.parent_deal] if done == obj.parent_deal else []
                if done != obj.parent_deal:
                    wanted.setdefault((obj.record_id, obj.parent_deal), []).append(obj)
        if not wanted:
            return
        for pair, result in associate_default(self.api(), HUBSPOT_LINE_ITEMS, HUBSPOT_DEALS, list(wanted)).items():
            for obj in wanted[pair]:
                if isinstance(result, Exception):
                    obj.association_error = obj.association_error or result
                else:
                    obj.associated = [pair[1]]

    # results ------------------------------------------------------------------------------------------------------

    def save_results(self, outcomes, connection, messages, provider, add_errors=True):
        """
        Stores the record of every object that was written, also when the order failed otherwise (a later mapping,
        an association, a broken connection): a record id is remembered as soon as HubSpot has the record.
        """
        to_save = []
        transmitted = now()
        for outcome in outcomes.values():
            for mapping in self.mappings:
                results = []
                for obj in outcome.objects.get(mapping.id, []):
                    if obj is None:
                        results.append(None)
                        continue
                    if obj.error or obj.group is None or not obj.record_id:
                        # Failed, or not written yet because the run ended before this mapping's writes.
                        if obj.error and add_errors:
                            outcome.add_error(messages.object_error(obj))
                        results.append(None)
                        continue
                    if obj.association_error and add_errors:
                        outcome.add_error(messages.object_error(obj, obj.association_error))
                    result = obj.previous or OrderSyncResult(
                        order=outcome.order, order_position=obj.position, sync_provider=provider,
                        mapping_id=mapping.id,
                    )
                    group = obj.group
                    # The account goes with the id: only there does the id name this record (see result_portal_id).
                    info = {"action": group.action, "object_id": obj.record_id, "portal_id": connection.portal_id}
                    if obj.associations:
                        info["associations"] = obj.associations
                    if mapping.external_object_type == HUBSPOT_LINE_ITEMS and obj.associated:
                        info["associated_deal"] = obj.associated[0]
                    if obj.truncated:
                        info["truncated"] = obj.truncated
                    result.external_object_type = mapping.external_object_type
                    result.external_id_field = mapping.external_id_field
                    result.id_value = str(obj.id_value)[:128]
                    result.external_link_href = connection.record_url(mapping.external_object_type, obj.record_id)
                    # Only the record's name: the label around it is built in the reader's language (record_links).
                    result.external_link_display_name = stored_name(mapping.external_object_type, obj.record_id,
                                                                    group.values)
                    result.sync_info = info
                    result.transmitted = transmitted
                    to_save.append(result)
                    results.append(result)
                outcome.mapped_objects[mapping.id] = results
        save_results(to_save)
