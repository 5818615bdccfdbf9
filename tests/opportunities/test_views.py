import csv
import io
from datetime import date
from urllib.parse import quote

import pytest
from django.urls import reverse

from opportunities.models import Opportunity
from prm_portal.core.models import RecentItem, Resource
from prm_portal.core.selectors import activity_list_for

pytestmark = pytest.mark.django_db

LIST = "/opportunities/"


def _names(response):
    return [o.name for o in response.context["page"]]


def _form(opp, **changes):
    data = {"name": opp.name, "customer_name": opp.customer_account.name, "amount": opp.amount or "",
            "currency": opp.currency, "close_date": opp.close_date or "", "stage": opp.stage_id,
            "next_step": opp.next_step, "description": opp.description, "owner": opp.owner_id}
    data.update(changes)
    return data


@pytest.fixture
def pipeline(cast, make_opportunity, stages):
    """Two deals of A's rep, one of A's admin, one of B's rep."""
    return {
        "rep_1": make_opportunity(cast.partner_a_user, name="Rep one", amount=1000, close_date=date(2027, 1, 15)),
        "rep_2": make_opportunity(cast.partner_a_user, name="Rep two", amount=5000, close_date=date(2027, 6, 1),
                                  stage=stages["Proposal"]),
        "admin": make_opportunity(cast.partner_a_admin, name="Admin deal", amount=3000),
        "beta": make_opportunity(cast.partner_b_user, name="Beta deal", amount=9000),
    }


def test_my_opportunities_lists_only_the_reps_own(cast, pipeline, login_as):
    response = login_as(cast.partner_a_user).get(LIST)
    assert sorted(_names(response)) == ["Rep one", "Rep two"]
    assert response.context["query"].view == "mine"


def test_partner_admin_all_view_is_the_partners_whole_pipeline(cast, pipeline, login_as):
    client = login_as(cast.partner_a_admin)
    assert _names(client.get(LIST)) == ["Admin deal"]
    assert sorted(_names(client.get(LIST, {"view": "all"}))) == ["Admin deal", "Rep one", "Rep two"]


def test_a_partner_user_cannot_pick_the_all_view(cast, pipeline, login_as):
    response = login_as(cast.partner_a_user).get(LIST, {"view": "all"})
    assert response.context["query"].view == "mine"
    assert "Admin deal" not in _names(response)


def test_channel_manager_sees_the_deals_of_the_partners_they_own(cast, pipeline, login_as):
    assert sorted(_names(login_as(cast.channel_manager).get(LIST))) == ["Admin deal", "Rep one", "Rep two"]
    assert _names(login_as(cast.other_channel_manager).get(LIST)) == ["Beta deal"]


def test_recently_viewed_lists_the_deals_the_user_opened_last_first(cast, pipeline, login_as):
    client = login_as(cast.partner_a_admin)
    client.get(reverse("opportunities:detail", args=[pipeline["rep_2"].pk]))
    client.get(reverse("opportunities:detail", args=[pipeline["admin"].pk]))
    assert _names(client.get(LIST, {"view": "recent"})) == ["Admin deal", "Rep two"]


def test_filters_by_stage_and_close_date(cast, pipeline, stages, login_as):
    client = login_as(cast.partner_a_user)
    assert _names(client.get(LIST, {"stage": stages["Proposal"].pk})) == ["Rep two"]
    assert _names(client.get(LIST, {"close_from": "2027-01-01", "close_to": "2027-02-01"})) == ["Rep one"]


def test_sorting_by_amount_both_ways(cast, pipeline, login_as):
    client = login_as(cast.channel_manager)
    assert _names(client.get(LIST, {"sort": "amount"})) == ["Rep one", "Admin deal", "Rep two"]
    assert _names(client.get(LIST, {"sort": "-amount"})) == ["Rep two", "Admin deal", "Rep one"]


def test_an_unknown_sort_key_is_ignored(cast, pipeline, login_as):
    response = login_as(cast.channel_manager).get(LIST, {"sort": "owner__password"})
    assert response.status_code == 200 and len(_names(response)) == 3


def test_paging_keeps_the_view_and_filters(cast, make_opportunity, login_as):
    for i in range(30):
        make_opportunity(cast.partner_a_admin, name=f"Deal {i:02d}")
    response = login_as(cast.partner_a_admin).get(LIST, {"view": "all", "sort": "name", "page": 2})
    assert _names(response) == [f"Deal {i:02d}" for i in range(25, 30)]
    html = response.content.decode()
    assert "view=all" in html and "sort=name" in html and "page=1" in html


