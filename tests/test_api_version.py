"""One date version of HubSpot's API for every request the plugin sends, set in pretix.cfg for a staged upgrade."""
import re

import pytest
from pretix.base.settings import GlobalSettingsObject

from pretix_hubspot import conf
from pretix_hubspot.hubspot_api import api_paths
from testbed.sync import contacts_mapping, deals_mapping, enqueue, queue_rows, run_queue

pytestmark = pytest.mark.django_db

NUMBERED = re.compile(r"/v\d+/")


def test_an_export_sends_every_request_to_the_default_date_version(sync_event, order, hubspot):
    contacts_mapping(sync_event)
    deals_mapping(sync_event)
    enqueue(order)
    run_queue()

    assert queue_rows(order) == []
    crm = [e["path"] for e in hubspot.request_log if not e["path"].startswith("/oauth/")]
    assert crm and all("/2026-09/" in path for path in crm), crm
    assert not [path for path in crm if NUMBERED.search(path)]
    assert hubspot.request_count("POST", "/crm/associations/2026-09/deals/contacts/batch/associate/default") == 1


def test_the_configured_version_moves_every_request(sync_event, order, hubspot):
    GlobalSettingsObject().settings.set("hubspot_api_version", "2026-03")
    contacts_mapping(sync_event)
    deals_mapping(sync_event)
    enqueue(order)
    run_queue()

    assert queue_rows(order) == []
    crm = [e["path"] for e in hubspot.request_log if not e["path"].startswith("/oauth/")]
    assert crm and all("/2026-03/" in path for path in crm), crm
    assert len(hubspot.records("deals")) == 1


def test_a_malformed_version_falls_back_to_the_default(db):
    GlobalSettingsObject().settings.set("hubspot_api_version", "v3")
    assert conf.api_version() == "2026-09"
    GlobalSettingsObject().settings.set("hubspot_api_version", "2027-03")
    assert conf.api_version() == "2027-03"


def test_paths_without_a_dated_equivalent_are_never_sent():
    assert api_paths.dated("/crm/v4/objects/deals/1/associations/default/contacts/2", "2026-09") == \
        "/crm/objects/2026-09/deals/1/associations/default/contacts/2"
    with pytest.raises(api_paths.LegacyPathError):
        api_paths.dated("/cms/v3/pages/site-pages", "2026-09")
    assert api_paths.dated("/marketing/v3/marketing-events/attendance/e1/attend/create", "2026-09") == \
        "/marketing/marketing-events/2026-09/attendance/e1/attend/create"
