"""The public partner finder's pages: no sign-in, listed partners only, nothing internal, abuse refused."""

import pytest
from django.urls import reverse

from accounts.models import BusinessProfile
from finder.forms import finder_form_token
from finder.models import FinderInquiry
from referrals.models import Referral

CAST_ROLES = ("partner_a_user", "partner_a_admin", "partner_b_user", "channel_manager", "other_channel_manager",
              "vendor_admin", "granted_channel_manager", "read_only_partner")


def _form(**extra):
    return {"need": "We need a cloud migration.", "company": "Kovo Hradec", "contact_name": "Jana Nová",
            "email": "jana@customer.example", "phone": "+420 777 000 111", "city": "Prague", "country": "CZ",
            "contact_requested": "on", "consent": "on", "website": "", "token": finder_form_token(), **extra}


def _partner_url(slug):
    return reverse("finder:partner", kwargs={"slug": slug})


def test_search_without_sign_in_lists_listed_partners_only(client, finder_world):
    page = client.get(reverse("finder:search")).content.decode()
    assert "Alpha Partners" in page and "Beta Resellers" in page
    assert "Hidden Experts" not in page and "hidden-experts" not in page


def test_search_ranks_by_the_vendors_matching(client, finder_world):
    page = client.get(reverse("finder:search"), {"q": "ERP and a cloud migration", "city": "Brno"}).content.decode()
    results = page.split('id="results-h"')[1]
    assert results.index("Alpha Partners") < results.index("Beta Resellers")
    assert reverse("finder:inquiry") + "?" in results  # send to the best matching partners


def test_pages_show_nothing_internal(client, finder_world):
    for url in (reverse("finder:search"), _partner_url("alpha-partners")):
        page = client.get(url, {"q": "cloud migration"}).content.decode()
        for secret in ("INTERNAL NOTE", "Internal Contact", "office@alpha-partners.example", "+420 111 222 333",
                       "cm@vendor.example", "admin@alpha.example"):
            assert secret not in page, (url, secret)
    page = client.get(_partner_url("alpha-partners")).content.decode()
    assert "Cloud migrations for Czech manufacturers." in page and "Prague, CZ" in page


@pytest.mark.parametrize("role", ("anonymous", *CAST_ROLES))
def test_unlisted_partners_page_answers_404_to_everyone(role, client, cast, finder_world, request):
    if role == "read_only_partner":
        client.force_login(request.getfixturevalue("read_only_partner"))
    elif role != "anonymous":
        client.force_login(getattr(cast, role))
    assert client.get(_partner_url("hidden-experts")).status_code == 404
    assert client.get(_partner_url("no-such-partner")).status_code == 404
    assert client.post(_partner_url("hidden-experts"), _form()).status_code == 404
    assert client.get(_partner_url("alpha-partners")).status_code == 200


def test_partner_switching_listing_off_takes_its_page_down(client, cast, finder_world):
    BusinessProfile.objects.filter(partner_account=cast.partner_a).update(listed=False)
    assert client.get(_partner_url("alpha-partners")).status_code == 404


def test_sending_the_form_creates_the_inquiry_and_thanks_the_customer(client, cast, finder_world):
    response = client.post(_partner_url("alpha-partners"), _form())
    assert response.status_code == 302 and response["Location"] == reverse("finder:thanks")
    referral = Referral.objects.get()
    assert referral.partner_account == cast.partner_a and referral.contact_requested_at is not None
    assert "on its way" in client.get(response["Location"]).content.decode()


def test_best_matching_partners_form_offers_the_best_listed_match(client, cast, finder_world):
    response = client.post(reverse("finder:inquiry"), _form(need="ERP and a cloud migration"))
    assert response.status_code == 302
    assert Referral.objects.get().partner_account == cast.partner_a
    assert FinderInquiry.objects.get().chosen_partner is None


def test_search_criteria_prefill_the_inquiry_form(client, finder_world):
    page = client.get(reverse("finder:inquiry"), {"q": "cloud migration", "city": "Brno"}).content.decode()
    assert "cloud migration</textarea>" in page and 'value="Brno"' in page


def test_honeypot_filled_in_is_thanked_and_nothing_is_sent(client, finder_world):
    response = client.post(_partner_url("alpha-partners"), _form(website="http://spam.example"))
    assert response.status_code == 302 and response["Location"] == reverse("finder:thanks")
    assert not Referral.objects.exists() and not FinderInquiry.objects.exists()


