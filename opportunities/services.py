"""Writes for opportunities: every state change is one function here, with its timeline event."""

from decimal import Decimal

from django.db import connection, connections, transaction
from django.utils.translation import gettext as _

from accounts import access
from prm_portal.core.cachegen import cache_generation_bump
from prm_portal.core.errors import InvalidTransition, NotPermitted
from prm_portal.core.services import activity_record, resource_add
from prm_portal.core.versioning import version_bump, version_check

from .events import OpportunityEvent
from .models import CustomerAccount, CustomerContact, Opportunity, PipelineSummary, Stage

DEFAULT_STAGES = [
    # name, probability, kind, code (models.DEFAULT_STAGE_NAMES translates the name by its code)
    ("Prospecting", 10, Stage.Kind.OPEN, "prospecting"),
    ("Qualification", 20, Stage.Kind.OPEN, "qualification"),
    ("Needs analysis", 40, Stage.Kind.OPEN, "needs_analysis"),
    ("Proposal", 60, Stage.Kind.OPEN, "proposal"),
    ("Negotiation", 80, Stage.Kind.OPEN, "negotiation"),
    ("Closed won", 100, Stage.Kind.WON, "closed_won"),
    ("Closed lost", 0, Stage.Kind.LOST, "closed_lost"),
]

# Fields opportunity_update may change, recorded old → new on the timeline.
EDITABLE_FIELDS = ("name", "amount", "currency", "close_date", "next_step", "description")


def _dashboards_changed():
    """The Home dashboards' cached numbers are stale now, and again once this transaction commits."""
    cache_generation_bump("dashboards")
    transaction.on_commit(lambda: cache_generation_bump("dashboards"))


# --- the pipeline summary the dashboards read (models.PipelineSummary) ---------------------------------------------

_SUMMARY = PipelineSummary._meta.db_table
_SUMMARY_KEY = "partner_account_id, owner_id, stage_id, currency"
# One statement for a deal's move between summary rows (PostgreSQL and SQLite >= 3.24 alike). Its rows come in key
# order, so two deals moving between the same rows lock them in the same order.
_SUMMARY_SHIFT_SQL = (
    f"INSERT INTO {_SUMMARY} ({_SUMMARY_KEY}, n, amount) VALUES {{values}} "  # noqa: S608
    f"ON CONFLICT ({_SUMMARY_KEY}) DO UPDATE SET n = {_SUMMARY}.n + excluded.n, "
    f"amount = {_SUMMARY}.amount + excluded.amount"
)
_SUMMARY_FILL_SQL = (
    f"INSERT INTO {_SUMMARY} ({_SUMMARY_KEY}, n, amount) "  # noqa: S608
    f"SELECT {_SUMMARY_KEY}, COUNT(*), COALESCE(SUM(amount), 0) FROM {Opportunity._meta.db_table} "
    f"GROUP BY {_SUMMARY_KEY}"
)


def _pipeline_state(opportunity):
    """Where the deal counts in the summary, and with what amount."""
    key = (opportunity.partner_account_id, opportunity.owner_id, opportunity.stage_id, opportunity.currency)
    amount = opportunity.amount
    return key, (Decimal(0) if amount is None else Decimal(str(amount)))


