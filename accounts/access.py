"""The access policy: who may see and who may change what. Every surface asks here.

Pages, htmx partials, exports, dashboards, emails, the API, the Django admin and the services' guards all call
these functions; nobody re-derives "the partners this manager manages" or "may this person edit that deal"
locally (healthchecks' `_get_check_for_user`, Zulip's `access_stream_by_id`).

Three kinds of answer:
- scope: `managed_partner_ids(user)`, `partner_scope_q(user, ...)` — the partners a person works for or manages;
- visibility: `<entity>_visible_q(user)` — a Q the selectors filter with, so scoping happens in the database;
- rights: `<entity>_can_<verb>(user, obj)` — may this person change this record they can already see.

This module lives in accounts and imports no record app: record models are reached by field paths and, where a
table is needed, through the app registry. Sharing (above the record apps) registers what it shares with
`register_share_provider`.
"""

from collections.abc import Callable

from django.apps import apps
from django.db import connections, router
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from prm_portal.core.sql import AmongSubquery

from .models import PartnerAccount, PartnerAccountUserObjectPermission, PortalSettings, User

NOTHING = Q(pk__in=[])
# Everything. Not Q(): an empty Q vanishes when OR-ed (Q() | q == q), which would narrow "all" to q.
EVERYTHING = Q(pk__isnull=False)

# --- gates ---------------------------------------------------------------------------------------------------------

GATE_PASSWORD = "password"  # a temporary password must be changed first (B4)
GATE_PRM_OFF = "prm_off"  # partner people wait until PRM is enabled (A1)


# Once enabled, PRM stays enabled (A2: nothing switches it off), so a process that has seen it on asks no more:
# the gates cost no query on every request of a running portal.
_prm_seen_enabled = False


def prm_is_enabled() -> bool:
    global _prm_seen_enabled
    if not _prm_seen_enabled:
        _prm_seen_enabled = PortalSettings.objects.filter(id=1, prm_enabled=True).exists()
    return _prm_seen_enabled


def prm_state_forget() -> None:
    """Forget that PRM was seen on (for tests, each of which starts from a database of its own)."""
    global _prm_seen_enabled
    _prm_seen_enabled = False


def gate_for(user) -> str | None:
    """Why a signed-in person may not use the portal (pages and API alike) right now, or None."""
    if user is None or not user.is_authenticated:
        return None
    if user.must_change_password:
        return GATE_PASSWORD
    if user.is_partner and not prm_is_enabled():
        return GATE_PRM_OFF
    return None


# --- scope ---------------------------------------------------------------------------------------------------------


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def granted_partner_ids(user) -> QuerySet:
    """Partner accounts a vendor admin opened to a channel manager who does not own them (django-guardian)."""
    return PartnerAccountUserObjectPermission.objects.filter(
        user=user, permission__codename="view_partneraccount"
    ).values("content_object_id")


def managed_partner_ids(user) -> QuerySet | None:
    """The partner accounts a vendor staff member manages: owned plus granted. None means every partner (vendor
    admins); an empty queryset for anyone else. The one definition every scope below uses."""
    if not _active(user):
        return PartnerAccount.objects.none().values("pk")
    if user.is_vendor_admin:
        return None
    if user.is_channel_manager:
        return PartnerAccount.objects.filter(Q(owner=user) | Q(pk__in=granted_partner_ids(user))).values("pk")
    return PartnerAccount.objects.none().values("pk")


def manages_partner(user, partner_account_id) -> bool:
    """Vendor staff who manage this partner account (admins manage every one)."""
    if not _active(user) or not user.is_vendor_staff or partner_account_id is None:
        return bool(_active(user) and user.is_vendor_admin)
    managed = managed_partner_ids(user)
    if managed is None:
        return True
    return PartnerAccount.objects.filter(pk=partner_account_id, pk__in=managed).exists()


def is_vendor_staff(user) -> bool:
    """Vendor staff surfaces (reassigning, importing, reviewing): an active vendor admin or channel manager."""
    return _active(user) and user.is_vendor_staff


