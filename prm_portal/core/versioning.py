"""Record versions: a form or API client that read a record at version N may write it only while it is still N.

Every write service of a versioned record (a `version` field starting at 1) adds one to it under the row lock,
and `activity_record` stamps the version a change produced on the event it records. A service behind a form
takes `expected_version` and calls `version_check` on the locked row: a stale write is refused with
`StaleVersion`, whose message lists what changed since the version the user read (from those events), as
"Field: old → new". API views send the version as an ETag and honour If-Match with the helpers at the end.
"""

import re

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .errors import InvalidTransition

MAX_CHANGES_LISTED = 8


class StaleVersion(InvalidTransition):
    """The record changed after the form (or API client) read it; nothing was written.

    `changes` lists (label, old, new) for what changed since; `current_version` is the version to read again.
    """

    def __init__(self, message, *, changes=(), current_version=None):
        super().__init__(message, code="stale")
        self.changes = list(changes)
        self.current_version = current_version


# --- describing what changed ---------------------------------------------------------------------------------


def _model_field(model, key):
    for name in (key, str(key).replace(" ", "_")):
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None


def _label(model, key, labels):
    if labels and key in labels:
        return str(labels[key])
    field = _model_field(model, key)
    if field is not None and getattr(field, "verbose_name", None):
        return capfirst(str(field.verbose_name))
    return capfirst(str(key))


def _value(model, key, value, choices):
    """An event's old or new value as a person reads it: a choice's label, never its code."""
    if value in (None, ""):
        return "—"
    options = (choices or {}).get(key)
    if options is None:
        field = _model_field(model, key)
        options = getattr(field, "flatchoices", None) if field is not None else None
    for code, label in options or ():
        if str(code) == str(value):
            return str(label)
    return str(value)


def changes_since(target, version, *, key="version", model=None, labels=None, choices=None):
    """What the events recorded on `target` after `version` changed, merged per field: [(label, old, new)],
    and the people who changed it. `key` is the data key the events carry the version under."""
    from .models import ActivityEvent  # the app registry is ready when a service runs

    model = model or type(target)
    events = (
        ActivityEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(target),
            object_id=target.pk,
            **{f"data__{key}__gt": version},
        )
        .select_related("actor")
        .order_by("created_at", "id")
    )
    merged = {}
    actors = []
    partner_id = getattr(target, "partner_account_id", None)
    for event in events:
        if not event.actor_id:
            name = _("the system")
        elif event.actor.is_partner and event.actor.partner_account_id != partner_id:
            name = _("another partner")  # a record that changed hands: the other partner's people stay unnamed
        else:
            name = str(event.actor)
        if name not in actors:
            actors.append(name)
        for field, change in (event.data.get("changes") or {}).items():
            if not isinstance(change, (list, tuple)) or len(change) != 2:
                continue
            old, new = change
            if field in merged:
                merged[field][1] = new
            else:
                merged[field] = [old, new]
    changes = [
        (_label(model, field, labels), _value(model, field, old, choices), _value(model, field, new, choices))
        for field, (old, new) in merged.items()
        if old != new
    ]
    return changes, actors


def stale_message(changes, actors):
    who = ", ".join(actors) if actors else _("Someone else")
    if changes:
        listed = "; ".join(
            _("%(field)s: %(old)s → %(new)s") % {"field": label, "old": old, "new": new}
            for label, old, new in changes[:MAX_CHANGES_LISTED]
        )
        if len(changes) > MAX_CHANGES_LISTED:
            listed += "; …"
        first = _("%(who)s changed this after you opened it: %(changes)s.") % {"who": who, "changes": listed}
    else:
        first = _("%(who)s changed this after you opened it.") % {"who": who}
    return f"{capfirst(first)} {_('Nothing was saved: check the current values and try again.')}"


# --- the check the services make -------------------------------------------------------------------------------


def version_check(obj, expected_version, *, fields=None, choices=None, history=None, key="version"):
    """Refuse a write read at another version than the locked row's. Call it on the row `select_for_update`
    returned, in the service's transaction; `expected_version=None` (an older client, the admin) checks nothing.

    `fields` labels change keys that are not model fields; `choices` gives code → label lists for such keys;
    `history` is the record the events are written on when that is not `obj` (with its own `key`).
    """
    if expected_version is None:
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        expected = 0
    if expected == obj.version:
        return
    changes, actors = changes_since(
        history if history is not None else obj, expected, key=key, model=type(obj), labels=fields, choices=choices
    )
    raise StaleVersion(stale_message(changes, actors), changes=changes, current_version=obj.version)


def version_bump(obj) -> str:
    """Add one to the locked row's version in memory; the caller saves it. Returns the field name, for
    `update_fields`. Safe only under the row lock, which every caller holds."""
    obj.version = obj.version + 1
    return "version"


# --- forms -------------------------------------------------------------------------------------------------------


def version_form_field():
    """The hidden field an edit or transition form carries: the version the page was read at. Blank (a page
    from before versions, a create form) checks nothing."""
    from django import forms

    return forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


def form_version_refresh(form, version):
    """After a StaleVersion, keep what the user typed but carry the current version: saving again, having
    read the message, is then a deliberate choice and goes through."""
    data = form.data.copy()
    data[form.add_prefix("version")] = str(version)
    form.data = data
    return form


# --- the API: ETag and If-Match ----------------------------------------------------------------------------------

_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')


def etag_for(obj) -> str:
    """The record's version as a strong entity tag."""
    return f'"{obj.version}"'


def if_match_version(request, obj=None):
    """The version an API write must still find, from the If-Match header: None without the header (or with
    `*`), the record's version when one of the tags names it (the service re-checks under the lock), and a
    version that cannot match otherwise. Weak tags never match (RFC 9110: If-Match compares strongly)."""
    header = (request.headers.get("If-Match") or "").strip()
    if not header or header == "*":
        return None
    versions = []
    for weak, value in _TAG.findall(header):
        if not weak and value.isdigit() and len(value) < 12:
            versions.append(int(value))
    if obj is not None and obj.version in versions:
        return obj.version
    return versions[0] if versions else 0


def stale_response(exc: StaleVersion):
    """412 Precondition Failed with what changed and the current version as the ETag."""
    from rest_framework import status
    from rest_framework.response import Response

    response = Response(
        {
            "detail": exc.message,
            "code": exc.code,
            "version": exc.current_version,
            "changes": [{"field": label, "old": old, "new": new} for label, old, new in exc.changes],
        },
        status=status.HTTP_412_PRECONDITION_FAILED,
    )
    if exc.current_version is not None:
        response["ETag"] = f'"{exc.current_version}"'
    return response


def with_etag(response, obj):
    response["ETag"] = etag_for(obj)
    return response
