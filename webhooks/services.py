"""Webhooks (H5): endpoints, the listener that turns events into deliveries, the outbox deliverer that signs and
POSTs them, and the resend.

- Events reach us through core's listener registry (`register_event_listener`, see apps.py): `webhooks_on_event`
  runs inside the transaction that records the event, and writes a WebhookDelivery plus its outbox row (kind
  "webhook") for each active endpoint subscribed to its type and allowed to see its record; a rolled-back change
  leaves none. A set-based writer (referral expiry) calls `webhooks_on_events` once per batch.
- Scope: a vendor admin's endpoint (no partner) hears of every event; a partner admin's only of events its partner
  may see on the timeline (not internal, its own or vendor-wide) about records its owner can see now
  (core.visibility, filled by every record app from the access policy).
- Delivery: `webhook_deliver` (the outbox's deliverer for "webhook") signs per Standard Webhooks and POSTs without
  following redirects; 2xx is delivered, anything else is retried by the outbox with exponential backoff for about
  a day (RETRY: 14 attempts, 1 minute doubling up to 4 hours), then Failed. Every attempt is logged with its
  response code. An endpoint failing for WEBHOOK_DISABLE_AFTER_HOURS without one success is disabled and its owner
  emailed.
"""

import http.client
import ipaddress
import json
import socket
import ssl
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from prm_portal.core.errors import InvalidTransition, NotPermitted
from prm_portal.core.events import event_type_for
from prm_portal.core.models import OutboxMessage
from prm_portal.core.outbox import PermanentDeliveryError, outbox_deliverer, outbox_enqueue_many
from prm_portal.core.services import activity_record
from prm_portal.core.visibility import visible_pks

from . import emails
from .attempts import AttemptError, attempt_error
from .catalogue import event_codes_for
from .events import WebhookEvent
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .payloads import record_snapshot, webhook_body
from .signing import secret_new, signed_headers

SUBSCRIBED_CACHE_KEY = "webhooks:subscribed-codes"
SUBSCRIBED_CACHE_SECONDS = 300
RETRY = {"max_attempts": 14, "backoff_seconds": 60, "backoff_max_seconds": 4 * 3600}  # ≈ 24.5 hours in all
USER_AGENT = "PRM-Portal-Webhooks/1"


# --- which events anyone listens to (read on every event: cached) ---------------------------------------------


def subscribed_codes() -> frozenset:
    """The event types some active endpoint chose. Cached (an outage is a miss), dropped at once on any change."""
    codes = cache.get(SUBSCRIBED_CACHE_KEY)
    if codes is None:
        codes = sorted({code for types in WebhookEndpoint.objects.filter(is_active=True).values_list(
            "event_types", flat=True) for code in types or []})
        cache.set(SUBSCRIBED_CACHE_KEY, codes, SUBSCRIBED_CACHE_SECONDS)
    return frozenset(codes)


def _subscriptions_changed():
    cache.delete(SUBSCRIBED_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(SUBSCRIBED_CACHE_KEY))


def _endpoints_for(code):
    return [endpoint for endpoint in WebhookEndpoint.objects.filter(is_active=True).select_related("created_by")
            if code in (endpoint.event_types or [])]


def _in_scope(endpoint, *, kind, event_partner_id, label, pks) -> set:
    """Which of `pks` (records of `label`) the endpoint may hear of for an event of `kind`."""
    if endpoint.partner_account_id is None:
        return set(pks)
    if kind.internal or event_partner_id not in (None, endpoint.partner_account_id):
        return set()
    owner = endpoint.created_by
    if owner is None or not owner.is_active or owner.partner_account_id != endpoint.partner_account_id:
        return set()
    return visible_pks(user=owner, model_label=label, pks=pks)


def _queue(deliveries):
    """Write the deliveries and one outbox row each (one INSERT per thousand of each)."""
    if not deliveries:
        return
    created = WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
    for delivery in created:
        delivery.message_key = f"webhook-{delivery.pk}"
    WebhookDelivery.objects.bulk_update(created, ["message_key"], batch_size=1000)
    outbox_enqueue_many(kind=OutboxMessage.Kind.WEBHOOK,
                        messages=[(d.message_key, {"delivery_id": d.pk}) for d in created])


