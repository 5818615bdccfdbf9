"""The Profile tab links each person to the screens their role has."""

from django.urls import reverse


def test_vendor_admin_finds_setup_and_partner_accounts_on_the_profile_tab(client, cast):
    client.force_login(cast.vendor_admin)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:prm_settings") in page and reverse("accounts:account_list") in page


def test_channel_manager_finds_partner_accounts_but_not_setup(client, cast):
    client.force_login(cast.channel_manager)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:account_list") in page and reverse("accounts:prm_settings") not in page


def test_partner_finds_their_business_profile_and_no_staff_screens(client, cast):
    client.force_login(cast.partner_a_user)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:business_profile", kwargs={"pk": cast.partner_a.pk}) in page
    assert f'href="{reverse("accounts:account_list")}"' not in page and "Partner accounts" not in page


def test_welcome_link_works_before_prm_is_enabled_and_then_shows_the_not_enabled_page(client, db):
    from accounts.tokens import welcome_path
    from tests.factories import PartnerAccountFactory, PartnerUserFactory

    user = PartnerUserFactory(partner_account=PartnerAccountFactory(), must_change_password=True, last_login=None)
    user.set_unusable_password()
    user.save()
    path = welcome_path(user)
    assert client.get(path).status_code == 200
    response = client.post(path, {"new_password1": "Early-bird-2026", "new_password2": "Early-bird-2026"},
                           follow=True)
    assert response.status_code == 503 and b"not enabled yet" in response.content
