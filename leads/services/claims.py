"""Claims (C3) under claim limits (C4): the database settles who gets a queue lead."""

from django.db import connection, transaction
from django.db.models import F, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import access
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.services import activity_record, recent_item_touch
from prm_portal.core.versioning import version_check

from ..events import LeadEvent
from ..models import (
    ClaimLimitSettings,
    Lead,
    PartnerClaimLimit,
    PartnerClaimQuota,
    Queue,
    UserClaimQuota,
)

ALREADY_CLAIMED = gettext_noop("This lead was already accepted by another partner")


class ClaimLimitReached(InvalidTransition):  # noqa: N818 - a domain refusal, shown to the user
    pass


# --- Claim limits (C4) ----------------------------------------------------------------------------------------


def claim_limits_for(*, partner_account_id) -> tuple[int, int]:
    """(per user, per partner account) in force for one partner: its override, else the portal-wide values."""
    defaults = ClaimLimitSettings()
    override = PartnerClaimLimit.objects.filter(partner_account_id=partner_account_id)
    row = (
        ClaimLimitSettings.objects.filter(id=1)
        .annotate(user_override=Subquery(override.values("max_open_per_user")[:1]),
                  partner_override=Subquery(override.values("max_open_per_partner")[:1]))
        .values("max_open_per_user", "max_open_per_partner", "user_override", "partner_override")
        .first()
    )
    if row is None:
        row = {"max_open_per_user": defaults.max_open_per_user, "max_open_per_partner": defaults.max_open_per_partner,
               **(override.values(user_override=F("max_open_per_user"), partner_override=F("max_open_per_partner"))
                  .first() or {"user_override": None, "partner_override": None})}
    per_user = row["user_override"] if row["user_override"] is not None else row["max_open_per_user"]
    per_partner = row["partner_override"] if row["partner_override"] is not None else row["max_open_per_partner"]
    return per_user, per_partner


