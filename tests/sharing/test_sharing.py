"""A3, A4: the external user access wizard — record types, rules, a dry-run summary; Done applies, Cancel doesn't."""

import pytest
from django.urls import reverse

from accounts.models import PortalSettings
from leads.models import Lead
from opportunities.models import Opportunity
from prm_portal.core.errors import InvalidTransition
from sharing.models import (
    LeadGroupObjectPermission,
    LeadUserObjectPermission,
    OpportunityGroupObjectPermission,
    RecordType,
    SharingRule,
)
from sharing.selectors import RuleDraft, shared_pks_q, sharing_dry_run
from sharing.services import sharing_apply, sharing_grant_record
from tests.factories import (
    CustomerAccountFactory,
    LeadFactory,
    OpportunityFactory,
    PartnerUserFactory,
    QueueFactory,
)


@pytest.fixture
def apply(django_capture_on_commit_callbacks):
    """sharing_apply, then the grants rebuild it queues for after commit (Celery is eager in tests)."""

    def _apply(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return sharing_apply(**kwargs)

    return _apply


@pytest.fixture
def czech_leads(db):
    return [LeadFactory(country="CZ", industry="Retail") for _ in range(3)] + [LeadFactory(country="PL")]


def test_dry_run_counts_the_records_each_rule_would_expose(cast, czech_leads):
    rules = [
        RuleDraft(record_type="lead", partner_account=cast.partner_a.pk, country="CZ"),
        RuleDraft(record_type="lead", partner_account=cast.partner_b.pk, country="cz", industry="retail"),
        RuleDraft(record_type="lead", partner_account=cast.partner_b.pk, country="DE"),
    ]
    rows = sharing_dry_run(record_types=["lead"], rules=rules)
    assert [row["records"] for row in rows] == [3, 3, 0]
    assert rows[0]["users"] == 2  # partner A's admin and user


def test_dry_run_counts_nothing_for_a_type_that_is_not_shared(cast, czech_leads):
    rows = sharing_dry_run(record_types=["opportunity"], rules=[RuleDraft("lead", partner_account=cast.partner_a.pk)])
    assert rows[0]["records"] == 0 and rows[0]["shared"] is False


def test_dry_run_writes_nothing(cast, czech_leads):
    sharing_dry_run(record_types=["lead"], rules=[RuleDraft("lead", partner_account=cast.partner_a.pk)])
    assert not LeadGroupObjectPermission.objects.exists() and not SharingRule.objects.exists()


def test_apply_grants_matching_leads_to_the_partner_and_shared_pks_q_finds_them(cast, czech_leads, apply):
    apply(actor=cast.vendor_admin, record_types=["lead"],
                  rules=[RuleDraft("lead", partner_account=cast.partner_a.pk, country="CZ")])
    assert LeadGroupObjectPermission.objects.count() == 3
    seen = set(Lead.objects.filter(shared_pks_q(user=cast.partner_a_user, model=Lead)).values_list("pk", flat=True))
    assert seen == {lead.pk for lead in czech_leads[:3]}
    assert not Lead.objects.filter(shared_pks_q(user=cast.partner_b_user, model=Lead)).exists()
    assert not Lead.objects.filter(shared_pks_q(user=cast.partner_a_user, model=Lead, action="change")).exists()
    assert cast.partner_a_user.has_perm("leads.view_lead", czech_leads[0])  # django-guardian agrees


def test_edit_access_grants_change_too(cast, czech_leads, apply):
    apply(actor=cast.vendor_admin, record_types=["lead"],
                  rules=[RuleDraft("lead", partner_account=cast.partner_a.pk, country="PL", access="edit")])
    assert Lead.objects.filter(shared_pks_q(user=cast.partner_a_admin, model=Lead, action="change")).count() == 1


def test_queue_rule_grants_to_member_accounts_and_member_users(cast, czech_leads, apply):
    loner = PartnerUserFactory(partner_account=cast.partner_b, email="loner@beta.example")
    queue = QueueFactory(accounts=[cast.partner_a], users=[loner])
    apply(actor=cast.vendor_admin, record_types=["lead"],
                  rules=[RuleDraft("lead", queue=queue.pk, country="PL")])
    assert LeadGroupObjectPermission.objects.count() == 1  # one grant for the whole queue, not one per member
    assert not LeadUserObjectPermission.objects.exists()
    assert Lead.objects.filter(shared_pks_q(user=loner, model=Lead)).count() == 1
    assert Lead.objects.filter(shared_pks_q(user=cast.partner_a_user, model=Lead)).count() == 1
    assert not Lead.objects.filter(shared_pks_q(user=cast.partner_b_user, model=Lead)).exists()


def test_opportunity_rule_matches_on_the_customer_country(cast, apply):
    german = OpportunityFactory(partner_account=cast.partner_b,
                                customer_account=CustomerAccountFactory(partner_account=cast.partner_b, country="DE"))
    OpportunityFactory(partner_account=cast.partner_b)
    apply(actor=cast.vendor_admin, record_types=["opportunity"],
                  rules=[RuleDraft("opportunity", partner_account=cast.partner_a.pk, country="DE")])
    assert list(OpportunityGroupObjectPermission.objects.values_list("content_object_id", flat=True)) == [german.pk]
    assert list(Opportunity.objects.filter(shared_pks_q(user=cast.partner_a_user, model=Opportunity))) == [german]


def test_reapplying_replaces_the_previous_grants(cast, czech_leads, apply):
    apply(actor=cast.vendor_admin, record_types=["lead"],
                  rules=[RuleDraft("lead", partner_account=cast.partner_a.pk)])
    apply(actor=cast.vendor_admin, record_types=["lead"],
                  rules=[RuleDraft("lead", partner_account=cast.partner_b.pk, country="PL")])
    assert not Lead.objects.filter(shared_pks_q(user=cast.partner_a_user, model=Lead)).exists()
    assert SharingRule.objects.count() == 1 and LeadGroupObjectPermission.objects.count() == 1


def test_unsharing_a_record_type_removes_its_grants_but_keeps_the_rule(cast, czech_leads, apply):
    rules = [RuleDraft("lead", partner_account=cast.partner_a.pk)]
    apply(actor=cast.vendor_admin, record_types=["lead"], rules=rules)
    apply(actor=cast.vendor_admin, record_types=[], rules=rules)
    assert not LeadGroupObjectPermission.objects.exists() and SharingRule.objects.count() == 1
    assert not PortalSettings.objects.get().share_leads


def test_only_a_vendor_admin_applies_sharing(cast, apply):
    with pytest.raises(InvalidTransition):
        apply(actor=cast.channel_manager, record_types=["lead"], rules=[])


def test_rule_naming_a_missing_account_is_refused_and_nothing_changes(cast, czech_leads, apply):
    with pytest.raises(InvalidTransition):
        apply(actor=cast.vendor_admin, record_types=["lead"],
                      rules=[RuleDraft("lead", partner_account=cast.partner_a.pk),
                             RuleDraft("lead", partner_account=999999)])
    assert not SharingRule.objects.exists() and not LeadGroupObjectPermission.objects.exists()


# --- the wizard in pages ---


def _start(client, admin):
    client.force_login(admin)
    client.post(reverse("sharing:start"))


def test_wizard_walk_through_applies_the_rules_on_done(client, cast, czech_leads, django_capture_on_commit_callbacks):
    _start(client, cast.vendor_admin)
    step = lambda n: reverse("sharing:step", kwargs={"step": n})  # noqa: E731
    assert client.post(step(1), {"record_types": ["lead", "referral"]})["Location"] == step(2)
    client.post(step(2), {"action": "add", "record_type": "lead", "grantee": f"account:{cast.partner_a.pk}",
                          "country": "cz", "industry": "", "access": "read"})
    assert client.post(step(2), {"action": "next"})["Location"] == step(3)
    summary = client.get(step(3)).content.decode()
    assert "Alpha Partners" in summary and '<td class="count">3</td>' in summary
    assert not SharingRule.objects.exists()  # nothing applied before Done
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("sharing:done"), follow=True)
    assert len(callbacks) == 1  # the grants are written by Celery after commit
    assert "The sharing rules are saved" in response.content.decode()
    settings_row = PortalSettings.objects.get()
    assert settings_row.shared_record_types() == [RecordType.LEAD, RecordType.REFERRAL]
    assert SharingRule.objects.get().country == "CZ" and LeadGroupObjectPermission.objects.count() == 3


