"""The webhooks' payloads in the OpenAPI schema (SPECTACULAR_SETTINGS["WEBHOOKS"] names LEAD, REFERRAL,
REGISTRATION, CONFLICT): one entry per record kind,
its body and the Standard Webhooks headers a receiver verifies."""

from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from .catalogue import GROUPS

SIGNING = (
    "Every request carries the Standard Webhooks headers `webhook-id` (the same on every retry and resend), "
    "`webhook-timestamp` (seconds since the epoch) and `webhook-signature` (`v1,<base64 HMAC-SHA256>` of "
    "`<webhook-id>.<webhook-timestamp>.<body>` keyed with the base64-decoded part of the endpoint's secret after "
    "`whsec_`). Answer 2xx within 10 seconds; anything else is retried with exponential backoff for about a day. "
    "A partner admin's endpoint receives only events of records that admin can see."
)


def _codes(*prefixes):
    return [code for _group, items in GROUPS for code, _name in items if code.startswith(prefixes)]


class _Envelope(serializers.Serializer):
    timestamp = serializers.DateTimeField(help_text="When the event happened.")


class LeadWebhookData(serializers.Serializer):
    object = serializers.ChoiceField(choices=["lead"])
    id = serializers.IntegerField()
    company = serializers.CharField()
    country = serializers.CharField()
    status = serializers.CharField()
    partner_account_id = serializers.IntegerField(allow_null=True)
    owner_id = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField()
    url = serializers.URLField()


class ReferralWebhookData(serializers.Serializer):
    object = serializers.ChoiceField(choices=["referral"])
    id = serializers.IntegerField()
    title = serializers.CharField()
    customer_name = serializers.CharField()
    customer_country = serializers.CharField()
    status = serializers.CharField()
    direction = serializers.CharField()
    referral_type = serializers.CharField()
    deal_type = serializers.CharField()
    estimated_value = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    partner_account_id = serializers.IntegerField()
    version = serializers.IntegerField()
    url = serializers.URLField()


class RegistrationWebhookData(serializers.Serializer):
    object = serializers.ChoiceField(choices=["registration"])
    id = serializers.IntegerField()
    customer_name = serializers.CharField()
    customer_country = serializers.CharField()
    status = serializers.CharField()
    protected_until = serializers.DateField(allow_null=True)
    review_comment = serializers.CharField()
    opportunity_id = serializers.IntegerField(allow_null=True)
    partner_account_id = serializers.IntegerField()
    version = serializers.IntegerField()
    url = serializers.URLField()


class ConflictSideData(serializers.Serializer):
    type = serializers.CharField(help_text="lead, opportunity, referral or registration")
    id = serializers.IntegerField()
    partner_account_id = serializers.IntegerField(allow_null=True, help_text="null: the vendor's own record.")


class ConflictWebhookData(serializers.Serializer):
    object = serializers.ChoiceField(choices=["conflict"])
    id = serializers.IntegerField()
    status = serializers.CharField()
    decision = serializers.CharField()
    first = ConflictSideData()
    second = ConflictSideData()
    evidence = serializers.ListField(child=serializers.ChoiceField(choices=["duns", "name", "email", "domain"]))
    url = serializers.URLField()


def _webhook(name, summary, codes, data_serializer, extra=""):
    envelope = type(f"{data_serializer.__name__.replace('Data', '')}Payload", (_Envelope,), {
        "type": serializers.ChoiceField(choices=codes, help_text="The event type."),
        "data": data_serializer(),
        "__module__": __name__,
    })
    return OpenApiWebhook(name=name, decorator=extend_schema(
        summary=summary, description=SIGNING + extra, request=envelope,
        responses={200: OpenApiResponse(description="Received (any 2xx).")}, tags=["webhooks"]))


LEAD = _webhook("lead", "Lead events", _codes("lead."), LeadWebhookData)
REFERRAL = _webhook("referral", "Referral events", _codes("referral."), ReferralWebhookData)
REGISTRATION = _webhook(
    "registration", "Deal registration events",
    _codes("registration.", "conflict.under_review", "conflict.review_finished"), RegistrationWebhookData,
    " conflict.under_review and conflict.review_finished also come for leads and outbound referrals, with their "
    "own data: a partner learns only that its record is under review.")
CONFLICT = _webhook("conflict", "Channel conflict events (vendor admins' endpoints)",
                    _codes("conflict.opened", "conflict.resolved"), ConflictWebhookData)
