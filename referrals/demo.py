"""Demo referrals for `manage.py seed_demo`: every tab has something, made through the services. Idempotent."""

from datetime import timedelta

from .models import Referral, Solution
from .services import (
    deal_registration_submit,
    referral_accept,
    referral_create_outbound,
    referral_decline,
    referral_expire_overdue,
    referral_favorite_toggle,
    referral_lose,
    referral_send,
    referral_stage_mark,
    referral_win,
)

WORK_STAGES = ["securing_loe", "data_collection", "preparing_report", "present_to_customer"]

# (partner, location, type, customer, city, country, need, days ago, contact requested hours ago or None, deal type)
INBOUND = [
    ("Northwind Solutions", "Prague HQ", "customer_inquiry", "Pivovar Lipno", "Lipno", "CZ",
     "Brewery wants its production planning moved to the cloud.", 1, 5, "services"),
    ("Northwind Solutions", "Prague HQ", "customer_inquiry", "Kovo Hradec", "Hradec Králové", "CZ",
     "Machine shop looking for a security review after an incident.", 4, 96, "solution_assessment"),
    ("Northwind Solutions", "Brno", "customer_inquiry", "MedTech Ostrava", "Ostrava", "CZ",
     "Clinic chain needs Microsoft 365 roll-out for 300 staff.", 13, None, "licensing"),
    ("Northwind Solutions", "Prague HQ", "marketing_qualified", "Plzeň Automotive", "Plzeň", "CZ",
     "Downloaded the data-platform whitepaper twice; asked for pricing.", 2, None, "services"),
    ("Northwind Solutions", "Prague HQ", "sales_qualified", "Škoda Parts Logistics", "Mladá Boleslav", "CZ",
     "Account team qualified a warehouse analytics project.", 6, 30, "co_sell"),
    ("Northwind Solutions", "Brno", "sales_qualified", "Brno Smart City", "Brno", "CZ",
     "City office wants a cost optimisation assessment of its Azure estate.", 12, None, "solution_assessment"),
    ("Baltic Systems", "Warsaw", "customer_inquiry", "Gdańsk Logistics", "Gdańsk", "PL",
     "Port operator needs a disaster-recovery plan.", 3, 20, "services"),
    ("Baltic Systems", "Warsaw", "marketing_qualified", "Kraków Fintech", "Kraków", "PL",
     "Webinar attendee asking about compliance tooling.", 9, None, "licensing"),
    ("Iberia Tech", "Madrid", "customer_inquiry", "Sevilla Solar", "Sevilla", "ES",
     "Solar farm operator wants IoT telemetry in the cloud.", 2, 60, "services"),
    ("Iberia Tech", "Barcelona", "sales_qualified", "Valencia Foods", "Valencia", "ES",
     "Food producer qualified for a data and AI assessment.", 5, None, "solution_assessment"),
]
# Received and left alone too long: the expiry closes them during seeding.
OVERDUE = [
    ("Northwind Solutions", "Prague HQ", "marketing_qualified", "Liberec Textiles", "Liberec", "CZ", 18),
    ("Iberia Tech", "Madrid", "customer_inquiry", "Bilbao Steelworks", "Bilbao", "ES", 16),
]
OWNERS = {"Northwind Solutions": "jana.novak@acme.example", "Baltic Systems": "jana.novak@acme.example",
          "Iberia Tech": "pablo.ruiz@acme.example"}
REPS = {"Northwind Solutions": "tomas@northwind.example", "Baltic Systems": "piotr@baltic.example",
        "Iberia Tech": "lucia@iberia.example"}


