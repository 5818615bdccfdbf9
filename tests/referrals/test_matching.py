"""E13 matching: profile keywords match as phrases and words, normalised (case, accents, simple plurals), and each
result says why it ranks where it does."""

from django.urls import reverse

from accounts.models import BusinessProfile
from referrals.selectors import match_terms, partner_match_for_inquiry
from tests.factories import PartnerAccountFactory, PartnerLocationFactory


def _partner(name, keywords, city="Prague", country="CZ", **profile):
    partner = PartnerAccountFactory(name=name)
    PartnerLocationFactory(partner_account=partner, name=f"{name} office", city=city, country=country)
    BusinessProfile.objects.create(partner_account=partner, keywords=keywords, **profile)
    return partner


def _only(partner, **inquiry):
    from accounts.models import PartnerAccount

    return partner_match_for_inquiry(among=PartnerAccount.objects.filter(pk=partner.pk), **inquiry)


def test_multi_word_keyword_matches_the_same_phrase_in_the_need(db):
    partner = _partner("Phrase Co", ["cloud migration", "data platform", "manufacturing software"])
    ranked = _only(partner, need="We need a cloud migration and a new data platform.")
    assert len(ranked) == 1 and ranked[0]["score"] == 6
    assert [(e["value"], e["how"]) for e in ranked[0]["explanation"]] == [
        ("cloud migration", "phrase"), ("data platform", "phrase")]


def test_multi_word_keyword_matches_an_inquiry_keyword_phrase(db):
    partner = _partner("Keyword Co", ["cloud migration"])
    assert _only(partner, keywords=["Cloud Migration"])[0]["score"] == 3


def test_all_words_of_a_keyword_apart_score_less_than_the_phrase(db):
    partner = _partner("Apart Co", ["cloud migration"])
    ranked = _only(partner, need="Migration of our servers to the cloud")
    assert ranked[0]["score"] == 2 and ranked[0]["explanation"][0]["how"] == "words"


def test_one_word_of_a_multi_word_keyword_alone_does_not_match(db):
    partner = _partner("Half Co", ["manufacturing software"])
    assert _only(partner, need="We need software for our shop") == []


def test_matching_ignores_case_accents_and_simple_plurals(db):
    partner = _partner("Normal Co", ["Data Platforms", "účetnictví", "companies"])
    ranked = _only(partner, need="A DATA PLATFORM and ucetnictvi for small company owners")
    assert {e["value"] for e in ranked[0]["explanation"]} == {"Data Platforms", "účetnictví", "companies"}
    assert ranked[0]["score"] == 9


def test_normalised_terms_keep_words_ending_in_ss_us_is():
    assert match_terms("Business analysis, Łódź CAMPUS, migrations, Kraków") == (
        "business", "analysis", "lodz", "campus", "migration", "krakow")


def test_city_matches_without_accents_and_picks_that_office(db):
    partner = _partner("Polish Co", ["erp"], city="Kraków", country="PL")
    PartnerLocationFactory(partner_account=partner, name="Warsaw office", city="Warsaw", country="PL")
    ranked = _only(partner, need="erp", city="krakow", country="PL")
    assert ranked[0]["location"].city == "Kraków"
    assert [e["kind"] for e in ranked[0]["explanation"]] == ["keyword", "city"]


def test_explanation_lists_every_reason_with_its_points(db):
    partner = _partner("Full Co", ["erp"], company_sizes=["50-249"], industries=["Manufacturing"])
    ranked = _only(partner, need="ERP systems", company_size="50-249", industry="food manufacturing",
                   city="Brno", country="CZ")
    assert [(e["kind"], e["points"]) for e in ranked[0]["explanation"]] == [
        ("keyword", 3), ("size", 2), ("industry", 2), ("country", 1)]
    assert ranked[0]["score"] == 8


def test_send_page_preview_shows_vendor_staff_why_each_partner_ranks(cast, login_as):
    PartnerLocationFactory(partner_account=cast.partner_a, name="Prague", city="Prague", country="CZ")
    BusinessProfile.objects.create(partner_account=cast.partner_a, keywords=["cloud migration"],
                                   company_sizes=["50-249"])
    page = login_as(cast.vendor_admin).post(reverse("referrals:send"), {
        "referral_type": "customer_inquiry", "customer_name": "Tailspin", "need": "We need a cloud migration",
        "customer_size": "50-249", "customer_city": "Prague", "contact_email": "buyer@tailspin.example",
        "preview": "1"}).content.decode()
    assert "Keyword “cloud migration” in the inquiry" in page
    assert "Serves companies of 50–249 employees" in page and "Office in Prague" in page