def is_partner_member(user, partner_account_id) -> bool:
    return _active(user) and user.is_partner and partner_account_id is not None and (
        user.partner_account_id == partner_account_id
    )


def staff_scope_q(user, field="partner_account") -> Q:
    """Records (by their partner account at `field`) a vendor staff member sees through the partners they manage;
    nothing for anyone else."""
    if not _active(user) or not user.is_vendor_staff:
        return NOTHING
    managed = managed_partner_ids(user)
    if managed is None:
        return EVERYTHING
    return Q(**{f"{field}__in": managed})


def partner_account_visible_q(user) -> Q:
    if not _active(user):
        return NOTHING
    if user.is_vendor_staff:
        managed = managed_partner_ids(user)
        return EVERYTHING if managed is None else Q(pk__in=managed)
    if user.is_partner:
        return Q(pk=user.partner_account_id)
    return NOTHING


# --- sharing (registered by the sharing app) ----------------------------------------------------------------------

_share_providers: list[Callable] = []


def register_share_provider(provider: Callable) -> None:
    """`provider(user=, model=, action=)` returns a Q of the `model` records shared with `user` for `action`
    ("view" or "change"). The sharing app registers itself in its AppConfig.ready."""
    if provider not in _share_providers:
        _share_providers.append(provider)


def shared_q(user, model, action="view") -> Q:
    """Records of `model` that sharing rules open to a partner person (matches nothing otherwise)."""
    if not _active(user) or not user.is_partner:
        return NOTHING
    q = NOTHING
    for provider in _share_providers:
        q |= provider(user=user, model=model, action=action)
    return q


# --- new and changed records (the sharing app registers what they need) -------------------------------------------

_record_created_hooks: list[Callable] = []


def register_record_created_hook(hook: Callable) -> None:
    """`hook(record=)` runs for every new lead, opportunity and referral, inside the transaction that creates it.
    The sharing app registers itself in its AppConfig.ready, so the rules in force cover records that arrive later."""
    if hook not in _record_created_hooks:
        _record_created_hooks.append(hook)


def record_created(*, record) -> None:
    """Called by the services that create a lead, an opportunity or a referral, in their transaction: whatever
    the higher layers registered (sharing's rules) applies to the new record. The record apps never import them."""
    for hook in _record_created_hooks:
        hook(record=record)


_record_changed_hooks: list[Callable] = []


def register_record_changed_hook(hook: Callable) -> None:
    """`hook(record=)` runs when a lead's or an opportunity's country or industry (what the sharing rules match on)
    changes, inside the transaction that changes it."""
    if hook not in _record_changed_hooks:
        _record_changed_hooks.append(hook)


def record_changed(*, record) -> None:
    """Called by the services that change what the sharing rules match on (a lead's country or industry, the
    customer of a deal), in their transaction: the rules in force are applied to the record again, so a record
    no longer matching a rule stops being shared by it, and one that now matches is shared."""
    for hook in _record_changed_hooks:
        hook(record=record)


def _shared_for_change(user, obj) -> bool:
    return type(obj)._default_manager.filter(shared_q(user, type(obj), action="change"), pk=obj.pk).exists()


# --- leads ---------------------------------------------------------------------------------------------------------


def queue_ids_for(user) -> list[int]:
    """Lead queues the person belongs to (as a user or through their partner account); read once, so the lead
    query can use its indexes."""
    if not _active(user) or not user.is_partner:
        return []
    sql, params = queue_ids_sql(user)  # the hand-written form: this runs on every page of a partner person
    with connections[router.db_for_read(apps.get_model("leads", "Queue"))].cursor() as cursor:
        cursor.execute(sql, params)
        return sorted({row[0] for row in cursor.fetchall()})


def queue_ids_subquery(user) -> QuerySet:
    """`queue_ids_for` as a subquery (the queues' ids, not a list): for a statement that must stay one round trip."""
    Queue = apps.get_model("leads", "Queue")
    if not _active(user) or not user.is_partner:
        return Queue.objects.none().values("pk")
    return Queue.objects.filter(
        Q(pk__in=Queue.member_users.through.objects.filter(user_id=user.pk).values("queue_id"))
        | Q(pk__in=Queue.member_accounts.through.objects.filter(
            partneraccount_id=user.partner_account_id).values("queue_id"))
    ).order_by().values("pk")


