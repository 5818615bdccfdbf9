"""G5: the portal speaks English, Czech, Spanish and Polish."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

TABS = {"Leads", "Opportunities", "Referrals", "Recent Items"}


@pytest.mark.parametrize("language", ["cs", "es", "pl"])
def test_every_language_has_a_compiled_catalog_for_the_portal_shell(language):
    with translation.override(language):
        translated = {translation.gettext(text) for text in TABS}
    assert translated.isdisjoint(TABS), f"untranslated in {language}: {translated & TABS}"


@pytest.mark.django_db
def test_a_signed_in_user_sees_the_portal_in_their_own_language(client, partner_a_user):
    partner_a_user.language = "cs"
    partner_a_user.save(update_fields=["language"])
    client.force_login(partner_a_user)
    html = client.get(reverse("reports:home")).content.decode()
    with translation.override("cs"):
        assert translation.gettext("Opportunities") in html
    assert '<html lang="cs">' in html


@pytest.mark.django_db
def test_the_language_switcher_wins_over_the_users_own_language(client, partner_a_user):
    partner_a_user.language = "cs"
    partner_a_user.save(update_fields=["language"])
    client.force_login(partner_a_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    html = client.get(reverse("reports:home")).content.decode()
    assert '<html lang="es">' in html


@pytest.mark.django_db
def test_the_browsers_language_wins_over_the_default_profile_language(client, partner_a_user):
    client.force_login(partner_a_user)  # language "en", the default
    html = client.get(reverse("reports:home"), HTTP_ACCEPT_LANGUAGE="pl-PL,pl;q=0.9").content.decode()
    assert '<html lang="pl">' in html
