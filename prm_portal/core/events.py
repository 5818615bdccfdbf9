"""Events as types (STYLE 7, SPEC C10).

Each app declares what can happen to its records in `<app>/events.py`, as an `EventType` enum registered with
`@register`: one member per thing that happens, its value the code stored in `ActivityEvent.verb`, its label the
translated sentence a person reads::

    @register
    class LeadEvent(EventType):
        CLAIMED = "lead.claimed", _("%(actor)s accepted the lead from %(queue)s")
        NOTIFIED = "lead.notified", INTERNAL, _("%(actor)s emailed %(recipients)s about the lead")

A sentence's named placeholders are filled from the event: `actor` (by name, or "another partner" when the viewer
may not know them), each key of its data, and `old_<field>` / `new_<field>` for each entry of `data["changes"]`
(spaces in the field become "_"), values by their choice label in the viewer's language. An INTERNAL type is shown
to vendor staff only. `activity_record` (core.services) writes only registered members, so no code name is free
text; `event_sentence` and `event_changes` are what pages show, never the code. This module imports no app: the
apps' `events` modules are imported by CoreConfig.ready (autodiscovery, as the admin does).
"""

import re

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import ActivityEvent

INTERNAL = "internal"
EMPTY = "—"
PLACEHOLDER_RE = re.compile(r"%\((\w+)\)s")

_registry: dict[str, "EventType"] = {}


class EventType(models.TextChoices):
    """The base of every app's event enum. Members are `NAME = code, [INTERNAL,] sentence`.

    Subclasses may override the hooks (`change_models`, `extra_fields`, `shows_changes`, `prepare`) to say how
    their events' changes and data read.
    """

    def __new__(cls, code, *flags):
        member = str.__new__(cls, code)
        member._value_ = code
        member._internal = INTERNAL in flags
        return member

    @property
    def internal(self) -> bool:
        """Shown to vendor staff only (another partner's notification, sharing changes, settings)."""
        return self._internal

    @property
    def placeholders(self) -> frozenset:
        """The names the English sentence uses."""
        with translation.override(None):
            return frozenset(PLACEHOLDER_RE.findall(str(self.label)))

    # --- hooks --------------------------------------------------------------------------------------------------

    def change_models(self, target_model) -> list:
        """The models whose fields `data["changes"]` names (their verbose names and choices label the changes)."""
        return [target_model] if target_model is not None else []

    def extra_fields(self) -> dict:
        """Change keys that are no model field: key -> (label, choices class or None)."""
        return {}

    def shows_changes(self) -> bool:
        """Whether the changes the sentence does not name are listed under it."""
        return True

    def prepare(self, params, *, event, viewer):
        """Adjust the sentence's values in place (map codes to words, hide what the viewer may not know)."""


def register(enum):
    """Class decorator: make an EventType's members known by their stored codes."""
    if not (isinstance(enum, type) and issubclass(enum, EventType)):
        raise ImproperlyConfigured(f"{enum!r} is not an EventType.")
    max_length = ActivityEvent._meta.get_field("verb").max_length
    for member in enum:
        if len(member.value) > max_length:
            raise ImproperlyConfigured(f"Event code {member.value!r} is longer than {max_length} characters.")
        existing = _registry.get(member.value)
        if existing is not None and existing is not member:
            raise ImproperlyConfigured(f"Event code {member.value!r} is declared twice: {existing!r}, {member!r}.")
        _registry[member.value] = member
    return enum


def event_type_for(code):
    """The registered member stored as `code`, or None."""
    return _registry.get(str(code))


def event_types() -> list:
    return list(_registry.values())


def internal_codes() -> list[str]:
    return [code for code, member in _registry.items() if member.internal]


def require_registered(event) -> str:
    """The code to store for `event`; refuses anything but a registered EventType member."""
    if not isinstance(event, EventType):
        raise TypeError(f"An activity event is an EventType member (e.g. LeadEvent.CLAIMED), not {event!r}.")
    if _registry.get(event.value) is not event:
        raise ValueError(f"{event!r} is not registered: decorate its EventType with @register.")
    return event.value


# --- who may be named --------------------------------------------------------------------------------------------


def viewer_knows(viewer, *, partner_account_id) -> bool:
    """Vendor staff know everyone; a partner person knows their own partner's people and the vendor's.
    `viewer=None` is a rendering for no person in particular (the Django admin, logs): unrestricted."""
    if viewer is None or getattr(viewer, "is_vendor_staff", False):
        return True
    return partner_account_id is None or partner_account_id == getattr(viewer, "partner_account_id", None)


def person_label(user, *, viewer) -> str:
    if user is None:
        return gettext("System")
    if user.is_vendor_staff or viewer_knows(viewer, partner_account_id=user.partner_account_id):
        return str(user)
    return gettext("another partner")


# --- rendering ---------------------------------------------------------------------------------------------------


class _Params(dict):
    """A missing value reads as a dash, never as a KeyError on a page."""

    def __missing__(self, key):
        return EMPTY


