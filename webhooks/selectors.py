"""Reads for webhook endpoints and their delivery log, scoped by the access policy in the query."""

from django.db.models import Count, OuterRef, Subquery
from django.http import Http404

from accounts import access
from prm_portal.core.models import OutboxMessage

from .attempts import attempt_error_text
from .catalogue import NAMES
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoint_list_visible_to(*, user):
    return WebhookEndpoint.objects.filter(access.webhook_endpoint_visible_q(user)).select_related(
        "partner_account", "created_by").order_by("-created_at", "-id")


def endpoint_get_for_user(*, user, pk) -> WebhookEndpoint:
    endpoint = endpoint_list_visible_to(user=user).filter(pk=pk).first()
    if endpoint is None:
        raise Http404("No such endpoint.")
    return endpoint


def delivery_get_for_user(*, user, endpoint_pk, pk) -> WebhookDelivery:
    endpoint = endpoint_get_for_user(user=user, pk=endpoint_pk)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint, pk=pk).select_related("endpoint").first()
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery


def delivery_log_for(*, endpoint):
    """The endpoint's deliveries, newest first, each with its attempts, last response code and the outbox's
    status of its latest sending (pending, sending, sent, failed)."""
    last = WebhookAttempt.objects.filter(delivery=OuterRef("pk")).order_by("-created_at", "-id")
    return (WebhookDelivery.objects.filter(endpoint=endpoint)
            .annotate(attempt_count=Count("attempts"),
                      last_code=Subquery(last.values("status_code")[:1]),
                      last_error=Subquery(last.values("error")[:1]))
            .order_by("-created_at", "-id"))


def delivery_rows(deliveries) -> list:
    """Decorate one page of the log with the outbox status and the event type's name."""
    deliveries = list(deliveries)
    statuses = dict(OutboxMessage.objects.filter(idempotency_key__in=[d.message_key for d in deliveries])
                    .values_list("idempotency_key", "status"))
    labels = dict(OutboxMessage.Status.choices)
    for delivery in deliveries:
        status = statuses.get(delivery.message_key, "")
        delivery.status = status
        delivery.status_label = labels.get(status, "")
        delivery.event_name = NAMES.get(delivery.event_type, delivery.event_type)
        delivery.last_error_text = attempt_error_text(delivery.last_error)
    return deliveries
