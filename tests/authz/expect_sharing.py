"""Sharing URLs (the external user access wizard) × the cast: vendor admins only; partners get 404."""

from .expect_accounts import ADMIN_ONLY
from .matrix import Expect

EXPECTATIONS = {
    "sharing:start": Expect(ADMIN_ONLY),
    # Without a wizard in progress the step sends the admin back to the wizard's first page.
    "sharing:step": Expect({**ADMIN_ONLY, "vendor_admin": 302}, kwargs=lambda cast: {"step": 1}),
    "sharing:done": Expect({**ADMIN_ONLY, "vendor_admin": 302}, method="post"),
    "sharing:cancel": Expect({**ADMIN_ONLY, "vendor_admin": 302}, method="post"),
}
