"""
The suite's fixtures come from the sandbox (``hubspot_sandbox.pytest_plugin``) and the pretix side shared with the
tools (``testbed.fixtures``, ``testbed.celery_worker.plugin``); here the ``order`` fixture and what the page tests add.

The page tests drive Debian's Chromium. Where it is not installed they are skipped, each with one line that says why
and how to install it, and the run says so at the end. ``.ci/run`` installs it and sets
``PRETIX_HUBSPOT_REQUIRE_CHROMIUM=1``, under which a missing Chromium stops the run instead: CI never skips them.
"""
import os
import shutil

import pytest

from testbed.orders import make_order

pytest_plugins = ["hubspot_sandbox.pytest_plugin", "testbed.fixtures", "testbed.celery_worker.plugin"]

BROWSER_FIXTURE = "browser_page"
NO_CHROMIUM = "Chromium is needed for the page tests: apt-get install chromium"
SKIPPED_PAGE_TESTS = pytest.StashKey[int]()


def find_chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(config, items):
    page_tests = [item for item in items if BROWSER_FIXTURE in getattr(item, "fixturenames", ())]
    if not page_tests or find_chromium():
        return
    if os.environ.get("PRETIX_HUBSPOT_REQUIRE_CHROMIUM"):
        raise pytest.UsageError(NO_CHROMIUM + " (PRETIX_HUBSPOT_REQUIRE_CHROMIUM is set)")
    for item in page_tests:
        item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))
    config.stash[SKIPPED_PAGE_TESTS] = len(page_tests)


def pytest_terminal_summary(terminalreporter, config):
    count = config.stash.get(SKIPPED_PAGE_TESTS, 0)
    if count:
        terminalreporter.write_line(f"{count} page test(s) skipped: {NO_CHROMIUM}", yellow=True)


# Here, not in testbed.fixtures: pretix takes an order created outside a database transaction for a bug unless the
# call comes from a test module or a conftest.py (it looks at the call stack), which matters in transactional tests.
@pytest.fixture
def order(event, item, question):
    return make_order(
        event, item, code="ABC12", email="jane.doe@example.org",
        attendees=[("Jane Doe", "jane.doe@example.org"), ("John Smith", "john.smith@example.org")],
        invoice={"name_parts": {"_scheme": "given_family", "given_name": "Jane", "family_name": "Doe"},
                 "company": "Doe Industries", "street": "Main Street 1", "zipcode": "10115", "city": "Berlin",
                 "country": "DE"},
        question=question, answer="CTO",
    )


@pytest.fixture
def browser_page(monkeypatch):
    """A page in Debian's headless Chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own database calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    chromium = find_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
        ])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            # The first page of a run compiles pretix's stylesheets, which takes a while on a busy machine.
            page.set_default_timeout(60000)
            yield page
        finally:
            browser.close()
            # While Playwright's event loop runs, Django keeps database connections per asyncio context, so the
            # ones the test opened are invisible to the test-database teardown: close them here, in that context.
            from django.db import connections
            connections.close_all()


@pytest.fixture
def site_on_live_server(settings, live_server):
    # HubSpot redirects back to the URL pretix builds from SITE_URL; here that is the live test server.
    settings.SITE_URL = live_server.url
    # pretix's test settings skip compiling its SCSS; a person looks at styled pages, so the browser gets them too.
    settings.COMPRESS_PRECOMPILERS = settings.COMPRESS_PRECOMPILERS_ORIGINAL
    return live_server.url
