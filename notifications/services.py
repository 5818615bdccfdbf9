"""Writes of the notifications app: a person's preferences, the one-click unsubscribe, and the daily digests."""

import datetime
import logging
import zoneinfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from prm_portal.core.emails import email_enqueue, email_render
from prm_portal.core.errors import InvalidTransition, NotPermitted
from prm_portal.core.notify import notification_kind_get

from .kinds import DIGEST
from .models import Delivery, Digest, DigestItem, NotificationPreference, NotificationSettings
from .routing import mandatory_kinds, unsubscribe_token_read
from .selectors import notification_kinds_for

logger = logging.getLogger(__name__)


def _set_deliveries(user_id, deliveries: dict):
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user_id=user_id, kind=kind, delivery=delivery)
         for kind, delivery in deliveries.items()],
        update_conflicts=True, unique_fields=["user", "kind"], update_fields=["delivery", "updated_at"],
    )


@transaction.atomic
def notification_preferences_save(*, actor, user, deliveries: dict, digest_time=None):
    """A person's own choice of delivery per kind, and when their digest comes (in their profile's time zone).
    Mandatory kinds, and kinds not offered to the person, are refused and nothing is saved."""
    if actor.pk != user.pk:
        raise NotPermitted(_("You can only change your own notification preferences."))
    offered = {kind.code for kind in notification_kinds_for(user=user)}
    mandatory = mandatory_kinds()
    for kind, delivery in deliveries.items():
        if kind in mandatory:
            registered = notification_kind_get(kind)
            raise InvalidTransition(_("%(kind)s cannot be turned off or delayed.")
                                    % {"kind": registered.label if registered else kind})
        if kind not in offered or delivery not in Delivery.values:
            raise InvalidTransition(_("Choose a delivery for each kind of notification."))
    _set_deliveries(user.pk, deliveries)
    if digest_time is not None:
        NotificationSettings.objects.update_or_create(user=user, defaults={"digest_time": digest_time})
    return user


@transaction.atomic
def notification_unsubscribe(*, token):
    """The one-click unsubscribe (no sign-in: the signed token is the proof): turn the email's kind off for its
    person, or, from a digest, everything they get by digest. Returns (user, [kinds turned off]); raises
    InvalidTransition for a token this portal did not sign or a kind that is mandatory."""
    read = unsubscribe_token_read(token)
    if read is None:
        raise InvalidTransition(_("This unsubscribe link is not valid. Sign in to change your notification "
                                  "preferences."))
    user_id, kind = read
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidTransition(_("This unsubscribe link is not valid. Sign in to change your notification "
                                  "preferences."))
    if kind == DIGEST:
        kinds = list(NotificationPreference.objects.filter(user=user, delivery=Delivery.DIGEST)
                     .values_list("kind", flat=True))
    else:
        if notification_kind_get(kind) is None or kind in mandatory_kinds():
            raise InvalidTransition(_("These emails cannot be turned off."))
        kinds = [kind]
    _set_deliveries(user.pk, dict.fromkeys(kinds, Delivery.NONE))
    return user, kinds


def unsubscribe_describe(*, token):
    """(user, kind labels) the token would turn off, for the confirmation page; None if it is not valid."""
    read = unsubscribe_token_read(token)
    if read is None:
        return None
    user_id, kind = read
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    registered = notification_kind_get(kind)
    if user is None or registered is None:
        return None
    return user, registered


# --- Digests ---------------------------------------------------------------------------------------------------


def person_time_zone(user) -> str:
    """The person's time zone (their profile's), else the portal's."""
    name = getattr(user, "time_zone", "") or settings.TIME_ZONE
    return name if name in zoneinfo.available_timezones() else "UTC"


def digest_slot(*, now, time_zone, digest_time):
    """The latest digest time at or before `now`, in the person's time zone (today's if it has passed)."""
    zone = zoneinfo.ZoneInfo(time_zone)
    local = now.astimezone(zone)
    slot = datetime.datetime.combine(local.date(), digest_time, tzinfo=zone)
    if slot > local:
        slot = datetime.datetime.combine(local.date() - datetime.timedelta(days=1), digest_time, tzinfo=zone)
    return slot.astimezone(datetime.UTC)


def _item_line(item, language):
    subject, _text, _html = email_render(template_key=item.template_key, context=item.context, language=language)
    context = item.context or {}
    url = context.get("url") or (context.get("lead") or {}).get("url") or settings.PORTAL_BASE_URL
    return {"subject": subject, "url": url}


def notification_digest_send_due(*, now=None) -> int:
    """Send every digest whose time has come, to each person with items waiting: one email per person and slot,
    whatever runs at once (the Digest row is unique per person and slot). Returns how many digests went."""
    now = now or timezone.now()
    waiting = DigestItem.objects.filter(digest__isnull=True, created_at__lte=now).values_list("user_id", flat=True)
    user_ids = set(waiting.distinct())
    if not user_ids:
        return 0
    chosen = dict(NotificationSettings.objects.filter(user_id__in=user_ids).values_list("user_id", "digest_time"))
    people = get_user_model().objects.in_bulk(user_ids)
    sent = 0
    for user_id in sorted(user_ids):
        digest_time = chosen.get(user_id) or NotificationSettings().digest_time
        slot = digest_slot(now=now, time_zone=person_time_zone(people[user_id]), digest_time=digest_time)
        previous = Digest.objects.filter(user_id=user_id).order_by("-slot").values_list("slot", flat=True).first()
        if previous is not None and previous >= slot:
            continue  # this slot's digest went out already; the items wait for the next one
        sent += _digest_send_one(user_id=user_id, slot=slot, now=now)
    return sent


@transaction.atomic
def _digest_send_one(*, user_id, slot, now) -> int:
    table = connection.ops.quote_name(Digest._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, slot, created_at) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (user_id, slot) DO NOTHING RETURNING id",
            [user_id, slot, now],
        )
        row = cursor.fetchone()
    if row is None:
        return 0  # another run took this slot
    digest_id = row[0]
    claimed = DigestItem.objects.filter(user_id=user_id, digest__isnull=True, created_at__lte=now).update(
        digest_id=digest_id)
    if not claimed:
        return 0
    user = get_user_model().objects.get(pk=user_id)
    items = list(DigestItem.objects.filter(digest_id=digest_id).order_by("created_at", "id"))
    groups = {}
    with translation.override(user.language):  # the headings and lines in the person's language
        for item in items:
            group = groups.get(item.kind)
            if group is None:
                kind = notification_kind_get(item.kind)
                group = groups[item.kind] = {"label": str(kind.label) if kind else _("Other notifications"),
                                             "lines": []}
            group["lines"].append(_item_line(item, user.language))
    email_enqueue(
        template_key="notification_digest", to=user.email, user=user, kind=DIGEST, language=user.language,
        context={"name": user.get_full_name() or user.email, "count": len(items), "groups": list(groups.values()),
                 "preferences_url": settings.PORTAL_BASE_URL.rstrip("/") + reverse("notifications:preferences")},
        idempotency_key=f"notification-digest:{digest_id}",
    )
    return 1
