"""Demo queues, routing rules and leads for `manage.py seed_demo`, created through the services so each
lead is routed and has its timeline."""

from accounts.models import User
from prm_portal.core.errors import InvalidTransition

from .models import (
    AssignmentRule,
    BusinessCalendar,
    ClaimLimitSettings,
    Lead,
    Queue,
    QueueServiceLevel,
    RoundRobinGroup,
    RoundRobinMember,
)
from .services import lead_claim, lead_create, lead_update

QUEUES = [
    ("EMEA Inbound", "Trade-show and web leads for Central Europe.", ["Northwind Solutions", "Baltic Systems"]),
    ("Iberia Leads", "Leads from Spain and Portugal.", ["Iberia Tech"]),
    ("Poland Leads", "Leads from Poland.", ["Baltic Systems"]),
    ("Unsorted", "Everything no rule claims; vendor staff sort it.", []),
]

COMPANIES = [
    ("Kovo Hradec", "CZ", "Manufacturing"), ("Pivovar Lipno", "CZ", "Food & beverage"),
    ("MedTech Ostrava", "CZ", "Healthcare"), ("Gdańsk Logistics", "PL", "Logistics"),
    ("Kraków Fintech", "PL", "Financial services"), ("Wrocław Robotics", "PL", "Manufacturing"),
    ("Sevilla Solar", "ES", "Energy"), ("Valencia Foods", "ES", "Food & beverage"),
    ("Bilbao Steelworks", "ES", "Manufacturing"), ("Lisboa Retail", "PT", "Retail"),
    ("Plzeň Automotive", "CZ", "Automotive"), ("Poznań Pharma", "PL", "Healthcare"),
]
FIRST = ["Jan", "Anna", "Marek", "Zofia", "Carlos", "Elena", "Luis", "Karolina", "Martin", "Lucie"]
LAST = ["Horák", "Wiśniewska", "Fernández", "Procházka", "López", "Zielińska", "Kučera", "Sánchez"]
SOURCES = ["Web form", "Trade show", "Webinar", "Partner referral", "Campaign"]


def seed(demo):
    queues = {}
    for name, description, members in QUEUES:
        queue, _ = Queue.objects.get_or_create(name=name, defaults={"description": description})
        queue.member_accounts.add(*[demo.partners[m] for m in members])
        queues[name] = queue
    if not Queue.objects.filter(is_default=True).exists():
        Queue.objects.filter(pk=queues["Unsorted"].pk).update(is_default=True)
    ClaimLimitSettings.load()
    _service_levels(queues)
    _rules(queues)
    if not Lead.objects.exists():
        _leads(demo.rng, demo.partners)


def _service_levels(queues):
    """EMEA Inbound keeps Prague office hours: accept within 8 business hours, first touch within 4, progress
    within 5 business days (issue 13: the clock on the Leads tab, the ladder, the breaches page)."""
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="Prague office", defaults={"time_zone": "Europe/Prague", "working_days": "12345"})
    QueueServiceLevel.objects.get_or_create(queue=queues["EMEA Inbound"], defaults={
        "calendar": calendar, "accept_within_hours": 8, "first_touch_within_hours": 4, "progress_within_days": 5})


def _rules(queues):
    if AssignmentRule.objects.exists():
        return
    group, _ = RoundRobinGroup.objects.get_or_create(name="Central Europe rotation")
    if not group.members.exists():
        RoundRobinMember.objects.create(group=group, position=1, queue=queues["EMEA Inbound"])
        RoundRobinMember.objects.create(group=group, position=2, queue=queues["Poland Leads"])
    AssignmentRule.objects.create(name="Iberia by country", order=10, countries="ES, PT",
                                  target=AssignmentRule.Target.QUEUE, target_queue=queues["Iberia Leads"])
    AssignmentRule.objects.create(name="Poland by country", order=20, countries="PL",
                                  target=AssignmentRule.Target.QUEUE, target_queue=queues["Poland Leads"])
    AssignmentRule.objects.create(name="Czech leads in turn", order=30, countries="CZ",
                                  target=AssignmentRule.Target.ROUND_ROBIN, target_group=group)


def _leads(rng, partners):
    for i in range(36):
        company, country, industry = COMPANIES[i % len(COMPANIES)]
        lead = lead_create(
            actor=None,
            channel="demo",
            company=company if i < len(COMPANIES) else f"{company} {i // len(COMPANIES) + 1}",
            first_name=rng.choice(FIRST),
            last_name=rng.choice(LAST),
            email=f"contact{i}@{company.split()[0].lower()}.example",
            phone=f"+420 600 {100 + i:03d} {200 + i:03d}",
            country=country,
            industry=industry,
            company_size=rng.choice(Lead.CompanySize.values),
            source=rng.choice(SOURCES),
            description="Asked for a demo of the platform and pricing for next quarter.",
        )
        if i % 3 == 2 and lead.queue_id:  # some already accepted by partner reps and being worked
            partner = partners[{"CZ": "Northwind Solutions", "PL": "Baltic Systems"}.get(country, "Iberia Tech")]
            rep = partner.users.filter(role=User.Role.PARTNER_USER, queues__isnull=True).order_by("email").first()
            rep = rep or partner.users.filter(role=User.Role.PARTNER_USER).order_by("email").first()
            try:
                lead = lead_claim(actor=rep, lead_id=lead.pk)
            except (InvalidTransition, Lead.DoesNotExist):
                continue
            lead_update(actor=rep, lead=lead, status=rng.choice([Lead.Status.WORKING, Lead.Status.QUALIFIED]))