def seed(demo):
    if Referral.objects.exists():
        return
    now = demo.now
    locations = {(p.name, loc.name): loc for p in demo.partners.values() for loc in p.locations.all()}
    made = {}
    for partner, location, rtype, customer, city, country, need, days, flame_hours, deal_type in INBOUND:
        referral = referral_send(
            actor=demo.users[OWNERS[partner]], partner_account=demo.partners[partner],
            location=locations[(partner, location)], referral_type=rtype, customer_name=customer,
            customer_city=city, customer_country=country, need=need, deal_type=deal_type,
            contact_name=f"{customer} buyer", contact_email=f"buyer@{customer.split()[0].lower()}.example",
            contact_phone="+420 600 000 000", contact_requested=flame_hours is not None,
            received_at=now - timedelta(days=days),
        )
        if flame_hours is not None:  # when the customer asked, so the demo shows both flame states
            Referral.objects.filter(pk=referral.pk).update(contact_requested_at=now - timedelta(hours=flame_hours))
        made[customer] = referral
    for partner, location, rtype, customer, city, country, days in OVERDUE:
        referral_send(actor=demo.users[OWNERS[partner]], partner_account=demo.partners[partner],
                      location=locations[(partner, location)], referral_type=rtype, customer_name=customer,
                      customer_city=city, customer_country=country, contact_email="buyer@overdue.example",
                      need="Nobody answered this one in time.", received_at=now - timedelta(days=days))
    referral_expire_overdue(now=now)

    tomas, eva = demo.users["tomas@northwind.example"], demo.users["eva@northwind.example"]
    close = (now + timedelta(days=45)).date()
    accepted = referral_accept(
        actor=tomas, referral=made["Škoda Parts Logistics"], name="Warehouse analytics pilot",
        estimated_value="64000", estimated_close_date=close, notes="Pilot in one warehouse, then roll-out.",
        crm_id="NW-2231", campaign_id="FY26-DATA",
    )
    referral_stage_mark(actor=tomas, referral=accepted, stage="securing_loe")
    won = referral_accept(actor=eva, referral=made["Brno Smart City"], name="Brno Azure cost review",
                          estimated_value="18000", estimated_close_date=close, notes="Quick win before budget.")
    _all_stages_and_win(eva, won)
    lost = referral_accept(actor=demo.users["piotr@baltic.example"], referral=made["Kraków Fintech"],
                           name="Compliance tooling", estimated_value="9000", estimated_close_date=close,
                           notes="Compared with a local vendor.")
    referral_lose(actor=demo.users["piotr@baltic.example"], referral=lost, reason="Chose a cheaper local tool")
    referral_decline(actor=demo.users["lucia@iberia.example"], referral=made["Sevilla Solar"],
                     reason="requirement_not_met", notes="We do not do IoT hardware.")

    # Outbound solution assessments at various stages, and a co-sell deal.
    for partner, customer, duns, assessment, stages, win in [
        ("Northwind Solutions", "Kovo Hradec", "496012345", "security", 0, False),
        ("Northwind Solutions", "Pivovar Lipno", "496054321", "data_ai", 2, False),
        ("Northwind Solutions", "MedTech Ostrava", "496099887", "modern_work", 4, False),
        ("Northwind Solutions", "Plzeň Automotive", "496011122", "cloud_migration", 4, True),
        ("Iberia Tech", "Valencia Foods", "461234567", "cost_optimisation", 1, False),
    ]:
        rep = demo.users[REPS[partner]]
        deal = _outbound(demo, rep, locations, partner, customer, duns, [
            {"kind": Solution.Kind.SOLUTION_ASSESSMENT, "assessment_type": assessment}],
            name=f"{customer} {Solution.AssessmentType(assessment).label.lower()}")
        for stage in WORK_STAGES[:stages]:
            referral_stage_mark(actor=rep, referral=deal, stage=stage)
        if win:
            referral_win(actor=rep, referral=deal)
            deal_registration_submit(actor=rep, referral=deal, contract_value="21000",
                                     contract_signed_on=now.date(), customer_po="PO-88120",
                                     details="Signed statement of work for a four-week migration assessment.")
    _outbound(demo, demo.users["marta@baltic.example"], locations, "Baltic Systems", "Poznań Pharma", "538765432",
              [{"kind": Solution.Kind.PRODUCT, "name": "Managed backup and recovery"}],
              name="Poznań Pharma managed backup")

    for customer in ("Pivovar Lipno", "Plzeň Automotive"):
        referral_favorite_toggle(user=tomas, referral=made[customer])


def _all_stages_and_win(actor, referral):
    for stage in WORK_STAGES:
        referral_stage_mark(actor=actor, referral=referral, stage=stage)
    return referral_win(actor=actor, referral=referral)


def _outbound(demo, rep, locations, partner, customer, duns, solutions, *, name):
    location = rep.location or next(loc for (p, _), loc in locations.items() if p == partner)
    return referral_create_outbound(
        actor=rep, location=location, customer_name=customer, customer_duns=duns,
        customer_country=demo.partners[partner].country, contact_name="Head of IT",
        contact_phone="+420 222 333 444", contact_email=f"it@{customer.split()[0].lower()}.example",
        contact_consent=True, name=name, estimated_value="21000",
        estimated_close_date=(demo.now + timedelta(days=60)).date(),
        notes="Customer agreed to a kickoff workshop.", team_members=[
            {"name": str(rep), "phone": rep.phone or "+420 600 111 222", "email": rep.email}],
        solutions=solutions, consent=True,
    )
