"""B1, B2: partner accounts owned by channel managers; enable as partner; disabling keeps the data."""

import pytest
from django.urls import reverse

from accounts.models import BusinessProfile, PartnerAccount, PartnerAccountUserObjectPermission, User
from accounts.selectors import partner_account_list_visible_to
from accounts.services import partner_account_create, partner_account_disable, partner_account_enable
from prm_portal.core.errors import InvalidTransition
from tests.factories import LeadFactory, PartnerAccountFactory


def test_new_account_is_owned_by_its_creator_by_default(client, channel_manager):
    client.force_login(channel_manager)
    response = client.post(reverse("accounts:account_create"), {"name": "Gamma GmbH", "owner": channel_manager.pk,
                                                                 "country": "de"})
    account = PartnerAccount.objects.get(name="Gamma GmbH")
    assert response["Location"] == reverse("accounts:account_detail", kwargs={"pk": account.pk})
    assert account.owner == channel_manager and account.country == "DE" and not account.is_partner
    assert BusinessProfile.objects.filter(partner_account=account).exists()


def test_channel_manager_cannot_create_an_account_for_someone_else(channel_manager, other_channel_manager):
    with pytest.raises(InvalidTransition):
        partner_account_create(actor=channel_manager, name="X", owner=other_channel_manager)
    assert not PartnerAccount.objects.filter(name="X").exists()


def test_channel_manager_sees_only_the_accounts_they_own(client, cast):
    client.force_login(cast.channel_manager)
    page = client.get(reverse("accounts:account_list")).content.decode()
    assert "Alpha Partners" in page and "Beta Resellers" not in page


def test_vendor_admin_sees_every_account(client, cast):
    client.force_login(cast.vendor_admin)
    page = client.get(reverse("accounts:account_list")).content.decode()
    assert "Alpha Partners" in page and "Beta Resellers" in page


def test_account_of_another_channel_manager_answers_404(client, cast):
    client.force_login(cast.other_channel_manager)
    assert client.get(reverse("accounts:account_detail", kwargs={"pk": cast.partner_a.pk})).status_code == 404


def test_partner_user_gets_404_for_the_account_screens(client, cast):
    client.force_login(cast.partner_b_user)
    assert client.get(reverse("accounts:account_detail", kwargs={"pk": cast.partner_a.pk})).status_code == 404
    assert client.get(reverse("accounts:account_list")).status_code == 404


def test_a_guardian_grant_opens_an_account_to_a_channel_manager_who_does_not_own_it(cast):
    from django.contrib.auth.models import Permission

    assert cast.partner_a not in partner_account_list_visible_to(user=cast.other_channel_manager)
    PartnerAccountUserObjectPermission.objects.create(
        user=cast.other_channel_manager, content_object=cast.partner_a,
        permission=Permission.objects.get(codename="view_partneraccount"),
    )
    assert cast.partner_a in partner_account_list_visible_to(user=cast.other_channel_manager)


def test_enable_as_partner_from_the_manage_external_account_menu(client, channel_manager, prm_enabled):
    account = PartnerAccountFactory(owner=channel_manager, is_partner=False, partner_enabled_at=None)
    client.force_login(channel_manager)
    page = client.get(reverse("accounts:account_detail", kwargs={"pk": account.pk})).content.decode()
    assert "Manage external account" in page and "Enable as partner" in page
    client.post(reverse("accounts:account_enable", kwargs={"pk": account.pk}))
    account.refresh_from_db()
    assert account.is_partner and account.partner_enabled_at


def test_enabling_an_enabled_partner_is_refused(cast):
    with pytest.raises(InvalidTransition, match="already enabled"):
        partner_account_enable(actor=cast.channel_manager, partner_account=cast.partner_a)


def test_another_channel_manager_cannot_disable_my_partner(cast):
    with pytest.raises(InvalidTransition):
        partner_account_disable(actor=cast.other_channel_manager, partner_account=cast.partner_a)
    cast.partner_a.refresh_from_db()
    assert cast.partner_a.is_partner


def test_disabling_a_partner_deactivates_its_users_and_keeps_its_records(client, cast):
    lead = LeadFactory(owner=cast.partner_a_user, partner_account=cast.partner_a)
    client.force_login(cast.channel_manager)
    response = client.post(reverse("accounts:account_disable", kwargs={"pk": cast.partner_a.pk}), follow=True)
    assert "can no longer sign in" in response.content.decode()
    cast.partner_a.refresh_from_db()
    assert not cast.partner_a.is_partner and cast.partner_a.partner_disabled_at
    assert not User.objects.filter(partner_account=cast.partner_a, is_active=True).exists()
    assert User.objects.get(pk=cast.partner_b_user.pk).is_active
    lead.refresh_from_db()
    assert lead.owner == cast.partner_a_user and lead.partner_account == cast.partner_a


def test_users_of_a_disabled_partner_cannot_sign_in(client, cast, password):
    partner_account_disable(actor=cast.channel_manager, partner_account=cast.partner_a)
    assert not client.login(username=cast.partner_a_user.email, password=password)


