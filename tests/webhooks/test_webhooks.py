"""Signed webhooks (H5): through the outbox to a local receiver, signed per Standard Webhooks, retried until it
answers 2xx and delivered once; scoped to what the endpoint's owner may see; expired referrals included."""

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from prm_portal.core.errors import InvalidTransition
from prm_portal.core.models import OutboxMessage
from prm_portal.core.outbox import outbox_backoff, outbox_max_attempts, outbox_relay
from referrals.services import referral_expire_overdue
from registrations.services import registration_review
from tests.referrals.factories import days_ago, inbound
from tests.registrations.factories import lead_for, registration
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_create, webhook_url_problem
from webhooks.signing import signature_valid

pytestmark = pytest.mark.django_db


class Receiver:
    """A threading HTTP server on 127.0.0.1 that answers `fail` times 500, then 200, and keeps every request."""

    def __init__(self, fail=0):
        self.fail = fail
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                code = 500 if len(receiver.requests) <= receiver.fail else 200
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def accepted(self):
        return [r for i, r in enumerate(self.requests, start=1) if i > self.fail]


@pytest.fixture(autouse=True)
def http_localhost(settings):
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = True


def _relay_until_idle(rounds=5):
    """Run the relay, making each retry due at once (the backoff is the outbox's business, tested apart)."""
    for _ in range(rounds):
        outbox_relay()
        OutboxMessage.objects.filter(kind="webhook", status="pending").update(next_attempt_at=timezone.now())


def test_a_delivery_that_fails_twice_is_delivered_once_with_a_valid_signature(cast):
    with Receiver(fail=2) as receiver:
        endpoint = webhook_endpoint_create(actor=cast.vendor_admin, url=receiver.url,
                                           event_types=["registration.submitted"])
        submitted = registration(actor=cast.partner_a_user)
        _relay_until_idle()
    assert len(receiver.requests) == 3
    assert len(receiver.accepted) == 1
    ids = {r["headers"]["webhook-id"] for r in receiver.requests}
    assert len(ids) == 1  # the same message on every attempt
    for request in receiver.requests:
        assert signature_valid(secret=endpoint.secret, headers=request["headers"], body=request["body"])
        assert not signature_valid(secret=endpoint.secret, headers=request["headers"], body=request["body"] + b" ")
    body = json.loads(receiver.accepted[0]["body"])
    assert body["type"] == "registration.submitted"
    assert body["data"]["object"] == "registration" and body["data"]["id"] == submitted.pk
    delivery = WebhookDelivery.objects.get()
    assert [a.status_code for a in delivery.attempts.order_by("id")] == [500, 500, 200]
    assert OutboxMessage.objects.get(idempotency_key=delivery.message_key).status == "sent"


def test_nothing_is_delivered_for_records_outside_a_partner_admins_sight(cast):
    with Receiver() as receiver:
        webhook_endpoint_create(actor=cast.partner_a_admin, url=receiver.url,
                                event_types=["lead.assigned_partner", "referral.received", "registration.submitted"])
        vendor = webhook_endpoint_create(actor=cast.vendor_admin, url=receiver.url,
                                         event_types=["lead.assigned_partner", "referral.received"])
        lead_for(cast.partner_b, company="Beta's customer", country="DE")
        inbound(actor=cast.channel_manager, partner=cast.partner_b)
        registration(actor=cast.partner_b_user)
        assert not WebhookDelivery.objects.exclude(endpoint=vendor).exists()
        assert WebhookDelivery.objects.filter(endpoint=vendor).count() == 2
        mine = inbound(actor=cast.channel_manager, partner=cast.partner_a)
        _relay_until_idle()
    partner_bodies = [json.loads(r["body"]) for r in receiver.requests]
    alphas = {(b["type"], b["data"]["id"]) for b in partner_bodies
              if b["data"]["partner_account_id"] == cast.partner_a.pk}
    assert alphas == {("referral.received", mine.pk)}
    assert all(b["data"]["partner_account_id"] != cast.partner_b.pk for b in partner_bodies
               if b["data"]["object"] == "registration")


def test_a_partner_admin_cannot_subscribe_to_internal_conflict_events(cast):
    with pytest.raises(InvalidTransition):
        webhook_endpoint_create(actor=cast.partner_a_admin, url="https://example.com/h",
                                event_types=["conflict.opened"])
    webhook_endpoint_create(actor=cast.vendor_admin, url="https://example.com/h", event_types=["conflict.opened"])