def test_wizard_cancel_leaves_the_rules_unchanged(client, cast, czech_leads, apply):
    apply(actor=cast.vendor_admin, record_types=["lead"],
                  rules=[RuleDraft("lead", partner_account=cast.partner_b.pk)])
    _start(client, cast.vendor_admin)
    step = lambda n: reverse("sharing:step", kwargs={"step": n})  # noqa: E731
    client.post(step(1), {"record_types": ["lead"]})
    client.post(step(2), {"action": "remove", "index": "0"})
    client.post(step(2), {"action": "next"})
    response = client.post(reverse("sharing:cancel"), follow=True)
    assert "unchanged" in response.content.decode()
    assert SharingRule.objects.get().partner_account == cast.partner_b
    assert LeadGroupObjectPermission.objects.count() == 4


def test_wizard_step_posted_out_of_order_is_refused(client, cast, czech_leads):
    _start(client, cast.vendor_admin)
    response = client.get(reverse("sharing:step", kwargs={"step": 3}), follow=True)
    assert "Finish step 1 first" in response.content.decode()
    response = client.post(reverse("sharing:done"), follow=True)
    assert "Review the summary" in response.content.decode()
    assert PortalSettings.objects.get().sharing_applied_at is None


def test_wizard_step_without_a_wizard_in_progress_sends_back_to_the_start(client, cast):
    client.force_login(cast.vendor_admin)
    response = client.post(reverse("sharing:step", kwargs={"step": 2}), {"action": "next"}, follow=True)
    assert "Start the external user access wizard" in response.content.decode()


