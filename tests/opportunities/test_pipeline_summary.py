"""The pipeline summary the dashboards read (PipelineSummary) stays equal to a fresh GROUP BY over the deals, whatever
the services do to them, in the same transaction as the deal's own write."""

import importlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.urls import reverse

from opportunities.models import Opportunity, PipelineSummary
from opportunities.services import (
    _pipeline_state,
    _pipeline_summary_shift,
    opportunity_delete,
    opportunity_stage_change,
    opportunity_update,
    pipeline_summary_rebuild,
)
from tests.factories import PartnerUserFactory

pytestmark = pytest.mark.django_db


def _fresh():
    """What the summary must hold: the deals grouped by partner, owner, stage and currency, right now."""
    rows = (
        Opportunity.objects.order_by()
        .values_list("partner_account_id", "owner_id", "stage_id", "currency")
        .annotate(n=Count("id"), amount=Sum("amount"))
    )
    return {(p, o, s, c): (n, Decimal(amount or 0)) for p, o, s, c, n, amount in rows}


def _summary():
    """The summary's rows that count deals (a row whose deals all left keeps 0 until a rebuild)."""
    rows = PipelineSummary.objects.filter(n__gt=0).values_list(
        "partner_account_id", "owner_id", "stage_id", "currency", "n", "amount")
    return {(p, o, s, c): (n, Decimal(a)) for p, o, s, c, n, a in rows}


def _empty_rows_are_zero():
    return not PipelineSummary.objects.filter(n__lte=0).exclude(n=0, amount=0).exists()


def _update(deal, actor, **changes):
    values = {"name": deal.name, "customer_name": deal.customer_account.name, "amount": deal.amount,
              "currency": deal.currency, "close_date": deal.close_date, "stage": None, **changes}
    return opportunity_update(actor=actor, opportunity=deal, **values)


@pytest.fixture
def deals(cast, make_opportunity, stages):
    rep, admin, beta = cast.partner_a_user, cast.partner_a_admin, cast.partner_b_user
    return SimpleNamespace(
        a1=make_opportunity(rep, name="A1", amount=1000, stage=stages["Proposal"]),
        a2=make_opportunity(rep, name="A2", amount=Decimal("2500.50"), stage=stages["Proposal"]),
        a3=make_opportunity(admin, name="A3", amount=None),  # no amount: counts, adds nothing
        a4=make_opportunity(rep, name="A4", amount=700, currency="USD", stage=stages["Closed won"]),
        b1=make_opportunity(beta, name="B1", amount=50000, stage=stages["Negotiation"]),
    )


def test_a_new_deal_is_counted_in_its_row_at_once(cast, deals, stages):
    assert _summary() == _fresh()
    assert len(_fresh()) == 4  # A1 and A2 share the rep's EUR proposals' row
    row = PipelineSummary.objects.get(owner=cast.partner_a_user, stage=stages["Proposal"], currency="EUR")
    assert (row.partner_account_id, row.n, row.amount) == (cast.partner_a.pk, 2, Decimal("3500.50"))


def test_a_stage_move_takes_the_deal_from_one_row_to_the_other(cast, deals, stages):
    opportunity_stage_change(actor=cast.partner_a_user, opportunity=deals.a1, stage=stages["Closed won"])
    assert _summary() == _fresh()
    row = PipelineSummary.objects.get(owner=cast.partner_a_user, stage=stages["Proposal"], currency="EUR")
    assert (row.n, row.amount) == (1, Decimal("2500.50"))
    assert _empty_rows_are_zero()


def test_an_amount_change_moves_only_the_amount(cast, deals):
    _update(deals.a2, cast.partner_a_user, amount=Decimal("99.99"))
    assert _summary() == _fresh()
    _update(deals.a3, cast.partner_a_admin, amount=Decimal("10"))  # from no amount to one
    _update(deals.a1, cast.partner_a_user, amount=None)  # and back to none
    assert _summary() == _fresh()


def test_an_owner_change_moves_the_deal_to_the_new_owners_row(cast, deals):
    _update(deals.a1, cast.partner_a_user, owner=cast.partner_a_admin)
    assert _summary() == _fresh()
    assert not PipelineSummary.objects.filter(owner=cast.partner_a_user, stage=deals.a1.stage, n=2).exists()


def test_a_currency_change_moves_the_deal_to_the_currencys_row(cast, deals):
    _update(deals.b1, cast.partner_b_user, currency="GBP")
    assert _summary() == _fresh()
    assert PipelineSummary.objects.get(partner_account=cast.partner_b, currency="GBP").amount == 50000


def test_one_edit_changing_fields_and_stage_moves_the_deal_once(cast, deals, stages):
    _update(deals.a2, cast.partner_a_user, amount=Decimal("1"), currency="USD", owner=cast.partner_a_admin,
            stage=stages["Closed lost"])
    assert _summary() == _fresh()


