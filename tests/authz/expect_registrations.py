"""Deal registrations and channel conflicts (H3, H4): who gets what. Partner A's registration is invisible (404) to
partner B and to B's manager; conflicts are vendor staff's who manage either side; partners never see one."""

from registrations.models import Conflict
from tests.registrations.factories import registration

from .matrix import Expect, only, signed_in

SEES_A = ("partner_a_user", "partner_a_admin", "channel_manager", "vendor_admin")
A_MEMBERS = ("partner_a_user", "partner_a_admin")
PARTNERS = ("partner_a_user", "partner_a_admin", "partner_b_user")
VENDOR = ("channel_manager", "other_channel_manager", "vendor_admin")
API_ANON = {"anonymous": 401}


def a_registration(cast):
    return {"pk": registration(actor=cast.partner_a_user).pk}


def a_conflict(cast):
    registration(actor=cast.partner_a_user)
    registration(actor=cast.partner_b_user)
    return {"pk": Conflict.objects.get().pk}


def post(kwargs, allowed=SEES_A, ok=400, **status):
    return Expect(only(allowed, ok=ok, **status), kwargs=kwargs, method="post")


EXPECTATIONS = {
    "registrations:list": Expect(signed_in()),
    "registrations:new": Expect(only(PARTNERS)),
    "registrations:detail": Expect(only(SEES_A), kwargs=a_registration),
    # Empty forms: who may act gets the form back with its errors (400); others 404.
    "registrations:review": post(a_registration, allowed=("channel_manager", "vendor_admin")),
    "registrations:extend": post(a_registration, allowed=("channel_manager", "vendor_admin")),
    "registrations:resubmit": post(a_registration, allowed=A_MEMBERS),
    # Not approved yet: nothing to extend; the partner reads why (400).
    "registrations:renewal": post(a_registration, allowed=A_MEMBERS),
    "registrations:conflicts": Expect(only(VENDOR)),
    "registrations:conflict_detail": Expect(only(VENDOR), kwargs=a_conflict),
    "registrations:conflict_resolve": post(a_conflict, allowed=VENDOR),
    "registrations_api:registration-list": Expect(signed_in(200, **API_ANON)),
    "registrations_api:registration-detail": Expect(only(SEES_A, **API_ANON), kwargs=a_registration),
}