def display(value) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, (list, tuple)):
        return ", ".join(display(v) for v in value) or EMPTY
    if isinstance(value, dict):
        return EMPTY
    return str(value)


def _choices_label(choices, value):
    """The label of `value` among `choices` (pairs), in the active language; a stored English label is accepted
    too (older events kept labels, not codes). None if it is no choice."""
    for code, label in choices:
        if str(code) == str(value):
            return str(label)
    with translation.override("en"):
        english = {str(label): label for _code, label in choices}
    label = english.get(str(value))
    return str(label) if label is not None else None


def _choice_display(choices, value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_choice_display(choices, v) for v in value) or EMPTY
    if value is None or value == "":
        return EMPTY
    label = _choices_label(choices, value) if choices else None
    return label if label is not None else display(value)


def _target_model(event):
    return ContentType.objects.get_for_id(event.content_type_id).model_class()


def _change_field(kind, event, key):
    """(label, choices) of a change key: the model field's verbose name and choices, or the type's extra field."""
    extra = kind.extra_fields().get(key) if kind is not None else None
    if extra is not None:
        label, choices = extra
        return capfirst(str(label)), (list(choices.choices) if choices is not None else None)
    models_ = kind.change_models(_target_model(event)) if kind is not None else [_target_model(event)]
    for model in models_:
        try:
            field = model._meta.get_field(key.replace(" ", "_"))
        except FieldDoesNotExist:
            continue
        if not hasattr(field, "verbose_name"):
            continue
        base = getattr(field, "base_field", None)  # an ArrayField's items carry the choices
        choices = field.flatchoices or (base.flatchoices if base is not None else None)
        return capfirst(str(field.verbose_name)), (list(choices) if choices else None)
    return capfirst(key.replace("_", " ")), None


def _changes(event) -> dict:
    changes = (event.data or {}).get("changes") or {}
    return {k: v for k, v in changes.items() if isinstance(v, (list, tuple)) and len(v) == 2}


def _field_position(kind, event, key) -> tuple:
    """Changes are listed in the order of the model's fields (JSONB keeps no order of its own)."""
    models_ = kind.change_models(_target_model(event)) if kind is not None else [_target_model(event)]
    name = key.replace(" ", "_")
    for rank, model in enumerate(models_):
        names = [f.name for f in model._meta.get_fields()]
        if name in names:
            return (rank, names.index(name), key)
    return (len(models_), 0, key)


def event_params(event, *, viewer) -> dict:
    kind = event_type_for(event.verb)
    params = _Params()
    for key, value in (event.data or {}).items():
        if key != "changes":
            params[key] = display(value)
    for key, (old, new) in _changes(event).items():
        _label, choices = _change_field(kind, event, key)
        slug = key.replace(" ", "_")
        params[f"old_{slug}"] = _choice_display(choices, old)
        params[f"new_{slug}"] = _choice_display(choices, new)
    params["actor"] = person_label(event.actor, viewer=viewer)
    if kind is not None:
        kind.prepare(params, event=event, viewer=viewer)
    return params


def event_sentence(event, *, viewer) -> str:
    """What happened, as one sentence in the active language, for `viewer` (see `viewer_knows`)."""
    kind = event_type_for(event.verb)
    params = event_params(event, viewer=viewer)
    sentence = str(kind.label) if kind is not None else gettext("%(actor)s changed this record")
    return capfirst(sentence % params)


def event_changes(event, *, viewer) -> list[dict]:
    """The changes listed under the sentence: [{"field", "old", "new"}], those the sentence names left out."""
    kind = event_type_for(event.verb)
    if kind is not None and not kind.shows_changes():
        return []
    named = kind.placeholders if kind is not None else frozenset()
    params = event_params(event, viewer=viewer)
    rows = []
    for key in sorted(_changes(event), key=lambda k: _field_position(kind, event, k)):
        slug = key.replace(" ", "_")
        if f"old_{slug}" in named or f"new_{slug}" in named:
            continue
        label, _choices = _change_field(kind, event, key)
        rows.append({"field": label, "old": params[f"old_{slug}"], "new": params[f"new_{slug}"]})
    return rows


# --- core's own events -----------------------------------------------------------------------------------------


@register
class CoreEvent(EventType):
    NOTE_ADDED = "core.note_added", _("%(actor)s added the note “%(title)s”")
    LINK_ADDED = "core.link_added", _("%(actor)s added the link “%(title)s”")
    FILE_ADDED = "core.file_added", _("%(actor)s attached the file “%(title)s”")

    def shows_changes(self):
        return False


@register
class ApiTokenEvent(EventType):
    """A person's API tokens (prm_portal.core.apitokens): made and revoked on their page, or revoked in the admin."""

    CREATED = "core.api_token_created", _("%(actor)s created the API token “%(name)s”")
    REVOKED = "core.api_token_revoked", _("%(actor)s revoked the API token “%(name)s”")

    def shows_changes(self):
        return False