def _delivery(endpoint, code, timestamp, data):
    return WebhookDelivery(endpoint=endpoint, event_type=code, webhook_id=f"msg_{uuid.uuid4().hex}",
                           payload=webhook_body(event_type=code, timestamp=timestamp, data=data), created_at=timestamp)


def webhooks_on_event(event):
    """The core listener: an ActivityEvent row was just written (same transaction)."""
    code = event.verb
    if code not in subscribed_codes():
        return
    kind = event_type_for(code)
    endpoints = _endpoints_for(code)
    if kind is None or not endpoints:
        return
    content_type = ContentType.objects.get_for_id(event.content_type_id)
    label = f"{content_type.app_label}.{content_type.model}"
    target = content_type.get_object_for_this_type(pk=event.object_id)
    data = record_snapshot(target)
    if data is None:
        return
    _queue([_delivery(endpoint, code, event.created_at, data) for endpoint in endpoints
            if _in_scope(endpoint, kind=kind, event_partner_id=event.partner_account_id, label=label,
                         pks=[event.object_id])])


def webhooks_on_events(*, event, model, object_ids):
    """The core bulk listener: `event` was written set-based for each of `object_ids` (records of `model`)."""
    code = event.value
    if code not in subscribed_codes():
        return
    endpoints = _endpoints_for(code)
    if not endpoints:
        return
    label = model._meta.label_lower
    records = {record.pk: record for record in model._default_manager.filter(pk__in=object_ids)}
    by_partner = {}
    for record in records.values():  # each event belongs to its record's partner (as the expiry writes it)
        by_partner.setdefault(getattr(record, "partner_account_id", None), []).append(record.pk)
    now = timezone.now()
    deliveries = []
    for endpoint in endpoints:
        allowed = set()
        for partner_id, pks in by_partner.items():
            allowed |= _in_scope(endpoint, kind=event, event_partner_id=partner_id, label=label, pks=pks)
        deliveries += [_delivery(endpoint, code, now, record_snapshot(records[pk])) for pk in sorted(allowed)]
    _queue(deliveries)


# --- endpoints --------------------------------------------------------------------------------------------------


# Names that never leave the machine or the site's own network (RFC 6761, 6762, 8375, and the ".internal" that
# cloud providers give their private names).
LOCAL_NAMES = (".localhost", ".local", ".internal", ".home.arpa")


