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
    "token_partner_a_user",  # partner A's rep through an API token, no session
    "token_must_change_password",  # the same rep with a temporary password still to change
    "token_prm_off",  # the same rep, on a portal where PRM is not enabled yet
)
# Roles expected to get what another role gets, unless an entry names them.
SAME_AS = {"granted_channel_manager": "channel_manager"}
TOKEN_ROLES = ("token_partner_a_user", "token_must_change_password", "token_prm_off")
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

    def expected(self, role, *, api=False):
        if role in self.status:
            return self.status[role]
        if role in TOKEN_ROLES:
            if not api:
                return self.expected("anonymous")
            return TOKEN_API_GATE.get(role) or self.expected("partner_a_user")
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