def _pipeline_summary_shift(*, before=None, after=None):
    """Move one deal between summary rows, in the caller's transaction: out of `before`'s row (a deal changed or
    deleted), into `after`'s (a deal created or changed). States are `_pipeline_state` values; nothing is written
    when the deal stays in its row with the same amount."""
    deltas = {}
    for state, sign in ((before, -1), (after, 1)):
        if state is not None:
            key, amount = state
            n, total = deltas.get(key, (0, Decimal(0)))
            deltas[key] = (n + sign, total + sign * amount)
    rows = sorted((key, n, total) for key, (n, total) in deltas.items() if n or total)
    if not rows:
        return
    params = []
    for key, n, total in rows:
        params.extend((*key, n, total))
    sql = _SUMMARY_SHIFT_SQL.format(values=", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows)))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def pipeline_summary_rebuild(*, using="default") -> int:
    """Fill the pipeline summary afresh from the deals: after a migration, a bulk load or a repair. The summary is
    locked for the time (PostgreSQL), so a deal saved meanwhile adds its move to the rebuilt rows once this commits.
    Returns the number of rows."""
    db = connections[using]
    with transaction.atomic(using=using), db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {_SUMMARY} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {_SUMMARY}")  # noqa: S608
        cursor.execute(_SUMMARY_FILL_SQL)
        return cursor.rowcount


def _share_by_rules(opportunity):
    """A new deal is shared at once by the sharing rules in force (A3), in the same transaction: sharing hears of
    it through the access policy's record-created hook."""
    access.record_created(record=opportunity)


def stages_ensure_default(*, using="default") -> int:
    """Create the default stage list when there is none at all (an admin's edits are left alone)."""
    if Stage.objects.using(using).exists():
        return 0
    Stage.objects.using(using).bulk_create(
        Stage(name=name, probability=probability, kind=kind, order=order, code=code)
        for order, (name, probability, kind, code) in enumerate(DEFAULT_STAGES, start=1)
    )
    return len(DEFAULT_STAGES)


def stage_first_open() -> Stage:
    stage = Stage.objects.filter(kind=Stage.Kind.OPEN).order_by("order", "id").first()
    if stage is None:
        raise Stage.DoesNotExist("No open opportunity stage is configured.")
    return stage


def _check_owner(owner, partner_account):
    if owner is None or not owner.is_partner or owner.partner_account_id != partner_account.pk:
        raise InvalidTransition(_("The owner must be a user of the opportunity's partner account."))
    if not owner.is_active:
        raise InvalidTransition(_("The owner must be an active user."))


def customer_account_for(*, partner_account, name, country="", industry="") -> CustomerAccount:
    """The partner's customer account of that name (case-insensitive), created when there is none."""
    name = (name or "").strip()
    if not name:
        raise InvalidTransition(_("Name the customer account."))
    account = (
        CustomerAccount.objects.filter(partner_account=partner_account, name__iexact=name).order_by("id").first()
    )
    if account is None:
        account = CustomerAccount.objects.create(
            name=name, partner_account=partner_account, country=country, industry=industry
        )
    return account


def _display(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@transaction.atomic
def opportunity_create(
    *,
    actor,
    name,
    partner_account,
    owner,
    customer_name="",
    contact_first_name="",
    contact_last_name="",
    contact_email="",
    contact_phone="",
    amount=None,
    close_date=None,
    stage=None,
    source_lead=None,
    country="",
    industry="",
    description="",
    next_step="",
    currency="EUR",
    customer_account=None,
) -> Opportunity:
    """Create an opportunity with its customer account (reused by name) and contact; records `created`."""
    if not access.opportunity_can_create(actor, partner_account.pk):
        raise NotPermitted(_("You cannot open a deal for this partner."))
    if not (name or "").strip():
        raise InvalidTransition(_("Name the opportunity."))
    _check_owner(owner, partner_account)
    if customer_account is not None:
        if customer_account.partner_account_id != partner_account.pk:
            raise InvalidTransition(_("The customer account belongs to another partner."))
        account = customer_account
    else:
        account = customer_account_for(
            partner_account=partner_account, name=customer_name, country=country, industry=industry
        )
    contact = None
    if contact_last_name:
        contact = CustomerContact.objects.create(
            account=account,
            first_name=contact_first_name,
            last_name=contact_last_name,
            email=contact_email,
            phone=contact_phone,
        )
    opportunity = Opportunity.objects.create(
        name=name.strip(),
        customer_account=account,
        customer_contact=contact,
        amount=amount,
        currency=currency or "EUR",
        close_date=close_date,
        stage=stage or stage_first_open(),
        owner=owner,
        partner_account=partner_account,
        source_lead=source_lead,
        description=description,
        next_step=next_step,
    )
    activity_record(
        target=opportunity,
        event=OpportunityEvent.CREATED,
        actor=actor,
        partner_account=partner_account,
        source_lead=source_lead.pk if source_lead else None,
        stage=opportunity.stage.name,
    )
    _pipeline_summary_shift(after=_pipeline_state(opportunity))
    _share_by_rules(opportunity)
    _dashboards_changed()
    return opportunity


def _stage_move(*, actor, opportunity, stage, bump=True):
    """The stage move's row and event; the caller moves the deal in the pipeline summary."""
    old = opportunity.stage
    opportunity.stage = stage
    if bump:
        version_bump(opportunity)
    opportunity.save(update_fields=["stage", "updated_at", "version"])
    activity_record(
        target=opportunity,
        event=OpportunityEvent.STAGE_CHANGED,
        actor=actor,
        partner_account=opportunity.partner_account,
        changes={"stage": [old.name, stage.name]},
        probability=[old.probability, stage.probability],
    )
    _dashboards_changed()


def _require_change(actor, opportunity):
    if not access.opportunity_can_change(actor, opportunity):
        raise NotPermitted(_("You may look at this opportunity but not change it."))


def _locked(opportunity) -> Opportunity:
    """The deal's row, locked and re-read. No joins in the locking query: PostgreSQL re-checks a locked row
    against the joined rows it saw first, so a concurrent stage move would make a joined query find nothing."""
    return Opportunity.objects.select_for_update().get(pk=opportunity.pk)


@transaction.atomic
def opportunity_stage_change(*, actor, opportunity, stage, expected_version=None) -> Opportunity:
    """Move the deal to another stage; records `stage_changed` with old → new. With `expected_version` (the
    Move stage box's), a deal changed since is refused with what changed (StaleVersion)."""
    locked = _locked(opportunity)
    _require_change(actor, locked)
    version_check(locked, expected_version)
    if locked.stage_id == stage.pk:
        raise InvalidTransition(_("The opportunity is already at stage %(stage)s.") % {"stage": stage.label})
    before = _pipeline_state(locked)
    _stage_move(actor=actor, opportunity=locked, stage=stage)
    _pipeline_summary_shift(before=before, after=_pipeline_state(locked))
    return locked


@transaction.atomic
def opportunity_update(
    *,
    actor,
    opportunity,
    name,
    customer_name,
    amount,
    currency,
    close_date,
    stage,
    next_step="",
    description="",
    owner=None,
    expected_version=None,
) -> Opportunity:
    """Save the edit form: field changes are one `updated` event, a stage move its own `stage_changed`; the
    deal's version goes up by one. With `expected_version`, a deal changed since the form was read is refused."""
    locked = _locked(opportunity)
    _require_change(actor, locked)
    version_check(locked, expected_version)
    if not (name or "").strip():
        raise InvalidTransition(_("Name the opportunity."))
    before = _pipeline_state(locked)
    changes = {}
    new_values = {
        "name": name.strip(),
        "amount": amount,
        "currency": currency or "EUR",
        "close_date": close_date,
        "next_step": next_step,
        "description": description,
    }
    for field in EDITABLE_FIELDS:
        old, new = getattr(locked, field), new_values[field]
        if old != new:
            changes[field] = [_display(old), _display(new)]
            setattr(locked, field, new)
    account = customer_account_for(partner_account=locked.partner_account, name=customer_name)
    if account.pk != locked.customer_account_id:
        changes["customer account"] = [locked.customer_account.name, account.name]
        locked.customer_account = account
        if locked.customer_contact_id and locked.customer_contact.account_id != account.pk:
            locked.customer_contact = None
    if owner is not None and owner.pk != locked.owner_id:
        _check_owner(owner, locked.partner_account)
        changes["owner"] = [str(locked.owner), str(owner)]
        locked.owner = owner
    if changes:
        version_bump(locked)
        locked.save()
        activity_record(
            target=locked, event=OpportunityEvent.UPDATED, actor=actor, partner_account=locked.partner_account,
            changes=changes,
        )
        if "customer account" in changes:
            access.record_changed(record=locked)  # the sharing rules match on the customer's country and industry
        _dashboards_changed()
    if stage is not None and stage.pk != locked.stage_id:
        _stage_move(actor=actor, opportunity=locked, stage=stage, bump=not changes)
    _pipeline_summary_shift(before=before, after=_pipeline_state(locked))
    return locked


@transaction.atomic
def opportunity_delete(*, actor, opportunity) -> None:
    """Delete the deal and take it out of the pipeline summary in the same transaction. Only the Django admin
    offers deleting (to vendor admins: access.admin_model_rights); it records no timeline event, as before."""
    locked = _locked(opportunity)
    _require_change(actor, locked)
    before = _pipeline_state(locked)
    locked.delete()
    _pipeline_summary_shift(before=before)
    _dashboards_changed()


@transaction.atomic
def opportunity_resource_add(*, actor, opportunity, kind, title, body="", url="", file=None):
    """A note (comment), link or file on the deal, seen by the partner and the channel manager alike (D3)."""
    _require_change(actor, opportunity)
    if not (title or "").strip():
        if kind == "note" and (body or "").strip():
            title = body.strip().splitlines()[0][:80]
        else:
            raise InvalidTransition(_("Give the resource a title."))
    return resource_add(
        actor=actor,
        target=opportunity,
        kind=kind,
        title=title.strip(),
        body=body,
        url=url,
        file=file,
        partner_account=opportunity.partner_account,
    )
