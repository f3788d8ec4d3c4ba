"""
Runs the HubSpot sandbox as a standalone process::

    python -m hubspot_sandbox --port 8765

Point pretix at it with ``[hubspot] api_url`` and ``auth_url`` = the printed URL and the printed client id/secret.
"""
import argparse
import time

from .sandbox import HubSpotSandbox


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m hubspot_sandbox", description="A local HubSpot for demos.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--redirect-uri", action="append", default=[],
                        help="registered redirect URL (repeatable; none = accept any)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--search-lag", type=float, default=0.0, help="seconds before writes show up in search")
    args = parser.parse_args(argv)

    sandbox = HubSpotSandbox(host=args.host, port=args.port)
    sandbox.redirect_uris = list(args.redirect_uri)
    sandbox.latency = args.latency
    sandbox.search_lag = args.search_lag
    sandbox.start()
    print(f"HubSpot sandbox running at {sandbox.url}", flush=True)
    print(f"client id:     {sandbox.client_id}", flush=True)
    print(f"client secret: {sandbox.client_secret}", flush=True)
    print(f"accounts:      {sandbox.default_portal_id} (default), {sandbox.SECOND_PORTAL_ID}", flush=True)
    print(f"control API:   {sandbox.url}/_sandbox/state  (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