def test_a_form_sent_faster_than_a_person_types_is_refused(client, finder_world, settings):
    settings.FINDER_FORM_MIN_SECONDS = 60
    response = client.post(_partner_url("alpha-partners"), _form())
    assert response.status_code == 200 and "That was quick!" in response.content.decode()
    assert not Referral.objects.exists()


def test_a_forged_token_is_refused_and_a_fresh_one_given(client, finder_world):
    response = client.post(_partner_url("alpha-partners"), _form(token="forged:token"))
    page = response.content.decode()
    assert "Please send the form again." in page and 'value="forged:token"' not in page
    assert not Referral.objects.exists()


@pytest.mark.parametrize(("field", "length"), [("need", 2001), ("company", 201), ("contact_name", 201),
                                               ("city", 121), ("phone", 41)])
def test_over_long_fields_are_refused(client, finder_world, field, length):
    response = client.post(_partner_url("alpha-partners"), _form(**{field: "7" * length}))
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Referral.objects.exists()


def test_consent_is_required(client, finder_world):
    data = _form()
    del data["consent"]
    response = client.post(_partner_url("alpha-partners"), data)
    assert response.status_code == 200 and not Referral.objects.exists()


def test_rate_limited_visitor_sees_the_refusal_with_429(client, finder_world, settings):
    settings.FINDER_RATE_LIMIT_PER_ADDRESS = 1
    assert client.post(_partner_url("alpha-partners"), _form()).status_code == 302
    response = client.post(_partner_url("alpha-partners"), _form(email="other@customer.example"))
    assert response.status_code == 429 and "Please try again later" in response.content.decode()
    assert Referral.objects.count() == 1


def test_no_match_for_the_best_matching_form_is_a_message_and_nothing_is_sent(client, finder_world):
    response = client.post(reverse("finder:inquiry"), _form(need="Printer toner", city="", country=""))
    assert response.status_code == 200 and "No partner matches your request yet" in response.content.decode()
    assert not Referral.objects.exists()


def test_page_in_czech_with_the_language_cookie(client, finder_world, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cs"
    page = client.get(_partner_url("alpha-partners")).content.decode()
    assert 'lang="cs"' in page and "Please contact me" not in page


# --- the business profile's listing switch -----------------------------------------------------------------------

def _profile_form(**extra):
    return {"keywords": "cloud migration", "company_sizes": ["50-249"], "industries": "", "description": "internal",
            "logo_url": "", "primary_color": "", "public_description": "We move you to the cloud.", **extra}


def test_partner_is_unlisted_by_default_and_the_admin_lists_it(client, cast):
    from tests.factories import PartnerLocationFactory

    PartnerLocationFactory(partner_account=cast.partner_a, name="HQ", city="Prague", country="CZ")
    client.force_login(cast.partner_a_admin)
    url = reverse("accounts:business_profile", kwargs={"pk": cast.partner_a.pk})
    client.post(url, _profile_form())
    profile = BusinessProfile.objects.get(partner_account=cast.partner_a)
    assert not profile.listed and profile.public_slug is None
    client.post(url, _profile_form(listed="on"))
    profile.refresh_from_db()
    assert profile.listed and profile.public_slug == "alpha-partners"
    assert profile.public_description == "We move you to the cloud."
    page = client.get(url).content.decode()
    assert "/find/alpha-partners/" in page
    client.logout()
    assert "We move you to the cloud." in client.get("/find/alpha-partners/").content.decode()


def test_public_addresses_stay_unique_and_avoid_the_finders_own_words(cast):
    from accounts.services import business_profile_update
    from tests.factories import PartnerAccountFactory

    twin = PartnerAccountFactory(name="Alpha Partners", owner=cast.channel_manager)
    thanks = PartnerAccountFactory(name="Thanks", owner=cast.channel_manager)
    for account in (cast.partner_a, twin, thanks):
        business_profile_update(actor=cast.vendor_admin, partner_account=account, keywords=[], company_sizes=[],
                                industries=[], listed=True)
    slugs = dict(BusinessProfile.objects.values_list("partner_account__name", "public_slug").filter(
        partner_account=thanks))
    assert slugs == {"Thanks": "thanks-partner"}
    assert sorted(BusinessProfile.objects.filter(partner_account__in=[cast.partner_a, twin]).values_list(
        "public_slug", flat=True)) == ["alpha-partners", "alpha-partners-2"]
