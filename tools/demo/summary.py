"""The closing report: what the sandbox now holds, what pretix's sync queue says, and how to get into the backend."""
from tools.demo import config

RULE = "=" * 78


def _label(object_type, props):
    if object_type == "contacts":
        text = "{} {} <{}>".format(props.get("firstname") or "", props.get("lastname") or "", props.get("email") or "")
        if props.get("company"):
            text += ", " + props["company"]
    else:
        text = "{} · {} EUR · stage {}".format(props.get("dealname"), props.get("amount"), props.get("dealstage"))
    return " ".join(text.split())


def print_summary(ports, sandbox, report):
    state = sandbox.state()
    portal_id = str(state["default_portal_id"])
    portal = state["portals"][portal_id]
    print("\n" + RULE)
    print(f"HubSpot sandbox {sandbox.url}, account {portal_id} ({portal['hub_domain']})")
    print("  contacts: {}   deals: {}   associations: {}   API requests served: {}".format(
        portal["records"].get("contacts", 0), portal["records"].get("deals", 0), portal["associations"],
        state["requests"]))
    for object_type in ("contacts", "deals"):
        records = sandbox.records(object_type)
        if records:
            print(f"  sample {object_type}:")
            for record in records[:4]:
                link = sandbox.record_url(state, object_type, record["id"])
                print("    {}  {}".format(_label(object_type, record["properties"]), link))
    print("\npretix's data transfer queue")
    print("  orders: {orders} (paid {p}, pending {n}, cancelled {c})".format(
        orders=report["orders"], **report["orders_by_status"]))
    print("  transferred: {synced_orders} orders ({results} HubSpot records written), still queued: {queued}, "
          "failed: {failed_count}".format(**report))
    for failure in report["failed"]:
        print("    {order}: {reason}: {message}".format(**failure))
    if report["sample_links"]:
        print("  as the order pages link them:")
        for link in report["sample_links"]:
            print("    {order}: {label} → {href}".format(**link))
    event_url = "{}/control/event/{}/{}/".format(ports.pretix_url, config.ORGANIZER_SLUG, config.EVENT_SLUG)
    print(f"\npretix backend: {ports.pretix_url}/control/")
    print(f"  login: {config.ADMIN_EMAIL}   password: {config.ADMIN_PASSWORD}")
    print(f"  orders: {event_url}orders/   HubSpot settings: {event_url}hubspot/")
    print(f"  logs: {config.LOG_DIR}")
    print(RULE, flush=True)
