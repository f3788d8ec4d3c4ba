"""
The pretix field "Company key (from the invoice address)": what finds a buyer's company again in HubSpot.

Its value is the invoice address's company name, normalised so that trivial differences between orders ("ACME GmbH",
"acme  gmbh", "Acme GmbH.") do not split one company into two records, and the country code, so that two companies
of the same name in different countries stay apart: ``acme gmbh|DE``. An order without a company gives an empty
value, and a mapping identified by it then creates no company for that order (the planner skips objects without an
identifier). The "Order → Companies" starter set carries it into the ``pretix_company_id`` property.
"""
import re
import string

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _
from pretix.base.models import Question

from ..datasync_api import CAT_INVOICE_ADDRESS, ORDER, DataFieldInfo

FIELD_KEY = "invoice_address_company_key"
SEPARATOR = "|"
# Punctuation and whitespace trimmed from both ends of a name ("Acme GmbH." is "Acme GmbH"); the separator too, so
# that a name cannot end in it.
_SURROUNDING = string.punctuation + string.whitespace + "\u00a0\u201c\u201d\u201e\u2018\u2019\u00ab\u00bb\u2013\u2014"
_WHITESPACE = re.compile(r"\s+")


def normalise_company_name(name) -> str:
    """Casefolded, runs of whitespace made one space, punctuation and whitespace at either end removed."""
    name = _WHITESPACE.sub(" ", str(name or "").casefold())
    return name.strip(_SURROUNDING).replace(SEPARATOR, " ")


def company_key(company, country) -> str:
    """``name|CC`` for a company name and a country code, or "" without a (normalised) name."""
    name = normalise_company_name(company)
    if not name:
        return ""
    return name + SEPARATOR + str(country or "").strip().upper()


def _order_company_key(order) -> str:
    try:
        address = order.invoice_address
    except ObjectDoesNotExist:  # the order was placed without an invoice address
        return ""
    return company_key(address.company, address.country)


def data_fields(event):
    return [
        DataFieldInfo(
            ORDER, CAT_INVOICE_ADDRESS, FIELD_KEY, _("Company key (from the invoice address)"), Question.TYPE_STRING,
            None, _order_company_key,
        ),
    ]