def test_enabling_prm_leads_into_the_wizard(client, vendor_admin):
    client.force_login(vendor_admin)
    response = client.post(reverse("accounts:prm_settings"), {"enable": "on"}, follow=True)
    page = response.content.decode()
    assert "External user access wizard" in page and "Continue" in page and "Cancel" in page


def test_people_who_join_after_done_see_the_shared_records(cast, czech_leads, apply):
    queue = QueueFactory()
    apply(actor=cast.vendor_admin, record_types=["lead"],
                  rules=[RuleDraft("lead", partner_account=cast.partner_a.pk, country="CZ"),
                         RuleDraft("lead", queue=queue.pk, country="PL")])
    newcomer = PartnerUserFactory(partner_account=cast.partner_a, email="new@alpha.example")
    assert Lead.objects.filter(shared_pks_q(user=newcomer, model=Lead)).count() == 3
    queue.member_accounts.add(cast.partner_b)
    assert Lead.objects.filter(shared_pks_q(user=cast.partner_b_user, model=Lead)).count() == 1


def test_a_record_created_after_done_is_shared_by_sharing_grant_record(cast, czech_leads, apply):
    apply(actor=cast.vendor_admin, record_types=["lead"],
                  rules=[RuleDraft("lead", partner_account=cast.partner_a.pk, country="CZ")])
    fresh, other = LeadFactory(country="CZ"), LeadFactory(country="DE")
    assert sharing_grant_record(record=fresh) == 1 and sharing_grant_record(record=other) == 0
    seen = Lead.objects.filter(shared_pks_q(user=cast.partner_a_user, model=Lead))
    assert fresh in seen and other not in seen


def test_reapplying_removes_the_old_rules_groups(cast, czech_leads, apply):
    from django.contrib.auth.models import Group

    rules = [RuleDraft("lead", partner_account=cast.partner_a.pk)]
    apply(actor=cast.vendor_admin, record_types=["lead"], rules=rules)
    apply(actor=cast.vendor_admin, record_types=["lead"], rules=rules)
    assert Group.objects.filter(name__startswith="sharing-rule-").count() == 1


