"""
The links to HubSpot records on the order page and in the order history speak the reader's language, whatever the
language of the process that transferred the order.
"""
import re

import pytest
from django.utils import translation
from django_scopes import scopes_disabled
from pretix.base.models.datasync import OrderSyncResult

from testbed.sync import contacts_mapping, deals_mapping, enqueue, records_by, results, run_queue


def order_page(client, order):
    return client.get(f"/control/event/{order.event.organizer.slug}/{order.event.slug}/orders/{order.code}/")


def link_texts(response):
    source = response.content.decode()
    return [re.sub(r"\s+", " ", text) for text in re.findall(r'<a href="https://[^"]*/record/[^"]*">([^<]*)</a>',
                                                             source)]


@pytest.mark.django_db
def test_record_links_follow_the_readers_language(sync_event, order, hubspot, admin_client, user):
    with scopes_disabled():
        contacts_mapping(sync_event)
        deals_mapping(sync_event, position=1)
    enqueue(order)
    with translation.override("de"):  # a transfer run by a process that happens to speak German
        run_queue()
    [contact] = records_by(hubspot, "contacts", "email", "jane.doe@example.org")
    [deal] = records_by(hubspot, "deals", "pretix_order_id", "PYCONF-ABC12")

    contact_en, deal_en = f"Contact #{contact['id']} – Jane Doe", f"Deal #{deal['id']} – PYCONF-ABC12"
    texts = link_texts(order_page(admin_client, order))
    # Once in the "Data transfer to external systems" box, once in the order history.
    assert texts.count(contact_en) == 2 and texts.count(deal_en) == 2, texts

    user.locale = "de"
    user.save()
    texts = link_texts(order_page(admin_client, order))
    assert texts.count(f"Kontakt #{contact['id']} – Jane Doe") == 2, texts
    assert texts.count(f"Deal #{deal['id']} – PYCONF-ABC12") == 2, texts
    assert not any(t.startswith("Contact #") for t in texts), texts


@pytest.mark.django_db
def test_a_record_without_a_name_and_a_label_stored_by_an_older_version(sync_event, order, hubspot, admin_client,
                                                                        user):
    from testbed.sync import prop
    with scopes_disabled():
        contacts_mapping(sync_event, properties=[prop("invoice_address_company", "company")])
        mapping = deals_mapping(sync_event, position=1)
    enqueue(order)
    run_queue()
    contact_result, deal_result = results(order)
    # A contact without name and e-mail address: its id is what is stored, and pretix still shows a link.
    assert contact_result.external_link_display_name == f"#{contact_result.sync_info['object_id']}"
    # Labels stored before the plugin built them at render time: shown in the reader's language all the same.
    with scopes_disabled():
        OrderSyncResult.objects.filter(pk=deal_result.pk, mapping_id=mapping.pk).update(
            external_link_display_name=f"Deal #{deal_result.sync_info['object_id']} – Old name")

    user.locale = "de"
    user.save()
    texts = link_texts(order_page(admin_client, order))
    assert f"Kontakt #{contact_result.sync_info['object_id']}" in texts, texts
    assert f"Deal #{deal_result.sync_info['object_id']} – Old name" in texts, texts
