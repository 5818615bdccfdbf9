"""Stage names are read in the viewer's language: the default stages through the catalogs (by their stable code),
stages an admin named per language through `Stage.names`; the deal page shows the customer account alone, its
contact on its own line (issue 15)."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from opportunities.models import Stage
from opportunities.services import opportunity_stage_change
from tests.factories import CustomerContactFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

EXPECTED = {"en": "Prospecting", "cs": "Vyhledávání", "es": "Prospección", "pl": "Poszukiwanie"}


@pytest.mark.parametrize(("language", "label"), EXPECTED.items())
def test_a_default_stage_reads_in_each_language(language, label):
    stage = Stage.objects.get(code="prospecting")
    assert stage.label_in(language) == label
    with translation.override(language):
        assert stage.label == label and str(stage) == f"{label} (10 %)"


def test_every_default_stage_has_its_code_and_a_czech_name():
    with translation.override("cs"):
        labels = {s.code: s.label for s in Stage.objects.all()}
    assert set(labels) == {"prospecting", "qualification", "needs_analysis", "proposal", "negotiation", "closed_won",
                           "closed_lost"}
    assert "Closed won" not in labels.values() and labels["closed_won"] == "Uzavřeno – získáno"


def test_a_name_the_admin_gave_in_a_language_wins_and_a_renamed_stage_keeps_its_new_name():
    stage = Stage.objects.get(code="proposal")
    stage.names = {"cs": "Cenová nabídka"}
    stage.name = "Quote"
    stage.full_clean()
    stage.save()
    assert stage.label_in("cs") == "Cenová nabídka"
    assert stage.label_in("es") == "Quote"  # renamed in English: the catalog's "Proposal" no longer fits it


def test_stage_names_must_be_one_text_per_known_language():
    from django.core.exceptions import ValidationError

    stage = Stage.objects.get(code="proposal")
    stage.names = {"xx": "?"}
    with pytest.raises(ValidationError):
        stage.full_clean()


def test_list_detail_and_timeline_show_stage_names_in_the_viewers_language(cast, login_as, client):
    deal = OpportunityFactory(partner_account=cast.partner_a, owner=cast.partner_a_user, name="Tram depot")
    opportunity_stage_change(actor=cast.partner_a_user, opportunity=deal, stage=Stage.objects.get(code="negotiation"))
    login_as(cast.partner_a_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    listing = client.get(reverse("opportunities:list")).content.decode()
    assert "Negociación" in listing and ">Negotiation<" not in listing
    detail = client.get(reverse("opportunities:detail", args=[deal.pk])).content.decode()
    assert "de la fase Prospección a la fase Negociación" in detail


def test_the_deal_page_shows_the_customer_account_alone_and_the_contact_apart(cast, login_as):
    deal = OpportunityFactory(partner_account=cast.partner_a, owner=cast.partner_a_user)
    deal.customer_contact = CustomerContactFactory(account=deal.customer_account, first_name="Olga",
                                                   last_name="Kontaktová", email="olga@customer.example")
    deal.save()
    page = login_as(cast.partner_a_user).get(reverse("opportunities:detail", args=[deal.pk])).content.decode()
    assert f'id="opp-customer-account">{deal.customer_account.name}</dd>' in page
    assert "Olga Kontaktová" in page.split('id="opp-customer-contact"')[1].split("</dd>")[0]


def test_the_partner_activity_table_names_record_types_in_the_viewers_language(cast, login_as, client):
    from leads.services import lead_update
    from tests.factories import LeadFactory

    lead = LeadFactory(owner=cast.partner_a_user, partner_account=cast.partner_a, company="Typed Co")
    lead_update(actor=cast.partner_a_user, lead=lead, company="Typed Company")
    login_as(cast.channel_manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cs"
    page = client.get(reverse("accounts:account_detail", args=[cast.partner_a.pk])).content.decode()
    assert '<span class="muted">Zájemce</span> Typed Company' in page
