from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals.models import Referral
from referrals.selectors import partner_match_for_inquiry, referral_list_visible_to
from referrals.services import referral_favorite_toggle
from tests.factories import PartnerAccountFactory, PartnerLocationFactory

from .factories import accepted, inbound, outbound

pytestmark = pytest.mark.django_db


def test_outsider_gets_404_for_another_partners_referral(cast, login_as):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    client = login_as(cast.partner_b_user)
    assert client.get(reverse("referrals:detail", kwargs={"pk": referral.pk})).status_code == 404
    response = client.post(reverse("referrals:accept", kwargs={"pk": referral.pk}), {
        "accept-name": "Steal", "accept-estimated_value": "1", "accept-estimated_close_date": "2026-12-01",
        "accept-notes": "x"})
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED


def test_location_scoped_user_sees_only_their_locations_referrals_they_are_on(cast, prague, brno, brno_user):
    at_brno = inbound(actor=cast.channel_manager, partner=cast.partner_a, location=brno, customer_name="Brno Co")
    at_prague = inbound(actor=cast.channel_manager, partner=cast.partner_a, location=prague, customer_name="Prg Co")
    at_brno.team_members.filter(user=brno_user).delete()
    not_on_team = at_brno
    on_team = inbound(actor=cast.channel_manager, partner=cast.partner_a, location=brno, customer_name="Brno 2")
    assert list(referral_list_visible_to(user=brno_user)) == [on_team]
    assert set(referral_list_visible_to(user=cast.partner_a_admin)) == {not_on_team, at_prague, on_team}
    assert set(referral_list_visible_to(user=cast.partner_a_user)) == {not_on_team, at_prague, on_team}
    assert not referral_list_visible_to(user=cast.partner_b_user).exists()
    assert not referral_list_visible_to(user=cast.other_channel_manager).exists()


def test_scoped_user_gets_404_for_a_referral_they_are_not_on(cast, brno, brno_user, login_as):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a, customer_name="Prague only")
    assert login_as(brno_user).get(reverse("referrals:detail", kwargs={"pk": referral.pk})).status_code == 404


def test_tabs_sort_referrals_by_type_direction_and_status(cast, login_as):
    inquiry = inbound(actor=cast.channel_manager, partner=cast.partner_a, customer_name="Inquiry Co",
                      referral_type=Referral.Type.CUSTOMER_INQUIRY)
    qualified = inbound(actor=cast.channel_manager, partner=cast.partner_a, customer_name="Qualified Co",
                        referral_type=Referral.Type.MARKETING_QUALIFIED)
    deal = outbound(actor=cast.partner_a_user, customer_name="Outbound Co")
    closed = inbound(actor=cast.channel_manager, partner=cast.partner_a, customer_name="Closed Co")
    from referrals.services import referral_decline

    referral_decline(actor=cast.partner_a_user, referral=closed, reason="spam")
    referral_favorite_toggle(user=cast.partner_a_user, referral=qualified)
    client = login_as(cast.partner_a_user)

    def names(tab, **params):
        response = client.get(reverse("referrals:list"), {"tab": tab, **params})
        return {r.customer_name for r in response.context["page"].object_list}

    assert names("marketplace") == {inquiry.customer_name}
    assert names("qualified") == {qualified.customer_name}
    assert names("outbound") == {deal.customer_name}
    assert names("closed") == {closed.customer_name}
    assert names("favorites") == {qualified.customer_name}
    assert names("outbound", deal_type="solution_assessment") == {deal.customer_name}
    assert names("outbound", deal_type="services") == set()
    assert names("closed", status="declined") == {closed.customer_name}
    response = client.get(reverse("referrals:list"), {"tab": "outbound"})
    assert "Solution assessment" in response.content.decode()


def test_flame_is_hot_first_and_later_after_72_hours(cast, login_as):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a, contact_requested=True)
    client = login_as(cast.partner_a_user)
    url = reverse("referrals:detail", kwargs={"pk": referral.pk})
    assert "flame-alert-hot" in client.get(url).content.decode()
    Referral.objects.filter(pk=referral.pk).update(contact_requested_at=timezone.now() - timedelta(hours=73))
    page = client.get(url).content.decode()
    assert "flame-alert-later" in page and "flame-alert-hot" not in page
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED


