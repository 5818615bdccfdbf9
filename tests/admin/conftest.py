import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache

# What the demo's "channel_manager" group is given (accounts/management/commands/seed_demo.py): Django model
# permissions must not widen what the access policy lets a channel manager do in the admin.
DEMO_STAFF_MODELS = {
    "accounts": ["partneraccount", "partnerlocation", "contact", "user"],
    "leads": ["lead", "queue"],
    "opportunities": ["opportunity", "customeraccount", "customercontact"],
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth counts failed sign-ins in the cache: each test starts and ends with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def with_demo_permissions(db):
    """`with_demo_permissions(user)` gives a channel manager the demo group's model permissions (change_user...)
    and every auth/celery-beat permission on top: the admin must still hold him to his partners."""

    def _give(user):
        group, _ = Group.objects.get_or_create(name="channel_manager")
        perms = [p for p in Permission.objects.select_related("content_type")
                 if p.content_type.model in DEMO_STAFF_MODELS.get(p.content_type.app_label, ())
                 or p.content_type.app_label in ("auth", "django_celery_beat")]
        group.permissions.add(*perms)
        user.groups.add(group)
        return user

    return _give