def test_an_edit_that_leaves_the_row_and_amount_writes_nothing_to_the_summary(cast, deals):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        _update(deals.a1, cast.partner_a_user, name="A1 renamed", next_step="Call")
    assert not [q for q in queries.captured_queries if PipelineSummary._meta.db_table in q["sql"]]
    assert _summary() == _fresh()


def test_a_partner_change_moves_the_deal_between_partners_rows(cast, deals):
    """No service moves a deal to another partner today; the shift itself is ready for one."""
    before = _pipeline_state(deals.b1)
    other = PartnerUserFactory(partner_account=cast.partner_a)
    with transaction.atomic():
        Opportunity.objects.filter(pk=deals.b1.pk).update(partner_account=cast.partner_a, owner=other)
        deals.b1.refresh_from_db()
        _pipeline_summary_shift(before=before, after=_pipeline_state(deals.b1))
    assert _summary() == _fresh()


def test_a_refused_change_leaves_the_summary_as_it_was(cast, deals, stages):
    from prm_portal.core.errors import NotPermitted

    before = _summary()
    with pytest.raises(NotPermitted):
        opportunity_stage_change(actor=cast.partner_b_user, opportunity=deals.a1, stage=stages["Closed won"])
    assert _summary() == before == _fresh()


def test_a_deleted_deal_leaves_its_row(cast, deals):
    opportunity_delete(actor=cast.vendor_admin, opportunity=deals.a4)
    assert _summary() == _fresh()
    assert _empty_rows_are_zero()


def test_deleting_in_the_django_admin_goes_through_the_service(cast, deals, login_as):
    client = login_as(cast.vendor_admin)
    response = client.post(reverse("admin:opportunities_opportunity_delete", args=[deals.a1.pk]), {"post": "yes"})
    assert response.status_code == 302 and not Opportunity.objects.filter(pk=deals.a1.pk).exists()
    response = client.post(reverse("admin:opportunities_opportunity_changelist"), {
        "action": "delete_selected", "_selected_action": [deals.a2.pk, deals.b1.pk], "post": "yes"})
    assert response.status_code == 302 and Opportunity.objects.count() == 2
    assert _summary() == _fresh()


def test_the_rebuild_fills_the_summary_from_deals_written_in_bulk(cast, deals):
    Opportunity.objects.bulk_create(  # past the services, as a bulk load does
        Opportunity(name=f"Bulk {i}", partner_account=cast.partner_a, owner=cast.partner_a_user, amount=5,
                    customer_account=deals.a1.customer_account, stage=deals.a1.stage) for i in range(3))
    assert _summary() != _fresh()
    opportunity_delete(actor=cast.vendor_admin, opportunity=deals.a4)  # leaves a row at 0
    assert pipeline_summary_rebuild() == len(_fresh())
    assert _summary() == _fresh()
    assert not PipelineSummary.objects.filter(n=0).exists()


def test_the_migration_fills_the_summary_of_an_existing_install(cast, deals):
    PipelineSummary.objects.all().delete()
    migration = importlib.import_module("opportunities.migrations.0007_pipeline_summary")
    migration.fill_summary(None, SimpleNamespace(connection=connection))
    assert _summary() == _fresh()


@pytest.mark.django_db(transaction=True)
def test_deals_moved_at_once_between_the_same_rows_keep_the_summary_right(partner_a_user, partner_a_admin):
    """Threads move the rep's deals between the same two summary rows in opposite directions at once: the rows
    are always locked in key order (no deadlock), and every move counts once."""
    import threading

    from django.db import close_old_connections

    from opportunities.models import Stage
    from opportunities.services import opportunity_create

    proposal, negotiation = Stage.objects.get(name="Proposal"), Stage.objects.get(name="Negotiation")
    deals = [
        opportunity_create(actor=partner_a_user, name=f"Raced {i}", partner_account=partner_a_user.partner_account,
                           owner=partner_a_user, customer_name="Kovo Hradec", amount=100 + i,
                           stage=proposal if i % 2 else negotiation)
        for i in range(6)
    ]
    barrier = threading.Barrier(len(deals))
    errors = []

    def work(deal):
        try:
            barrier.wait(timeout=10)
            for _ in range(4):
                deal = Opportunity.objects.get(pk=deal.pk)
                target = negotiation if deal.stage_id == proposal.pk else proposal
                deal = opportunity_stage_change(actor=partner_a_user, opportunity=deal, stage=target)
                _update(deal, partner_a_admin, amount=deal.amount + 1)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=work, args=(deal,)) for deal in deals]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert _summary() == _fresh()
    assert sum(n for n, _a in _summary().values()) == 6