def test_rebuilding_the_grants_again_writes_each_grant_once(cast, czech_leads, apply):
    from sharing.services import sharing_grants_rebuild

    apply(actor=cast.vendor_admin, record_types=["lead"],
          rules=[RuleDraft("lead", partner_account=cast.partner_a.pk, access="edit")])
    assert sharing_grants_rebuild() == {"lead": 8}
    assert LeadGroupObjectPermission.objects.count() == 8


def test_done_writes_no_grant_before_commit(cast, czech_leads, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sharing_apply(actor=cast.vendor_admin, record_types=["lead"],
                      rules=[RuleDraft("lead", partner_account=cast.partner_a.pk)])
    assert len(callbacks) == 1 and not LeadGroupObjectPermission.objects.exists()


def test_the_grants_rebuild_costs_the_same_queries_with_ten_times_the_records(cast, apply):
    """`make bench-sharing` writes 1.2 M grants: each rule's grants are one INSERT ... SELECT per permission, so the
    rebuild's statements do not grow with the records it grants (a constant count, as the other hot paths keep)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sharing.services import sharing_grants_rebuild

    rules = [RuleDraft("lead", partner_account=cast.partner_a.pk, country="CZ", access="edit"),
             RuleDraft("lead", queue=QueueFactory(accounts=[cast.partner_b]).pk, country="CZ")]
    counts = []
    for leads in (3, 30):
        LeadFactory.create_batch(leads - Lead.objects.filter(country="CZ").count(), country="CZ")
        apply(actor=cast.vendor_admin, record_types=["lead"], rules=rules)
        with CaptureQueriesContext(connection) as queries:
            grants = sharing_grants_rebuild()
        assert grants == {"lead": 3 * leads}  # view and change for A's rule, view for the queue's
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_lead_whose_country_changes_is_shared_by_the_rules_it_now_matches(cast, czech_leads, apply):
    """The rules are applied again when a lead's country or industry changes (access.record_changed): a lead
    moved out of the rule's country is no longer shared with the partner, one moved into it is."""
    from leads.services import lead_update

    apply(actor=cast.vendor_admin, record_types=["lead"],
          rules=[RuleDraft("lead", partner_account=cast.partner_a.pk, country="CZ")])
    czech, polish = czech_leads[0], czech_leads[3]

    def seen():
        return set(Lead.objects.filter(shared_pks_q(user=cast.partner_a_user, model=Lead)).values_list("pk",
                                                                                                      flat=True))

    assert czech.pk in seen() and polish.pk not in seen()
    lead_update(actor=cast.vendor_admin, lead=czech, country="pl")
    lead_update(actor=cast.vendor_admin, lead=polish, country="cz")
    assert czech.pk not in seen() and polish.pk in seen()
    assert not cast.partner_a_user.has_perm("leads.view_lead", Lead.objects.get(pk=czech.pk))  # guardian agrees
    lead_update(actor=cast.vendor_admin, lead=polish, company="Renamed")  # nothing the rules match on
    assert polish.pk in seen() and LeadGroupObjectPermission.objects.filter(content_object=polish).count() == 1


def test_a_deal_moved_to_another_customer_is_shared_by_that_customers_country(cast, apply):
    from opportunities.services import opportunity_update

    german = OpportunityFactory(partner_account=cast.partner_b,
                                customer_account=CustomerAccountFactory(partner_account=cast.partner_b, country="DE",
                                                                        name="Berlin GmbH"))
    apply(actor=cast.vendor_admin, record_types=["opportunity"],
          rules=[RuleDraft("opportunity", partner_account=cast.partner_a.pk, country="DE")])
    assert list(Opportunity.objects.filter(shared_pks_q(user=cast.partner_a_user, model=Opportunity))) == [german]
    CustomerAccountFactory(partner_account=cast.partner_b, country="FR", name="Paris SA")
    opportunity_update(actor=german.owner, opportunity=german, name=german.name,
                       customer_name="Paris SA", amount=german.amount, currency=german.currency,
                       close_date=german.close_date, stage=None)
    assert not Opportunity.objects.filter(shared_pks_q(user=cast.partner_a_user, model=Opportunity)).exists()
