"""
The HubSpot app of this plugin as a HubSpot developer-platform project (``hsproject.json`` and
``src/app/app-hsmeta.json``), which an administrator uploads with HubSpot's CLI (``hs project upload``).

The scopes come from ``conf``, the list the plugin asks HubSpot for when someone connects, so the app and the plugin
cannot disagree (HubSpot refuses an installation whose requested scopes differ from the app's). The project in the
repository's ``hubspot-app/`` folder is written by this module, and a test checks that it is up to date:

    python -m pretix_hubspot.hubspot_api.app_project hubspot-app                    # the repository's copy (placeholder URL)
    python -m pretix_hubspot.hubspot_api.app_project --redirect-url https://tickets.example.org/_hubspot/oauth_return/ my-app
"""
import argparse
import json
import sys
from pathlib import Path

from . import scopes as conf

# HubSpot's developer platform is versioned like its APIs (a release every March and September, builds of a version
# fail 18 months after its release). 2026.03 is the version HubSpot's migration guide and CLI (8.x) call the latest;
# its app schema is 2025.2's, whose field rules (app configuration reference) the tests check.
PLATFORM_VERSION = "2026.03"
PROJECT_NAME = "pretix-hubspot"
APP_UID = "pretix_hubspot_app"
APP_NAME = "pretix"
APP_DESCRIPTION = "Transfers the orders, buyers and attendees of pretix events into HubSpot as contacts and deals."
# Replaced by the administrator (or --redirect-url) with their pretix's address; the path is the plugin's own.
PLACEHOLDER_REDIRECT_URL = "https://pretix.example.com/_hubspot/oauth_return/"
# "private": only accounts on the app's allowlist may install it (HubSpot allows 10 at a time). "marketplace": any
# account may install it, but an app that is not listed on HubSpot's marketplace is capped at 25 installations.
DISTRIBUTIONS = ("private", "marketplace")
AUTH_TYPES = ("oauth", "static")

PROJECT_FILE = "hsproject.json"
APP_FILE = "src/app/app-hsmeta.json"


def project_config(auth_type: str = "oauth") -> dict:
    # A token app gets its own project name, so both can live in one HubSpot account.
    name = PROJECT_NAME if auth_type == "oauth" else PROJECT_NAME + "-token"
    return {"name": name, "srcDir": "src", "platformVersion": PLATFORM_VERSION}


def app_config(redirect_url: str = PLACEHOLDER_REDIRECT_URL, distribution: str = "private",
               auth_type: str = "oauth") -> dict:
    """
    The app's ``app-hsmeta.json``. An OAuth app serves every organizer of the installation; a static-auth app is
    installed in one HubSpot account and gives the access token an organizer enters in pretix instead.
    """
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}")
    if auth_type not in AUTH_TYPES:
        raise ValueError(f"auth type must be one of {', '.join(AUTH_TYPES)}")
    if auth_type == "static" and distribution != "private":
        raise ValueError("HubSpot allows static auth only with private distribution")
    auth = {"type": auth_type}
    if auth_type == "oauth":
        auth["redirectUrls"] = [redirect_url]
    auth["requiredScopes"] = list(conf.REQUIRED_SCOPES)
    auth["optionalScopes"] = list(conf.OPTIONAL_SCOPES)
    auth["conditionallyRequiredScopes"] = []
    return {
        "uid": APP_UID if auth_type == "oauth" else APP_UID + "_static",
        "type": "app",
        "config": {
            "name": APP_NAME,
            "description": APP_DESCRIPTION,
            "distribution": distribution,
            "auth": auth,
        },
    }


def render(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def project_files(**app_options) -> dict:
    """``{relative path: file content}`` of the whole project."""
    return {PROJECT_FILE: render(project_config(app_options.get("auth_type", "oauth"))),
            APP_FILE: render(app_config(**app_options))}


def write_project(target: Path, **app_options) -> list:
    written = []
    for relative, content in project_files(**app_options).items():
        path = Path(target) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m pretix_hubspot.hubspot_api.app_project",
        description="Writes the HubSpot developer-platform project of the pretix HubSpot app, ready for "
                    "`hs project upload`.",
    )
    parser.add_argument("target", type=Path, help="folder to write hsproject.json and src/app/app-hsmeta.json into")
    parser.add_argument("--redirect-url", default=PLACEHOLDER_REDIRECT_URL,
                        help="your pretix's https://<host>/_hubspot/oauth_return/ (shown on pretix's global settings "
                             "page); default: a placeholder to replace")
    parser.add_argument("--distribution", choices=DISTRIBUTIONS, default="private",
                        help="private: allowlisted accounts only (up to 10); marketplace: any account, capped at 25 "
                             "installations while the app is not listed")
    parser.add_argument("--auth", choices=AUTH_TYPES, default="oauth", dest="auth_type",
                        help="oauth (default): one app for all organizers; static: a single-account app whose access "
                             "token an organizer enters in pretix")
    args = parser.parse_args(argv)
    try:
        written = write_project(args.target, redirect_url=args.redirect_url, distribution=args.distribution,
                                auth_type=args.auth_type)
    except ValueError as e:
        parser.error(str(e))
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