def queue_ids_sql(user) -> tuple[str, tuple]:
    """`queue_ids_subquery` as hand-written SQL and its parameters, for a subquery that every page of a partner
    person builds (the ORM took longer to build it than PostgreSQL to run it)."""
    Queue = apps.get_model("leads", "Queue")
    if not _active(user) or not user.is_partner:
        return "SELECT NULL::bigint WHERE false", ()
    return (
        f"SELECT queue_id FROM {Queue.member_users.through._meta.db_table} WHERE user_id = %s UNION ALL "  # noqa: S608
        f"SELECT queue_id FROM {Queue.member_accounts.through._meta.db_table} WHERE partneraccount_id = %s",
        (user.pk, user.partner_account_id),
    )


def lead_claimable_q(user) -> Q:
    """Leads this person may accept now (what `lead_can_claim` says of one lead, as a Q): unowned, in one of their
    queues or given to their partner account. A lead only shared with them is not theirs to take."""
    if not _active(user) or not user.is_partner:
        return NOTHING
    return Q(owner__isnull=True) & (
        Q(queue_id__in=queue_ids_subquery(user)) | Q(queue__isnull=True, partner_account_id=user.partner_account_id)
    ) & ~Q(pk__in=lead_claim_blocked_ids(user))


def lead_claimable_sql(user, lead_id) -> tuple[str, tuple]:
    """`lead_claimable_q` for one lead, as hand-written SQL (`SELECT id FROM leads_lead WHERE ...`, to which a caller
    may add `AND ...`) and its parameters: the Accept statement runs it on every press, and the ORM took longer to
    build it than PostgreSQL to run it. tests/access pins it to `lead_claimable_q`."""
    Lead = apps.get_model("leads", "Lead")
    LeadClaimBlock = apps.get_model("leads", "LeadClaimBlock")
    if not _active(user) or not user.is_partner:
        return f"SELECT id FROM {Lead._meta.db_table} WHERE false", ()  # noqa: S608
    queues_sql, queues_params = queue_ids_sql(user)
    lead = Lead._meta.db_table
    return (
        f"SELECT {lead}.id FROM {lead} WHERE {lead}.id = %s AND {lead}.owner_id IS NULL "  # noqa: S608
        f"AND ({lead}.queue_id IN ({queues_sql}) OR ({lead}.queue_id IS NULL AND {lead}.partner_account_id = %s)) "
        f"AND NOT EXISTS (SELECT 1 FROM {LeadClaimBlock._meta.db_table} b WHERE b.lead_id = {lead}.id "
        f"AND b.user_id = %s AND b.until > %s)",
        (lead_id, *queues_params, user.partner_account_id, user.pk, timezone.now()),
    )


def lead_claim_blocked_ids(user) -> QuerySet:
    """Leads taken back from this person when their time ran out, still in the queue's cool-down: not theirs to
    accept again yet (issue 13)."""
    LeadClaimBlock = apps.get_model("leads", "LeadClaimBlock")
    return LeadClaimBlock.objects.filter(user=user, until__gt=timezone.now()).values("lead_id")


def lead_visible_q(user, view="all", queue_ids=None) -> Q:
    """Partner people: leads they own (all of their partner's for partner admins), open leads of their queues and
    leads given to their partner account but to nobody there yet, and leads shared with them. Channel managers:
    leads of the partners they manage (owned or granted) and every unowned lead. Vendor admins: all.
    The person's queues are a subquery of the same statement (`queue_ids`, from `queue_ids_for`, replaces it with a
    list already read)."""
    if not _active(user):
        return NOTHING
    if user.is_partner:
        q = NOTHING
        for part in lead_visible_parts(user, view=view, queue_ids=queue_ids):
            q |= part
        return q
    if not user.is_vendor_staff:
        return NOTHING
    q = staff_scope_q(user) | Q(owner__isnull=True, queue__isnull=False) | Q(
        owner__isnull=True, partner_account__isnull=True
    )
    if view == "mine":
        q &= Q(owner__isnull=False)
    elif view == "queue":
        q &= Q(owner__isnull=True)
    return q


