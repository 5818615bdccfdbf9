"""Who hears of recorded events, without core (or a record app) importing them.

An app above the record apps (webhooks) registers a listener in its AppConfig.ready:

    register_event_listener(on_event, bulk=on_events)

`activity_record` (core.services) calls `on_event(event)` with each ActivityEvent row it writes, in the same
transaction; a set-based service that writes many events in raw SQL (referral expiry) calls
`event_listeners_notify_bulk(event=..., model=..., object_ids=[...])` once per batch, in its transaction, and
the listener answers with set-based writes of its own. A listener that raises rolls the change back with it.
"""

from collections.abc import Callable

_listeners: list[Callable] = []
_bulk_listeners: list[Callable] = []


def register_event_listener(listener: Callable, *, bulk: Callable | None = None) -> None:
    """`listener(event)` hears of each ActivityEvent row `activity_record` writes; `bulk(event=, model=,
    object_ids=)` hears of a batch of events of one type written set-based (`event` is the EventType member)."""
    if listener not in _listeners:
        _listeners.append(listener)
    if bulk is not None and bulk not in _bulk_listeners:
        _bulk_listeners.append(bulk)


def event_listeners_notify(event) -> None:
    """Called by activity_record after it wrote `event`, in its transaction."""
    for listener in _listeners:
        listener(event)


def event_listeners_notify_bulk(*, event, model, object_ids) -> None:
    """Called by a set-based writer after it wrote one `event` (an EventType member) for each of `object_ids`
    (records of `model`), in its transaction."""
    if not object_ids:
        return
    for listener in _bulk_listeners:
        listener(event=event, model=model, object_ids=list(object_ids))
