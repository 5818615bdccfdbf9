"""Reads for deal registrations and channel conflicts; scoping comes from the access policy, in the query."""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import access

from .models import Conflict, Registration

EVIDENCE_LABELS = {
    "duns": _("DUNS number"),
    "name": _("company name and country"),
    "email": _("contact email"),
    "domain": _("web or email domain"),
}


def registration_list_visible_to(*, user, status=None):
    qs = Registration.objects.filter(access.registration_visible_q(user)).select_related(
        "partner_account", "submitted_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-submitted_at", "-id")


def registration_get_for_user(*, user, pk) -> Registration:
    registration = registration_list_visible_to(user=user).filter(pk=pk).first()
    if registration is None:
        raise Http404("No such registration.")
    return registration


def conflict_list_open_for(*, user):
    """Open conflicts the vendor staff member may decide, oldest (longest waiting) first."""
    return Conflict.objects.filter(access.conflict_visible_q(user), status=Conflict.Status.OPEN).select_related(
        "first_partner", "second_partner", "first_content_type", "second_content_type").order_by("created_at", "id")


def conflict_get_for_user(*, user, pk) -> Conflict:
    conflict = Conflict.objects.filter(access.conflict_visible_q(user), pk=pk).select_related(
        "first_partner", "second_partner", "resolved_by").first()
    if conflict is None:
        raise Http404("No such conflict.")
    return conflict


def _email_domain(email):
    return (email or "").rpartition("@")[2]


def record_summary(record) -> dict:
    """One side of a conflict as the channel manager compares it: what it is, whose, the customer's keys."""
    if record is None:
        return {"kind": _("Deleted record"), "title": "—", "fields": []}
    label = record._meta.label_lower
    if label == "leads.lead":
        fields = [(_("Company"), record.company), (_("Country"), record.country),
                  (_("Contact email"), record.email), (_("Status"), record.get_status_display())]
        return {"kind": _("Lead"), "title": record.company, "url": reverse("leads:detail", args=[record.pk]),
                "created": record.created_at, "fields": fields}
    if label == "opportunities.opportunity":
        account, contact = record.customer_account, record.customer_contact
        fields = [(_("Customer"), account.name), (_("Country"), account.country), (_("Website"), account.website),
                  (_("Contact email"), contact.email if contact else ""), (_("Stage"), record.stage.name)]
        return {"kind": _("Opportunity"), "title": record.name,
                "url": reverse("opportunities:detail", args=[record.pk]), "created": record.created_at,
                "fields": fields}
    if label == "referrals.referral":
        fields = [(_("Customer"), record.customer_name), (_("Country"), record.customer_country),
                  (_("DUNS number"), record.customer_duns), (_("Contact email"), record.contact_email),
                  (_("Status"), record.get_status_display())]
        return {"kind": _("Outbound deal"), "title": record.title,
                "url": reverse("referrals:detail", args=[record.pk]), "created": record.received_at,
                "fields": fields}
    fields = [(_("Customer"), record.customer_name), (_("Country"), record.customer_country),
              (_("DUNS number"), record.customer_duns), (_("Web domain"), record.customer_domain),
              (_("Contact email"), record.contact_email), (_("Status"), record.get_status_display()),
              (_("Protected until"), record.protected_until or "")]
    return {"kind": _("Deal registration"), "title": record.customer_name,
            "url": reverse("registrations:detail", args=[record.pk]), "created": record.submitted_at,
            "fields": fields}


def conflict_sides(conflict) -> list[dict]:
    """Both sides, first registered first, each with its partner ("the vendor" when none)."""
    sides = []
    for record, partner, which in ((conflict.first, conflict.first_partner, _("Registered first")),
                                   (conflict.second, conflict.second_partner, _("Registered second"))):
        summary = record_summary(record)
        summary["partner"] = partner.name if partner else _("The vendor (no partner)")
        summary["which"] = which
        sides.append(summary)
    return sides


def conflict_evidence(conflict) -> list[dict]:
    """Which keys matched, labelled: [{"label", "value"}]."""
    rows = []
    for item in conflict.evidence or []:
        kind, _sep, value = str(item.get("key", "")).partition(":")
        rows.append({"label": EVIDENCE_LABELS.get(item.get("kind"), item.get("kind")),
                     "value": value.replace("|", " · ")})
    return rows
