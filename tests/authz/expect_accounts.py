"""Accounts URLs × the cast. Vendor-staff screens answer 404 to partners (ids leak nothing)."""

from accounts.models import Contact, PartnerLocation

from .matrix import VENDOR_ROLES, Expect, only, signed_in

STAFF_OF_A = ("channel_manager", "vendor_admin")
ADMIN_ONLY = {**only(("vendor_admin",)), "channel_manager": 403, "other_channel_manager": 403}


def _a(cast):
    return {"pk": cast.partner_a.pk}


def _contact_a(cast):
    contact = Contact.objects.create(partner_account=cast.partner_a, first_name="Cleo", last_name="Contact",
                                     email="cleo@alpha.example")
    return {"pk": contact.pk}


def _location_a(cast):
    location = PartnerLocation.objects.create(partner_account=cast.partner_a, name="HQ", city="Prague")
    return {"pk": location.pk}


def _user_a(cast):
    return {"pk": cast.partner_a_user.pk}


EXPECTATIONS = {
    "accounts:profile": Expect(signed_in()),
    # Issue 13: a person's own away dates (empty: not away); the form posts and goes back to the profile.
    "accounts:availability": Expect(signed_in(), default=302, method="post",
                                    data=lambda cast: {"away_from": "", "away_until": ""}),
    "accounts:preferences": Expect(signed_in(), default=302, method="post",
                                   data=lambda cast: {"language": "en", "time_zone": "Europe/Prague"}),
    # Nobody in the cast must change their password: the page sends them on to allauth's change page.
    "accounts:password_required": Expect(signed_in(), default=302),
    # A made-up token: the page says the link no longer works, to everyone.
    "accounts:welcome": Expect({}, default=400, kwargs=lambda cast: {"uidb64": "MQ", "token": "abc-123"}),
    "accounts:prm_settings": Expect(ADMIN_ONLY),
    "accounts:account_list": Expect(only(VENDOR_ROLES)),
    "accounts:account_create": Expect(only(VENDOR_ROLES)),
    "accounts:account_detail": Expect(only(STAFF_OF_A), kwargs=_a),
    "accounts:account_edit": Expect(only(STAFF_OF_A), kwargs=_a),
    "accounts:account_enable": Expect(only(STAFF_OF_A, ok=302), kwargs=_a, method="post"),
    "accounts:account_disable": Expect(only(STAFF_OF_A, ok=302), kwargs=_a, method="post"),
    "accounts:contact_create": Expect(only(STAFF_OF_A), kwargs=_a),
    "accounts:user_enable": Expect(only(STAFF_OF_A), kwargs=_contact_a),
    "accounts:user_edit": Expect(only(("partner_a_admin", *STAFF_OF_A)), kwargs=_user_a),
    # H6: partner A's admin (and A's managers) invite people to partner A; a rep, another partner: 404.
    "accounts:user_invite": Expect(only(("partner_a_admin", *STAFF_OF_A)), kwargs=_a),
    # Partner A's admin manages partner A's users too.
    "accounts:user_set_active": Expect(only(("partner_a_admin", *STAFF_OF_A), ok=302), kwargs=_user_a,
                                       method="post", data=lambda cast: {"active": "0"}),
    # partner_a_user has signed in already: the resend is refused with a message (a redirect) for staff of A.
    "accounts:user_welcome_resend": Expect(only(STAFF_OF_A, ok=302), kwargs=_user_a, method="post"),
    "accounts:account_share": Expect({**ADMIN_ONLY, "vendor_admin": 302}, kwargs=_a, method="post",
                                     data=lambda cast: {"channel_manager": cast.other_channel_manager.pk}),
    "accounts:my_business_profile": Expect(signed_in(), default=302),
    "accounts:business_profile": Expect(
        only(("partner_a_user", "partner_a_admin", *STAFF_OF_A)), kwargs=_a),
    "accounts:location_create": Expect(
        {**only(("partner_a_admin", *STAFF_OF_A)), "partner_a_user": 403}, kwargs=_a),
    "accounts:location_edit": Expect(
        {**only(("partner_a_admin", *STAFF_OF_A)), "partner_a_user": 403}, kwargs=_location_a),
}