def test_a_conflict_reaches_the_vendor_as_a_conflict_and_the_partner_only_as_under_review(cast):
    vendor = webhook_endpoint_create(actor=cast.vendor_admin, url="https://example.com/v",
                                     event_types=["conflict.opened"])
    partner = webhook_endpoint_create(actor=cast.partner_b_user.__class__.objects.create_user(
        "admin@beta.example", "x" * 12, role="partner_admin", partner_account=cast.partner_b),
        url="https://example.com/p", event_types=["conflict.under_review"])
    registration(actor=cast.partner_a_user)
    registration(actor=cast.partner_b_user)
    assert WebhookDelivery.objects.filter(endpoint=vendor).get().payload["data"]["object"] == "conflict"
    payload = WebhookDelivery.objects.filter(endpoint=partner).get().payload
    assert payload["type"] == "conflict.under_review"
    assert payload["data"]["partner_account_id"] == cast.partner_b.pk
    assert str(cast.partner_a.pk) not in json.dumps({k: v for k, v in payload["data"].items() if k != "id"})


def test_expired_referrals_are_delivered_set_based_and_scoped(cast):
    vendor = webhook_endpoint_create(actor=cast.vendor_admin, url="https://example.com/v",
                                     event_types=["referral.expired"])
    partner = webhook_endpoint_create(actor=cast.partner_a_admin, url="https://example.com/p",
                                      event_types=["referral.expired"])
    a = inbound(actor=cast.channel_manager, partner=cast.partner_a, received_at=days_ago(30))
    b = inbound(actor=cast.channel_manager, partner=cast.partner_b, received_at=days_ago(30))
    assert referral_expire_overdue() == 2
    assert {d.payload["data"]["id"] for d in WebhookDelivery.objects.filter(endpoint=vendor)} == {a.pk, b.pk}
    assert [d.payload["data"]["id"] for d in WebhookDelivery.objects.filter(endpoint=partner)] == [a.pk]
    assert OutboxMessage.objects.filter(kind="webhook").count() == 3
    assert referral_expire_overdue() == 0
    assert WebhookDelivery.objects.count() == 3


def test_an_endpoint_that_keeps_failing_is_disabled_and_its_owner_told(cast, settings, mailoutbox):
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 0
    with Receiver(fail=100) as receiver:
        endpoint = webhook_endpoint_create(actor=cast.partner_a_admin, url=receiver.url,
                                           event_types=["registration.submitted"])
        registration(actor=cast.partner_a_user)
        _relay_until_idle(rounds=2)
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert len(receiver.requests) == 1  # disabled after the failure: the retry fails for good, unsent
    assert OutboxMessage.objects.get(kind="webhook").status == "failed"
    outbox_relay()
    assert any(cast.partner_a_admin.email in m.to and "disabled" in m.subject for m in mail.outbox)


def test_resend_queues_the_same_message_again_and_logs_the_answer(cast, client):
    with Receiver() as receiver:
        endpoint = webhook_endpoint_create(actor=cast.partner_a_admin, url=receiver.url,
                                           event_types=["registration.submitted"])
        registration(actor=cast.partner_a_user)
        _relay_until_idle(rounds=1)
        delivery = WebhookDelivery.objects.get()
        client.force_login(cast.partner_a_admin)
        response = client.post(reverse("webhooks:resend", args=[endpoint.pk, delivery.pk]))
        assert response.status_code == 302
        _relay_until_idle(rounds=1)
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["headers"]["webhook-id"] == receiver.requests[1]["headers"]["webhook-id"]
    assert WebhookAttempt.objects.filter(delivery=delivery, status_code=200).count() == 2
    html = client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert delivery.webhook_id in html and "200" in html
    client.force_login(cast.partner_b_user)
    assert client.post(reverse("webhooks:resend", args=[endpoint.pk, delivery.pk])).status_code == 404


def test_only_https_addresses_are_accepted_outside_tests(settings):
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    assert webhook_url_problem("https://example.com/hook") is None
    assert webhook_url_problem("http://example.com/hook")
    assert webhook_url_problem("http://127.0.0.1:8000/hook")
    assert webhook_url_problem("https://user:pw@example.com/hook")
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = True
    assert webhook_url_problem("http://127.0.0.1:8000/hook") is None
    assert webhook_url_problem("http://10.0.0.1/hook")


def test_webhooks_retry_with_backoff_for_about_a_day_emails_keep_their_policy():
    assert outbox_max_attempts("email") == 8
    attempts = outbox_max_attempts("webhook")
    waited = sum((outbox_backoff(n, "webhook") for n in range(1, attempts)), timedelta())
    assert timedelta(hours=23) <= waited <= timedelta(hours=27)
    assert outbox_backoff(2, "webhook") == 2 * outbox_backoff(1, "webhook")


