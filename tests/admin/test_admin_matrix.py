"""Every registered ModelAdmin × the cast: the change list, the change form of an object of partner A, and each
admin action on that object — 200 for who may, and one consistent refusal for who may not:

- anonymous: 302 to the admin's sign-in (which sends on to the portal's);
- partner people (never staff): 403 anywhere in the admin;
- vendor staff without a right on the model (vendor admins' screens): 403;
- vendor staff with the right, on a row outside their partners: 404.

A model newly registered in the admin without an entry in EXPECTED fails `test_every_admin_has_an_entry`.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.urls import reverse

from accounts.models import BusinessProfile, PortalSettings
from leads.models import PartnerClaimLimit
from prm_portal.core.apitokens import api_token_create
from prm_portal.core.models import ActivityEvent, Resource
from referrals.services import deal_registration_submit, referral_stage_mark, referral_win
from tests.factories import (
    ContactFactory,
    CustomerAccountFactory,
    LeadFactory,
    OpportunityFactory,
    QueueFactory,
)
from tests.referrals.factories import inbound, outbound

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "vendor_admin", "channel_manager", "granted_channel_manager", "other_channel_manager",
         "partner_a_admin", "partner_a_user", "partner_b_user")
PARTNER_PEOPLE = ("partner_a_admin", "partner_a_user", "partner_b_user")
MANAGERS_OF_A = ("channel_manager", "granted_channel_manager")
LOGIN = 302


def _registration(cast):
    deal = outbound(actor=cast.partner_a_user)
    for stage in ("securing_loe", "data_collection", "preparing_report", "present_to_customer"):
        referral_stage_mark(actor=cast.partner_a_user, referral=deal, stage=stage)
    referral_win(actor=cast.partner_a_user, referral=deal)
    return deal_registration_submit(actor=cast.partner_a_user, referral=deal, contract_value="100",
                                    contract_signed_on="2026-01-01", details="Signed.")


def _resource(cast):
    lead = LeadFactory(partner_account=cast.partner_a, owner=cast.partner_a_user)
    return Resource.objects.create(target=lead, kind="note", title="Alpha's note", created_by=cast.partner_a_user)


def _deal_registration(cast):
    from tests.registrations.factories import registration

    return registration(actor=cast.partner_a_user)


def _conflict(cast):
    """Partner A's registration against a lead of the vendor's own (no partner): only A's managers see it."""
    from leads.services import lead_create
    from registrations.models import Conflict
    from tests.registrations.factories import registration

    registration(actor=cast.partner_a_user, customer_name="Vendor Direct Customer", customer_duns="",
                 customer_domain="", contact_email="")
    lead_create(actor=cast.vendor_admin, company="Vendor Direct Customer", country="CZ", last_name="Buyer")
    return Conflict.objects.get()


def _webhook_endpoint(cast):
    from webhooks.services import webhook_endpoint_create

    return webhook_endpoint_create(actor=cast.partner_a_admin, url="https://hooks.alpha.example/prm",
                                   event_types=["registration.submitted"])


# label -> (who sees the screens: "staff" = vendor admins and channel managers, "admin" = vendor admins only;
#           how to build an object of partner A, or None when the model has none;
#           whether the object is reference data every channel manager sees (not one partner's))
EXPECTED = {
    "accounts.user": ("staff", lambda cast: cast.partner_a_user, False),
    "accounts.partneraccount": ("staff", lambda cast: cast.partner_a, False),
    "accounts.businessprofile": ("staff", lambda cast: BusinessProfile.objects.get_or_create(
        partner_account=cast.partner_a)[0], False),
    "accounts.contact": ("staff", lambda cast: ContactFactory(partner_account=cast.partner_a), False),
    "accounts.portalsettings": ("admin", lambda cast: PortalSettings.load(), True),
    "leads.lead": ("staff", lambda cast: LeadFactory(partner_account=cast.partner_a, owner=cast.partner_a_user),
                   False),
    "leads.queue": ("staff", lambda cast: QueueFactory(accounts=[cast.partner_a]), True),
    "leads.roundrobingroup": ("admin", None, True),
    "leads.assignmentrule": ("admin", None, True),
    "leads.claimlimitsettings": ("admin", None, True),
    "leads.businesscalendar": ("admin", None, True),  # issue 13: service-level calendars and levels
    "leads.queueservicelevel": ("admin", None, True),
    "notifications.notificationpolicy": ("admin", None, True),  # issue 13: kinds the vendor makes mandatory
    "leads.partnerclaimlimit": ("admin", lambda cast: PartnerClaimLimit.objects.create(
        partner_account=cast.partner_a, max_open_per_user=3), False),
    "opportunities.stage": ("admin", None, True),
    "opportunities.opportunity": ("staff", lambda cast: OpportunityFactory(
        partner_account=cast.partner_a, owner=cast.partner_a_user), False),
    "opportunities.customeraccount": ("staff", lambda cast: CustomerAccountFactory(partner_account=cast.partner_a),
                                      False),
    "referrals.referral": ("staff", lambda cast: inbound(actor=cast.channel_manager, partner=cast.partner_a),
                           False),
    "referrals.dealregistration": ("staff", _registration, False),
    "core.emailtemplate": ("admin", None, True),
    "core.outboxmessage": ("admin", None, True),
    "core.activityevent": ("admin", lambda cast: ActivityEvent.objects.filter(
        partner_account=cast.partner_a).first(), False),
    "core.resource": ("admin", _resource, False),
    "sharing.sharingrule": ("admin", None, True),
    "registrations.registration": ("staff", lambda cast: _deal_registration(cast), False),
    "registrations.conflict": ("staff", lambda cast: _conflict(cast), False),
    "webhooks.webhookendpoint": ("admin", lambda cast: _webhook_endpoint(cast), False),
    "webhooks.webhookdelivery": ("admin", None, False),
    "auth.group": ("admin", lambda cast: Group.objects.create(name="Alpha helpers"), True),
    "account.emailaddress": ("admin", None, True),
    "core.apitoken": ("admin", lambda cast: api_token_create(actor=cast.partner_a_user, name="Alpha CRM")[0], False),
    "django_celery_beat.periodictask": ("admin", None, True),
    "django_celery_beat.clockedschedule": ("admin", None, True),
    "django_celery_beat.crontabschedule": ("admin", None, True),
    "django_celery_beat.solarschedule": ("admin", None, True),
    "django_celery_beat.intervalschedule": ("admin", None, True),
}

