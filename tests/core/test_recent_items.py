from datetime import timedelta

import pytest
from django.utils import timezone

from prm_portal.core.selectors import recent_item_list_for
from prm_portal.core.services import RECENT_ITEMS_KEPT, recent_item_touch
from tests.factories import LeadFactory


@pytest.mark.django_db
def test_touching_again_moves_a_record_to_the_top_without_a_duplicate(partner_a_user):
    mine = {"owner": partner_a_user, "partner_account": partner_a_user.partner_account}
    first, second = LeadFactory(company="First", **mine), LeadFactory(company="Second", **mine)
    recent_item_touch(user=partner_a_user, target=first, label="First", url="/leads/1/")
    recent_item_touch(user=partner_a_user, target=second, label="Second", url="/leads/2/")
    recent_item_touch(user=partner_a_user, target=first, label="First (renamed)", url="/leads/1/")
    assert [item.label for item in recent_item_list_for(user=partner_a_user)] == ["First (renamed)", "Second"]


@pytest.mark.django_db
def test_only_the_newest_items_are_kept(partner_a_user, partner_b_user):
    mine = {"owner": partner_a_user, "partner_account": partner_a_user.partner_account}
    leads = [LeadFactory(company=f"Lead {i}", **mine) for i in range(RECENT_ITEMS_KEPT + 3)]
    bs = LeadFactory(company="B's", owner=partner_b_user, partner_account=partner_b_user.partner_account)
    recent_item_touch(user=partner_b_user, target=bs, label="B's", url="/x/")
    for lead in leads:
        recent_item_touch(user=partner_a_user, target=lead, label=lead.company, url=f"/leads/{lead.pk}/")
    kept = [item.label for item in recent_item_list_for(user=partner_a_user, limit=50)]
    assert kept == [lead.company for lead in reversed(leads)][:RECENT_ITEMS_KEPT]
    assert [item.label for item in recent_item_list_for(user=partner_b_user)] == ["B's"]


@pytest.mark.django_db
def test_items_the_user_can_no_longer_see_drop_out(partner_a_user, partner_b_user):
    lead = LeadFactory(company="Moved away", owner=partner_a_user, partner_account=partner_a_user.partner_account)
    recent_item_touch(user=partner_a_user, target=lead, label="Moved away", url=f"/leads/{lead.pk}/")
    type(lead).objects.filter(pk=lead.pk).update(owner=partner_b_user, partner_account=partner_b_user.partner_account)
    assert recent_item_list_for(user=partner_a_user) == []


@pytest.mark.django_db
@pytest.mark.parametrize("statements", ["sent as text", "prepared"])
def test_the_sidebar_reads_the_items_in_one_statement_with_their_types_from_the_cache(partner_a_user, statements,
                                                                                      monkeypatch,
                                                                                      django_assert_num_queries):
    """The hand-written items statement reads what the ORM's would, content types included (no query per item),
    sent as text or prepared on a kept connection (prm_portal.core.sql.execute_prepared)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from prm_portal.core.models import RecentItem
    from prm_portal.core.selectors import _recent_items

    ct = ContentType.objects.get_for_model(RecentItem)
    for n in range(12):
        RecentItem.objects.create(user=partner_a_user, content_type=ct, object_id=n, label=f"Item {n}", url=f"/x/{n}/",
                                  touched_at=timezone.now() - timedelta(minutes=n))
    expected = list(RecentItem.objects.filter(user=partner_a_user).order_by("-touched_at")[:10])
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0 if statements == "sent as text" else 60)
    with django_assert_num_queries(1) as ctx:
        items = _recent_items(partner_a_user.pk, 10)
        assert [(i.pk, i.label, i.url, i.touched_at, i.content_type) for i in items] == [
            (i.pk, i.label, i.url, i.touched_at, ct) for i in expected]
    assert ctx.captured_queries[0]["sql"].startswith("EXECUTE prm_") == (statements == "prepared")