def test_a_webhook_is_still_retried_after_the_email_attempt_limit(cast):
    with Receiver(fail=100) as receiver:
        webhook_endpoint_create(actor=cast.vendor_admin, url=receiver.url, event_types=["registration.submitted"])
        registration(actor=cast.partner_a_user)
        _relay_until_idle(rounds=9)
    message = OutboxMessage.objects.get(kind="webhook")
    assert message.attempts == 9 and message.status == "pending"
    assert len(receiver.requests) == 9


def test_the_api_schema_documents_the_payloads(cast, client):
    client.force_login(cast.vendor_admin)
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    assert {"lead", "referral", "registration", "conflict"} <= set(schema["webhooks"])
    assert "RegistrationWebhookData" in schema["components"]["schemas"]
    assert "webhook-signature" in schema["webhooks"]["registration"]["post"]["description"]


def test_approving_a_registration_is_delivered_to_its_partner(cast):
    endpoint = webhook_endpoint_create(actor=cast.partner_a_admin, url="https://example.com/p",
                                       event_types=["registration.approved"])
    approved = registration_review(actor=cast.channel_manager, registration=registration(actor=cast.partner_a_user),
                                   decision="approve")
    payload = WebhookDelivery.objects.get(endpoint=endpoint).payload
    assert payload["data"]["status"] == "approved" and payload["data"]["opportunity_id"] == approved.opportunity_id
    assert WebhookEndpoint.objects.get().partner_account == cast.partner_a


def test_the_readme_verification_snippet_accepts_our_signature_and_refuses_a_forged_one():
    import re
    import time
    from pathlib import Path

    from webhooks.signing import secret_new, signed_headers

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    snippet = re.search(r"```python\n(.*?def verify.*?)```", readme, re.S).group(1)
    namespace = {}
    exec(snippet, namespace)  # noqa: S102 - our own README
    secret, body = secret_new(), b'{"type":"lead.claimed"}'
    headers = signed_headers(secret=secret, msg_id="msg_1", timestamp=int(time.time()), body=body)
    assert namespace["verify"](secret, headers, body)
    assert not namespace["verify"](secret, headers, body.replace(b"claimed", b"won"))
    assert not namespace["verify"](secret_new(), headers, body)


@pytest.mark.parametrize("url", [
    "https://10.0.0.5/hook", "https://192.168.1.1/hook", "https://172.16.0.1/hook", "https://127.0.0.1/hook",
    "https://169.254.169.254/latest/meta-data/", "https://100.64.0.1/hook", "https://[::1]/hook",
    "https://[fd00::1]/hook", "https://[::ffff:10.0.0.1]/hook", "https://0.0.0.0/hook", "https://localhost/hook",
    "https://crm.internal/hook", "https://printer.local/hook", "https://nas.home.arpa/hook",
])
def test_an_address_of_a_private_or_local_network_is_refused(cast, url, settings):
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    assert "private or local network" in webhook_url_problem(url)
    with pytest.raises(InvalidTransition, match="private or local network"):
        webhook_endpoint_create(actor=cast.partner_a_admin, url=url, event_types=["referral.received"])
    assert not WebhookEndpoint.objects.exists()


def test_public_addresses_and_names_are_accepted(settings):
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    for url in ("https://93.184.215.14/hook", "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook",
                "https://hooks.example.com/prm", "https://crm.vendor.example:8443/in?source=prm"):
        assert webhook_url_problem(url) is None


def test_only_the_vendors_own_endpoints_may_reach_its_network_when_allowed(cast, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    vendor = webhook_endpoint_create(actor=cast.vendor_admin, url="https://crm.internal/prm",
                                     event_types=["referral.received"])
    assert vendor.url == "https://crm.internal/prm"
    with pytest.raises(InvalidTransition, match="private or local network"):
        webhook_endpoint_create(actor=cast.partner_a_admin, url="https://10.0.0.5/hook",
                                event_types=["referral.received"])


@pytest.mark.parametrize("resolves_to", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1"])
def test_a_name_resolving_into_a_private_network_is_not_delivered_to(cast, settings, monkeypatch, resolves_to):
    """Checked at each delivery, where it counts: the name was public when saved, its DNS now says otherwise
    (or says so to this server only). Nothing is sent; the attempt says why and is retried as a failure."""
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        endpoint = webhook_endpoint_create(actor=cast.partner_a_admin, url=f"https://hooks.example.com:{port}/in",
                                           event_types=["referral.received"])
        looked_up = []

        def getaddrinfo(host, *args, **kwargs):
            looked_up.append(host)
            family = socket.AF_INET6 if ":" in resolves_to else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (resolves_to, port))]

        monkeypatch.setattr("webhooks.services.socket.getaddrinfo", getaddrinfo)
        inbound(actor=cast.channel_manager, partner=cast.partner_a)
        _relay_until_idle(rounds=1)
    assert receiver.requests == [] and looked_up == ["hooks.example.com"]
    attempt = WebhookAttempt.objects.get(delivery__endpoint=endpoint)
    assert attempt.status_code is None and attempt.error == f"private-address: hooks.example.com {resolves_to}"
    assert OutboxMessage.objects.get(kind="webhook").status == "pending"  # retried; disabled after a day of these


