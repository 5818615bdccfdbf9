"""Demo opportunities for `manage.py seed_demo`: a believable pipeline per demo partner, made by the services."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from accounts.models import User
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.models import ActivityEvent

from .models import Opportunity, Stage
from .services import opportunity_create, opportunity_resource_add, opportunity_stage_change

# name, customer, stage, amount, currency, close in days (negative: closed that long ago), age in days, next step
DEALS = {
    "Northwind Solutions": [
        ("ERP migration phase 1", "Kovo Hradec", "Negotiation", 48000, "EUR", 20, 70, "Final pricing call"),
        ("Brewery line monitoring", "Pivovar Lipno", "Proposal", 22500, "EUR", 45, 40, "Send proposal v2"),
        ("Clinic scheduling cloud", "MedTech Ostrava", "Closed won", 31000, "EUR", -12, 120, ""),
        ("Fleet telematics pilot", "Plzeň Automotive", "Needs analysis", 15000, "EUR", 75, 25, "Workshop with IT"),
        ("Backup as a service", "Kovo Hradec", "Closed lost", 9000, "EUR", -30, 150, ""),
        ("Data warehouse refresh", "MedTech Ostrava", "Qualification", 56000, "EUR", 110, 10, "Find the sponsor"),
        ("Shop-floor tablets", "Plzeň Automotive", "Prospecting", 7800, "EUR", 130, 5, "Intro meeting"),
        ("Support renewal 2027", "Pivovar Lipno", "Closed won", 12000, "EUR", -50, 160, ""),
    ],
    "Baltic Systems": [
        ("Warehouse automation", "Gdańsk Logistics", "Proposal", 64000, "EUR", 30, 55, "Site visit"),
        ("Robotics MES rollout", "Wrocław Robotics", "Negotiation", 88000, "EUR", 15, 90, "Legal review"),
        ("Payments API audit", "Kraków Fintech", "Closed won", 27000, "EUR", -20, 100, ""),
        ("Pharma QA portal", "Poznań Pharma", "Closed lost", 41000, "EUR", -40, 130, ""),
        ("Logistics BI dashboards", "Gdańsk Logistics", "Needs analysis", 18000, "EUR", 60, 20, "Collect KPIs"),
        ("Fintech DR site", "Kraków Fintech", "Prospecting", 35000, "EUR", 140, 3, "Qualify budget"),
    ],
    "Iberia Tech": [
        ("Solar farm IoT", "Sevilla Solar", "Proposal", 52000, "EUR", 35, 45, "Technical Q&A"),
        ("Food traceability", "Valencia Foods", "Qualification", 19500, "EUR", 90, 15, "Demo for QA team"),
        ("Steelworks predictive maintenance", "Bilbao Steelworks", "Closed won", 73000, "EUR", -8, 140, ""),
        ("Retail analytics", "Lisboa Retail", "Closed lost", 16000, "EUR", -25, 110, ""),
        ("Cloud landing zone", "Valencia Foods", "Negotiation", 39000, "EUR", 12, 80, "Procurement sign-off"),
    ],
}

TIPS = {
    "Negotiation": (
        "Discount guidance", "Up to 12 % is pre-approved for multi-year terms; ask me before going further."
    ),
    "Proposal": ("Reference customer", "Kovo Hradec agreed to take a reference call for similar projects."),
}


def seed(demo):
    stages = {s.name: s for s in Stage.objects.all()}
    for partner_name, deals in DEALS.items():
        partner = demo.partners.get(partner_name)
        if partner is None:
            continue
        reps = list(partner.users.filter(role__in=User.PARTNER_ROLES, is_active=True).order_by("role", "email"))
        if not reps:
            continue
        for index, deal in enumerate(deals):
            _deal(demo, partner, reps[index % len(reps)], stages, *deal)
    _convert_qualified_leads(demo)


@transaction.atomic
def _deal(demo, partner, owner, stages, name, customer, stage_name, amount, currency, close_in, age, next_step):
    if Opportunity.objects.filter(partner_account=partner, name=name).exists():
        return
    first = stages.get("Prospecting") or Stage.objects.filter(kind=Stage.Kind.OPEN).order_by("order").first()
    target = stages.get(stage_name, first)
    opp = opportunity_create(
        actor=owner, name=name, partner_account=partner, owner=owner, customer_name=customer,
        amount=Decimal(amount), currency=currency, close_date=(demo.now + timedelta(days=close_in)).date(),
        stage=first, next_step=next_step, description=f"{customer}: {name.lower()}.",
    )
    # Walk the stages in order so the timeline tells the story.
    path = [s for s in stages.values() if s.kind == Stage.Kind.OPEN and first.order < s.order < target.order]
    if target.kind != Stage.Kind.OPEN:
        path = path[: max(len(path) - 1, 1)]
    for stage in [*path, target]:
        if stage.pk != opp.stage_id:
            opp = opportunity_stage_change(actor=owner, opportunity=opp, stage=stage)
    if stage_name in TIPS:
        cm = partner.owner
        title, body = TIPS[stage_name]
        opportunity_resource_add(actor=cm, opportunity=opp, kind="note", title=title, body=body)
    _spread_history(opp, demo.now - timedelta(days=age), demo.now - timedelta(days=max(age // 6, 1)))


def _spread_history(opp, start, end):
    """Demo only: put the deal's creation and events back in time so the timeline and charts look lived-in."""
    Opportunity.objects.filter(pk=opp.pk).update(created_at=start)
    events = list(
        ActivityEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Opportunity), object_id=opp.pk
        ).order_by("created_at", "id")
    )
    step = (end - start) / max(len(events) - 1, 1)
    for i, event in enumerate(events):
        ActivityEvent.objects.filter(pk=event.pk).update(created_at=start + step * i)


def _convert_qualified_leads(demo):
    """C11 in the demo: a few qualified leads become opportunities through the leads app's own service."""
    try:
        from leads.models import Lead
        from leads.services import lead_convert
    except ImportError:
        return
    leads = Lead.objects.filter(status=Lead.Status.QUALIFIED, owner__isnull=False, opportunity__isnull=True)
    for i, lead in enumerate(leads.order_by("id")[:3]):
        try:
            with transaction.atomic():
                lead_convert(actor=lead.owner, lead=lead, opportunity_name=f"{lead.company} platform deal",
                             amount=Decimal(12000 + 4000 * i), close_date=(demo.now + timedelta(days=40)).date())
        except (InvalidTransition, TypeError):
            continue
