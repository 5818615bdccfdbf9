"""The authorization matrix's vocabulary. Each app lists its URLs in tests/authz/expect_<app>.py.

An entry says, for one URL name, how to build its arguments from the cast and which status each
member of the cast gets. The matrix test walks the URL resolver: a view with no entry fails it.
"""

from dataclasses import dataclass, field

ROLES = (
    "anonymous",
    "partner_a_user",
    "partner_a_admin",
    "partner_b_user",
    "channel_manager",  # owns partner A
    "other_channel_manager",  # owns partner B only
    "vendor_admin",
    "granted_channel_manager",  # a channel manager a vendor admin granted partner A (not its owner)
    "read_only_partner",  # partner C's rep, to whom sharing rules show every record READ-ONLY
    "token_partner_a_user",  # partner A's rep through an API token, no session
    "token_must_change_password",  # the same rep with a temporary password still to change
    "token_prm_off",  # the same rep, on a portal where PRM is not enabled yet
)
# Roles expected to get what another role gets, unless an entry names them.
SAME_AS = {"granted_channel_manager": "channel_manager", "read_only_partner": "partner_b_user"}
TOKEN_ROLES = ("token_partner_a_user", "token_must_change_password", "token_prm_off")
# What the read-only share gives partner C where it differs from an outsider's 404: it READS A's shared records
# (pages, files, API), and every change is refused — a redirect or a page with the refusal message (leads: 302;
# referral forms: 400), 403 where the view refuses outright — and nothing is written (tests/sharing/test_read_only.py
# checks the records). Favourites only bookmark a referral for the person, so they are allowed.
READ_ONLY_SHARE = {
    "leads:detail": 200, "leads:resource_file": 200, "leads_api:lead-detail": 200,
    "leads:edit": 302, "leads:convert": 302,
    "opportunities:detail": 200, "opportunities:live": 200, "opportunities:resource_file": 200,
    "opportunities:edit": 403, "opportunities:stage": 403, "opportunities:resource_add": 302,
    "referrals:detail": 200, "referrals_api:referral-detail": 200, "referrals:favorite": 302,
    "referrals:accept": 400, "referrals:decline": 400, "referrals:edit": 400, "referrals:lost": 400,
    "referrals:register": 400, "referrals:team_add": 400, "referrals:stage": 302, "referrals:won": 302,
    "referrals_api:referral-accept": 403, "referrals_api:referral-decline": 403, "referrals_api:referral-lost": 403,
    "referrals_api:referral-won": 403, "referrals_api:referral-stage": 403,
}
# What a token client gets from the API in each state; pages ignore tokens (they answer as to anonymous).
TOKEN_API_GATE = {"token_must_change_password": 403, "token_prm_off": 503}
PARTNER_ROLES = ("partner_a_user", "partner_a_admin", "partner_b_user")
VENDOR_ROLES = ("channel_manager", "other_channel_manager", "vendor_admin")
LOGIN = 302  # anonymous is sent to the sign-in page


@dataclass
class Expect:
    status: dict  # role -> expected status code; roles not named get `default`
    default: int = 200
    kwargs: object = None  # callable(cast) -> URL kwargs
    method: str = "get"
    data: object = None  # callable(cast) -> POST data
    query: str = ""
    extra: dict = field(default_factory=dict)
    name: str = ""  # the URL name, set by the matrix test

    def expected(self, role, *, api=False):
        if role in self.status:
            return self.status[role]
        if role in TOKEN_ROLES:
            if not api:
                return self.expected("anonymous")
            return TOKEN_API_GATE.get(role) or self.expected("partner_a_user")
        if role == "read_only_partner" and self.name in READ_ONLY_SHARE:
            return READ_ONLY_SHARE[self.name]
        if role in SAME_AS:
            return self.expected(SAME_AS[role])
        return self.default


def signed_in(default=200, **status):
    """Any signed-in member of the cast gets `default`; anonymous goes to sign-in."""
    return {"anonymous": LOGIN, **status}


def only(allowed, ok=200, denied=404, **status):
    """Roles in `allowed` get `ok`; every other signed-in role `denied`; anonymous goes to sign-in."""
    table = {role: (ok if role in allowed else denied) for role in ROLES
             if role not in SAME_AS and role not in TOKEN_ROLES}
    table["anonymous"] = LOGIN
    table.update(status)
    return table