def address_is_public(text) -> bool:
    """An IP address on the public internet: not loopback, private (RFC 1918, unique local), link-local (the
    cloud's metadata service at 169.254.169.254), shared (100.64/10), reserved or multicast."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def private_addresses_allowed(*, partner_owned) -> bool:
    """WEBHOOK_ALLOW_PRIVATE_NETWORKS lets the vendor's own endpoints reach its internal systems; a partner's
    endpoints never may (a partner admin could otherwise probe the vendor's network through the portal)."""
    return settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS and not partner_owned


def webhook_url_problem(url, *, private_ok=False) -> str | None:
    """Why an address cannot receive webhooks, or None: HTTPS only (http://127.0.0.1 only where
    WEBHOOK_ALLOW_HTTP_LOCALHOST is set, for tests), no credentials in it, and (unless `private_ok`) no address or
    name of a private or local network. A name is checked again, resolved, at each delivery (`_post`)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if not url or len(url) > 500 or not parts.hostname:
        return _("Enter the endpoint's full address, e.g. https://example.com/webhooks.")
    if parts.username or parts.password:
        return _("Leave credentials out of the address; verify the signature instead.")
    if parts.scheme == "http" and parts.hostname == "127.0.0.1" and settings.WEBHOOK_ALLOW_HTTP_LOCALHOST:
        return None
    if parts.scheme != "https":
        return _("Webhook endpoints must use HTTPS.")
    if not private_ok and not _host_is_public(parts.hostname):
        return _("This address points into a private or local network. Webhooks go to public addresses only.")
    return None


def _host_is_public(host) -> bool:
    host = host.lower().rstrip(".")
    try:
        return address_is_public(host)
    except ValueError:  # a name, not an address
        return host != "localhost" and not host.endswith(LOCAL_NAMES)


def _clean(actor, *, url, event_types, description):
    if problem := webhook_url_problem(url, private_ok=private_addresses_allowed(partner_owned=actor.is_partner)):
        raise InvalidTransition(problem, code="validation")
    chosen = sorted(set(event_types or []))
    if not chosen:
        raise InvalidTransition(_("Choose at least one event type."), code="validation")
    if set(chosen) - event_codes_for(actor):
        raise InvalidTransition(_("Choose among the event types offered."), code="validation")
    return url.strip(), chosen, (description or "").strip()[:200]


@transaction.atomic
def webhook_endpoint_create(*, actor, url, event_types, description="") -> WebhookEndpoint:
    """A vendor admin's endpoint hears of every event; a partner admin's of its partner's records."""
    if not access.webhook_endpoint_can_create(actor):
        raise NotPermitted(_("Only vendor admins and partner admins register webhook endpoints."), code="forbidden")
    url, chosen, description = _clean(actor, url=url, event_types=event_types, description=description)
    endpoint = WebhookEndpoint.objects.create(
        url=url, event_types=chosen, description=description, secret=secret_new(), created_by=actor,
        partner_account_id=actor.partner_account_id if actor.is_partner else None,
    )
    activity_record(target=endpoint, event=WebhookEvent.ENDPOINT_CREATED, actor=actor,
                    partner_account=endpoint.partner_account, url=url)
    _subscriptions_changed()
    return endpoint


def _lock(actor, endpoint) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().filter(
        access.webhook_endpoint_visible_q(actor), pk=endpoint.pk).first()
    if endpoint is None:
        raise NotPermitted(_("This webhook endpoint is not yours to change."), code="forbidden")
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, actor, endpoint, url, event_types, description="") -> WebhookEndpoint:
    endpoint = _lock(actor, endpoint)
    owner = endpoint.created_by if endpoint.partner_account_id else actor
    url, chosen, description = _clean(owner or actor, url=url, event_types=event_types, description=description)
    changes = {}
    for field, value in (("url", url), ("event_types", chosen), ("description", description)):
        if getattr(endpoint, field) != value:
            changes[field] = [str(getattr(endpoint, field)), str(value)]
            setattr(endpoint, field, value)
    if changes:
        endpoint.save()
        activity_record(target=endpoint, event=WebhookEvent.ENDPOINT_CHANGED, actor=actor,
                        partner_account=endpoint.partner_account, changes=changes)
        _subscriptions_changed()
    return endpoint


@transaction.atomic
def webhook_endpoint_set_active(*, actor, endpoint, active) -> WebhookEndpoint:
    """Enable (the failure clock starts again) or disable an endpoint by hand."""
    endpoint = _lock(actor, endpoint)
    if endpoint.is_active == bool(active):
        return endpoint
    endpoint.is_active = bool(active)
    endpoint.failing_since = None
    endpoint.disabled_at = None if active else timezone.now()
    endpoint.disabled_reason = "" if active else str(_("Disabled by %(person)s") % {"person": actor})
    endpoint.save()
    activity_record(target=endpoint, event=WebhookEvent.ENDPOINT_ENABLED if active else WebhookEvent.ENDPOINT_DISABLED,
                    actor=actor, partner_account=endpoint.partner_account)
    _subscriptions_changed()
    return endpoint


@transaction.atomic
def webhook_delivery_resend(*, actor, delivery) -> WebhookDelivery:
    """Queue a delivery again (same webhook id and body: a receiver that kept it sees a repeat), on an active
    endpoint; the log shows the new attempts."""
    endpoint = _lock(actor, delivery.endpoint)
    if not endpoint.is_active:
        raise InvalidTransition(_("Enable the endpoint before sending deliveries again."), code="state")
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk, endpoint=endpoint)
    delivery.resends += 1
    delivery.message_key = f"webhook-{delivery.pk}-resend-{delivery.resends}"
    delivery.save(update_fields=["resends", "message_key"])
    outbox_enqueue_many(kind=OutboxMessage.Kind.WEBHOOK, messages=[(delivery.message_key,
                                                                    {"delivery_id": delivery.pk})])
    activity_record(target=endpoint, event=WebhookEvent.DELIVERY_RESENT, actor=actor,
                    partner_account=endpoint.partner_account, webhook_id=delivery.webhook_id)
    return delivery


