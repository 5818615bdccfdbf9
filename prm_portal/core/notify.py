"""Kinds of notification and the hooks through which a person's preferences shape the emails (issue 13).

Core knows no app: apps register their kinds of notification here (`notification_kind_register`, e.g. from their
AppConfig.ready), and the notifications app registers the router that applies each person's preference
(immediate, daily digest, none) and the maker of the signed one-click unsubscribe address. Without a registered
router every email goes at once, as before.

`email_enqueue(..., kind=, user=)` (core.emails) names the kind; without `kind` the kind registered for the
template is used, so callers that predate preferences keep working and are routed too.
"""

from dataclasses import dataclass, field

_kinds: dict[str, "NotificationKind"] = {}
_by_template: dict[str, str] = {}
_hooks = {"route": None, "unsubscribe_url": None}


@dataclass(frozen=True)
class NotificationKind:
    code: str
    label: object  # a lazy translated string
    description: object = ""
    mandatory: bool = False  # always sent at once: a person cannot turn it off (password, welcome)
    templates: tuple = field(default_factory=tuple)
    audience: str = "all"  # whose preferences page lists it: "all", "partner" or "staff"


def notification_kind_register(code, label, *, description="", mandatory=False, templates=(), audience="all"):
    """Declare a kind of notification (what a person chooses a delivery for) and the email templates that are it."""
    kind = NotificationKind(code=code, label=label, description=description, mandatory=mandatory,
                            templates=tuple(templates), audience=audience)
    _kinds[code] = kind
    for template_key in kind.templates:
        _by_template[template_key] = code
    return kind


def notification_kinds() -> list[NotificationKind]:
    return list(_kinds.values())


def notification_kind_get(code):
    return _kinds.get(code)


def notification_kind_for(*, template_key, kind=None):
    """The kind of an email: the one its sender named, else the one registered for its template (or None)."""
    return kind or _by_template.get(template_key)


def notification_hooks_register(*, route, unsubscribe_url):
    """`route(messages) -> messages to send now` (it keeps digest items and drops what a person turned off);
    `unsubscribe_url(payload) -> str | None`, the signed address that turns the email's kind off for its person."""
    _hooks["route"] = route
    _hooks["unsubscribe_url"] = unsubscribe_url


def notification_route(messages: list[dict]) -> list[dict]:
    route = _hooks["route"]
    return route(messages) if route is not None else messages


def notification_unsubscribe_url(payload: dict):
    make = _hooks["unsubscribe_url"]
    return make(payload) if make is not None else None