def lead_visible_parts(user, view="all", queue_ids=None) -> list[Q] | None:
    """What `lead_visible_q` says of a partner person, as the list of parts it ORs (None for anybody else).

    Each part is one index range (the person's own leads, their partner's, one queue's waiting leads, the leads
    given to their partner, the shared ones) and no lead is in two parts, so a list can count the parts' rows and
    merge their newest ones without removing duplicates: the Leads tab then costs what the person's inbox holds,
    not what the table holds (`make bench-inbox`). With `queue_ids` (from `queue_ids_for`) each queue is a part of
    its own; without, the queues are one part with a subquery."""
    if not _active(user) or not user.is_partner:
        return None
    Lead = apps.get_model("leads", "Lead")
    if user.is_partner_admin:  # their partner's leads, and their own should one be held for another partner
        mine = [Q(partner_account_id=user.partner_account_id, owner__isnull=False),
                Q(owner=user) & ~Q(partner_account_id=user.partner_account_id)]
    else:
        mine = [Q(owner=user)]
    if queue_ids is None:
        waiting = [Q(owner__isnull=True) & Q(AmongSubquery("queue_id", queue_ids_subquery(user)))]
    else:
        waiting = [Q(owner__isnull=True, queue_id=queue_id) for queue_id in queue_ids]
    waiting.append(Q(owner__isnull=True, queue__isnull=True, partner_account_id=user.partner_account_id))
    if view == "mine":
        return mine
    if view == "queue":
        return waiting
    others = NOTHING
    for part in (*mine, *waiting):
        others |= part
    return [*mine, *waiting, shared_q(user, Lead) & ~others]


def lead_offered_q(user) -> Q:
    """Leads waiting for this person to accept them (what `lead_can_claim` says of one lead, as a Q, for a list's
    Accept buttons): a lead they only see through a sharing rule is not theirs to take."""
    q = NOTHING
    for part in lead_visible_parts(user, view="queue") or ():  # the waiting parts of what the person sees
        q |= part
    return q


def lead_can_manage(user, lead) -> bool:
    """Reassign, attach resources, see the whole timeline: vendor staff who manage the lead's partner, or any
    vendor staff for a lead no partner holds yet."""
    if not _active(user) or not user.is_vendor_staff:
        return False
    if lead.partner_account_id is None:
        return True
    return manages_partner(user, lead.partner_account_id)


def lead_can_change(user, lead) -> bool:
    """Edit the lead's fields and status."""
    if not _active(user) or lead.status == "converted":
        return False
    if user.is_vendor_staff:
        return lead_can_manage(user, lead)
    if not user.is_partner or lead.owner_id is None:
        return False  # a queue lead is accepted first
    if lead.owner_id == user.pk or (user.is_partner_admin and lead.partner_account_id == user.partner_account_id):
        return True
    return _shared_for_change(user, lead)


def lead_can_claim(user, lead, queue_ids=None) -> bool:
    """Accept a lead waiting for this person: in one of their queues, or given to their partner account. A lead
    that is only shared with them is not theirs to take. `queue_ids` (from `queue_ids_for`) saves a list its query
    per row."""
    if not (_active(user) and user.is_partner and lead.is_claimable):
        return False
    if lead.queue_id is not None:
        return lead.queue_id in (queue_ids if queue_ids is not None else queue_ids_for(user))
    return lead.partner_account_id == user.partner_account_id


def lead_can_convert(user, lead) -> bool:
    return (
        _active(user)
        and user.is_partner
        and lead.status == "qualified"
        and lead.owner_id is not None
        and (lead.owner_id == user.pk or (user.is_partner_admin and lead.partner_account_id == user.partner_account_id))
    )


def lead_owner_choices_q(user) -> Q:
    """Partner users `user` may give a lead to (on top of B6's assignable filter): their managed partners'."""
    if not _active(user) or not user.is_vendor_staff:
        return NOTHING
    return staff_scope_q(user)


