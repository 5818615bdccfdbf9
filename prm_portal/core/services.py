"""Shared write helpers: the activity record and recent items. Callers own the transaction."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from .events import CoreEvent, require_registered
from .listeners import event_listeners_notify
from .models import ActivityEvent, RecentItem
from .sql import execute_prepared

RECENT_ITEMS_KEPT = 10


def activity_record(*, target, event, actor=None, partner_account=None, **data):
    """Write one timeline event about `target`: the ONE writer of ActivityEvent rows. Call it inside the
    service's transaction. `event` is a registered EventType member (LeadEvent.CLAIMED...), never a string;
    `partner_account` is whose event it is (a partner sees its own and vendor-wide events only)."""
    code = require_registered(event)
    # A versioned target's version is stamped on the event: a stale form's refusal lists the changes made after
    # the version it read (prm_portal.core.versioning).
    version = getattr(target, "version", None)
    if isinstance(version, int) and "version" not in data:
        data["version"] = version
    event_row = ActivityEvent.objects.create(
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        verb=code,
        actor=actor if actor is not None and actor.is_authenticated else None,
        partner_account=partner_account,
        data=data,
    )
    event_listeners_notify(event_row)  # webhooks and other listeners above the record apps, same transaction
    return event_row


# The upsert and the trim in one statement: the trim keeps the touched row (its id, whatever the snapshot says of
# its time) and the newest others, RECENT_ITEMS_KEPT in all.
_RECENT_ITEM_TOUCH_SQL = """
WITH touched AS (
    INSERT INTO core_recentitem (user_id, content_type_id, object_id, label, url, touched_at)
    VALUES (%(user)s, %(ct)s, %(object)s, %(label)s, %(url)s, %(now)s)
    ON CONFLICT (user_id, content_type_id, object_id)
    DO UPDATE SET label = EXCLUDED.label, url = EXCLUDED.url, touched_at = EXCLUDED.touched_at
    RETURNING id
)
DELETE FROM core_recentitem r
WHERE r.user_id = %(user)s AND r.id NOT IN (SELECT id FROM touched) AND r.id NOT IN (
    SELECT k.id FROM core_recentitem k
    WHERE k.user_id = %(user)s AND NOT (k.content_type_id = %(ct)s AND k.object_id = %(object)s)
    ORDER BY k.touched_at DESC LIMIT %(others)s
)
"""


def recent_item_touch(*, user, target, label, url):
    """Put `target` at the top of the user's Recent Items and keep the list short (this runs on every claim and
    every record opened): one statement on PostgreSQL, an upsert and a trim elsewhere."""
    from django.db import connection

    content_type_id = ContentType.objects.get_for_model(target).pk
    if connection.vendor == "postgresql":
        params = {"user": user.pk, "ct": content_type_id, "object": target.pk, "label": str(label)[:200], "url": url,
                  "now": timezone.now(), "others": RECENT_ITEMS_KEPT - 1}
        around = ("", "")
        if connection.get_autocommit():
            # On its own (a page opened, an Accept after its claim committed): a convenience list, so its commit does
            # not wait for the disk (a crash may forget the last moment's touches, nothing else). One round trip,
            # as the plain statement would be. Inside a bigger change it commits, durably, with it.
            around = ("BEGIN; SET LOCAL synchronous_commit TO OFF; ", "; COMMIT;")
        with connection.cursor() as cursor:
            execute_prepared(cursor, _RECENT_ITEM_TOUCH_SQL, params, around=around)
        return
    RecentItem.objects.bulk_create(
        [
            RecentItem(
                user=user,
                content_type=ContentType.objects.get_for_model(target),
                object_id=target.pk,
                label=str(label)[:200],
                url=url,
                touched_at=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["user", "content_type", "object_id"],
        update_fields=["label", "url", "touched_at"],
    )
    newest = RecentItem.objects.filter(user=user).order_by("-touched_at").values("pk")
    RecentItem.objects.filter(user=user).exclude(pk__in=newest[:RECENT_ITEMS_KEPT]).delete()


@transaction.atomic
def resource_add(*, actor, target, kind, title, body="", url="", file=None, partner_account=None):
    """Attach a note, link or file to `target` and record it on the target's timeline."""
    from django.utils.translation import gettext as _

    from .errors import InvalidTransition
    from .models import Resource
    from .uploads import upload_problem

    if kind == Resource.Kind.NOTE and not body.strip():
        raise InvalidTransition(_("A note needs some text."))
    if kind == Resource.Kind.LINK and not url:
        raise InvalidTransition(_("A link needs an address."))
    if kind == Resource.Kind.FILE and not file:
        raise InvalidTransition(_("Choose a file to attach."))
    if kind == Resource.Kind.FILE and (problem := upload_problem(file)):  # size and type, on every surface
        raise InvalidTransition(problem, code="upload")
    resource = Resource.objects.create(
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        kind=kind,
        title=title,
        body=body,
        url=url,
        file=file or "",
        created_by=actor,
    )
    event = {Resource.Kind.NOTE: CoreEvent.NOTE_ADDED, Resource.Kind.LINK: CoreEvent.LINK_ADDED}.get(
        kind, CoreEvent.FILE_ADDED)
    activity_record(
        target=target, event=event, actor=actor, partner_account=partner_account,
        resource=resource.pk, kind=kind, title=title,
    )
    return resource
