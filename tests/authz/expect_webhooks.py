"""Webhook endpoints (H5): vendor admins and partner admins only; another partner's endpoint answers 404."""

from tests.registrations.factories import registration
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_endpoint_create

from .matrix import Expect, only

ADMINS = ("partner_a_admin", "vendor_admin")


def a_endpoint(cast):
    endpoint = webhook_endpoint_create(actor=cast.partner_a_admin, url="https://hooks.alpha.example/prm",
                                       event_types=["registration.submitted"])
    return {"pk": endpoint.pk}


def a_delivery(cast):
    kwargs = a_endpoint(cast)
    registration(actor=cast.partner_a_user)
    return {**kwargs, "delivery_pk": WebhookDelivery.objects.get().pk}


EXPECTATIONS = {
    "webhooks:list": Expect(only(ADMINS)),
    "webhooks:new": Expect(only(ADMINS)),
    "webhooks:detail": Expect(only(ADMINS), kwargs=a_endpoint),
    "webhooks:edit": Expect(only(ADMINS, ok=400), kwargs=a_endpoint, method="post"),
    "webhooks:active": Expect(only(ADMINS, ok=302), kwargs=a_endpoint, method="post"),
    "webhooks:resend": Expect(only(ADMINS, ok=302), kwargs=a_delivery, method="post"),
}