def test_disabling_twice_says_so_and_changes_nothing(client, cast):
    partner_account_disable(actor=cast.channel_manager, partner_account=cast.partner_a)
    client.force_login(cast.channel_manager)
    response = client.post(reverse("accounts:account_disable", kwargs={"pk": cast.partner_a.pk}), follow=True)
    assert "is not enabled as a partner" in response.content.decode()


def test_admin_action_disables_through_the_service(client, cast):
    client.force_login(cast.vendor_admin)
    client.post(reverse("admin:accounts_partneraccount_changelist"),
                {"action": "disable_partner", "_selected_action": [cast.partner_a.pk]})
    assert not User.objects.get(pk=cast.partner_a_user.pk).is_active


def test_vendor_admin_shares_an_account_with_a_channel_manager_who_then_sees_it(client, cast):
    client.force_login(cast.vendor_admin)
    client.post(reverse("accounts:account_share", kwargs={"pk": cast.partner_a.pk}),
                {"channel_manager": cast.other_channel_manager.pk})
    client.force_login(cast.other_channel_manager)
    assert client.get(reverse("accounts:account_detail", kwargs={"pk": cast.partner_a.pk})).status_code == 200
    assert "Alpha Partners" in client.get(reverse("accounts:account_list")).content.decode()


def test_sharing_an_account_twice_says_so(client, cast):
    client.force_login(cast.vendor_admin)
    url = reverse("accounts:account_share", kwargs={"pk": cast.partner_a.pk})
    client.post(url, {"channel_manager": cast.other_channel_manager.pk})
    response = client.post(url, {"channel_manager": cast.other_channel_manager.pk}, follow=True)
    assert "already shared" in response.content.decode()
    assert PartnerAccountUserObjectPermission.objects.filter(user=cast.other_channel_manager).count() == 1


def test_channel_manager_cannot_share_accounts(client, cast):
    client.force_login(cast.channel_manager)
    response = client.post(reverse("accounts:account_share", kwargs={"pk": cast.partner_a.pk}),
                           {"channel_manager": cast.other_channel_manager.pk})
    assert response.status_code == 403
    assert not PartnerAccountUserObjectPermission.objects.filter(user=cast.other_channel_manager).exists()


def test_a_partner_cannot_be_enabled_before_prm_is(vendor_admin):
    account = PartnerAccountFactory(owner=vendor_admin, is_partner=False, partner_enabled_at=None)
    with pytest.raises(InvalidTransition, match="not enabled yet"):
        partner_account_enable(actor=vendor_admin, partner_account=account)
    account.refresh_from_db()
    assert not account.is_partner


def test_channel_manager_edits_the_account_and_the_change_is_on_its_timeline(client, cast):
    client.force_login(cast.channel_manager)
    url = reverse("accounts:account_edit", kwargs={"pk": cast.partner_a.pk})
    assert 'value="Alpha Partners"' in client.get(url).content.decode()
    client.post(url, {"name": "Alpha Partners s.r.o.", "owner": cast.channel_manager.pk, "country": "sk"})
    cast.partner_a.refresh_from_db()
    assert cast.partner_a.name == "Alpha Partners s.r.o." and cast.partner_a.country == "SK"
    page = client.get(reverse("accounts:account_detail", kwargs={"pk": cast.partner_a.pk})).content.decode()
    assert "Carl Manager edited the partner account" in page and "Alpha Partners s.r.o." in page
    assert "account.updated" not in page


def test_channel_manager_cannot_hand_the_account_to_someone_else(client, cast):
    client.force_login(cast.channel_manager)
    client.post(reverse("accounts:account_edit", kwargs={"pk": cast.partner_a.pk}),
                {"name": "Alpha Partners", "owner": cast.other_channel_manager.pk})
    cast.partner_a.refresh_from_db()
    assert cast.partner_a.owner == cast.channel_manager


def test_account_page_shows_the_activity_of_the_partners_records(client, cast):
    from leads.events import LeadEvent
    from prm_portal.core.services import activity_record

    lead = LeadFactory(company="Globex", owner=cast.partner_a_user, partner_account=cast.partner_a)
    activity_record(target=lead, event=LeadEvent.STATUS_CHANGED, actor=cast.partner_a_user,
                    partner_account=cast.partner_a, changes={"status": ["new", "working"]})
    other = LeadFactory(company="Initech", owner=cast.partner_b_user, partner_account=cast.partner_b)
    activity_record(target=other, event=LeadEvent.STATUS_CHANGED, actor=cast.partner_b_user,
                    partner_account=cast.partner_b)
    client.force_login(cast.channel_manager)
    page = client.get(reverse("accounts:account_detail", kwargs={"pk": cast.partner_a.pk})).content.decode()
    assert "Globex" in page and "Initech" not in page
    assert "Adam Rep changed the status from New to Working" in page and "status_changed" not in page
