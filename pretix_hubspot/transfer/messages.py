"""
How the transfer words its errors for the organizer: each names the order, the mapping and, where HubSpot says which,
the property, with HubSpot's label for it; and how the errors of one order become the one error of its queue row.
"""
from django.utils.translation import gettext as _
from pretix.base.i18n import language

from ..datasync_api import BaseSyncError, RecoverableSyncError, SyncConfigError, UnrecoverableSyncError
from ..hubspot_api.errors import (
    HubSpotAccountRuleError, HubSpotConfigError, HubSpotError, HubSpotRateLimited, required_rule_message,
)


class TransferMessages:
    """The messages of one event's transfer run, in the event's language, with the labels of the run's properties."""

    def __init__(self, event, catalog):
        self.event = event
        self.catalog = catalog  # properties.PropertyCatalog

    def message(self, order, mapping, field, reason):
        with language(self.event.settings.locale):
            if field:
                return _('Order {order}, mapping "{mapping}", HubSpot field "{field}": {reason}').format(
                    order=order.code, mapping=str(mapping), field=field, reason=reason)
            return _('Order {order}, mapping "{mapping}": {reason}').format(
                order=order.code, mapping=str(mapping), reason=reason)

    def field_name(self, mapping, name):
        prop = self.catalog.get(mapping.external_object_type, name)
        return prop.field_name if prop is not None else name

    def required_rule_text(self, mapping, error):
        """The message for a required property, with HubSpot's labels: HubSpot requires 'Close Date' when …"""
        def prop(name):
            return self.catalog.get(mapping.external_object_type, name)

        def label(name):
            return (prop(name) and prop(name).label) or name

        condition = None
        if error.condition:
            name, value = error.condition
            condition = (label(name), prop(name).option_label(value) if prop(name) else value)
        with language(self.event.settings.locale):
            return required_rule_message(label(error.required_property), condition)

    def object_error(self, obj, error=None):
        """The object's error (or ``error``), reworded to name the order, the mapping and (if HubSpot says) the field."""
        error = obj.error if error is None else error
        if isinstance(error, HubSpotAccountRuleError) and error.required_property:
            message = self.message(obj.order, obj.mapping, None, self.required_rule_text(obj.mapping, error))
            return HubSpotAccountRuleError(
                message, required_property=error.required_property, condition=error.condition, status=error.status,
                category=error.category, hubspot_message=error.hubspot_message, correlation_id=error.correlation_id,
                errors=error.errors, context=error.context)
        if isinstance(error, HubSpotError):
            problems = error.invalid_properties
            if problems and not isinstance(error, HubSpotConfigError):
                messages = []
                for name, reason in problems:
                    messages.append(self.message(obj.order, obj.mapping, self.field_name(obj.mapping, name), _(
                        "HubSpot rejected the value: {reason}").format(reason=reason or error.hubspot_message)))
            else:
                messages = [self.message(obj.order, obj.mapping, None, m) for m in error.messages]
            new = type(error)(messages[0], status=error.status, category=error.category,
                              hubspot_message=error.hubspot_message, correlation_id=error.correlation_id,
                              errors=error.errors, context=error.context) \
                if not isinstance(error, HubSpotRateLimited) else error
            new.messages = messages
            return new
        if isinstance(error, BaseSyncError):
            return type(error)([self.message(obj.order, obj.mapping, None, str(m)) for m in error.messages],
                               error.full_message)
        return RecoverableSyncError([self.message(obj.order, obj.mapping, None, str(error))], str(error))


def is_reconnect_error(error):
    """HubSpot no longer accepts the connection's tokens (only a reconnect helps), as opposed to a missing scope."""
    return isinstance(error, HubSpotConfigError) and error.status in (None, 401)


def combine_errors(errors):
    """One error for the order's queue row: configuration beats permanent beats temporary; all messages are kept."""
    def rank(e):
        if isinstance(e, SyncConfigError):
            return 0
        if isinstance(e, UnrecoverableSyncError):
            return 1
        if isinstance(e, HubSpotRateLimited):
            return 3
        return 2
    errors = sorted(errors, key=rank)
    first = errors[0]
    messages = []
    for e in errors:
        for m in getattr(e, "messages", None) or [str(e)]:
            if str(m) not in messages:
                messages.append(str(m))
    if isinstance(first, BaseSyncError):
        first.messages = messages
        first.full_message = "\n".join(messages)
        return first
    return RecoverableSyncError(messages, "\n".join(messages))
