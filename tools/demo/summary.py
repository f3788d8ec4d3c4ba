"""The closing report: what the sandbox now holds, what pretix's sync queue says, and how to get into the backend."""
from tools.demo import config

RULE = "=" * 78


def _record_line(sandbox_state, object_type, record):
    props = record.get("properties", {})
    if object_type == "contacts":
        label = "{} {} <{}>".format(props.get("firstname") or "", props.get("lastname") or "", props.get("email") or "")
    else:
        label = "{} · {} EUR · stage {}".format(props.get("dealname"), props.get("amount"), props.get("dealstage"))
    return "  {:>6}  {}".format(record["id"], " ".join(label.split()))


def print_summary(ports, sandbox, report):
    state = sandbox.state()
    portal = state.get("default_portal_id")
    contacts = sandbox.records("contacts")
    deals = sandbox.records("deals")
    associations = sum(len(sandbox.associations("deals", d["id"], "contacts")) for d in deals)
    print("\n" + RULE)
    print("HubSpot sandbox ({}, account {})".format(sandbox.url, portal))
    print(f"  contacts: {len(contacts)}   deals: {len(deals)}   deal→contact associations: {associations}")
    for object_type, records in (("contacts", contacts), ("deals", deals)):
        if records:
            print(f"  sample {object_type}:")
            for record in records[:4]:
                print(_record_line(state, object_type, record))
    print("\npretix's data-sync queue")
    print("  orders: {orders} (paid {p}, pending {n}, cancelled {c})".format(
        orders=report["orders"], **report["orders_by_status"]))
    print("  transferred: {synced_orders} orders ({results} HubSpot records written), still queued: {queued}, "
          "failed: {failed_count}".format(**report))
    for failure in report["failed"]:
        print("    {order}: {reason}: {message}".format(**failure))
    if report["sample_links"]:
        print("  links pretix shows on the order pages:")
        for link in report["sample_links"]:
            print("    {order}: {label} → {href}".format(**link))
    print("\npretix backend: {}/control/   (order pages: {}/control/event/{}/{}/orders/)".format(
        ports.pretix_url, ports.pretix_url, config.ORGANIZER_SLUG, config.EVENT_SLUG))
    print("  HubSpot settings: {}/control/event/{}/{}/hubspot/".format(
        ports.pretix_url, config.ORGANIZER_SLUG, config.EVENT_SLUG))
    print(f"  login: {config.ADMIN_EMAIL}   password: {config.ADMIN_PASSWORD}")
    print("  logs: {}".format(config.LOG_DIR))
    print(RULE, flush=True)
