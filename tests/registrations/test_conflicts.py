"""Conflict detection (H4): each duplicate key matches; a partner learns only "under review" — never who else —
on the page, in its emails and through the API; a protected registration refuses another partner's record."""

import pytest
from django.core import mail
from django.urls import reverse

from leads.models import Lead
from opportunities.services import opportunity_create
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.models import ActivityEvent
from prm_portal.core.outbox import outbox_relay
from registrations.keys import customer_keys, normalise_domain, normalise_name
from registrations.models import Conflict, Registration
from registrations.services import conflict_resolve, registration_review
from tests.factories import PartnerUserFactory
from tests.referrals.factories import outbound

from .factories import lead_for, registration

pytestmark = pytest.mark.django_db

ALPHA_WORDS = ("Alpha", "alpha.example", "Adam", "Ada ")


def _no_alpha(text):
    leaked = [word for word in ALPHA_WORDS if word in text]
    assert not leaked, f"partner A leaked: {leaked}"


def _base(**overrides):
    """A registration of partner A's with only the keys a test names."""
    values = {"customer_name": "Zzz Unrelated Holding", "customer_country": "DE", "customer_duns": "",
              "customer_domain": "", "contact_email": ""}
    values.update(overrides)
    return values


# --- normalisation ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("left", "right"), [
    ("Škoda Transportation a.s.", "SKODA TRANSPORTATION, A.S."),
    ("Contoso s.r.o.", "Contoso"),
    ("Contoso spol. s r.o.", "contoso"),
    ("Müller & Söhne GmbH", "Muller and Sohne"),
    ("Fabrikam Sp. z o.o.", "Fabrikam"),
    ("Telefónica, S.A.", "Telefonica"),
    ("Northwind Traders Ltd.", "Northwind-Traders Limited"),
])
def test_same_company_names_normalise_alike(left, right):
    assert normalise_name(left) == normalise_name(right) != ""


def test_different_companies_stay_apart():
    assert normalise_name("Contoso Bank") != normalise_name("Contoso")


def test_domains_normalise_from_addresses_and_urls():
    assert normalise_domain("https://www.Contoso.com/about") == "contoso.com"
    assert normalise_domain("contoso.com") == "contoso.com"
    assert normalise_domain("not a domain") == ""


def test_public_mail_domains_make_no_domain_key():
    keys = customer_keys(emails=["someone@gmail.com"], domains=["https://outlook.com"])
    assert "domain:gmail.com" not in keys and "domain:outlook.com" not in keys
    assert "email:someone@gmail.com" in keys


# --- each key matches -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "kind"), [
    (_base(customer_duns="123-456-789"), _base(customer_name="Other name", customer_duns="123456789"), "duns"),
    (_base(customer_name="Škoda Transportation a.s.", customer_country="CZ"),
     _base(customer_name="SKODA transportation", customer_country="cz"), "name"),
    (_base(contact_email="Jana@Contoso.example"), _base(customer_name="Other", contact_email="jana@contoso.example"),
     "email"),
    (_base(customer_domain="https://www.contoso.example/"),
     _base(customer_name="Other", contact_email="petr@contoso.example"), "domain"),
])
def test_each_duplicate_key_opens_a_conflict(cast, first, second, kind):
    a = registration(actor=cast.partner_a_user, **first)
    b = registration(actor=cast.partner_b_user, **second)
    conflict = Conflict.objects.get()
    assert (conflict.first, conflict.second) == (a, b)
    assert kind in {item["kind"] for item in conflict.evidence}
    assert (conflict.first_partner, conflict.second_partner) == (cast.partner_a, cast.partner_b)


def test_a_shared_public_mail_domain_is_no_conflict(cast):
    registration(actor=cast.partner_a_user, **_base(contact_email="one@gmail.com"))
    registration(actor=cast.partner_b_user, **_base(customer_name="Other", contact_email="two@gmail.com"))
    assert not Conflict.objects.exists()


def test_the_same_partner_registering_twice_is_no_conflict(cast):
    registration(actor=cast.partner_a_user)
    registration(actor=cast.partner_a_admin)
    assert not Conflict.objects.exists()


def test_a_closed_record_is_no_conflict(cast):
    first = registration(actor=cast.partner_a_user)
    Registration.objects.filter(pk=first.pk).update(status=Registration.Status.REJECTED)
    registration(actor=cast.partner_b_user)
    assert not Conflict.objects.exists()


