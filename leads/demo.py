"""Demo queues and leads for `manage.py seed_demo`."""

from accounts.models import User

from .models import Lead, Queue

QUEUES = [
    ("EMEA Inbound", "Trade-show and web leads for Central Europe.", ["Northwind Solutions", "Baltic Systems"]),
    ("Iberia Leads", "Leads from Spain and Portugal.", ["Iberia Tech"]),
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
    if not Lead.objects.exists():
        _leads(demo.rng, queues, demo.partners, demo.users)


def _leads(rng, queues, partners, users):
    emea, iberia = queues["EMEA Inbound"], queues["Iberia Leads"]
    for i in range(36):
        company, country, industry = COMPANIES[i % len(COMPANIES)]
        lead = Lead(
            company=f"{company}" if i < len(COMPANIES) else f"{company} {i // len(COMPANIES) + 1}",
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
        if i % 3 == 2:  # some already assigned to partner reps
            partner = partners["Northwind Solutions"] if country == "CZ" else partners["Baltic Systems"]
            rep = partner.users.filter(role=User.Role.PARTNER_USER).order_by("email").first()
            lead.owner, lead.partner_account = rep, partner
            lead.status = rng.choice([Lead.Status.WORKING, Lead.Status.QUALIFIED])
        else:
            lead.queue = iberia if country in ("ES", "PT") else emea
        lead.save()