REGISTERED = sorted(model._meta.label_lower for model in admin.site._registry)
WITH_OBJECT = [label for label in REGISTERED if label in EXPECTED and EXPECTED[label][1] is not None]


def _model_admin(label):
    return next(a for m, a in admin.site._registry.items() if m._meta.label_lower == label)


def expected_list(label, role):
    audience = EXPECTED[label][0]
    if role == "anonymous":
        return LOGIN
    if role in PARTNER_PEOPLE:
        return 403
    if role == "vendor_admin" or audience == "staff":
        return 200
    return 403


def expected_change(label, role):
    audience, _build, reference = EXPECTED[label]
    status = expected_list(label, role)
    if status != 200 or role == "vendor_admin" or reference or role in MANAGERS_OF_A:
        return status
    return 404  # a channel manager who does not manage partner A: no such row for him


def _as(client, cast, role):
    client.logout()
    if role != "anonymous":
        client.force_login(getattr(cast, role))
    return client


def test_every_admin_has_an_entry():
    missing = sorted(set(REGISTERED) - set(EXPECTED))
    assert not missing, f"ModelAdmins with no entry in tests/admin/test_admin_matrix.py: {missing}"


def _check(response, expected, role):
    if response.status_code != expected:
        return f"{role}: got {response.status_code}, expected {expected}"
    if expected == LOGIN and not response["Location"].startswith(reverse("admin:login")):
        return f"{role}: redirected to {response['Location']}, not to the admin's sign-in"
    return None


@pytest.mark.parametrize("label", REGISTERED)
def test_change_list(label, cast, client):
    opts = _model_admin(label).model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    wrong = [_check(_as(client, cast, role).get(url), expected_list(label, role), role) for role in ROLES]
    assert not [w for w in wrong if w], f"{url}: {[w for w in wrong if w]}"


@pytest.mark.parametrize("label", WITH_OBJECT)
def test_change_form_of_partner_as_object(label, cast, client):
    obj = EXPECTED[label][1](cast)
    assert obj is not None, f"no object of partner A built for {label}"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    wrong = [_check(_as(client, cast, role).get(url), expected_change(label, role), role) for role in ROLES]
    assert not [w for w in wrong if w], f"{url}: {[w for w in wrong if w]}"


def _snapshot(obj):
    fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
    return None if fresh is None else model_to_dict(fresh, exclude=["last_login"])  # signing in sets it


@pytest.mark.parametrize("label", WITH_OBJECT)
def test_admin_actions_leave_partner_as_object_alone_for_who_may_not(label, cast, client):
    model_admin = _model_admin(label)
    actions = {"delete_selected", *(name if isinstance(name, str) else name.__name__
                                    for name in (model_admin.actions or ()))}
    obj = EXPECTED[label][1](cast)
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    reference = EXPECTED[label][2]
    wrong = []
    for role in ROLES:
        if role == "vendor_admin" or role in MANAGERS_OF_A or (reference and role.endswith("channel_manager")):
            continue  # they may act on it (or it is no partner's)
        for action in sorted(actions):
            before = _snapshot(obj)
            response = _as(client, cast, role).post(url, {"action": action, "_selected_action": [obj.pk],
                                                          "post": "yes"})
            # 200: the action is not offered to them (the list again) or found nothing of theirs to act on.
            if response.status_code not in (200, 302, 403) or _snapshot(obj) != before:
                wrong.append(f"{role} {action}: {response.status_code}, changed={_snapshot(obj) != before}")
    assert not wrong, f"{label}: {wrong}"


def test_a_managers_action_works_on_his_own_partner(cast, client):
    from accounts.models import PartnerAccount

    client.force_login(cast.granted_channel_manager)
    response = client.post(reverse("admin:accounts_partneraccount_changelist"),
                           {"action": "disable_partner", "_selected_action": [cast.partner_a.pk]})
    assert response.status_code == 302
    assert not PartnerAccount.objects.get(pk=cast.partner_a.pk).is_partner
    client.force_login(cast.other_channel_manager)
    client.post(reverse("admin:accounts_partneraccount_changelist"),
                {"action": "enable_as_partner", "_selected_action": [cast.partner_a.pk]})
    assert not PartnerAccount.objects.get(pk=cast.partner_a.pk).is_partner
