"""The JSON body of a webhook (Standard Webhooks shape): {"type", "timestamp", "data"}. `data` is a snapshot of
the record the event is about, made when the event happens, with only what the endpoint's owner may see of it
(the record itself, never the event's other data: who else held a lead, the other side of a conflict)."""

from django.conf import settings
from django.urls import reverse


def _url(name, pk):
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse(name, args=[pk])


def _iso(value):
    return value.isoformat() if value is not None else None


def _money(value):
    return str(value) if value is not None else None


def _lead(lead):
    return {"object": "lead", "id": lead.pk, "company": lead.company, "country": lead.country,
            "status": lead.status, "partner_account_id": lead.partner_account_id, "owner_id": lead.owner_id,
            "version": lead.version, "url": _url("leads:detail", lead.pk)}


def _opportunity(opportunity):
    return {"object": "opportunity", "id": opportunity.pk, "name": opportunity.name,
            "customer": opportunity.customer_account.name, "amount": _money(opportunity.amount),
            "currency": opportunity.currency, "close_date": _iso(opportunity.close_date),
            "stage": opportunity.stage.name, "partner_account_id": opportunity.partner_account_id,
            "owner_id": opportunity.owner_id, "version": opportunity.version,
            "url": _url("opportunities:detail", opportunity.pk)}


def _referral(referral):
    return {"object": "referral", "id": referral.pk, "title": referral.title,
            "customer_name": referral.customer_name, "customer_country": referral.customer_country,
            "status": referral.status, "direction": referral.direction, "referral_type": referral.referral_type,
            "deal_type": referral.deal_type, "estimated_value": _money(referral.estimated_value),
            "currency": referral.currency, "partner_account_id": referral.partner_account_id,
            "version": referral.version, "url": _url("referrals:detail", referral.pk)}


def _registration(registration):
    return {"object": "registration", "id": registration.pk, "customer_name": registration.customer_name,
            "customer_country": registration.customer_country, "status": registration.status,
            "protected_until": _iso(registration.protected_until), "review_comment": registration.review_comment,
            "opportunity_id": registration.opportunity_id, "partner_account_id": registration.partner_account_id,
            "version": registration.version, "url": _url("registrations:detail", registration.pk)}


def _conflict(conflict):
    """Vendor admins' endpoints only (conflict events are internal)."""
    return {"object": "conflict", "id": conflict.pk, "status": conflict.status, "decision": conflict.decision,
            "first": {"type": conflict.first_content_type.model, "id": conflict.first_object_id,
                      "partner_account_id": conflict.first_partner_id},
            "second": {"type": conflict.second_content_type.model, "id": conflict.second_object_id,
                       "partner_account_id": conflict.second_partner_id},
            "evidence": sorted({item.get("kind") for item in conflict.evidence or []}),
            "url": _url("registrations:conflict_detail", conflict.pk)}


SNAPSHOTS = {
    "leads.lead": _lead,
    "opportunities.opportunity": _opportunity,
    "referrals.referral": _referral,
    "registrations.registration": _registration,
    "registrations.conflict": _conflict,
}


def record_snapshot(record) -> dict | None:
    build = SNAPSHOTS.get(record._meta.label_lower)
    return build(record) if build else None


def webhook_body(*, event_type, timestamp, data) -> dict:
    return {"type": event_type, "timestamp": _iso(timestamp), "data": data}
