"""A believable demo: vendor staff, three partners with admins and users, queues and leads. Idempotent."""

import importlib
import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import BusinessProfile, Contact, PartnerAccount, PartnerLocation, PortalSettings, User
from accounts.services import contact_create, prm_enable

DEMO_PASSWORD = "demo-Password-2026"

VENDOR = [
    ("admin@acme.example", "Alex", "Admin", User.Role.VENDOR_ADMIN),
    ("jana.novak@acme.example", "Jana", "Nováková", User.Role.CHANNEL_MANAGER),
    ("pablo.ruiz@acme.example", "Pablo", "Ruiz", User.Role.CHANNEL_MANAGER),
]

PARTNERS = [
    {
        "name": "Northwind Solutions",
        "owner": "jana.novak@acme.example",
        "country": "CZ",
        "industry": "IT services",
        "locations": [("Prague HQ", "Prague", "CZ"), ("Brno", "Brno", "CZ")],
        "people": [
            ("petra@northwind.example", "Petra", "Dvořák", User.Role.PARTNER_ADMIN, None),
            ("tomas@northwind.example", "Tomáš", "Svoboda", User.Role.PARTNER_USER, None),
            ("eva@northwind.example", "Eva", "Černá", User.Role.PARTNER_USER, "Brno"),
        ],
    },
    {
        "name": "Baltic Systems",
        "owner": "jana.novak@acme.example",
        "country": "PL",
        "industry": "Manufacturing software",
        "locations": [("Warsaw", "Warsaw", "PL")],
        "people": [
            ("marta@baltic.example", "Marta", "Kowalska", User.Role.PARTNER_ADMIN, None),
            ("piotr@baltic.example", "Piotr", "Nowak", User.Role.PARTNER_USER, None),
        ],
    },
    {
        "name": "Iberia Tech",
        "owner": "pablo.ruiz@acme.example",
        "country": "ES",
        "industry": "Cloud consulting",
        "locations": [("Madrid", "Madrid", "ES"), ("Barcelona", "Barcelona", "ES")],
        "people": [
            ("lucia@iberia.example", "Lucía", "García", User.Role.PARTNER_ADMIN, None),
            ("diego@iberia.example", "Diego", "Martín", User.Role.PARTNER_USER, "Madrid"),
        ],
    },
]

# What each partner sells and to whom (B8): referral matching (E13) and assignment rules (C9) read it.
PROFILES = {
    "Northwind Solutions": (["erp", "cloud migration", "crm"], ["10-49", "50-249"], ["Manufacturing", "Retail"]),
    "Baltic Systems": (["mes", "manufacturing software", "iot"], ["50-249", "250-999"], ["Manufacturing"]),
    "Iberia Tech": (["cloud", "aws", "data platform"], ["250-999", "1000+"], ["Finance", "Retail"]),
}
LOCATION_CONTACTS = {"Prague HQ": ("Petra Dvořák", "+420 220 000 100"), "Brno": ("Eva Černá", "+420 530 000 200"),
                     "Warsaw": ("Marta Kowalska", "+48 22 000 0300"), "Madrid": ("Lucía García", "+34 910 000 400"),
                     "Barcelona": ("Jordi Puig", "+34 930 000 500")}

# Contacts not yet enabled as partner users: the channel manager can walk seed 001's "Enable partner user".
NEW_CONTACTS = {
    "Northwind Solutions": [("Karel", "Malý", "karel@northwind.example", "Presales engineer")],
    "Baltic Systems": [("Zofia", "Wiśniewska", "", "Marketing")],
}

# Each app adds its demo records in `<app>/demo.py: seed(demo)`, in this order.
DEMO_MODULES = ["leads.demo", "opportunities.demo", "referrals.demo"]


@dataclass
class DemoContext:
    """What the per-app demo seeders share: a seeded random generator, the users and partners by key."""

    rng: random.Random
    now: object
    users: dict  # email -> User
    partners: dict  # name -> PartnerAccount
    extra: dict = field(default_factory=dict)