def test_accept_form_errors_show_and_nothing_changes(cast, login_as):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    response = login_as(cast.partner_a_user).post(reverse("referrals:accept", kwargs={"pk": referral.pk}),
                                                  {"accept-name": "Only a name"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED


def test_invalid_transition_shows_a_message_where_the_user_is(cast, login_as):
    referral = accepted(actor=cast.partner_a_user, referral=inbound(actor=cast.channel_manager,
                                                                     partner=cast.partner_a))
    client = login_as(cast.partner_a_user)
    response = client.post(reverse("referrals:decline", kwargs={"pk": referral.pk}), {"decline-reason": "spam"},
                           follow=True)
    assert "it cannot be declined" in response.content.decode()


def test_matching_ranks_partners_by_profile_best_first(cast):
    from accounts.models import BusinessProfile

    PartnerLocationFactory(partner_account=cast.partner_a, name="Prague", city="Prague", country="CZ")
    PartnerLocationFactory(partner_account=cast.partner_b, name="Warsaw", city="Warsaw", country="PL")
    BusinessProfile.objects.create(partner_account=cast.partner_a, keywords=["erp"], company_sizes=["50-249"])
    BusinessProfile.objects.create(partner_account=cast.partner_b, keywords=["erp", "cloud", "migration"])
    no_match = PartnerAccountFactory(name="Nobody")
    PartnerLocationFactory(partner_account=no_match, city="Lisbon", country="PT")
    ranked = partner_match_for_inquiry(keywords=["ERP"], need="cloud migration", company_size="50-249",
                                       city="Prague", country="CZ")
    assert [m["partner"].name for m in ranked] == ["Beta Resellers", "Alpha Partners"]
    assert ranked[0]["score"] == 9 and ranked[1]["score"] == 3 + 2 + 2


def test_vendor_sends_to_best_match_from_the_send_page(cast, login_as):
    from accounts.models import BusinessProfile

    PartnerLocationFactory(partner_account=cast.partner_a, name="Prague", city="Prague", country="CZ")
    BusinessProfile.objects.create(partner_account=cast.partner_a, keywords=["erp"])
    response = login_as(cast.vendor_admin).post(reverse("referrals:send"), {
        "referral_type": "customer_inquiry", "customer_name": "Tailspin", "need": "An ERP", "customer_city": "Prague",
        "contact_email": "buyer@tailspin.example", "contact_requested": "on", "send": "1"})
    referral = Referral.objects.get(customer_name="Tailspin")
    assert response.status_code == 302 and referral.partner_account == cast.partner_a
    assert referral.sender_email == "buyer@tailspin.example" and referral.contact_requested_at


def test_customer_suggestions_come_from_visible_referrals_only(cast, login_as):
    outbound(actor=cast.partner_a_user, customer_name="Fabrikam a.s.", customer_duns="111111111")
    b_location = PartnerLocationFactory(partner_account=cast.partner_b)
    outbound(actor=cast.partner_b_user, location=b_location, customer_name="Fabrikam GmbH",
             customer_duns="222222222", team_members=[{"name": "B", "phone": "1", "email": "b@beta.example"}])
    data = login_as(cast.partner_a_user).get(reverse("referrals:customers"), {"q": "fabri"}).json()
    assert [r["customer_duns"] for r in data["results"]] == ["111111111"]


def test_favorite_toggle_never_redirects_off_site(cast, login_as):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    client = login_as(cast.partner_a_user)
    response = client.post(reverse("referrals:favorite", kwargs={"pk": referral.pk}),
                           {"next": "https://evil.example/"})
    assert response["Location"] == reverse("referrals:detail", kwargs={"pk": referral.pk})
    response = client.post(reverse("referrals:favorite", kwargs={"pk": referral.pk}),
                           {"next": "/referrals/?tab=favorites"})
    assert response["Location"] == "/referrals/?tab=favorites"


def test_declined_inquiry_is_offered_to_the_next_best_partner_once(cast, login_as):
    from accounts.models import BusinessProfile

    PartnerLocationFactory(partner_account=cast.partner_b, name="Brno B", city="Brno", country="CZ")
    BusinessProfile.objects.create(partner_account=cast.partner_a, keywords=["erp", "cloud"])
    BusinessProfile.objects.create(partner_account=cast.partner_b, keywords=["erp"])
    first = inbound(actor=cast.vendor_admin, partner=cast.partner_a, need="ERP in the cloud",
                    referral_type=Referral.Type.CUSTOMER_INQUIRY, customer_city="Brno")
    from referrals.services import referral_decline

    referral_decline(actor=cast.partner_a_user, referral=first, reason="timeline_too_short")
    client = login_as(cast.vendor_admin)
    response = client.post(reverse("referrals:offer_next", kwargs={"pk": first.pk}))
    second = Referral.objects.exclude(pk=first.pk).get()
    assert response["Location"] == reverse("referrals:detail", kwargs={"pk": second.pk})
    assert second.partner_account == cast.partner_b and second.inquiry == first.inquiry
    assert second.status == Referral.Status.RECEIVED and second.sender_email == first.sender_email
    referral_decline(actor=cast.partner_b_user, referral=second, reason="no_budget")
    response = client.post(reverse("referrals:offer_next", kwargs={"pk": second.pk}), follow=True)
    assert "No other partner" in response.content.decode()
    assert Referral.objects.count() == 2
