"""B3, B4, B6, B7: contacts, the New User page, the welcome email and the first sign-in."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Contact, User
from accounts.selectors import user_list_assignable_lead_owners
from accounts.services import partner_account_disable, partner_user_enable
from prm_portal.core.errors import InvalidTransition
from tests.factories import ContactFactory, PartnerLocationFactory, PartnerUserFactory


@pytest.fixture
def contact(partner_a):
    return ContactFactory(partner_account=partner_a, first_name="Nina", last_name="New",
                          email="nina@alpha.example", title="Sales rep")


def _enable_form(contact, **extra):
    return {"email": contact.email, "first_name": contact.first_name, "last_name": contact.last_name,
            "role": User.Role.PARTNER_USER, "location": "", "language": "en", **extra}


def _link(message):
    return re.search(r"https?://\S+/partners/welcome/\S+/", message.body).group(0)


def test_channel_manager_adds_a_contact(client, cast):
    client.force_login(cast.channel_manager)
    client.post(reverse("accounts:contact_create", kwargs={"pk": cast.partner_a.pk}),
                {"first_name": "Cleo", "last_name": "Contact", "email": "Cleo@Alpha.example"})
    assert Contact.objects.get(last_name="Contact").email == "cleo@alpha.example"


def test_new_user_page_is_prefilled_from_the_contact(client, cast, contact):
    location = PartnerLocationFactory(partner_account=cast.partner_a, name="Brno")
    contact.location = location
    contact.save()
    client.force_login(cast.channel_manager)
    page = client.get(reverse("accounts:user_enable", kwargs={"pk": contact.pk})).content.decode()
    assert "New User" in page
    assert 'value="nina@alpha.example"' in page and 'value="Nina"' in page and 'value="New"' in page
    assert f'<option value="{location.pk}" selected>' in page


def test_outsider_channel_manager_gets_404_for_the_new_user_page(client, cast, contact):
    client.force_login(cast.other_channel_manager)
    assert client.get(reverse("accounts:user_enable", kwargs={"pk": contact.pk})).status_code == 404


def test_saving_creates_the_user_and_sends_the_welcome_email_after_commit(
    client, cast, contact, django_capture_on_commit_callbacks
):
    client.force_login(cast.channel_manager)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("accounts:user_enable", kwargs={"pk": contact.pk}),
                               _enable_form(contact, role=User.Role.PARTNER_ADMIN))
    assert response.status_code == 302
    assert len(callbacks) == 1
    user = User.objects.get(email="nina@alpha.example")
    assert user.role == User.Role.PARTNER_ADMIN and user.partner_account == cast.partner_a
    assert user.must_change_password and not user.has_usable_password() and user.last_login is None
    contact.refresh_from_db()
    assert contact.user == user
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina@alpha.example"]
    assert "http://testserver/auth/login/" in message.body
    assert _link(message).startswith("http://testserver/partners/welcome/")


def test_no_email_is_sent_when_the_transaction_rolls_back(cast, contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        partner_user_enable(actor=cast.channel_manager, contact=contact, email=contact.email,
                            first_name="Nina", last_name="New", role=User.Role.PARTNER_USER)
    assert len(callbacks) == 1 and mail.outbox == []


def test_duplicate_email_gets_a_message_on_the_form_and_creates_nothing(client, cast, contact):
    contact.email = cast.partner_b_user.email
    contact.save()
    client.force_login(cast.channel_manager)
    response = client.post(reverse("accounts:user_enable", kwargs={"pk": contact.pk}), _enable_form(contact))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    contact.refresh_from_db()
    assert contact.user is None and mail.outbox == []


def test_duplicate_email_is_refused_by_the_service_too(cast, contact):
    with pytest.raises(InvalidTransition, match="already exists"):
        partner_user_enable(actor=cast.channel_manager, contact=contact, email=cast.partner_a_user.email.upper(),
                            first_name="N", last_name="N", role=User.Role.PARTNER_USER)


def test_enabling_a_user_on_a_disabled_partner_is_refused_with_a_message(client, cast, contact):
    partner_account_disable(actor=cast.channel_manager, partner_account=cast.partner_a)
    client.force_login(cast.channel_manager)
    page = client.get(reverse("accounts:user_enable", kwargs={"pk": contact.pk})).content.decode()
    assert "not enabled as a partner" in page
    response = client.post(reverse("accounts:user_enable", kwargs={"pk": contact.pk}), _enable_form(contact))
    assert response.status_code == 200 and "not enabled as a partner" in response.content.decode()
    assert not User.objects.filter(email=contact.email).exists()


def test_contact_without_email_gets_a_clear_message_and_no_user(client, cast, contact):
    contact.email = ""
    contact.save()
    client.force_login(cast.channel_manager)
    page = client.get(reverse("accounts:user_enable", kwargs={"pk": contact.pk})).content.decode()
    assert "This contact has no email address" in page
    response = client.post(reverse("accounts:user_enable", kwargs={"pk": contact.pk}), _enable_form(contact))
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not User.objects.filter(first_name="Nina", last_name="New").exists()
    contact.refresh_from_db()
    assert contact.user is None


def test_service_refuses_a_contact_without_email(cast, contact):
    with pytest.raises(InvalidTransition, match="email address"):
        partner_user_enable(actor=cast.channel_manager, contact=contact, email="", first_name="N",
                            last_name="N", role=User.Role.PARTNER_USER)


def test_a_contact_already_enabled_cannot_be_enabled_twice(cast, contact):
    partner_user_enable(actor=cast.channel_manager, contact=contact, email=contact.email, first_name="N",
                        last_name="N", role=User.Role.PARTNER_USER)
    with pytest.raises(InvalidTransition, match="already a partner user"):
        partner_user_enable(actor=cast.channel_manager, contact=contact, email="other@alpha.example",
                            first_name="N", last_name="N", role=User.Role.PARTNER_USER)


def test_location_of_another_partner_is_refused(cast, contact):
    elsewhere = PartnerLocationFactory(partner_account=cast.partner_b)
    with pytest.raises(InvalidTransition, match="another partner"):
        partner_user_enable(actor=cast.channel_manager, contact=contact, email=contact.email, first_name="N",
                            last_name="N", role=User.Role.PARTNER_USER, location=elsewhere)


def test_welcome_link_sets_the_password_signs_in_and_lands_on_home(
    client, cast, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        partner_user_enable(actor=cast.channel_manager, contact=contact, email=contact.email, first_name="Nina",
                            last_name="New", role=User.Role.PARTNER_USER)
    link = _link(mail.outbox[0]).replace("http://testserver", "")
    assert "Set your password" in client.get(link).content.decode()
    response = client.post(link, {"new_password1": "a-Fresh-pass-2026", "new_password2": "a-Fresh-pass-2026"})
    assert response.status_code == 302 and response["Location"] == reverse("reports:home")
    user = User.objects.get(email=contact.email)
    assert user.check_password("a-Fresh-pass-2026") and not user.must_change_password and user.last_login
    assert client.get(reverse("reports:home")).status_code == 200
    assert user in user_list_assignable_lead_owners(partner_account=cast.partner_a)


def test_welcome_link_works_only_once(client, cast, contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        partner_user_enable(actor=cast.channel_manager, contact=contact, email=contact.email, first_name="Nina",
                            last_name="New", role=User.Role.PARTNER_USER)
    link = _link(mail.outbox[0]).replace("http://testserver", "")
    client.post(link, {"new_password1": "a-Fresh-pass-2026", "new_password2": "a-Fresh-pass-2026"})
    client.logout()
    again = client.post(link, {"new_password1": "b-Other-pass-2026", "new_password2": "b-Other-pass-2026"})
    assert again.status_code == 400 and "no longer works" in again.content.decode()
    assert User.objects.get(email=contact.email).check_password("a-Fresh-pass-2026")


def test_temporary_password_must_be_changed_before_any_other_page(client, partner_a, password):
    user = PartnerUserFactory(partner_account=partner_a, must_change_password=True)
    assert client.login(username=user.email, password=password)
    for url in (reverse("reports:home"), reverse("leads:list"), reverse("accounts:profile")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("accounts:password_required")
    response = client.post(reverse("accounts:password_required"),
                           {"new_password1": "my-Own-secret-77", "new_password2": "my-Own-secret-77"})
    assert response["Location"] == reverse("reports:home")
    assert client.get(reverse("reports:home")).status_code == 200
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password("my-Own-secret-77")


def test_mismatched_new_passwords_change_nothing(client, partner_a, password):
    user = PartnerUserFactory(partner_account=partner_a, must_change_password=True)
    client.force_login(user)
    response = client.post(reverse("accounts:password_required"),
                           {"new_password1": "my-Own-secret-77", "new_password2": "my-Own-secret-78"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.must_change_password and user.check_password(password)


def test_users_who_never_signed_in_or_are_inactive_are_marked_and_not_offered_as_owners(client, cast):
    never = PartnerUserFactory(partner_account=cast.partner_a, last_login=None, email="never@alpha.example")
    gone = PartnerUserFactory(partner_account=cast.partner_a, is_active=False, email="gone@alpha.example")
    owners = list(user_list_assignable_lead_owners(partner_account=cast.partner_a))
    assert never not in owners and gone not in owners and cast.partner_a_user in owners
    client.force_login(cast.channel_manager)
    page = client.get(reverse("accounts:account_detail", kwargs={"pk": cast.partner_a.pk})).content.decode()
    assert "Never signed in" in page and "Inactive" in page


def test_channel_manager_deactivates_and_reactivates_one_user(client, cast):
    client.force_login(cast.channel_manager)
    url = reverse("accounts:user_set_active", kwargs={"pk": cast.partner_a_user.pk})
    client.post(url, {"active": "0"})
    assert not User.objects.get(pk=cast.partner_a_user.pk).is_active
    client.post(url, {"active": "1"})
    assert User.objects.get(pk=cast.partner_a_user.pk).is_active


def test_outsider_cannot_deactivate_another_partners_user(client, cast):
    client.force_login(cast.other_channel_manager)
    url = reverse("accounts:user_set_active", kwargs={"pk": cast.partner_a_user.pk})
    assert client.post(url, {"active": "0"}).status_code == 404
    assert User.objects.get(pk=cast.partner_a_user.pk).is_active


def test_partner_admin_deactivates_and_reactivates_a_user_of_their_partner(client, cast):
    client.force_login(cast.partner_a_admin)
    page = client.get(reverse("accounts:business_profile", kwargs={"pk": cast.partner_a.pk})).content.decode()
    assert cast.partner_a_user.email in page
    url = reverse("accounts:user_set_active", kwargs={"pk": cast.partner_a_user.pk})
    client.post(url, {"active": "0"})
    assert not User.objects.get(pk=cast.partner_a_user.pk).is_active
    client.post(url, {"active": "1"})
    assert User.objects.get(pk=cast.partner_a_user.pk).is_active


def test_partner_admin_cannot_touch_another_partners_users_nor_deactivate_themself(client, cast):
    client.force_login(cast.partner_a_admin)
    assert client.post(reverse("accounts:user_set_active", kwargs={"pk": cast.partner_b_user.pk}),
                       {"active": "0"}).status_code == 404
    client.post(reverse("accounts:user_set_active", kwargs={"pk": cast.partner_a_admin.pk}), {"active": "0"})
    assert User.objects.get(pk=cast.partner_a_admin.pk).is_active
    assert User.objects.get(pk=cast.partner_b_user.pk).is_active


def test_partner_user_cannot_deactivate_colleagues(client, cast):
    client.force_login(cast.partner_a_user)
    response = client.post(reverse("accounts:user_set_active", kwargs={"pk": cast.partner_a_admin.pk}),
                           {"active": "0"})
    assert response.status_code == 404
    assert User.objects.get(pk=cast.partner_a_admin.pk).is_active


def test_welcome_email_can_be_resent_until_the_first_sign_in(client, cast, contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = partner_user_enable(actor=cast.channel_manager, contact=contact, email=contact.email,
                                   first_name="Nina", last_name="New", role=User.Role.PARTNER_USER)
    client.force_login(cast.channel_manager)
    url = reverse("accounts:user_welcome_resend", kwargs={"pk": user.pk})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    assert len(mail.outbox) == 2 and mail.outbox[1].to == [contact.email]
    response = client.post(reverse("accounts:user_welcome_resend", kwargs={"pk": cast.partner_a_user.pk}),
                           follow=True)
    assert "already signed in" in response.content.decode() and len(mail.outbox) == 2


def test_channel_manager_scopes_a_user_to_a_location(client, cast):
    brno = PartnerLocationFactory(partner_account=cast.partner_a, name="Brno")
    client.force_login(cast.channel_manager)
    client.post(reverse("accounts:user_edit", kwargs={"pk": cast.partner_a_user.pk}),
                {"role": User.Role.PARTNER_USER, "location": brno.pk})
    assert User.objects.get(pk=cast.partner_a_user.pk).location == brno


def test_partner_admin_promotes_a_colleague_but_not_themself_nor_outsiders(client, cast):
    client.force_login(cast.partner_a_admin)
    client.post(reverse("accounts:user_edit", kwargs={"pk": cast.partner_a_user.pk}),
                {"role": User.Role.PARTNER_ADMIN, "location": ""})
    assert User.objects.get(pk=cast.partner_a_user.pk).role == User.Role.PARTNER_ADMIN
    response = client.post(reverse("accounts:user_edit", kwargs={"pk": cast.partner_a_admin.pk}),
                           {"role": User.Role.PARTNER_USER, "location": ""})
    assert "cannot change your own role" in response.content.decode()
    assert client.get(reverse("accounts:user_edit", kwargs={"pk": cast.partner_b_user.pk})).status_code == 404


def test_a_location_of_another_partner_cannot_be_chosen(client, cast):
    elsewhere = PartnerLocationFactory(partner_account=cast.partner_b)
    client.force_login(cast.channel_manager)
    response = client.post(reverse("accounts:user_edit", kwargs={"pk": cast.partner_a_user.pk}),
                           {"role": User.Role.PARTNER_USER, "location": elsewhere.pk})
    assert response.status_code == 200
    assert User.objects.get(pk=cast.partner_a_user.pk).location is None
