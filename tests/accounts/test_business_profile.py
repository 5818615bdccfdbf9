"""B8 business profile and locations; B5 the partner's own branding."""

from django.urls import reverse

from accounts.models import BusinessProfile, PartnerLocation


def _profile_url(account):
    return reverse("accounts:business_profile", kwargs={"pk": account.pk})


def _form(**extra):
    return {"keywords": "ERP, Cloud migration, erp", "company_sizes": ["10-49", "50-249"],
            "industries": "Retail, Manufacturing", "description": "We sell ERP.", "logo_url": "",
            "primary_color": "", **extra}


def test_partner_admin_edits_keywords_and_preferences(client, cast):
    client.force_login(cast.partner_a_admin)
    response = client.post(_profile_url(cast.partner_a), _form())
    assert response.status_code == 302
    profile = BusinessProfile.objects.get(partner_account=cast.partner_a)
    assert profile.keywords == ["cloud migration", "erp"]
    assert profile.company_sizes == ["10-49", "50-249"]
    assert profile.industries == ["Retail", "Manufacturing"]


def test_partner_user_sees_the_profile_read_only(client, cast):
    BusinessProfile.objects.update_or_create(partner_account=cast.partner_a, defaults={"keywords": ["erp"]})
    client.force_login(cast.partner_a_user)
    page = client.get(_profile_url(cast.partner_a)).content.decode()
    assert "Read only" in page and "erp" in page and "<form" not in page.split('id="main"')[1].split("</main>")[0]
    assert client.post(_profile_url(cast.partner_a), _form()).status_code == 403
    assert BusinessProfile.objects.get(partner_account=cast.partner_a).keywords == ["erp"]


def test_another_partners_profile_answers_404(client, cast):
    client.force_login(cast.partner_b_user)
    assert client.get(_profile_url(cast.partner_a)).status_code == 404
    assert client.post(_profile_url(cast.partner_a), _form()).status_code == 404


def test_my_business_profile_goes_to_my_partners_profile(client, cast):
    client.force_login(cast.partner_a_user)
    assert client.get(reverse("accounts:my_business_profile"))["Location"] == _profile_url(cast.partner_a)


def test_partner_admin_adds_and_edits_a_location_with_contact_details(client, cast):
    client.force_login(cast.partner_a_admin)
    client.post(reverse("accounts:location_create", kwargs={"pk": cast.partner_a.pk}),
                {"name": "Ostrava", "city": "Ostrava", "country": "CZ", "contact_name": "Olga",
                 "phone": "+420 1", "email": "ostrava@alpha.example", "address": "Main 1"})
    location = PartnerLocation.objects.get(partner_account=cast.partner_a, name="Ostrava")
    assert location.email == "ostrava@alpha.example"
    client.post(reverse("accounts:location_edit", kwargs={"pk": location.pk}),
                {"name": "Ostrava", "city": "Ostrava", "country": "CZ", "contact_name": "Oskar",
                 "phone": "+420 2", "email": "ostrava@alpha.example", "address": "Main 1"})
    location.refresh_from_db()
    assert location.contact_name == "Oskar"


def test_duplicate_location_name_gets_a_message_and_nothing_changes(client, cast):
    PartnerLocation.objects.create(partner_account=cast.partner_a, name="HQ")
    client.force_login(cast.partner_a_admin)
    response = client.post(reverse("accounts:location_create", kwargs={"pk": cast.partner_a.pk}), {"name": "hq"})
    assert response.status_code == 200 and "already a location called" in response.content.decode()
    assert PartnerLocation.objects.filter(partner_account=cast.partner_a).count() == 1


def test_partner_user_cannot_add_locations(client, cast):
    client.force_login(cast.partner_a_user)
    response = client.post(reverse("accounts:location_create", kwargs={"pk": cast.partner_a.pk}), {"name": "X"})
    assert response.status_code == 403 and not PartnerLocation.objects.exists()


def test_portal_shows_the_partners_own_logo_and_colour_once_set(client, cast):
    client.force_login(cast.partner_a_user)
    page = client.get(reverse("reports:home")).content.decode()
    assert "/static/img/logo.svg" in page and "primary=%231f5fbf" in page  # colours come as /brand.css (CSP)
    client.force_login(cast.partner_a_admin)
    client.post(_profile_url(cast.partner_a), _form(logo_url="https://alpha.example/logo.png",
                                                    primary_color="#aa3300"))
    client.force_login(cast.partner_a_user)
    page = client.get(reverse("reports:home")).content.decode()
    assert "https://alpha.example/logo.png" in page and "primary=%23aa3300" in page
    client.force_login(cast.partner_b_user)
    assert "primary=%231f5fbf" in client.get(reverse("reports:home")).content.decode()


def test_a_malformed_colour_gets_a_message_and_nothing_changes(client, cast):
    client.force_login(cast.partner_a_admin)
    response = client.post(_profile_url(cast.partner_a), _form(primary_color="red"))
    assert response.status_code == 200 and "Write the colour like #1f5fbf" in response.content.decode()
    cast.partner_a.refresh_from_db()
    assert cast.partner_a.primary_color == ""


def test_partner_admin_sees_the_users_section_once_in_the_page_body(client, cast):
    client.force_login(cast.partner_a_admin)
    html = client.get(_profile_url(cast.partner_a)).content.decode()
    head, body = html.split("</head>", 1)
    assert "<title>Business profile" in head and "users-h" not in head
    assert body.count('id="users-h"') == 1
    assert cast.partner_a_user.email in body
