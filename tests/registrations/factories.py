"""Deal registration test data, made through the services."""

from datetime import date, timedelta

from leads.models import AssignmentRule
from leads.services import lead_create
from registrations.services import registration_submit


def registration(*, actor, **overrides):
    values = {
        "customer_name": "Contoso Industries s.r.o.",
        "customer_country": "CZ",
        "customer_duns": "987654321",
        "customer_domain": "contoso-industries.example",
        "contact_name": "Jana Nováková",
        "contact_email": "jana@contoso-industries.example",
        "products": "Managed backup\nSecurity assessment",
        "estimated_value": "48000",
        "estimated_close_date": date.today() + timedelta(days=60),
        "justification": "Met the CIO at a trade fair; a proposal is due next month.",
    }
    values.update(overrides)
    return registration_submit(actor=actor, **values)


def lead_for(partner, **fields):
    """A lead the assignment rules give to `partner` the moment it is created (as the web form or the API would)."""
    country = fields.setdefault("country", "CZ")
    AssignmentRule.objects.get_or_create(
        name=f"To {partner.name}", defaults={"order": 1, "countries": country, "target": "partner_account",
                                             "target_partner_account": partner})
    fields.setdefault("last_name", "Customer")
    return lead_create(actor=None, channel="api", **fields)
