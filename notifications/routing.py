"""What core's emails ask of this app (prm_portal.core.notify): route each email by its person's preference, and
the signed one-click unsubscribe address of an email's kind."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from prm_portal.core.notify import notification_kind_for, notification_kind_get

from .kinds import DIGEST
from .models import Delivery, DigestItem, NotificationPolicy, NotificationPreference

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def mandatory_kinds() -> set[str]:
    """Kinds sent at once whatever anyone chose: the portal's own (password, welcome) and the vendor's."""
    from prm_portal.core.notify import notification_kinds

    fixed = {kind.code for kind in notification_kinds() if kind.mandatory}
    return fixed | set(NotificationPolicy.objects.filter(mandatory=True).values_list("kind", flat=True))


def _routable(message):
    kind = notification_kind_for(template_key=message["template_key"], kind=message.get("kind"))
    if kind is None or kind == DIGEST or not isinstance(message["to"], str):
        return None
    return kind


def notification_messages_route(messages: list[dict]) -> list[dict]:
    """The emails to send now. One that its person wants in their digest becomes a digest item (once per
    idempotency key); one they turned off is dropped; mandatory kinds always go. One query when nobody has chosen
    anything but "immediately" (the usual case, and what a set-based task with thousands of emails meets)."""
    if not messages or not NotificationPreference.objects.exclude(delivery=Delivery.IMMEDIATE).exists():
        return messages
    kinds = {}
    for index, message in enumerate(messages):
        kind = _routable(message)
        if kind is not None:
            kinds[index] = kind
    if not kinds:
        return messages
    wanted = set(kinds.values()) - mandatory_kinds()
    if not wanted:
        return messages
    user_ids = {getattr(m["user"], "pk", m["user"]) for i, m in enumerate(messages) if i in kinds and m.get("user")}
    addresses = {messages[i]["to"].lower() for i in kinds}
    from django.db.models import Q
    from django.db.models.functions import Lower

    rows = (
        NotificationPreference.objects.exclude(delivery=Delivery.IMMEDIATE)
        .filter(kind__in=wanted)
        .annotate(address=Lower("user__email"))
        .filter(Q(user_id__in=user_ids) | Q(address__in=addresses))
        .values_list("user_id", "address", "kind", "delivery")
    )
    by_user, by_address = {}, {}
    for user_id, address, kind, delivery in rows:
        by_user[(user_id, kind)] = (user_id, delivery)
        by_address[(address, kind)] = (user_id, delivery)
    keep, items = [], []
    for index, message in enumerate(messages):
        kind = kinds.get(index)
        if kind not in wanted:
            keep.append(message)
            continue
        user_id = getattr(message.get("user"), "pk", message.get("user"))
        found = by_user.get((user_id, kind)) if user_id else by_address.get((message["to"].lower(), kind))
        if found is None:
            keep.append(message)
        elif found[1] == Delivery.DIGEST:
            items.append(DigestItem(user_id=found[0], kind=kind, idempotency_key=message["idempotency_key"],
                                    template_key=message["template_key"], context=message["context"]))
        # Delivery.NONE: the person turned this kind off; nothing is kept
    if items:
        DigestItem.objects.bulk_create(items, ignore_conflicts=True)
    return keep


def unsubscribe_token(*, user_id, kind) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(token):
    """(user id, kind) of a token this portal signed, or None: a forged or damaged token changes nothing."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        return None
    return data["u"], data["k"]


def unsubscribe_url(*, user_id, kind) -> str:
    path = reverse("notifications:unsubscribe", args=[unsubscribe_token(user_id=user_id, kind=kind)])
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def unsubscribe_url_for(payload: dict):
    """The address that turns this email's kind off for its person; None for a mandatory kind, an email of no
    registered kind, or an address that is nobody's account."""
    kind = notification_kind_for(template_key=payload.get("template_key", ""), kind=payload.get("kind"))
    registered = notification_kind_get(kind) if kind else None
    if registered is None or registered.mandatory or kind in mandatory_kinds():
        return None
    user_id = payload.get("user")
    if not user_id:
        to = payload.get("to")
        if not isinstance(to, str):
            return None
        from django.contrib.auth import get_user_model

        user_id = get_user_model().objects.filter(email__iexact=to).values_list("pk", flat=True).first()
        if user_id is None:
            return None
    return unsubscribe_url(user_id=user_id, kind=kind)