def test_the_delivery_log_says_why_an_attempt_failed_in_the_readers_language(cast, client, settings, monkeypatch):
    """The attempt stores the kind of failure and the system's own words; the log shows the kind as a sentence of
    the reader's language (here Czech), then those words."""
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    endpoint = webhook_endpoint_create(actor=cast.partner_a_admin, url="https://hooks.example.com/in",
                                       event_types=["referral.received"])
    monkeypatch.setattr("webhooks.services.socket.getaddrinfo",
                        lambda host, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443))])
    inbound(actor=cast.channel_manager, partner=cast.partner_a)
    _relay_until_idle(rounds=1)
    client.force_login(cast.partner_a_admin)
    html = client.get(reverse("webhooks:detail", args=[endpoint.pk]), HTTP_ACCEPT_LANGUAGE="cs").content.decode()
    assert "Odmítnuto: hooks.example.com se překládá na 10.1.2.3" in html and "Refused" not in html


@pytest.mark.parametrize(("kind", "english"), [
    ("dns", "could not be resolved"), ("tls", "secure connection failed"), ("timeout", "No answer within 10"),
    ("connection", "connection failed or was refused"),
])
def test_each_kind_of_failure_reads_as_a_sentence_in_every_language(kind, english, settings):
    from django.utils import translation

    from webhooks.attempts import attempt_error_text

    settings.WEBHOOK_TIMEOUT_SECONDS = 10.0
    stored = f"{kind}: OSError: [Errno 1] detail"
    assert english in attempt_error_text(stored) and attempt_error_text(stored).endswith("(OSError: [Errno 1] detail)")
    for language in ("cs", "es", "pl"):
        with translation.override(language):
            text = attempt_error_text(stored)
        assert english not in text and "OSError: [Errno 1] detail" in text, (language, text)
    assert attempt_error_text("HTTP 500") == "HTTP 500"  # stored before the kinds: as it was


def test_a_refused_connection_is_stored_as_such(cast, settings):
    """Nothing listens on the port: the attempt's error is a `connection` failure with the system's words."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = webhook_endpoint_create(actor=cast.vendor_admin, url=f"http://127.0.0.1:{port}/in",
                                       event_types=["referral.received"])
    inbound(actor=cast.channel_manager, partner=cast.partner_a)
    _relay_until_idle(rounds=1)
    attempt = WebhookAttempt.objects.get(delivery__endpoint=endpoint)
    assert attempt.error.startswith("connection: ConnectionRefusedError")


def test_the_connection_goes_to_the_address_that_was_checked(cast, settings, monkeypatch):
    """One lookup per delivery, and the socket is opened to its answer (a second lookup, as a rebinding attacker
    would answer it, is never made)."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # the vendor's own endpoint: the receiver here is on 127.0.0.1
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        webhook_endpoint_create(actor=cast.vendor_admin, url=f"https://hooks.example.com:{port}/in",
                                event_types=["referral.received"])
        answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]])
        real_lookup = socket.getaddrinfo

        def getaddrinfo(host, *args, **kwargs):  # names get one answer; an address is its own (create_connection)
            return real_lookup(host, *args, **kwargs) if host == "127.0.0.1" else next(answers)

        monkeypatch.setattr("webhooks.services.socket.getaddrinfo", getaddrinfo)
        opened = []
        real = socket.create_connection
        monkeypatch.setattr("webhooks.services.socket.create_connection",
                            lambda address, *a, **k: opened.append(address) or real(address, *a, **k))
        inbound(actor=cast.channel_manager, partner=cast.partner_a)
        _relay_until_idle(rounds=1)
    assert opened == [("127.0.0.1", port)]
    # The receiver speaks plain HTTP: the TLS handshake for hooks.example.com fails there, as it should.
    assert WebhookAttempt.objects.get().status_code is None


def test_the_form_says_why_a_private_address_is_refused_and_keeps_nothing(cast, client, settings):
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    client.force_login(cast.partner_a_admin)
    response = client.post(reverse("webhooks:new"), {"url": "https://169.254.169.254/latest/meta-data/",
                                                     "event_types": ["referral.received"]})
    assert response.status_code == 400
    assert "private or local network" in response.content.decode()
    assert 'value="https://169.254.169.254/latest/meta-data/"' in response.content.decode()  # what they typed stays
    assert not WebhookEndpoint.objects.exists()
