"""One function per referral email (F1-F3). Each queues through email_enqueue inside the caller's transaction."""

from django.conf import settings
from django.urls import reverse

from prm_portal.core.emails import email_enqueue, email_enqueue_many


def referral_url(pk) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("referrals:detail", kwargs={"pk": pk})


def _ctx(referral, **extra):
    return {
        "referral_id": referral.pk,
        "title": referral.title,
        "customer_name": referral.customer_name,
        "partner_name": referral.partner_account.name,
        "referral_type": str(referral.get_referral_type_display()),
        "is_customer_inquiry": referral.referral_type == referral.Type.CUSTOMER_INQUIRY,
        "sender_name": referral.sender_name,
        "url": referral_url(referral.pk),
        "days": settings.REFERRAL_EXPIRY_DAYS,
        **extra,
    }


def partner_recipients(referral) -> list[tuple[str, str]]:
    """(email, language) of the people who answer a referral: its team, else the partner's admins."""
    from accounts.models import User

    seen, out = set(), []
    for member in referral.team_members.all():  # prefetched (with their users) by batch callers
        email = (member.user.email if member.user_id else member.email).lower()
        if email and email not in seen:
            seen.add(email)
            out.append((email, member.user.language if member.user_id else "en"))
    if not out:
        admins = User.objects.filter(
            partner_account_id=referral.partner_account_id, role=User.Role.PARTNER_ADMIN, is_active=True
        )
        for user in admins:
            if user.email.lower() not in seen:
                seen.add(user.email.lower())
                out.append((user.email, user.language))
    return out


def sender_language(referral) -> str:
    return referral.sender.language if referral.sender_id and referral.sender else "en"


def email_referral_received(referral):
    for email, language in partner_recipients(referral):
        email_enqueue(
            template_key="referral_received", to=email, language=language,
            context=_ctx(referral, need=referral.need, flame=bool(referral.contact_requested_at)),
            idempotency_key=f"referral-received-{referral.pk}-{email}",
        )


def email_referral_declined(referral):
    if not referral.sender_email:
        return
    email_enqueue(
        template_key="referral_declined", to=referral.sender_email, language=sender_language(referral),
        context=_ctx(referral, reason=str(referral.get_decline_reason_display())),
        idempotency_key=f"referral-declined-{referral.pk}",
    )


def email_referral_closed(referral):
    """Won or lost, to the sender of an inbound referral."""
    if not referral.sender_email:
        return
    email_enqueue(
        template_key=f"referral_{referral.status}", to=referral.sender_email, language=sender_language(referral),
        context=_ctx(referral, lost_reason=referral.lost_reason),
        idempotency_key=f"referral-{referral.status}-{referral.pk}",
    )


def email_referral_expired_rows(rows):
    """The expiry emails for rows the set-based expiry returned (no model instances needed), queued together.
    Each row: dict(pk, to, language, title, customer_name, partner_name, is_customer_inquiry, sender_name)."""
    email_enqueue_many(
        {
            "template_key": "referral_expired", "to": row["to"], "language": row["language"],
            "context": {
                "referral_id": row["pk"], "title": row["title"], "customer_name": row["customer_name"],
                "partner_name": row["partner_name"], "is_customer_inquiry": row["is_customer_inquiry"],
                "sender_name": row["sender_name"], "days": settings.REFERRAL_EXPIRY_DAYS,
            },
            "idempotency_key": f"referral-expired-{row['pk']}",
        }
        for row in rows
    )


def email_referral_expiry_reminder(referral):
    for email, language in partner_recipients(referral):
        email_enqueue(
            template_key="referral_expiry_reminder", to=email, language=language,
            context=_ctx(referral, expires_at=referral.expires_at.isoformat() if referral.expires_at else "",
                         days_left=settings.REFERRAL_REMINDER_DAYS_BEFORE),
            idempotency_key=f"referral-reminder-{referral.pk}-{email}",
        )


def email_registration_reviewed(registration):
    user = registration.submitted_by
    if user is None or not user.email:
        return
    referral = registration.referral
    email_enqueue(
        template_key="referral_registration_reviewed", to=user.email, language=user.language,
        context=_ctx(referral, decision=str(registration.get_status_display()), comment=registration.review_comment),
        idempotency_key=f"referral-registration-{registration.pk}-{registration.status}-"
                        f"{registration.reviewed_at.timestamp() if registration.reviewed_at else 0}",
    )
