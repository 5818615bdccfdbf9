from django.contrib.contenttypes.models import ContentType

from .models import ActivityEvent, RecentItem


def recent_item_list_for(*, user, limit=10):
    return list(RecentItem.objects.filter(user=user).order_by("-touched_at")[:limit])


def activity_list_for(*, target, until=None):
    """The timeline of one record, newest first; `until` shows it as it stood at that moment."""
    qs = ActivityEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=target.pk
    ).select_related("actor")
    if until is not None:
        qs = qs.filter(created_at__lte=until)
    return qs.order_by("-created_at", "-id")


def resource_list_for(*, target):
    from .models import Resource

    return Resource.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=target.pk
    ).select_related("created_by")
