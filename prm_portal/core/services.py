"""Shared write helpers: the activity record and recent items. Callers own the transaction."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from .models import ActivityEvent, RecentItem

RECENT_ITEMS_KEPT = 10


def activity_record(*, target, verb, actor=None, partner_account=None, **data):
    """Write one timeline event about `target`. Call it inside the service's transaction."""
    return ActivityEvent.objects.create(
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        verb=verb,
        actor=actor if actor is not None and actor.is_authenticated else None,
        partner_account=partner_account,
        data=data,
    )


def recent_item_touch(*, user, target, label, url):
    """Put `target` at the top of the user's Recent Items and keep the list short: two statements, an upsert
    and a trim (this runs on every claim and every record opened)."""
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
    from .errors import InvalidTransition
    from .models import Resource

    if kind == Resource.Kind.NOTE and not body.strip():
        raise InvalidTransition("A note needs some text.")
    if kind == Resource.Kind.LINK and not url:
        raise InvalidTransition("A link needs an address.")
    if kind == Resource.Kind.FILE and not file:
        raise InvalidTransition("Choose a file to attach.")
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
    activity_record(
        target=target, verb="resource_added", actor=actor, partner_account=partner_account,
        resource=resource.pk, kind=kind, title=title,
    )
    return resource
