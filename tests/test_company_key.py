"""The pretix field "Company key (from the invoice address)": one key per company, however the buyer typed its name."""
import pytest
from django_scopes import scopes_disabled

from pretix_hubspot.transfer.company_key import FIELD_KEY, company_key
from pretix_hubspot.transfer.data_fields import get_data_fields
from testbed.orders import make_order


@pytest.mark.parametrize("company,country,expected", [
    ("Acme GmbH", "DE", "acme gmbh|DE"),
    ("  ACME   GmbH. ", "de", "acme gmbh|DE"),
    ("\u201eAcme\tGmbH\u201c", "DE", "acme gmbh|DE"),
    ("Acme GmbH", "AT", "acme gmbh|AT"),
    ("Stra\u00dfe & Co.", "DE", "strasse & co|DE"),
    ("A|B", "", "a b|"),
    ("", "DE", ""),
    (" ... ", "DE", ""),
    (None, None, ""),
])
def test_company_key(company, country, expected):
    assert company_key(company, country) == expected


@pytest.mark.django_db
def test_the_field_reads_the_orders_invoice_address(event, item):
    with scopes_disabled():
        [field] = [f for f in get_data_fields(event, for_model="Order") if f.key == FIELD_KEY]
        assert str(field.label) == "Company key (from the invoice address)"
        with_company = make_order(event, item, code="CK001", email="a@example.org",
                                  invoice={"company": "Doe  Industries, ", "country": "DE"})
        without_address = make_order(event, item, code="CK002", email="b@example.org")
        assert field.getter(with_company) == "doe industries|DE"
        assert field.getter(without_address) == ""