def test_a_lead_an_opportunity_and_an_outbound_deal_are_checked_too(cast):
    registration(actor=cast.partner_a_user, customer_name="Fabrikam a.s.", customer_duns="123456789")
    deal = outbound(actor=cast.partner_b_user)  # Fabrikam a.s., DUNS 123456789, CZ
    lead = lead_for(cast.partner_b, company="FABRIKAM", email="x@fabrikam.example")
    opportunity = opportunity_create(actor=cast.partner_b_user, name="Fabrikam backup", owner=cast.partner_b_user,
                                     partner_account=cast.partner_b, customer_name="Fabrikam, a.s.", country="CZ")
    seconds = {c.second for c in Conflict.objects.all()}
    assert {deal, lead, opportunity} <= seconds


# --- what the other partner learns ---------------------------------------------------------------------------------


def test_a_colliding_lead_shows_under_review_without_the_other_partner(cast, client):
    registration(actor=cast.partner_a_user)
    lead = lead_for(cast.partner_b, company="Contoso Industries", email="buyer@contoso-industries.example")
    assert lead.partner_account == cast.partner_b
    owner = PartnerUserFactory(partner_account=cast.partner_b, email="owner@beta.example")
    Lead.objects.filter(pk=lead.pk).update(owner=owner)
    client.force_login(owner)
    html = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert "under review" in html
    _no_alpha(html)


def test_a_colliding_registration_is_under_review_and_its_emails_name_nobody(cast, client, mailoutbox,
                                                                            django_capture_on_commit_callbacks):
    registration(actor=cast.partner_a_user)
    client.force_login(cast.partner_b_user)
    data = {"customer_name": "CONTOSO INDUSTRIES", "customer_country": "CZ", "contact_name": "Petr Kupec",
            "products": "Backup", "estimated_value": "1000", "currency": "EUR",
            "estimated_close_date": "2030-01-31", "justification": "Cold call."}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("registrations:new"), data, follow=True)
    html = response.content.decode()
    assert "This customer is under review by the channel team." in html
    _no_alpha(html)
    mine = Registration.objects.get(partner_account=cast.partner_b)
    assert Conflict.objects.filter(second_object_id=mine.pk).exists()
    outbox_relay()
    to_b = [m for m in mail.outbox if cast.partner_b_user.email in m.to]
    assert to_b and any("under review" in m.body for m in to_b)
    for message in to_b:
        _no_alpha(message.subject + message.body + "".join(str(a[0]) for a in message.alternatives))
    api = client.get(f"/api/registrations/{mine.pk}/").json()
    assert api["under_review"] is True
    _no_alpha(str(api))


def _protected(cast):
    first = registration(actor=cast.partner_a_user)
    return registration_review(actor=cast.channel_manager, registration=first, decision="approve")


def test_another_partners_record_colliding_with_a_protected_registration_is_refused(cast):
    _protected(cast)
    with pytest.raises(InvalidTransition) as refused:
        registration(actor=cast.partner_b_user, customer_name="Other", customer_duns="987654321")
    assert str(refused.value) == "This customer is under review by the channel team."
    with pytest.raises(InvalidTransition):
        outbound(actor=cast.partner_b_user, customer_name="Contoso Industries", customer_duns="",
                 customer_country="CZ")
    assert not Registration.objects.filter(partner_account=cast.partner_b).exists()


def test_the_refusal_leaks_nothing_on_the_page_or_the_api(cast, client):
    _protected(cast)
    client.force_login(cast.partner_b_user)
    data = {"customer_name": "Contoso Industries", "customer_country": "CZ", "contact_name": "Petr Kupec",
            "products": "Backup", "estimated_value": "1000", "currency": "EUR",
            "estimated_close_date": "2030-01-31", "justification": "Cold call."}
    page = client.post(reverse("registrations:new"), data)
    assert page.status_code == 400
    html = page.content.decode()
    assert "This customer is under review by the channel team." in html
    _no_alpha(html)
    api = client.post("/api/registrations/", data, content_type="application/json")
    assert api.status_code == 409
    assert api.json()["detail"] == "This customer is under review by the channel team."
    _no_alpha(api.content.decode())
    assert not Registration.objects.filter(partner_account=cast.partner_b).exists()


