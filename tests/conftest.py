"""The test cast of STYLE.md, and the real-browser set-up (Debian's Chromium, never a downloaded one)."""

import os
from types import SimpleNamespace

import pytest

from accounts.models import PortalSettings, User

from .factories import (
    PASSWORD,
    PartnerAccountFactory,
    PartnerAdminFactory,
    PartnerUserFactory,
    UserFactory,
    VendorAdminFactory,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "locale": "en-US"}


@pytest.fixture(autouse=True)
def _prm_state_forgotten():
    """The access policy remembers in-process that PRM is on (it never goes off again); each test has its own
    database, so each starts from a process that has seen nothing."""
    from accounts import access

    access.prm_state_forget()
    yield
    access.prm_state_forget()


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A test that activates a language (a page rendered in Polish, an email in Czech) leaves the thread in it; the
    next test on the same worker starts in English again, whatever ran before it."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def prm_enabled(db):
    PortalSettings.objects.update_or_create(
        id=1, defaults={"prm_enabled": True, "prm_enabled_at": "2026-01-01T00:00:00Z"}
    )


@pytest.fixture
def vendor_admin(db):
    return VendorAdminFactory(email="admin@vendor.example", first_name="Vera", last_name="Admin")


@pytest.fixture
def channel_manager(db):
    """Owns partner A."""
    return UserFactory(email="cm@vendor.example", first_name="Carl", last_name="Manager",
                       role=User.Role.CHANNEL_MANAGER)


@pytest.fixture
def other_channel_manager(db):
    """Owns partner B, not A."""
    return UserFactory(email="cm2@vendor.example", first_name="Olga", last_name="Other",
                       role=User.Role.CHANNEL_MANAGER)


@pytest.fixture
def partner_a(db, prm_enabled, channel_manager):
    return PartnerAccountFactory(name="Alpha Partners", owner=channel_manager)


@pytest.fixture
def partner_b(db, prm_enabled, other_channel_manager):
    return PartnerAccountFactory(name="Beta Resellers", owner=other_channel_manager)


@pytest.fixture
def partner_a_admin(partner_a):
    return PartnerAdminFactory(email="admin@alpha.example", first_name="Ada", last_name="Alpha",
                               partner_account=partner_a)


@pytest.fixture
def partner_a_user(partner_a):
    return PartnerUserFactory(email="rep@alpha.example", first_name="Adam", last_name="Rep",
                              partner_account=partner_a)


@pytest.fixture
def partner_b_user(partner_b):
    """The outsider: must see nothing of partner A's."""
    return PartnerUserFactory(email="rep@beta.example", first_name="Bob", last_name="Outsider",
                              partner_account=partner_b)


@pytest.fixture
def granted_channel_manager(vendor_admin, partner_a):
    """A channel manager a vendor admin granted partner A; he owns nothing, and manages A like its owner."""
    from accounts.services import partner_account_share

    manager = UserFactory(email="cm3@vendor.example", first_name="Gina", last_name="Granted",
                          role=User.Role.CHANNEL_MANAGER)
    partner_account_share(actor=vendor_admin, partner_account=partner_a, user=manager)
    return manager


@pytest.fixture
def read_only_partner(vendor_admin, prm_enabled, other_channel_manager, django_capture_on_commit_callbacks):
    """A user of partner C, which sharing rules give READ-ONLY access to every lead, opportunity and referral."""
    from accounts.models import RecordType
    from sharing.selectors import RuleDraft
    from sharing.services import sharing_apply

    partner_c = PartnerAccountFactory(name="Gamma Shared", owner=other_channel_manager)
    user = PartnerUserFactory(email="rep@gamma.example", first_name="Gil", last_name="Gamma",
                              partner_account=partner_c)
    types = [RecordType.LEAD, RecordType.OPPORTUNITY, RecordType.REFERRAL]
    with django_capture_on_commit_callbacks(execute=True):
        sharing_apply(actor=vendor_admin, record_types=types,
                      rules=[RuleDraft(record_type=t, partner_account=partner_c.pk) for t in types])
    return user


@pytest.fixture
def cast(vendor_admin, channel_manager, other_channel_manager, partner_a, partner_b, partner_a_admin,
         partner_a_user, partner_b_user, granted_channel_manager):
    return SimpleNamespace(
        granted_channel_manager=granted_channel_manager,
        vendor_admin=vendor_admin,
        channel_manager=channel_manager,
        other_channel_manager=other_channel_manager,
        partner_a=partner_a,
        partner_b=partner_b,
        partner_a_admin=partner_a_admin,
        partner_a_user=partner_a_user,
        partner_b_user=partner_b_user,
    )


@pytest.fixture
def login_as(client):
    """`login_as(user)` signs the test client in as that user and returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