# --- opportunities -------------------------------------------------------------------------------------------------


def _partner_own_deals_q(user) -> Q:
    if user.is_partner_admin:
        return Q(partner_account=user.partner_account_id)
    return Q(owner=user)


def opportunity_own_q(user) -> Q:
    """A partner person's own deals: a rep's, or the whole partner's for a partner admin."""
    if not _active(user) or not user.is_partner:
        return NOTHING
    return _partner_own_deals_q(user)


def opportunity_visible_q(user) -> Q:
    if not _active(user):
        return NOTHING
    if user.is_vendor_staff:
        return staff_scope_q(user)
    if user.is_partner:
        return _partner_own_deals_q(user) | shared_q(user, apps.get_model("opportunities", "Opportunity"))
    return NOTHING


def opportunity_can_create(user, partner_account_id) -> bool:
    """Open a deal for a partner: its own people, or vendor staff who manage it."""
    if is_partner_member(user, partner_account_id):
        return True
    return is_vendor_staff(user) and manages_partner(user, partner_account_id)


def opportunity_can_change(user, opportunity) -> bool:
    """Work the deal (edit, move the stage, add notes and files): its partner's people who own it (partner admins:
    all of their partner's), vendor staff who manage its partner, and partners it is shared with for editing.
    A read-only share is read-only everywhere."""
    if not _active(user):
        return False
    if user.is_vendor_staff:
        return manages_partner(user, opportunity.partner_account_id)
    if not user.is_partner:
        return False
    if opportunity.owner_id == user.pk or (
        user.is_partner_admin and opportunity.partner_account_id == user.partner_account_id
    ):
        return True
    return _shared_for_change(user, opportunity)


# --- referrals -----------------------------------------------------------------------------------------------------


def referral_visible_q(user, prefix="") -> Q:
    """Partner admins and unscoped partner users: all of their partner's referrals; a location-scoped partner user:
    that location's referrals on which they are a team member (B7, E8); referrals sharing rules open to them.
    Vendor staff: the referrals of the partners they manage."""
    if not _active(user):
        return NOTHING
    if user.is_vendor_staff:
        return staff_scope_q(user, field=f"{prefix}partner_account")
    if not user.is_partner:
        return NOTHING
    if prefix:  # registrations and other rows reached through their referral
        Referral = apps.get_model("referrals", "Referral")
        return Q(**{f"{prefix}in": Referral.objects.filter(referral_visible_q(user)).values("pk")})
    q = Q(partner_account_id=user.partner_account_id)
    if user.location_id and not user.is_partner_admin:
        on_team = apps.get_model("referrals", "TeamMember").objects.filter(referral=OuterRef("pk"), user=user)
        q &= Q(Exists(on_team), location_id=user.location_id)
    return q | shared_q(user, apps.get_model("referrals", "Referral"))


def referral_can_change(user, referral) -> bool:
    """Answer and work a referral (accept, decline, edit, stages, won, lost, registration, notes): the people of
    its partner who can see it. Vendor staff review; a share never lets another partner write."""
    if not is_partner_member(user, referral.partner_account_id):
        return False
    if user.location_id and not user.is_partner_admin and referral.location_id != user.location_id:
        return False
    return True


def referral_can_review(user, referral) -> bool:
    """Vendor staff who manage the referral's partner: deal registration review, re-offering an inquiry."""
    return _active(user) and user.is_vendor_staff and manages_partner(user, referral.partner_account_id)


# --- deal registrations before the deal, channel conflicts, webhooks (apps above the record apps) --------------


def registration_visible_q(user) -> Q:
    """Deal registrations (H3): partner admins all of their partner's, partner users the ones they submitted;
    vendor staff those of the partners they manage."""
    if not _active(user):
        return NOTHING
    if user.is_vendor_staff:
        return staff_scope_q(user)
    if user.is_partner_admin:
        return Q(partner_account_id=user.partner_account_id)
    if user.is_partner:
        return Q(partner_account_id=user.partner_account_id, submitted_by=user)
    return NOTHING


