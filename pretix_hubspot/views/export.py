"""
The "Export existing orders" page (choose, count, start, follow, cancel) and the "Send again" button of the settings
page. The work itself is in ``pretix_hubspot.organizer.export``.
"""
from datetime import date

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _, ngettext
from django.views import View
from django.views.generic import TemplateView
from pretix.base.forms.widgets import DatePickerWidget
from pretix.control.permissions import EventPermissionRequiredMixin
from pretix.control.views.event import EventSettingsViewMixin

from ..models import EventConnection, OrderExport
from ..organizer import export
from ..permissions import SETTINGS_PERMISSION
from .connection import settings_url

# Each shown run costs a few queries over its selection, so the page shows the latest few only.
RECENT_EXPORTS = 5


class ExportFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Order status"),
        choices=(
            (export.STATUS_PAID, _("Paid")),
            (export.STATUS_PENDING, _("Pending")),
            (export.STATUS_CANCELLED, _("Canceled")),
            (export.STATUS_ALL, _("All orders")),
        ),
        initial=export.STATUS_PAID,
    )
    date_from = forms.DateField(label=_("Placed from"), required=False, widget=DatePickerWidget)
    date_to = forms.DateField(label=_("Placed until"), required=False, widget=DatePickerWidget,
                              help_text=_("Including this day."))
    item = forms.ModelChoiceField(
        label=_("Only orders containing"), queryset=None, required=False, empty_label=_("All products"),
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = event.items.all()

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The first date must not be after the second one."))
        return data

    def selection(self) -> export.OrderSelection:
        data = self.cleaned_data
        return export.OrderSelection(
            status=data["status"], date_from=data.get("date_from"), date_to=data.get("date_to"),
            item_id=data["item"].pk if data.get("item") else None,
        )


def describe_selection(event, filters: dict) -> str:
    """The choices of a past export, in words ("Paid, placed from 1 March 2027, containing Workshop")."""
    if not filters:
        return str(_("Orders transferred before, sent again"))
    status = dict(ExportFilterForm.base_fields["status"].choices).get(filters.get("status"), filters.get("status"))
    parts = [str(status)]
    if filters.get("date_from"):
        parts.append(str(_("placed from {date}")).format(date=date_format(date.fromisoformat(filters["date_from"]))))
    if filters.get("date_to"):
        parts.append(str(_("placed until {date}")).format(date=date_format(date.fromisoformat(filters["date_to"]))))
    if filters.get("item"):
        item = event.items.filter(pk=filters["item"]).first()
        parts.append(str(_("containing {product}")).format(product=item.name if item else "#{}".format(filters["item"])))
    return ", ".join(parts)


def export_url(event) -> str:
    return reverse("plugins:pretix_hubspot:export", kwargs={"organizer": event.organizer.slug, "event": event.slug})


class ConnectedEventMixin(EventPermissionRequiredMixin):
    """Only for events connected to HubSpot: without a connection, queued orders would just fail."""
    permission = SETTINGS_PERMISSION

    def dispatch(self, request, *args, **kwargs):
        if EventConnection.objects.for_event(request.event) is None:
            messages.error(request, _("Please connect this event to HubSpot first."))
            return redirect(settings_url(request.event))
        return super().dispatch(request, *args, **kwargs)


def already_running_message(request, running: OrderExport):
    messages.error(request, _("An export to HubSpot is still running for this event. Wait until it has finished, or "
                              "cancel it, before you start another one."))


def started_message(request, started: OrderExport):
    if started.state == OrderExport.STATE_CANCELLED:
        messages.warning(request, _("The export was cancelled while its orders were being queued."))
        return
    if not started.selected_count:
        messages.warning(request, _("No order matches this selection, so nothing was queued."))
        return
    # With a Celery worker the orders are still being queued at this point; how many were waiting already is
    # known only once that is done (without a worker, pretix ran the task in this request).
    waiting = 0 if started.state == OrderExport.STATE_QUEUEING else started.selected_count - started.queued_count
    text = ngettext(
        "%(count)d order is queued for HubSpot. It will be transferred within the next minutes.",
        "%(count)d orders are queued for HubSpot. They will be transferred at the pace HubSpot allows.",
        started.selected_count,
    ) % {"count": started.selected_count}
    if waiting:
        text += " " + ngettext(
            "%(count)d of them was already waiting to be transferred.",
            "%(count)d of them were already waiting to be transferred.",
            waiting,
        ) % {"count": waiting}
    messages.success(request, text)


class ExportView(ConnectedEventMixin, EventSettingsViewMixin, TemplateView):
    """Choosing orders (a GET form, so counting changes nothing), the count, the start button, recent runs."""
    template_name = "pretix_hubspot/export.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        event = self.request.event
        counted = "status" in self.request.GET
        form = ExportFilterForm(self.request.GET if counted else None, event=event)
        if counted and form.is_valid():
            ctx["count"] = export.count_orders(event, form.selection())
        runs = [
            (run, export.current_progress(run), describe_selection(event, run.filters))
            for run in OrderExport.objects.filter(event=event).select_related("created_by", "cancelled_by")[:RECENT_EXPORTS]
        ]
        ctx.update({
            "form": form,
            "runs": runs,
            "active_export": next(((run, progress) for run, progress, _ in runs if run.is_active), None),
            "failed_jobs_url": reverse("control:event.datasync.failedjobs", kwargs={
                "organizer": event.organizer.slug, "event": event.slug,
            }),
        })
        return ctx


class ExportStartView(ConnectedEventMixin, View):
    def post(self, request, *args, **kwargs):
        form = ExportFilterForm(request.POST, event=request.event)
        if not form.is_valid():
            messages.error(request, _("We could not start the export. Please check your selection."))
            return redirect(export_url(request.event))
        try:
            started = export.start_export(request.event, request.user, form.selection())
        except export.ExportAlreadyRunning as e:
            already_running_message(request, e.export)
        else:
            started_message(request, started)
        return redirect(export_url(request.event))


class ExportCancelView(ConnectedEventMixin, View):
    def post(self, request, *args, **kwargs):
        run = get_object_or_404(OrderExport, event=request.event, pk=kwargs["export"])
        if not run.is_active:
            messages.info(request, _("This export has already ended."))
            return redirect(export_url(request.event))
        removed = export.cancel_export(run, request.user)
        messages.success(request, ngettext(
            "The export has been cancelled. %(count)d order was taken out of the queue.",
            "The export has been cancelled. %(count)d orders were taken out of the queue.",
            removed,
        ) % {"count": removed})
        return redirect(export_url(request.event))


class ResyncView(ConnectedEventMixin, View):
    """Send every order that was transferred before again, with the settings as they are now."""

    def post(self, request, *args, **kwargs):
        try:
            started = export.start_resync(request.event, request.user)
        except export.ExportAlreadyRunning as e:
            already_running_message(request, e.export)
            return redirect(settings_url(request.event))
        started_message(request, started)
        return redirect(export_url(request.event))
