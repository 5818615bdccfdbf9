"""One function per deal registration and conflict email; each queues through email_enqueue in the caller's
transaction, in the recipient's language. What a partner is told never names another partner or record."""

from django.conf import settings
from django.urls import reverse

from prm_portal.core.emails import email_enqueue


def _url(name, pk) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse(name, kwargs={"pk": pk})


def _partner_people(registration):
    """Who hears about a registration on the partner's side: who submitted it, else the partner's admins."""
    from accounts.models import User

    if registration.submitted_by_id and registration.submitted_by.is_active:
        return [registration.submitted_by]
    return list(User.objects.filter(partner_account_id=registration.partner_account_id,
                                    role=User.Role.PARTNER_ADMIN, is_active=True))


def _managers(*partner_ids):
    """The channel managers who own these partners (active, each once)."""
    from accounts.models import PartnerAccount

    people = {}
    for partner in PartnerAccount.objects.filter(pk__in=[p for p in partner_ids if p]).select_related("owner"):
        if partner.owner_id and partner.owner.is_active:
            people[partner.owner_id] = partner.owner
    return list(people.values())


def _ctx(registration, **extra):
    return {
        "customer_name": registration.customer_name,
        "partner_name": registration.partner_account.name,
        "comment": registration.review_comment,
        "protected_until": registration.protected_until.isoformat() if registration.protected_until else "",
        "url": _url("registrations:detail", registration.pk),
        **extra,
    }


def email_registration_submitted(registration, *, again=False):
    """To the channel manager who reviews it."""
    for user in _managers(registration.partner_account_id):
        email_enqueue(template_key="registration_submitted", to=user.email, language=user.language,
                      context=_ctx(registration, again=again),
                      idempotency_key=f"registration-submitted-{registration.pk}-v{registration.version}-{user.pk}")


def email_registration_decided(registration):
    """To the partner: approved (until when), rejected (why) or more information asked (what)."""
    for user in _partner_people(registration):
        email_enqueue(template_key="registration_decided", to=user.email, language=user.language,
                      context=_ctx(registration, decision=registration.status),
                      idempotency_key=f"registration-decided-{registration.pk}-v{registration.version}-{user.pk}")


def email_registration_protection(registration, *, kind):
    """To the partner: the protection was extended, lapsed, or ends soon (`kind`)."""
    for user in _partner_people(registration):
        email_enqueue(template_key="registration_protection", to=user.email, language=user.language,
                      context=_ctx(registration, kind=kind),
                      idempotency_key=(f"registration-{kind}-{registration.pk}-{registration.protected_until}"
                                       f"-{user.pk}"))


def email_registration_renewal_requested(registration):
    for user in _managers(registration.partner_account_id):
        email_enqueue(template_key="registration_renewal_requested", to=user.email, language=user.language,
                      context=_ctx(registration),
                      idempotency_key=f"registration-renewal-{registration.pk}-v{registration.version}-{user.pk}")


def email_registration_under_review(registration):
    """To the partner, in neutral words: its registration is under review (never with whom)."""
    for user in _partner_people(registration):
        email_enqueue(template_key="registration_under_review", to=user.email, language=user.language,
                      context=_ctx(registration),
                      idempotency_key=f"registration-review-{registration.pk}-v{registration.version}-{user.pk}")


def email_registration_review_finished(registration, *, outcome):
    from .events import REVIEW_OUTCOMES

    for user in _partner_people(registration):
        from django.utils import translation

        with translation.override(user.language):
            outcome_text = str(REVIEW_OUTCOMES.get(outcome, ""))
        email_enqueue(template_key="registration_review_finished", to=user.email, language=user.language,
                      context=_ctx(registration, outcome=outcome_text),
                      idempotency_key=f"registration-reviewed-{registration.pk}-v{registration.version}-{user.pk}")


def email_conflict_opened(conflict):
    """To the channel managers of both sides: a conflict waits for their decision."""
    for user in _managers(conflict.first_partner_id, conflict.second_partner_id):
        email_enqueue(template_key="conflict_opened", to=user.email, language=user.language,
                      context={"conflict_id": conflict.pk, "url": _url("registrations:conflict_detail", conflict.pk)},
                      idempotency_key=f"conflict-opened-{conflict.pk}-{user.pk}")
