"""
The HubSpot developer-platform project in hubspot-app/: generated from the plugin's own scope list, and valid by the
rules of HubSpot's app configuration reference (required fields, types, allowed values, redirect URL format).

HubSpot's CLI cannot check it here: `hs project validate` (@hubspot/cli 8.14) fetches the component schema from
HubSpot for a signed-in account (`project-schemas/v3/<platformVersion>`). So these tests apply the reference's rules,
plus the checks the CLI makes locally: hsproject.json has name, srcDir and platformVersion, srcDir exists inside the
project, an *-hsmeta.json file has only uid, type and config at the top, and the uid matches [A-Za-z0-9_.-]{1,64}.
"""
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pretix_hubspot.hubspot_api import app_project as hubspot_app, scopes

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "hubspot-app"
KNOWN_SCOPE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$")


def check_project_config(project: dict):
    assert set(project) >= {"name", "srcDir", "platformVersion"}
    assert isinstance(project["name"], str) and project["name"].strip()
    assert project["srcDir"] == "src"
    assert re.fullmatch(r"\d{4}\.\d{1,2}", project["platformVersion"])


def check_redirect_url(url: str):
    parts = urlsplit(url)
    # HTTPS, except for a local development server
    assert parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1")), url
    assert parts.hostname and not parts.fragment, url


def check_app_config(app: dict):
    """The rules of HubSpot's app schema (app-hsmeta.json), as far as they can be checked without HubSpot."""
    assert set(app) == {"uid", "type", "config"}
    assert re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", app["uid"])
    assert app["type"] == "app"  # the name of the parent folder
    config = app["config"]
    for key in ("name", "description", "distribution", "auth"):
        assert key in config, key
    assert isinstance(config["name"], str) and 0 < len(config["name"]) <= 200
    assert config["name"] == config["name"].strip()
    assert isinstance(config["description"], str) and 0 < len(config["description"]) <= 8192
    assert config["distribution"] in ("marketplace", "private")
    auth = config["auth"]
    assert auth["type"] in ("oauth", "static")
    if auth["type"] == "static":
        assert config["distribution"] == "private"
        assert "redirectUrls" not in auth
    else:
        assert auth["redirectUrls"] and all(isinstance(u, str) for u in auth["redirectUrls"])
        for url in auth["redirectUrls"]:
            check_redirect_url(url)
    for key in ("requiredScopes", "optionalScopes", "conditionallyRequiredScopes"):
        assert isinstance(auth[key], list), key
        assert all(isinstance(s, str) and KNOWN_SCOPE.match(s) for s in auth[key]), key
        assert len(set(auth[key])) == len(auth[key]), f"{key} lists a scope twice"
    groups = [set(auth[k]) for k in ("requiredScopes", "optionalScopes", "conditionallyRequiredScopes")]
    assert not (groups[0] & groups[1] or groups[0] & groups[2] or groups[1] & groups[2]), "a scope in two groups"
    assert auth["requiredScopes"], "HubSpot needs at least one required scope"


def test_committed_project_is_what_the_generator_writes():
    for relative, content in hubspot_app.project_files().items():
        path = PROJECT / relative
        assert path.is_file(), f"{path} is missing: run `make hubspot-app`"
        assert path.read_text(encoding="utf-8") == content, f"{path} is out of date: run `make hubspot-app`"


def test_committed_project_asks_for_exactly_the_plugin_s_scopes():
    app = json.loads((PROJECT / hubspot_app.APP_FILE).read_text(encoding="utf-8"))
    auth = app["config"]["auth"]
    assert auth["requiredScopes"] == list(scopes.REQUIRED_SCOPES)
    assert auth["optionalScopes"] == list(scopes.OPTIONAL_SCOPES)
    assert auth["redirectUrls"] == [hubspot_app.PLACEHOLDER_REDIRECT_URL]
    assert auth["redirectUrls"][0].endswith("/_hubspot/oauth_return/")


def test_committed_project_follows_hubspot_s_schema():
    project = json.loads((PROJECT / hubspot_app.PROJECT_FILE).read_text(encoding="utf-8"))
    check_project_config(project)
    assert (PROJECT / project["srcDir"] / "app" / "app-hsmeta.json").is_file()
    check_app_config(json.loads((PROJECT / hubspot_app.APP_FILE).read_text(encoding="utf-8")))
    # Nothing else in the project: every other file in src/app/ would be read as an app feature.
    files = sorted(str(p.relative_to(PROJECT)) for p in PROJECT.rglob("*") if p.is_file())
    assert files == sorted([hubspot_app.PROJECT_FILE, hubspot_app.APP_FILE])


@pytest.mark.parametrize("options", [
    {"distribution": "marketplace"},
    {"redirect_url": "https://tickets.example.org/shop/_hubspot/oauth_return/"},
    {"redirect_url": "http://localhost:8000/_hubspot/oauth_return/"},
    {"auth_type": "static"},
])
def test_every_variant_follows_hubspot_s_schema(options):
    app = hubspot_app.app_config(**options)
    check_app_config(app)
    assert app["config"]["auth"]["requiredScopes"] == list(scopes.REQUIRED_SCOPES)
    assert app["config"]["auth"]["optionalScopes"] == list(scopes.OPTIONAL_SCOPES)


def test_schema_check_refuses_what_hubspot_refuses():
    # The checks above must be able to fail: each of these breaks one documented rule.
    broken = []
    app = hubspot_app.app_config()
    app["config"]["distribution"] = "public"
    broken.append(app)
    app = hubspot_app.app_config()
    app["config"]["auth"]["redirectUrls"] = ["http://pretix.example.com/_hubspot/oauth_return/"]
    broken.append(app)
    app = hubspot_app.app_config(auth_type="static")
    app["config"]["distribution"] = "marketplace"
    broken.append(app)
    app = hubspot_app.app_config()
    app["uid"] = "pretix hubspot"
    broken.append(app)
    app = hubspot_app.app_config()
    app["config"]["auth"]["optionalScopes"].append("oauth")
    broken.append(app)
    for app in broken:
        with pytest.raises(AssertionError):
            check_app_config(app)


def test_generator_refuses_static_auth_outside_private_distribution():
    with pytest.raises(ValueError):
        hubspot_app.app_config(auth_type="static", distribution="marketplace")


def test_generator_runs_without_django_settings(tmp_path):
    # An administrator runs it in a shell, without Django settings.
    result = subprocess.run(
        [sys.executable, "-m", "pretix_hubspot.hubspot_api.app_project", str(tmp_path),
         "--redirect-url", "https://tickets.example.org/_hubspot/oauth_return/"],
        cwd=ROOT, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    app = json.loads((tmp_path / hubspot_app.APP_FILE).read_text(encoding="utf-8"))
    assert app["config"]["auth"]["redirectUrls"] == ["https://tickets.example.org/_hubspot/oauth_return/"]
    check_project_config(json.loads((tmp_path / hubspot_app.PROJECT_FILE).read_text(encoding="utf-8")))
