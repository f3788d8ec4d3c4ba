"""
``make demo``, step by step:

1. stop whatever an earlier, killed demo run left behind;
2. start the HubSpot sandbox (``python -m hubspot_sandbox``) as a process of its own;
3. lay out a pretix instance on SQLite in ``demo-data/instance`` from a migrated snapshot, with a pretix.cfg whose
   ``[hubspot]`` section points at the sandbox;
4. seed the admin login, organizer, event (plugin enabled), products and questions; start pretix's dev server;
   place a few dozen orders through pretix's REST API;
5. log in over HTTP and connect the event through the real OAuth flow (Request access → consent screens → back);
   create the ``pretix_order_id`` properties and save starter mappings;
6. export the existing orders (the plugin's export page) and run pretix's periodic task, which transfers them;
7. print what the sandbox now holds, and the backend URL and login; wait for Ctrl-C, then stop everything.
"""
import argparse
import json
import signal
import sys
import time

from tools.demo import config, instance, processes
from tools.demo.browser import ACTIVE_MESSAGE, Browser
from tools.demo.orders import place_all
from tools.demo.output import detail, fail, step
from tools.demo.sandbox import SandboxProcess
from tools.demo.setup_plugin import create_identifier_properties, export_existing_orders, save_starter_mappings
from tools.demo.summary import print_summary


class Stop(Exception):
    """Raised by the signal handlers: the person wants the demo to end."""


def _raise_stop(signum, frame):
    raise Stop(signal.Signals(signum).name)


def seed_step(name):
    out = instance.run_pretix(["-m", "tools.demo.seed", name], log_name="seed", capture=True)
    return json.loads(out.strip().splitlines()[-1])


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pretix-port", type=int, default=config.DEFAULT_PRETIX_PORT)
    parser.add_argument("--sandbox-port", type=int, default=config.DEFAULT_SANDBOX_PORT)
    parser.add_argument("--no-wait", action="store_true",
                        help="stop and clean up right after the summary instead of waiting for Ctrl-C")
    return parser.parse_args(argv)


def run(args, children):
    leftovers = processes.stop_leftovers()
    if leftovers:
        step("Stopped leftovers of an earlier demo run: " + ", ".join(leftovers))
    ports = config.Ports(pretix=config.choose_port(args.pretix_port), sandbox=config.choose_port(args.sandbox_port))

    step(f"Starting the HubSpot sandbox on {ports.sandbox_url} …")
    sandbox = SandboxProcess(ports)
    children.append(sandbox)
    sandbox.start()

    instance.prepare(ports, hubspot=sandbox.app_config())
    step("Seeding the admin login, organizer, event, products and questions …")
    seed = seed_step("base")

    step(f"Starting pretix's dev server on {ports.pretix_url} …")
    server = processes.Child("pretix", [config.PYTHON, "-m", "pretix", "runserver", "--noreload",
                                        f"{config.HOST}:{ports.pretix}"], env=config.pretix_env())
    children.append(server)
    server.start().wait_until_answers(ports.pretix_url + "/control/login", timeout=120)

    step("Placing the demo orders through pretix's REST API …")
    placed = place_all(ports.pretix_url, seed)
    detail("{p} paid, {n} pending, {c} cancelled{ex}".format(
        ex=f", {placed['existing']} already there" if placed["existing"] else "", **placed))

    step(f"Logging into the backend as {config.ADMIN_EMAIL} …")
    browser = Browser(ports.pretix_url)
    browser.login(config.ADMIN_EMAIL, config.ADMIN_PASSWORD)
    step("Connecting to HubSpot: Request access → sign in → choose account → Connect app …")
    browser.connect()
    detail(f'pretix says: "{ACTIVE_MESSAGE}"')

    step("Creating the pretix_order_id properties in HubSpot …")
    for line in create_identifier_properties(browser):
        detail(line)
    step("Saving the starter mappings (Order → Contacts, Order → Deals, Order position → Contacts) …")
    for line in save_starter_mappings(browser):
        detail(line)

    step("Exporting the existing orders (placed before the event was connected, so not queued by themselves) …")
    exported = export_existing_orders(browser)
    if exported is None:
        exported = ["{queued} orders queued with HubSpotSync.enqueue_order (the plugin has no export page)".format(
            **seed_step("enqueue"))]
    for line in exported:
        detail(line)
    step("Running pretix's periodic task (python -m pretix runperiodic) …")
    started = time.monotonic()
    instance.run_pretix(["runperiodic"], log_name="runperiodic")
    detail(f"done in {time.monotonic() - started:.1f} s")

    print_summary(ports, sandbox, seed_step("report"))
    return sandbox, server


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_stop)
    children = []
    code = 0
    try:
        sandbox, server = run(args, children)
        if not args.no_wait:
            print("\nThe demo keeps running. Press Ctrl-C to stop it and clean up.", flush=True)
            while sandbox.alive() and server.alive():
                time.sleep(1)
            gone = sandbox if not sandbox.alive() else server
            fail(f"{gone.name} stopped unexpectedly; last lines of {gone.log_path}:\n{gone.log_tail()}")
            code = 1
    except Stop as stop:
        print(f"\n[demo] {stop.args[0]} received, stopping …", flush=True)
    except Exception as e:  # NOQA: a failed step ends the demo with its reason, after cleaning up
        fail(str(e))
        detail(f"logs: {config.LOG_DIR}")
        code = 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the cleanup
        for child in reversed(children):
            child.stop()
        instance.remove()
        step("Stopped the dev server and the sandbox, removed demo-data/instance (snapshot and logs kept).")
    return code