def registration_can_change(user, registration) -> bool:
    """Answer a request for more information, ask for a renewal: who submitted it, or their partner's admin."""
    if not is_partner_member(user, registration.partner_account_id):
        return False
    return user.is_partner_admin or registration.submitted_by_id == user.pk


def registration_can_review(user, registration) -> bool:
    """Approve, reject, ask for more, extend the protection: vendor staff who manage the registration's partner."""
    return is_vendor_staff(user) and manages_partner(user, registration.partner_account_id)


def conflict_visible_q(user) -> Q:
    """Channel conflicts (H4) are vendor staff's: those with a side among the partners they manage (a side with no
    partner is the vendor's own record). Partners never see a conflict, only that their record is under review."""
    if not is_vendor_staff(user):
        return NOTHING
    managed = managed_partner_ids(user)
    if managed is None:
        return EVERYTHING
    return Q(first_partner__in=managed) | Q(second_partner__in=managed)


def conflict_can_resolve(user, conflict) -> bool:
    """Decide a conflict: vendor staff who manage either side's partner (vendor admins any)."""
    return is_vendor_staff(user) and (
        manages_partner(user, conflict.first_partner_id) or manages_partner(user, conflict.second_partner_id)
    )


def webhook_endpoint_visible_q(user) -> Q:
    """Webhook endpoints (H5): vendor admins every one; partner admins their own partner's; nobody else any."""
    if not _active(user):
        return NOTHING
    if user.is_vendor_admin:
        return EVERYTHING
    if user.is_partner_admin:
        return Q(partner_account_id=user.partner_account_id)
    return NOTHING


def webhook_endpoint_can_create(user) -> bool:
    """Register an endpoint: vendor admins (for every event) and partner admins (for their partner's records)."""
    return _active(user) and (user.is_vendor_admin or user.is_partner_admin)


# --- users and administration --------------------------------------------------------------------------------------


def user_can_administer_staff(actor) -> bool:
    """Staff accounts, superuser status, groups, permissions, roles of staff and their passwords: vendor admins."""
    return _active(actor) and actor.is_vendor_admin


def user_administrable_q(actor) -> Q:
    """The users `actor` may administer: vendor admins everyone; channel managers the partner people of the
    partners they manage; partner admins their own partner's people; nobody else anyone."""
    if not _active(actor):
        return NOTHING
    if actor.is_vendor_admin:
        return EVERYTHING
    partner_roles = Q(role__in=User.PARTNER_ROLES, is_superuser=False, is_staff=False)
    if actor.is_channel_manager:
        return partner_roles & staff_scope_q(actor)
    if actor.is_partner_admin:
        return partner_roles & Q(partner_account_id=actor.partner_account_id)
    return NOTHING


def user_can_administer(actor, target) -> bool:
    if not _active(actor) or target is None:
        return False
    if actor.is_vendor_admin:
        return True
    if target.is_superuser or target.is_staff or not target.is_partner:
        return False
    if actor.is_channel_manager:
        return manages_partner(actor, target.partner_account_id)
    if actor.is_partner_admin:
        return target.partner_account_id == actor.partner_account_id
    return False


def partner_user_can_invite(actor, partner_account) -> bool:
    """Add people to a partner: its own partner admin (delegated administration) or staff who manage it."""
    if not _active(actor) or partner_account is None:
        return False
    if actor.is_partner:
        return actor.is_partner_admin and actor.partner_account_id == partner_account.pk
    return is_vendor_staff(actor) and manages_partner(actor, partner_account.pk)


def user_roles_assignable_by(actor) -> list[str]:
    """Roles `actor` may give: vendor admins any; channel managers and partner admins partner roles only."""
    if user_can_administer_staff(actor):
        return list(User.Role.values)
    if _active(actor) and (actor.is_channel_manager or actor.is_partner_admin):
        return list(User.PARTNER_ROLES)
    return []


# --- generic targets (resources, timelines) ----------------------------------------------------------------------


