"""Writes for opportunities."""

from django.db import transaction

from prm_portal.core.services import activity_record

from .models import CustomerAccount, CustomerContact, Opportunity, Stage

DEFAULT_STAGES = [
    # name, probability, kind
    ("Prospecting", 10, Stage.Kind.OPEN),
    ("Qualification", 20, Stage.Kind.OPEN),
    ("Needs analysis", 40, Stage.Kind.OPEN),
    ("Proposal", 60, Stage.Kind.OPEN),
    ("Negotiation", 80, Stage.Kind.OPEN),
    ("Closed won", 100, Stage.Kind.WON),
    ("Closed lost", 0, Stage.Kind.LOST),
]


def stages_ensure_default(*, using="default") -> int:
    """Create the default stage list when there is none at all (an admin's edits are left alone)."""
    if Stage.objects.using(using).exists():
        return 0
    Stage.objects.using(using).bulk_create(
        Stage(name=name, probability=probability, kind=kind, order=order)
        for order, (name, probability, kind) in enumerate(DEFAULT_STAGES, start=1)
    )
    return len(DEFAULT_STAGES)


def stage_first_open() -> Stage:
    stage = Stage.objects.filter(kind=Stage.Kind.OPEN).order_by("order", "id").first()
    if stage is None:
        raise Stage.DoesNotExist("No open opportunity stage is configured.")
    return stage


@transaction.atomic
def opportunity_create(
    *,
    actor,
    name,
    partner_account,
    owner,
    customer_name,
    contact_first_name="",
    contact_last_name="",
    contact_email="",
    contact_phone="",
    amount=None,
    close_date=None,
    stage=None,
    source_lead=None,
    country="",
    industry="",
    description="",
) -> Opportunity:
    """Create an opportunity with its customer account and contact; records `created`."""
    account = CustomerAccount.objects.create(
        name=customer_name, partner_account=partner_account, country=country, industry=industry
    )
    contact = None
    if contact_last_name:
        contact = CustomerContact.objects.create(
            account=account,
            first_name=contact_first_name,
            last_name=contact_last_name,
            email=contact_email,
            phone=contact_phone,
        )
    opportunity = Opportunity.objects.create(
        name=name,
        customer_account=account,
        customer_contact=contact,
        amount=amount,
        close_date=close_date,
        stage=stage or stage_first_open(),
        owner=owner,
        partner_account=partner_account,
        source_lead=source_lead,
        description=description,
    )
    activity_record(
        target=opportunity,
        verb="created",
        actor=actor,
        partner_account=partner_account,
        source_lead=source_lead.pk if source_lead else None,
        stage=opportunity.stage.name,
    )
    return opportunity
