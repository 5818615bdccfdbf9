"""Referral test data, made through the services so every record is one a user could have made."""

from datetime import date, timedelta

from django.utils import timezone

from accounts.models import PartnerLocation
from referrals.models import Referral, Solution
from referrals.services import referral_accept, referral_create_outbound, referral_send


def location_for(partner, name="Prague HQ", city="Prague", country="CZ"):
    location, _ = PartnerLocation.objects.get_or_create(
        partner_account=partner, name=name, defaults={"city": city, "country": country}
    )
    return location


def inbound(*, actor, partner, location=None, referral_type=Referral.Type.SALES_QUALIFIED, **overrides):
    """A received inbound referral sent by `actor` (vendor staff) to `partner`."""
    values = {
        "customer_name": "Contoso s.r.o.",
        "need": "Move the ERP to the cloud.",
        "contact_name": "Karel Zákazník",
        "contact_email": "karel@contoso.example",
        "deal_type": Referral.DealType.SERVICES,
    }
    values.update(overrides)
    received_at = values.pop("received_at", None)
    referral = referral_send(actor=actor, partner_account=partner, location=location or location_for(partner),
                             referral_type=referral_type, **values)
    if received_at is not None:
        Referral.objects.filter(pk=referral.pk).update(received_at=received_at)
        referral.refresh_from_db()
    return referral


def accepted(*, actor, referral, **overrides):
    values = {"name": "ERP migration", "estimated_value": "25000", "estimated_close_date": date.today() + timedelta(
        days=60), "notes": "Wants a plan by spring."}
    values.update(overrides)
    return referral_accept(actor=actor, referral=referral, **values)


def outbound(*, actor, location=None, assessment=True, **overrides):
    values = {
        "customer_name": "Fabrikam a.s.",
        "customer_duns": "123456789",
        "customer_country": "CZ",
        "contact_name": "Jana Fabrikam", "contact_phone": "+420 222 333 444", "contact_email": "jana@fabrikam.example",
        "name": "Fabrikam security assessment",
        "estimated_value": "12000",
        "estimated_close_date": date.today() + timedelta(days=30),
        "notes": "Assessment of the security posture.",
        "team_members": [{"name": "Ann Seller", "phone": "+420 111 222 333", "email": "ann@alpha.example"}],
        "solutions": ([{"kind": Solution.Kind.SOLUTION_ASSESSMENT, "assessment_type": "security"}] if assessment
                      else [{"kind": Solution.Kind.PRODUCT, "name": "Managed backup"}]),
        "consent": True,
    }
    values.update(overrides)
    return referral_create_outbound(actor=actor, location=location or location_for(actor.partner_account),
                                    **values)


def days_ago(n, hours=0):
    return timezone.now() - timedelta(days=n, hours=hours)