def test_a_lead_handed_to_another_partner_is_not_refused_but_reviewed(cast):
    _protected(cast)
    lead = lead_for(cast.partner_b, company="Contoso Industries", email="buyer@contoso-industries.example")
    assert Conflict.objects.filter(second_object_id=lead.pk, status="open").exists()


# --- the channel manager decides -----------------------------------------------------------------------------------


def test_approval_waits_for_the_conflict_then_both_proceed(cast):
    registration(actor=cast.partner_a_user)
    second = registration(actor=cast.partner_b_user)
    with pytest.raises(InvalidTransition):
        registration_review(actor=cast.other_channel_manager, registration=second, decision="approve")
    conflict = Conflict.objects.get()
    conflict_resolve(actor=cast.other_channel_manager, conflict=conflict, decision="both_proceed")
    approved = registration_review(actor=cast.other_channel_manager, registration=second, decision="approve")
    assert approved.status == Registration.Status.APPROVED


def test_first_keeps_protection_rejects_the_second_registration_in_neutral_words(cast):
    registration(actor=cast.partner_a_user)
    second = registration(actor=cast.partner_b_user)
    conflict_resolve(actor=cast.channel_manager, conflict=Conflict.objects.get(), decision="first_keeps",
                     note="Alpha found it first.")
    second.refresh_from_db()
    assert second.status == Registration.Status.REJECTED
    _no_alpha(second.review_comment)
    events = ActivityEvent.objects.filter(object_id=second.pk, verb="conflict.review_finished")
    assert events.count() == 1 and "note" not in events.get().data


def test_merge_closes_the_second_registration_into_the_first(cast):
    first = registration(actor=cast.partner_a_user)
    second = registration(actor=cast.partner_b_user)
    conflict_resolve(actor=cast.channel_manager, conflict=Conflict.objects.get(), decision="merge")
    second.refresh_from_db()
    assert second.status == Registration.Status.CLOSED and second.merged_into == first


def test_a_manager_of_neither_partner_cannot_see_or_decide(cast, client):
    from accounts.models import PartnerAccount, User
    from tests.factories import UserFactory

    registration(actor=cast.partner_a_user)
    registration(actor=cast.partner_b_user)
    conflict = Conflict.objects.get()
    stranger = UserFactory(email="cm9@vendor.example", role=User.Role.CHANNEL_MANAGER)
    PartnerAccount.objects.filter(owner=stranger).delete()
    client.force_login(stranger)
    assert client.get(reverse("registrations:conflict_detail", args=[conflict.pk])).status_code == 404
    with pytest.raises(InvalidTransition):
        conflict_resolve(actor=stranger, conflict=conflict, decision="merge")


def test_the_vendor_view_lists_open_conflicts_oldest_first(cast, client):
    from datetime import timedelta

    from django.utils import timezone

    registration(actor=cast.partner_a_user)
    registration(actor=cast.partner_b_user)
    registration(actor=cast.partner_a_user, customer_name="Second Co", customer_duns="111111111",
                 customer_domain="", contact_email="")
    registration(actor=cast.partner_b_user, customer_name="Second Co", customer_duns="111111111",
                 customer_domain="", contact_email="")
    older, newer = Conflict.objects.order_by("id")
    Conflict.objects.filter(pk=newer.pk).update(created_at=timezone.now() - timedelta(days=5))
    client.force_login(cast.vendor_admin)
    html = client.get(reverse("registrations:conflicts")).content.decode()
    assert html.index(f"/registrations/conflicts/{newer.pk}/") < html.index(f"/registrations/conflicts/{older.pk}/")


def test_a_lead_cannot_be_merged_into_another_partners_registration(cast):
    registration(actor=cast.partner_a_user)
    lead_for(cast.partner_b, company="Contoso Industries", email="buyer@contoso-industries.example")
    conflict = Conflict.objects.get()
    with pytest.raises(InvalidTransition):
        conflict_resolve(actor=cast.channel_manager, conflict=conflict, decision="merge")
    conflict_resolve(actor=cast.channel_manager, conflict=conflict, decision="first_keeps")
    conflict.refresh_from_db()
    assert conflict.status == Conflict.Status.RESOLVED
