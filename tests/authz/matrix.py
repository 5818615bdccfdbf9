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
)
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

    def expected(self, role):
        return self.status.get(role, self.default)


def signed_in(default=200, **status):
    """Any signed-in member of the cast gets `default`; anonymous goes to sign-in."""
    return {"anonymous": LOGIN, **status}


def only(allowed, ok=200, denied=404, **status):
    """Roles in `allowed` get `ok`; every other signed-in role `denied`; anonymous goes to sign-in."""
    table = {role: (ok if role in allowed else denied) for role in ROLES}
    table["anonymous"] = LOGIN
    table.update(status)
    return table