def test_list_runs_a_constant_number_of_queries(cast, make_opportunity, login_as, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login_as(cast.channel_manager)
    make_opportunity(cast.partner_a_user)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for i in range(20):
        make_opportunity(cast.partner_a_user if i % 2 else cast.partner_a_admin, name=f"D{i}", customer=f"C{i}")
    with django_assert_max_num_queries(len(few)):  # no more queries with more rows
        assert len(_names(client.get(LIST))) == 21
    assert len(few) <= 10


def test_csv_export_is_the_list_view_as_filtered(cast, pipeline, stages, login_as):
    response = login_as(cast.partner_a_admin).get(
        reverse("opportunities:export"), {"view": "all", "stage": stages["Prospecting"].pk, "sort": "name"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["name"] for r in rows] == ["Admin deal", "Rep one"]
    assert rows[1]["amount"] == "1000.00" and rows[1]["partner_account"] == "Alpha Partners"


def test_csv_export_never_includes_another_partners_deals(cast, pipeline, login_as):
    response = login_as(cast.partner_b_user).get(reverse("opportunities:export"))
    body = b"".join(response.streaming_content).decode()
    assert "Beta deal" in body and "Rep one" not in body and "Admin deal" not in body


def test_new_creates_an_owned_opportunity_and_returns_to_the_list(cast, stages, login_as):
    next_url = "/opportunities/?view=mine&sort=-amount"
    response = login_as(cast.partner_a_user).post(
        reverse("opportunities:create"),
        {"name": "Fresh deal", "customer_name": "Pivovar Lipno", "amount": "1200", "currency": "CZK",
         "close_date": "2027-02-02", "stage": stages["Qualification"].pk, "next_step": "Call",
         "description": "", "owner": cast.partner_a_admin.pk, "next": next_url},
    )
    assert response.status_code == 302 and response["Location"] == next_url
    opp = Opportunity.objects.get(name="Fresh deal")
    assert opp.owner == cast.partner_a_user  # a rep cannot create for someone else
    assert opp.currency == "CZK" and opp.partner_account == cast.partner_a


def test_new_with_a_missing_name_shows_the_error_and_creates_nothing(cast, stages, login_as):
    response = login_as(cast.partner_a_user).post(
        reverse("opportunities:create"),
        {"name": "", "customer_name": "X", "currency": "EUR", "stage": stages["Qualification"].pk,
         "owner": cast.partner_a_user.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not Opportunity.objects.exists()


def test_edit_saves_and_returns_to_the_list_view_it_came_from(cast, opp_a, stages, login_as):
    next_url = "/opportunities/?view=mine&stage=&sort=close_date"
    client = login_as(cast.partner_a_user)
    page = client.get(reverse("opportunities:edit", args=[opp_a.pk]) + "?next=" + quote(next_url))
    assert f'value="{next_url}"'.replace("&", "&amp;") in page.content.decode()
    response = client.post(reverse("opportunities:edit", args=[opp_a.pk]),
                           {**_form(opp_a, stage=stages["Proposal"].pk, next_step="Demo"), "next": next_url})
    assert response.status_code == 302 and response["Location"] == next_url
    opp_a.refresh_from_db()
    assert opp_a.stage == stages["Proposal"] and opp_a.next_step == "Demo"
    assert activity_list_for(target=opp_a).first().data["changes"] == {"stage": ["Prospecting", "Proposal"]}


def test_edit_never_redirects_to_another_site(cast, opp_a, login_as):
    response = login_as(cast.partner_a_user).post(
        reverse("opportunities:edit", args=[opp_a.pk]), {**_form(opp_a), "next": "https://evil.example/"}
    )
    assert response["Location"] == LIST


def test_a_rep_cannot_hand_the_deal_to_someone_else(cast, opp_a, login_as):
    login_as(cast.partner_a_user).post(reverse("opportunities:edit", args=[opp_a.pk]),
                                       _form(opp_a, owner=cast.partner_a_admin.pk))
    opp_a.refresh_from_db()
    assert opp_a.owner == cast.partner_a_user


def test_partner_admin_reassigns_the_deal_to_another_rep(cast, opp_a, login_as):
    login_as(cast.partner_a_admin).post(reverse("opportunities:edit", args=[opp_a.pk]),
                                        _form(opp_a, owner=cast.partner_a_admin.pk))
    opp_a.refresh_from_db()
    assert opp_a.owner == cast.partner_a_admin


@pytest.mark.parametrize("name", ["detail", "edit", "live"])
def test_outsider_gets_404_on_another_partners_deal(cast, opp_a, login_as, name):
    for outsider in (cast.partner_b_user, cast.other_channel_manager):
        assert login_as(outsider).get(reverse(f"opportunities:{name}", args=[opp_a.pk])).status_code == 404


def test_outsider_cannot_post_a_stage_move_or_a_comment(cast, opp_a, stages, login_as):
    client = login_as(cast.partner_b_user)
    assert client.post(reverse("opportunities:stage", args=[opp_a.pk]),
                       {"stage": stages["Proposal"].pk}).status_code == 404
    assert client.post(reverse("opportunities:resource_add", args=[opp_a.pk]),
                       {"kind": "note", "body": "hi"}).status_code == 404
    opp_a.refresh_from_db()
    assert opp_a.stage.name == "Prospecting" and not Resource.objects.exists()


def test_a_partner_user_does_not_see_a_colleagues_deal(cast, make_opportunity, login_as):
    colleague_deal = make_opportunity(cast.partner_a_admin, name="Admin's")
    assert login_as(cast.partner_a_user).get(
        reverse("opportunities:detail", args=[colleague_deal.pk])).status_code == 404


def test_opening_a_deal_puts_it_in_recent_items(cast, opp_a, login_as):
    login_as(cast.channel_manager).get(reverse("opportunities:detail", args=[opp_a.pk]))
    item = RecentItem.objects.get(user=cast.channel_manager)
    assert item.label == "Alpha ERP rollout" and item.url == f"/opportunities/{opp_a.pk}/"


def test_live_fragment_shows_the_current_stage_for_polling(cast, opp_a, stages, login_as):
    client = login_as(cast.channel_manager)
    assert "Prospecting" in client.get(reverse("opportunities:live", args=[opp_a.pk])).content.decode()
    client2 = login_as(cast.partner_a_user)
    client2.post(reverse("opportunities:stage", args=[opp_a.pk]), {"stage": stages["Negotiation"].pk})
    html = login_as(cast.channel_manager).get(reverse("opportunities:live", args=[opp_a.pk])).content.decode()
    assert 'id="opp-stage">Negotiation<' in html
    assert 'hx-trigger="every' in html


def test_channel_manager_comment_is_seen_by_the_partner(cast, opp_a, login_as):
    response = login_as(cast.channel_manager).post(reverse("opportunities:resource_add", args=[opp_a.pk]),
                                                   {"kind": "note", "title": "Pricing tip", "body": "Offer 3 years."})
    assert response.status_code == 302
    html = login_as(cast.partner_a_user).get(reverse("opportunities:detail", args=[opp_a.pk])).content.decode()
    assert "Pricing tip" in html and "Offer 3 years." in html


def test_a_link_without_an_address_is_refused_with_a_message(cast, opp_a, login_as):
    client = login_as(cast.channel_manager)
    response = client.post(reverse("opportunities:resource_add", args=[opp_a.pk]),
                           {"kind": "link", "title": "Deck"}, follow=True)
    assert "A link needs an address." in response.content.decode()
    assert not Resource.objects.exists()


def test_timeline_as_of_a_date_hides_later_events(cast, opp_a, stages, login_as):
    from prm_portal.core.models import ActivityEvent

    ActivityEvent.objects.filter(object_id=opp_a.pk).update(created_at="2026-01-10T10:00:00Z")
    client = login_as(cast.partner_a_user)
    client.post(reverse("opportunities:stage", args=[opp_a.pk]), {"stage": stages["Proposal"].pk})
    events = client.get(reverse("opportunities:detail", args=[opp_a.pk]), {"until": "2026-02-01"}).context["events"]
    assert [e.verb for e in events] == ["opportunity.created"]


def test_vendor_staff_cannot_open_the_new_form(cast, login_as):
    assert login_as(cast.channel_manager).get(reverse("opportunities:create")).status_code == 403


def test_deal_page_shows_the_whole_history_back_to_the_source_lead(cast, make_opportunity, login_as):
    from prm_portal.core.services import activity_record
    from tests.factories import LeadFactory

    lead = LeadFactory(owner=cast.partner_a_user, partner_account=cast.partner_a, status="converted")
    from leads.events import LeadEvent

    activity_record(target=lead, event=LeadEvent.CLAIMED, actor=cast.partner_a_user, partner_account=cast.partner_a,
                    queue="Web leads")
    activity_record(target=lead, event=LeadEvent.STATUS_CHANGED, actor=cast.partner_a_user,
                    partner_account=cast.partner_a, changes={"status": ["new", "qualified"]})
    opp = make_opportunity(cast.partner_a_user, name="From the fair", source_lead=lead)
    response = login_as(cast.channel_manager).get(reverse("opportunities:detail", args=[opp.pk]))
    events = response.context["events"]
    assert [(e.source, e.verb) for e in events] == [
        ("opportunity", "opportunity.created"), ("lead", "lead.status_changed"), ("lead", "lead.claimed")]
    html = response.content.decode()
    assert "Adam Rep accepted the lead from Web leads" in html
    assert "Adam Rep changed the status from New to Qualified" in html
    assert "lead.claimed" not in html and "status_changed" not in html


def test_an_attached_file_is_served_only_to_those_who_see_the_deal(cast, opp_a, login_as, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    client = login_as(cast.channel_manager)
    client.post(reverse("opportunities:resource_add", args=[opp_a.pk]),
                {"kind": "file", "title": "Battle card", "file": SimpleUploadedFile("card.txt", b"Win this deal")})
    resource = Resource.objects.get()
    url = reverse("opportunities:resource_file", args=[opp_a.pk, resource.pk])
    response = login_as(cast.partner_a_user).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"Win this deal"
    assert login_as(cast.partner_b_user).get(url).status_code == 404


def test_csv_export_defuses_spreadsheet_formulas(cast, make_opportunity, login_as):
    make_opportunity(cast.partner_a_user, name='=HYPERLINK("http://evil.example","x")')
    response = login_as(cast.partner_a_user).get(reverse("opportunities:export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["name"].startswith("'=")


@pytest.fixture
def share_german_deals_with_partner_a(cast, django_capture_on_commit_callbacks):
    """A sharing rule (A3): partner B's deals with German customers are shared with partner A."""
    from sharing.selectors import RuleDraft
    from sharing.services import sharing_apply

    def _share(access="read"):
        with django_capture_on_commit_callbacks(execute=True):  # the grants are written after commit
            sharing_apply(actor=cast.vendor_admin, record_types=["opportunity"],
                          rules=[RuleDraft("opportunity", partner_account=cast.partner_a.pk, country="DE",
                                           access=access)])

    return _share


def test_a_deal_shared_read_only_is_listed_and_readable_but_not_editable(cast, make_opportunity, login_as,
                                                                          share_german_deals_with_partner_a):
    german = make_opportunity(cast.partner_b_user, name="Berlin rollout", customer="Berlin GmbH", country="DE")
    make_opportunity(cast.partner_b_user, name="Brno deal", customer="Brno s.r.o.", country="CZ")
    share_german_deals_with_partner_a()
    client = login_as(cast.partner_a_user)
    assert _names(client.get(LIST, {"view": "shared"})) == ["Berlin rollout"]
    assert _names(client.get(LIST)) == []  # My Opportunities stays the rep's own
    detail = client.get(reverse("opportunities:detail", args=[german.pk]))
    assert detail.status_code == 200 and "Shared with you read-only" in detail.content.decode()
    assert client.get(reverse("opportunities:edit", args=[german.pk])).status_code == 403
    assert client.post(reverse("opportunities:stage", args=[german.pk]), {"stage": german.stage_id}).status_code == 403
    assert login_as(cast.partner_b_user).get(reverse("opportunities:detail", args=[german.pk])).status_code == 200


def test_a_deal_shared_with_edit_access_can_be_edited(cast, make_opportunity, login_as,
                                                       share_german_deals_with_partner_a):
    german = make_opportunity(cast.partner_b_user, name="Berlin rollout", customer="Berlin GmbH", country="DE")
    share_german_deals_with_partner_a(access="edit")
    assert login_as(cast.partner_a_admin).get(reverse("opportunities:edit", args=[german.pk])).status_code == 200


def test_a_deal_created_after_the_rules_is_shared_at_once(cast, make_opportunity, login_as,
                                                          share_german_deals_with_partner_a):
    share_german_deals_with_partner_a()
    later = make_opportunity(cast.partner_b_user, name="Munich pilot", customer="München AG", country="DE")
    assert login_as(cast.partner_a_user).get(reverse("opportunities:detail", args=[later.pk])).status_code == 200