def target_can_change(user, target) -> bool:
    """May `user` add notes and files to `target` (a lead, an opportunity, a referral)."""
    label = target._meta.label_lower
    if label == "leads.lead":
        return lead_can_change(user, target) or lead_can_manage(user, target)
    if label == "opportunities.opportunity":
        return opportunity_can_change(user, target)
    if label == "referrals.referral":
        return referral_can_change(user, target) or referral_can_review(user, target)
    return False


# --- the Django admin ----------------------------------------------------------------------------------------------

# What channel managers may do on each model's admin screens; the rows stay those of the partners they manage (each
# screen's queryset is one of the scopes above). Any model not named here is vendor admins' only; so is deleting.
_CHANNEL_MANAGER_ADMIN_RIGHTS = {
    "accounts.user": {"view", "add", "change"},
    "accounts.partneraccount": {"view", "add", "change"},
    "accounts.partnerlocation": {"view", "add", "change"},
    "accounts.contact": {"view", "add", "change"},
    "accounts.businessprofile": {"view", "change"},
    "leads.lead": {"view", "add", "change"},
    "leads.queue": {"view"},
    "opportunities.opportunity": {"view", "change"},
    "opportunities.customeraccount": {"view", "change"},
    "opportunities.customercontact": {"view", "add", "change"},
    "referrals.referral": {"view"},
    "referrals.dealregistration": {"view", "change"},
    "referrals.teammember": {"view"},
    "referrals.solution": {"view"},
    "referrals.stagemark": {"view"},
    "registrations.registration": {"view"},
    "registrations.conflict": {"view"},
}
ADMIN_ACTIONS = frozenset({"view", "add", "change", "delete"})


def admin_site_can_enter(user) -> bool:
    """The Django admin at /admin/: active vendor staff marked as staff. Partner people never, whatever flags they
    carry."""
    return _active(user) and user.is_staff and user.is_vendor_staff and not user.is_partner


def admin_model_rights(user, model) -> frozenset:
    """What `user` may do on `model`'s admin screens, among "view", "add", "change" and "delete": vendor admins
    everything, channel managers their day-to-day records within the partners they manage, nobody else anything.
    Which rows, and whether one row may be changed, are the scopes' and the `<entity>_can_<verb>` answers."""
    if not admin_site_can_enter(user):
        return frozenset()
    if user_can_administer_staff(user):
        return ADMIN_ACTIONS
    if user.is_channel_manager:
        return frozenset(_CHANNEL_MANAGER_ADMIN_RIGHTS.get(model._meta.label_lower, ()))
    return frozenset()


# What vendor staff may pick in a form field, by the picked model: records of the partners they manage, shared
# reference data, and (vendor admins) everything.
_PICKABLE_BY_PARTNER = {
    "accounts.user": "partner_account",
    "accounts.partnerlocation": "partner_account",
    "accounts.contact": "partner_account",
    "accounts.businessprofile": "partner_account",
    "opportunities.customeraccount": "partner_account",
    "opportunities.customercontact": "account__partner_account",
}
_PICKABLE_REFERENCE = {"leads.queue", "opportunities.stage"}


def pickable_q(user, model) -> Q:
    """The records of `model` that `user` may choose in a form (an owner, a partner account, a customer account,
    a source lead): vendor admins any; channel managers those of the partners they manage, and reference data
    (queues, stages); nothing of a model this policy does not name, and nothing for anyone else."""
    if not _active(user) or not user.is_vendor_staff:
        return NOTHING
    if user_can_administer_staff(user):
        return EVERYTHING
    label = model._meta.label_lower
    if label == "accounts.partneraccount":
        return partner_account_visible_q(user)
    if label in _PICKABLE_BY_PARTNER:
        return staff_scope_q(user, field=_PICKABLE_BY_PARTNER[label])
    if label in _PICKABLE_REFERENCE:
        return EVERYTHING
    if label == "leads.lead":
        return lead_visible_q(user)
    if label == "opportunities.opportunity":
        return opportunity_visible_q(user)
    if label == "referrals.referral":
        return referral_visible_q(user)
    return NOTHING
