"""What happens to webhook endpoints (H5), for their timeline: vendor staff and the endpoint's partner see it."""

from django.utils.translation import gettext_lazy as _

from prm_portal.core.events import EventType, register


@register
class WebhookEvent(EventType):
    ENDPOINT_CREATED = "webhook.endpoint_created", _("%(actor)s added the webhook endpoint %(url)s")
    ENDPOINT_CHANGED = "webhook.endpoint_changed", _("%(actor)s changed the webhook endpoint")
    ENDPOINT_ENABLED = "webhook.endpoint_enabled", _("%(actor)s enabled the webhook endpoint")
    ENDPOINT_DISABLED = "webhook.endpoint_disabled", _("%(actor)s disabled the webhook endpoint")
    ENDPOINT_FAILING = "webhook.endpoint_failing", _(
        "The webhook endpoint was disabled: it kept failing for %(hours)s hours")
    DELIVERY_RESENT = "webhook.delivery_resent", _("%(actor)s sent the delivery %(webhook_id)s again")

    def shows_changes(self):
        return self is WebhookEvent.ENDPOINT_CHANGED
