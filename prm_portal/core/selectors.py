import functools

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q

from .events import internal_codes
from .models import ActivityEvent, RecentItem
from .sql import execute_prepared, model_columns, model_from_row
from .visibility import visible_pks


def recent_item_list_for(*, user, limit=10):
    """The user's Recent Items that they may still see: a record reassigned away, or no longer shared, drops out
    (with its label and link) at once. One query for the items and one per record type among them."""
    items = _recent_items(user.pk, limit)
    by_type = {}
    for item in items:
        by_type.setdefault(item.content_type, set()).add(item.object_id)
    visible = {
        ct.pk: visible_pks(user=user, model_label=f"{ct.app_label}.{ct.model}", pks=pks) for ct, pks in by_type.items()
    }
    return [item for item in items if item.object_id in visible[item.content_type_id]]


@functools.cache
def _recent_items_statement():
    return (f'SELECT {model_columns(RecentItem, "r")} FROM "{RecentItem._meta.db_table}" r '  # noqa: S608
            'WHERE r."user_id" = %s ORDER BY r."touched_at" DESC LIMIT %s')


def _recent_items(user_id, limit):
    """The user's newest Recent Items (every page's sidebar): hand-written, as the ORM took longer to build this
    statement than PostgreSQL to run it (`make bench-inbox`). Their content types come from ContentType's cache."""
    with connection.cursor() as cursor:
        execute_prepared(cursor, _recent_items_statement(), [user_id, limit])  # planned once per kept connection
        items = [model_from_row(RecentItem, row, 0, connection.alias)[0] for row in cursor.fetchall()]
    for item in items:
        item.content_type = ContentType.objects.get_for_id(item.content_type_id)
    return items


def activity_list_for(*, target, until=None, viewer=None):
    """The timeline of one record, newest first; `until` shows it as it stood at that moment.

    For a `viewer` who is no vendor staff, only the events of their own partner and the vendor-wide ones
    (partner_account NULL) that are not internal: a lead's new partner never sees the previous partner's
    events. `viewer=None` is for code, not for pages: every event.
    """
    qs = ActivityEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=target.pk
    ).select_related("actor")
    if viewer is not None and not viewer.is_vendor_staff:
        qs = qs.filter(
            Q(partner_account__isnull=True) | Q(partner_account_id=getattr(viewer, "partner_account_id", None))
        ).exclude(verb__in=internal_codes())
    if until is not None:
        qs = qs.filter(created_at__lte=until)
    return qs.order_by("-created_at", "-id")


def resource_list_for(*, target):
    from .models import Resource

    return Resource.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=target.pk
    ).select_related("created_by")
