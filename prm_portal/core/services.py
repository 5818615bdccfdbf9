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


@transaction.atomic
def recent_item_touch(*, user, target, label, url):
    """Put `target` at the top of the user's Recent Items and keep the list short."""
    ct = ContentType.objects.get_for_model(target)
    RecentItem.objects.update_or_create(
        user=user,
        content_type=ct,
        object_id=target.pk,
        defaults={"label": str(label)[:200], "url": url, "touched_at": timezone.now()},
    )
    stale = RecentItem.objects.filter(user=user).order_by("-touched_at").values_list("pk", flat=True)[
        RECENT_ITEMS_KEPT:
    ]
    RecentItem.objects.filter(pk__in=list(stale)).delete()
