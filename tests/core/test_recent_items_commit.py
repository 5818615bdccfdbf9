"""A Recent Items touch on its own commits without waiting for the disk, and only that commit (issue 12)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from prm_portal.core.models import RecentItem
from prm_portal.core.services import recent_item_touch
from tests.factories import LeadFactory


@pytest.fixture(autouse=True, params=["sent as text", "prepared"])
def statements(request, monkeypatch):
    """Both ways: the touch sent as text, and prepared on a kept connection (prm_portal.core.sql.execute_prepared)."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0 if request.param == "sent as text" else 60)
    return request.param


def _synchronous_commit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_touch_on_its_own_is_saved_and_leaves_the_connection_as_it_was(cast, statements):
    lead = LeadFactory(owner=cast.partner_a_user, partner_account=cast.partner_a)
    ContentType.objects.get_for_model(lead)  # cached, as in a running portal
    with CaptureQueriesContext(connection) as ctx:
        recent_item_touch(user=cast.partner_a_user, target=lead, label=lead.company, url="/leads/1/")
    assert len(ctx.captured_queries) == 1  # its own transaction, in one round trip
    assert ("EXECUTE prm_" in ctx.captured_queries[0]["sql"]) == (statements == "prepared")
    assert RecentItem.objects.filter(user=cast.partner_a_user, object_id=lead.pk).exists()
    assert _synchronous_commit() == "on"


@pytest.mark.django_db(transaction=True)
def test_a_touch_inside_a_change_commits_with_it_durably(cast):
    lead = LeadFactory(owner=cast.partner_a_user, partner_account=cast.partner_a)
    with transaction.atomic():
        recent_item_touch(user=cast.partner_a_user, target=lead, label=lead.company, url="/leads/1/")
        assert _synchronous_commit() == "on"
    assert RecentItem.objects.filter(user=cast.partner_a_user, object_id=lead.pk).exists()