# --- delivery (the outbox relay calls this outside any transaction) -------------------------------------------


class WebhookFailed(Exception):
    """The endpoint did not answer 2xx: the outbox retries the delivery later."""


def _post(url, body, headers, *, private_ok=False):
    """POST `body` to `url`: (status code or None, error text). Redirects are not followed: a redirect is an answer
    like any other non-2xx (the receiver must answer itself).

    The name is resolved once, here; unless `private_ok`, every address it gives must be public, and the connection
    goes to the address that was checked (TLS still verifies the certificate for the name). So a name that resolves
    to the vendor's own network, or that is switched to it after the check (DNS rebinding), reaches nothing."""
    # The scheme was checked (webhook_url_problem: https, or http://127.0.0.1 in tests): no file: or custom ones.
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        addresses = [info[4][0] for info in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)]
    except OSError as exc:
        return None, attempt_error(AttemptError.DNS, exc)
    if https and not private_ok:
        private = [a for a in addresses if not address_is_public(a)]
        if private:
            return None, attempt_error(AttemptError.PRIVATE_ADDRESS, f"{parts.hostname} {private[0]}")
    address = addresses[0]
    if https:
        connection = http.client.HTTPSConnection(parts.hostname, port, timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                                                 context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(parts.hostname, port, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)

    def connect_to_checked_address(_where, timeout=None, source_address=None):
        return socket.create_connection((address, port), timeout, source_address)

    connection._create_connection = connect_to_checked_address
    try:
        connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body=body,
                           headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT})
        status = connection.getresponse().status
    except ssl.SSLError as exc:  # an OSError too: first
        return None, attempt_error(AttemptError.TLS, exc)
    except TimeoutError as exc:  # socket.timeout is TimeoutError
        return None, attempt_error(AttemptError.TIMEOUT, exc)
    except (OSError, http.client.HTTPException) as exc:
        return None, attempt_error(AttemptError.CONNECTION, exc)
    finally:
        connection.close()
    return status, "" if 200 <= status < 300 else f"HTTP {status}"


def _failed(endpoint, now):
    """Count a failure against the endpoint; disable it (and tell its owner) once it has failed long enough."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    cutoff = now - timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
    with transaction.atomic():
        disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True, failing_since__lte=cutoff).update(
            is_active=False, disabled_at=now,
            disabled_reason=f"Every delivery failed for {settings.WEBHOOK_DISABLE_AFTER_HOURS} hours.")
        if disabled:
            endpoint.refresh_from_db()
            activity_record(target=endpoint, event=WebhookEvent.ENDPOINT_FAILING,
                            partner_account=endpoint.partner_account, hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
            emails.email_endpoint_disabled(endpoint)
            _subscriptions_changed()


@outbox_deliverer(OutboxMessage.Kind.WEBHOOK, **RETRY)
def webhook_deliver(message):
    """Sign and POST one delivery; log the attempt. Returns the answer's status line for the outbox row."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(
        pk=(message.payload or {}).get("delivery_id")).first()
    if delivery is None:
        raise PermanentDeliveryError("The delivery no longer exists.")
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        raise PermanentDeliveryError("The endpoint is disabled.")
    private_ok = private_addresses_allowed(partner_owned=endpoint.partner_account_id is not None)
    if problem := webhook_url_problem(endpoint.url, private_ok=private_ok):
        raise PermanentDeliveryError(str(problem))
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = signed_headers(secret=endpoint.secret, msg_id=delivery.webhook_id, timestamp=int(time.time()),
                             body=body)
    started = time.monotonic()
    code, error = _post(endpoint.url, body, headers, private_ok=private_ok)
    now = timezone.now()
    WebhookAttempt.objects.create(delivery=delivery, status_code=code, error=error, created_at=now,
                                  duration_ms=int((time.monotonic() - started) * 1000))
    if code is not None and 200 <= code < 300:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(failing_since=None)
        return f"HTTP {code}"
    _failed(endpoint, now)
    raise WebhookFailed(error or f"HTTP {code}")
