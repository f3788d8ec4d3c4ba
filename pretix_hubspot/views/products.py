"""
The "HubSpot products" page: which product of the HubSpot account's product library each pretix product (or
variation) is, for the line items of its tickets. Reading the account's products is the only request on GET; saving
and creating products are POSTs.
"""
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _, ngettext
from django.views import View
from django.views.generic import TemplateView
from pretix.control.permissions import EventPermissionRequiredMixin
from pretix.control.views.event import EventSettingsViewMixin

from .. import log_actions
from ..hubspot_api import products as hubspot_products
from ..models import EventConnection
from ..permissions import SETTINGS_PERMISSION
from ..transfer.product_links import link_key, product_links, save_product_links
from .connection import settings_url

FIELD_PREFIX = "link-"


def products_url(event) -> str:
    return reverse("plugins:pretix_hubspot:products", kwargs={"organizer": event.organizer.slug, "event": event.slug})


def pretix_products(event):
    """``[(key, item, variation or None)]``: every product of the event, each followed by its variations."""
    rows = []
    items = event.items.select_related("category").prefetch_related("variations").order_by(
        "category__position", "category_id", "position", "pk")
    for item in items:
        rows.append((link_key(item.pk), item, None))
        for variation in item.variations.all():
            rows.append((link_key(item.pk, variation.pk), item, variation))
    return rows


class ProductPageMixin(EventPermissionRequiredMixin):
    permission = SETTINGS_PERMISSION

    @cached_property
    def connection(self):
        return EventConnection.objects.connection_for(self.request.event)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.connection is None:
            messages.info(request, _("Please connect this event to HubSpot first."))
            return redirect(settings_url(request.event))
        return super().dispatch(request, *args, **kwargs)

    def back(self):
        return redirect(products_url(self.request.event))


class ProductLinksView(ProductPageMixin, EventSettingsViewMixin, TemplateView):
    template_name = "pretix_hubspot/products.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        connection = self.connection
        ctx.update({"connection": connection, "may_read": hubspot_products.may_read(connection),
                    "may_write": hubspot_products.may_write(connection), "rows": []})
        if not ctx["may_read"]:
            return ctx
        try:
            account_products = hubspot_products.list_products(connection)
        except hubspot_products.ProductsUnavailable as e:
            ctx["unavailable"] = e.message
            return ctx
        known = {p.id for p in account_products}
        links = product_links(self.request.event)
        ctx["hubspot_products"] = account_products
        ctx["rows"] = [{
            "key": key, "field": FIELD_PREFIX + key, "item": item, "variation": variation,
            "price": variation.price if variation else item.default_price,
            "linked": links.get(key) if links.get(key) in known else "",
            # a link to a product deleted in HubSpot since: shown, so that the organizer chooses another one
            "gone": links.get(key) if links.get(key) and links.get(key) not in known else "",
        } for key, item, variation in pretix_products(self.request.event)]
        ctx["unlinked_count"] = sum(1 for r in ctx["rows"] if r["variation"] is None and not r["linked"])
        return ctx


class ProductLinksSaveView(ProductPageMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        event = request.event
        try:
            known = {p.id for p in hubspot_products.list_products(self.connection)}
        except hubspot_products.ProductsUnavailable as e:
            messages.error(request, e.message)
            return self.back()
        links, unknown = {}, []
        for key, item, variation in pretix_products(event):
            chosen = request.POST.get(FIELD_PREFIX + key, "").strip()
            if not chosen:
                continue
            if chosen not in known:
                unknown.append(str(item.name) if variation is None else "{} – {}".format(item.name, variation.value))
                continue
            links[key] = chosen
        if unknown:
            messages.error(request, _("Your changes have not been saved: the HubSpot product chosen for {products} "
                                      "does not exist in HubSpot (any more). Please choose again.").format(
                products=", ".join(unknown)))
            return self.back()
        if links != product_links(event):
            save_product_links(event, links)
            event.log_action(log_actions.PRODUCTS_CHANGED, user=request.user, data={"links": links})
        messages.success(request, _("Your changes have been saved."))
        return self.back()


class ProductCreateView(ProductPageMixin, View):
    """Creates a HubSpot product for each pretix product without one (its name and price) and links them."""
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        event = request.event
        if not hubspot_products.may_write(self.connection):
            messages.error(request, _("The HubSpot connection may not use the account's products. Please reconnect "
                                      "to HubSpot and grant the permission for products."))
            return self.back()
        links = product_links(event)
        wanted = [(key, str(item.name), item.default_price) for key, item, variation in pretix_products(event)
                  if variation is None and not links.get(key)]
        if not wanted:
            messages.info(request, _("Every product is linked to a HubSpot product already."))
            return self.back()
        try:
            created = hubspot_products.create_products(self.connection, wanted)
        except hubspot_products.ProductsUnavailable as e:
            messages.error(request, e.message)
            return self.back()
        links.update(created)
        save_product_links(event, links)
        event.log_action(log_actions.PRODUCTS_CREATED, user=request.user, data={"links": created})
        messages.success(request, ngettext(
            "{count} product has been created in HubSpot and linked.",
            "{count} products have been created in HubSpot and linked.", len(created)).format(count=len(created)))
        if len(created) < len(wanted):
            messages.warning(request, _("Not every product could be created in HubSpot. Please try again for the "
                                        "rest in a few minutes."))
        return self.back()