VENDOR_STAFF_PERMS = {
    "accounts": ["partneraccount", "partnerlocation", "contact", "user"],
    "leads": ["lead", "queue"],
    "opportunities": ["opportunity", "customeraccount", "customercontact"],
}


class Command(BaseCommand):
    help = "Create or refresh the demo data and print the logins."

    @transaction.atomic
    def handle(self, *args, **options):
        rng = random.Random(2026)  # the same demo every time
        now = timezone.now()
        staff_group = self._channel_manager_group()
        users = {}
        for email, first, last, role in VENDOR:
            user = self._user(email, first, last, role, None, None, now)
            user.is_staff = True
            user.is_superuser = role == User.Role.VENDOR_ADMIN
            user.save(update_fields=["is_staff", "is_superuser"])
            if role == User.Role.CHANNEL_MANAGER:
                user.groups.add(staff_group)
            users[email] = user

        settings_row = PortalSettings.load()
        if not settings_row.prm_enabled:
            prm_enable(actor=users["admin@acme.example"])

        partners = {}
        for spec in PARTNERS:
            partner, _ = PartnerAccount.objects.get_or_create(
                name=spec["name"],
                defaults={
                    "owner": users[spec["owner"]],
                    "country": spec["country"],
                    "industry": spec["industry"],
                    "is_partner": True,
                    "partner_enabled_at": now,
                },
            )
            partners[partner.name] = partner
            locations = {}
            for name, city, country in spec["locations"]:
                contact_name, phone = LOCATION_CONTACTS.get(name, ("", ""))
                locations[name], _ = PartnerLocation.objects.get_or_create(
                    partner_account=partner, name=name,
                    defaults={"city": city, "country": country, "contact_name": contact_name, "phone": phone,
                              "email": f"{city.lower()}@{spec['people'][0][0].split('@')[1]}"},
                )
            keywords, sizes, industries = PROFILES.get(partner.name, ([], [], []))
            BusinessProfile.objects.get_or_create(
                partner_account=partner,
                defaults={"keywords": keywords, "company_sizes": sizes, "industries": industries,
                          # shown in the public partner finder (/find/)
                          "listed": bool(keywords), "public_slug": slugify(partner.name) if keywords else None,
                          "public_description": f"{partner.name}: {', '.join(keywords)}." if keywords else ""},
            )
            for email, first, last, role, location in spec["people"]:
                user = self._user(email, first, last, role, partner, locations.get(location), now)
                users[email] = user
                Contact.objects.get_or_create(
                    partner_account=partner,
                    email=email,
                    defaults={"first_name": first, "last_name": last, "user": user,
                              "location": locations.get(location)},
                )

        for name, people in NEW_CONTACTS.items():
            partner = partners[name]
            for first, last, email, title in people:
                if not Contact.objects.filter(partner_account=partner, first_name=first, last_name=last).exists():
                    contact_create(actor=partner.owner, partner_account=partner, first_name=first, last_name=last,
                                   email=email, title=title)

        demo = DemoContext(rng=rng, now=now, users=users, partners=partners)
        for module in DEMO_MODULES:
            importlib.import_module(module).seed(demo)

        lines = [f"Demo ready. Password for every demo login: {DEMO_PASSWORD}"]
        for email, user in users.items():
            where = f" — {user.partner_account}" if user.partner_account_id else ""
            lines.append(f"  {email:32} {user.get_role_display()}{where}")
        return "\n".join(lines)

    def _user(self, email, first, last, role, partner, location, now):
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"first_name": first, "last_name": last, "role": role, "partner_account": partner,
                      "location": location, "last_login": now - timedelta(days=1)},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    def _channel_manager_group(self):
        group, _ = Group.objects.get_or_create(name="channel_manager")
        perms = Permission.objects.filter(
            content_type__app_label__in=VENDOR_STAFF_PERMS.keys(),
        )
        wanted = [p for p in perms if p.content_type.model in VENDOR_STAFF_PERMS[p.content_type.app_label]]
        group.permissions.add(*wanted)
        return group