def _quota_take(model, key_column, key_id, limit) -> bool:
    """Add one to a holder's quota row if it stays within `limit`, creating the row on first use: one statement.

    The upsert locks the row until commit, so concurrent claims by the same user (or partner) queue up here and
    each sees the count the previous one left; the WHERE refuses the claim past the limit (no row returned).
    """
    if limit <= 0:
        return False
    table = connection.ops.quote_name(model._meta.db_table)  # identifiers from the model, values as parameters
    sql = (
        f"INSERT INTO {table} ({key_column}, open_count, ceiling) VALUES (%s, 1, %s) "  # noqa: S608
        f"ON CONFLICT ({key_column}) DO UPDATE SET open_count = {table}.open_count + 1, ceiling = EXCLUDED.ceiling "
        f"WHERE {table}.open_count < EXCLUDED.ceiling RETURNING open_count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_id, limit])
        return cursor.fetchone() is not None


def _quota_acquire(*, user_id, partner_account_id):
    per_user, per_partner = claim_limits_for(partner_account_id=partner_account_id)
    if not _quota_take(UserClaimQuota, "user_id", user_id, per_user):
        raise ClaimLimitReached(
            _("You already hold %(n)s open queue leads, the limit per partner user. "
              "Convert or close one before accepting another.") % {"n": per_user},
            code="user_limit",
        )
    if not _quota_take(PartnerClaimQuota, "partner_account_id", partner_account_id, per_partner):
        raise ClaimLimitReached(
            _("Your company already holds %(n)s open queue leads, the limit per partner account. "
              "Convert or close one before accepting another.") % {"n": per_partner},
            code="partner_limit",
        )


def _quota_lock(*, user_id, partner_account_id):
    """Lock the holder's quota rows (user, then partner: the claim's order) before touching its leads."""
    list(UserClaimQuota.objects.select_for_update().filter(user_id=user_id).values_list("pk"))
    list(PartnerClaimQuota.objects.select_for_update().filter(partner_account_id=partner_account_id)
         .values_list("pk"))


def _quota_release(*, user_id, partner_account_id):
    UserClaimQuota.objects.filter(user_id=user_id, open_count__gt=0).update(open_count=F("open_count") - 1)
    PartnerClaimQuota.objects.filter(partner_account_id=partner_account_id, open_count__gt=0).update(
        open_count=F("open_count") - 1
    )


@transaction.atomic
def claim_limits_set(*, actor, max_open_per_user, max_open_per_partner) -> ClaimLimitSettings:
    """The vendor admin's claim limits (C4). Lowering a limit refuses new claims; leads already held stay."""
    if not actor.is_vendor_admin:
        raise InvalidTransition(_("Only vendor admins set the claim limits."))
    if max_open_per_user < 0 or max_open_per_partner < 0:
        raise InvalidTransition(_("A limit cannot be negative."))
    limits, _created = ClaimLimitSettings.objects.select_for_update().get_or_create(id=1)
    changes = {}
    for field, value in (("max_open_per_user", max_open_per_user), ("max_open_per_partner", max_open_per_partner)):
        if getattr(limits, field) != value:
            changes[field] = [getattr(limits, field), value]
            setattr(limits, field, value)
    if changes:
        limits.save()
        activity_record(target=limits, event=LeadEvent.CLAIM_LIMITS_CHANGED, actor=actor, changes=changes)
    return limits


def claim_usage_for(*, user) -> dict:
    """What the Leads tab shows a partner: how many open queue leads they (and their company) hold."""
    per_user, per_partner = claim_limits_for(partner_account_id=user.partner_account_id)
    mine = UserClaimQuota.objects.filter(user=user).values_list("open_count", flat=True).first() or 0
    ours = (
        PartnerClaimQuota.objects.filter(partner_account_id=user.partner_account_id)
        .values_list("open_count", flat=True).first() or 0
    )
    return {"user_open": mine, "user_limit": per_user, "partner_open": ours, "partner_limit": per_partner}


# --- Queues a user belongs to -----------------------------------------------------------------------------------


def queue_ids_for(*, user) -> list[int]:
    return access.queue_ids_for(user)


# --- Claim (C3) --------------------------------------------------------------------------------------------------


def _claim_refusal(*, actor, lead_id, current=None):
    """Why a claim did not take the lead: already the actor's, taken by someone else, or never claimable."""
    if current is None:
        current = Lead.objects.filter(pk=lead_id).values("owner_id", "source_queue_id", "partner_account_id").first()
    if current is None:
        return Lead.DoesNotExist()
    if current["owner_id"] == actor.pk:
        return InvalidTransition(_("You have already accepted this lead."), code="already_yours")
    if current["owner_id"] is not None and (
        current["partner_account_id"] == actor.partner_account_id
        or current["source_queue_id"] in queue_ids_for(user=actor)
    ):
        return InvalidTransition(_(ALREADY_CLAIMED), code="already_claimed")
    return Lead.DoesNotExist()


def lead_claim(*, actor, lead_id, remember=False, expected_version=None) -> Lead:
    """Accept a queue lead (or one given to the actor's partner account): first come, first served.

    In one transaction the claimer's quota rows are taken first (C4: locked until commit), then one conditional
    UPDATE takes the lead only if nobody owns it; its row count says who won, and a loser's transaction rolls
    back, quota included. A lead already taken is refused before any lock (a fast path, not the arbiter).
    Raises Lead.DoesNotExist when the actor could never have claimed this lead (the view answers 404).
    With `remember` (the Accept button) the lead also goes to the top of the rep's Recent Items (C5).
    With `expected_version` (an API If-Match) the UPDATE also asks for that version: a claimable lead changed
    since is refused with what changed (StaleVersion).
    """
    if not actor.is_partner:
        raise InvalidTransition(_("Only partner users accept leads."))
    current = Lead.objects.filter(pk=lead_id).values("owner_id", "source_queue_id", "partner_account_id").first()
    if current is None:
        raise Lead.DoesNotExist
    if current["owner_id"] is not None:
        raise _claim_refusal(actor=actor, lead_id=lead_id, current=current)
    with transaction.atomic():
        lead = _claim(actor=actor, lead_id=lead_id, expected_version=expected_version)
    if lead is None:
        raise _claim_refusal(actor=actor, lead_id=lead_id)
    if remember:  # after the claim's commit: the quota locks are held no longer than the claim needs
        recent_item_touch(user=actor, target=lead, label=lead.company, url=reverse("leads:detail", args=[lead.pk]))
    return lead


def _claim(*, actor, lead_id, expected_version=None):
    partner_id = actor.partner_account_id
    _quota_acquire(user_id=actor.pk, partner_account_id=partner_id)
    now = timezone.now()
    my_queues = Queue.objects.filter(Q(member_users=actor) | Q(member_accounts=partner_id)).values("pk")
    claimable = Q(pk=lead_id, owner__isnull=True) & (
        Q(queue_id__in=my_queues) | Q(queue__isnull=True, partner_account_id=partner_id)
    )
    same_version = Q(version=expected_version) if expected_version is not None else Q()
    taken = Lead.objects.filter(claimable & same_version).update(
        owner=actor, partner_account_id=partner_id, source_queue=F("queue"), queue=None, claimed_at=now,
        holds_claim=True, updated_at=now, version=F("version") + 1,
    )
    if taken != 1:
        if expected_version is not None:  # still claimable, but changed since the client read it: StaleVersion
            changed = Lead.objects.filter(claimable).first()  # (its raise rolls the quota back too)
            if changed is not None:
                version_check(changed, expected_version)
        transaction.set_rollback(True)  # give the quota back
        return None
    lead = Lead.objects.select_related("source_queue", "partner_account").get(pk=lead_id)
    activity_record(
        target=lead, event=LeadEvent.CLAIMED if lead.source_queue else LeadEvent.CLAIMED_DIRECT, actor=actor,
        partner_account=lead.partner_account,
        queue=lead.source_queue.name if lead.source_queue else None,
        changes={"owner": [str(lead.source_queue or ""), str(actor)]},
    )
    return lead
