"""What every REST endpoint shares: one error body, the list filters' helpers, and a schema that tells the truth.

- Errors: every refusal answers `{"detail": <a sentence>, "code": <a stable code>}`; bad values (400) add
  `"errors"` (field -> messages, as DRF reports them); a stale If-Match (412) adds `"version"` and `"changes"`
  (prm_portal.core.versioning). A service's InvalidTransition is 400 when its code is "validation", 403 when the
  actor may not (NotPermitted, "forbidden"), 409 otherwise.
- Throttles: prm_portal.core.throttles (429 with Retry-After).
- List filters: `id_filter` and `changed_since_filter` for django-filter FilterSets (a bad value is 400).
- Schema (drf-spectacular): `PortalAutoSchema` lists each operation's error statuses with their bodies, the
  If-Match request header and the ETag and Retry-After response headers, and says of each required text field
  that it may not be blank (DRF trims it and refuses an empty one) and of every text field that it may not hold
  NUL characters (DRF refuses them).
"""

from datetime import UTC, datetime

import django_filters
from django import forms as django_forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.validators import RegexValidator
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import InvalidTransition, NotPermitted
from .versioning import StaleVersion, stale_response

# --- errors -----------------------------------------------------------------------------------------------------


def _status_for(exc: InvalidTransition) -> int:
    if isinstance(exc, NotPermitted) or exc.code == "forbidden":
        return 403
    if exc.code == "validation":
        return 400
    return 409


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: the one error body of the API (see the module's docstring)."""
    if isinstance(exc, StaleVersion):
        return stale_response(exc)
    if isinstance(exc, InvalidTransition):
        return Response({"detail": exc.message, "code": exc.code}, status=_status_for(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {api_settings.NON_FIELD_ERRORS_KEY: exc.detail}
        response.data = {"detail": _("Some values are not valid; see errors."), "code": "validation",
                         "errors": errors}
    elif isinstance(exc, exceptions.APIException):
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        codes = exc.get_codes()
        response.data = {"detail": str(detail), "code": codes if isinstance(codes, str) else exc.default_code}
    return response


class ApiErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in the user's language.")
    code = serializers.CharField(
        help_text="A stable code: validation, parse_error, not_authenticated, authentication_failed, "
                  "permission_denied, password_change_required, forbidden, not_found, state, already_claimed, "
                  "user_limit, partner_limit, throttled, prm_not_enabled…")


class ApiValidationErrorSerializer(ApiErrorSerializer):
    errors = serializers.DictField(
        required=False, child=serializers.JSONField(),
        help_text="The values that are not valid: field name -> messages (nested as the request is).")


class ApiChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()


class ApiStaleErrorSerializer(ApiErrorSerializer):
    version = serializers.IntegerField(allow_null=True, help_text="The record's current version (also the ETag).")
    changes = ApiChangeSerializer(many=True, help_text="What changed since the version If-Match named.")


# --- schema -----------------------------------------------------------------------------------------------------

NO_NUL = r"^[^\u0000]*$"
# A blank-allowed field's pattern is wrapped by drf-spectacular as oneOf [pattern, maxLength 0]: "" must match one only.
NO_NUL_FILLED = r"^[^\u0000]+$"
NOT_BLANK = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _error(serializer, description):
    return OpenApiResponse(serializer, description=description)


class PortalAutoSchema(AutoSchema):
    def _has_id(self):
        return "{" in self.path

    def _is_write(self):
        return self.method in WRITE_METHODS

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        if self._is_write() and self._has_id():
            params.append(OpenApiParameter(
                "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
                description="The ETag the record was read with: the change is made only if the record is still at "
                            "that version, else 412 with what changed (omit it to write whatever the version)."))
        if self._has_id() or (self._is_write() and not self._is_list_view()):
            params.append(OpenApiParameter("ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=["200", "201"],
                                           description="The record's version, to send back as If-Match."))
        params.append(OpenApiParameter("Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=["429"],
                                       description="Seconds to wait before the next request."))
        return params

    def _error_responses(self):
        errors = {
            "401": _error(ApiErrorSerializer, "No session and no valid token (unknown, expired or revoked)."),
            "403": _error(ApiErrorSerializer, "Not allowed: the caller's role, a read-only share, or a temporary "
                                              "password to change first."),
            "429": _error(ApiErrorSerializer, "Too many requests; Retry-After says when to try again."),
            "503": _error(ApiErrorSerializer, "The partner portal is not enabled yet (partner users)."),
        }
        listing = self.method == "GET" and self._is_list_view()
        if self._is_write() or listing:
            errors["400"] = _error(ApiValidationErrorSerializer, "A value is not valid (a field, a filter).")
        if self._has_id():
            errors["404"] = _error(ApiErrorSerializer, "Not found: no such record, or not one the caller may see.")
        elif listing:
            errors["404"] = _error(ApiErrorSerializer, "Invalid page: past the last page.")
        if self._is_write():
            errors["409"] = _error(ApiErrorSerializer, "The record's state does not allow this change (code says "
                                                       "why: state, already_claimed, user_limit…).")
        if self._is_write() and self._has_id():
            errors["412"] = _error(ApiStaleErrorSerializer, "If-Match named a version the record has moved on from.")
        return errors

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self._error_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return dict(sorted(responses.items()))

    def _insert_field_validators(self, field, schema):
        """A writable text field's pattern, set before DRF's validators are read (their pattern wins) and before a
        blank-allowed field is wrapped as oneOf [pattern, empty]."""
        if (
            isinstance(field, serializers.CharField)
            and not field.read_only
            and schema.get("type") == "string"
            and not {"format", "pattern", "enum"} & set(schema)
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            schema["pattern"] = NO_NUL_FILLED if field.allow_blank else NOT_BLANK
        super()._insert_field_validators(field, schema)

class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The schema's name for the token header (drf-spectacular)."""

    target_class = "prm_portal.core.apitokens.ApiTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from Profile → API tokens, as `Authorization: Bearer <token>` "
                           "(`Token <token>` works too).",
        }


# --- list filters (django-filter): declared, validated, and described as they validate ----------------------------

MAX_ID = 2**63 - 1


class _DateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, as a moment in UTC (PostgreSQL takes offsets up to 15:59 only; RFC 3339 allows more).
    A moment before the year 1 or after 9999 in UTC is the first or the last one there is."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            return (datetime.min if parsed.year < 5000 else datetime.max).replace(tzinfo=UTC)


class _IdFilter(django_filters.NumberFilter):
    field_class = django_forms.IntegerField

    def get_max_validator(self):
        return None  # the field's own max_value


class _ChangedSinceFilter(django_filters.IsoDateTimeFilter):
    field_class = _DateTimeField


def id_filter(field_name, description):
    """A record id (an integer the database can hold; anything else is 400)."""
    return extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID,
                                "description": description})(
        _IdFilter(field_name=field_name, min_value=1, max_value=MAX_ID))


def changed_since_filter(field_name, description):
    """Records whose `field_name` is at or after the moment given (ISO 8601): a sync passes the last value it saw
    and gets that record again rather than missing one changed in the same instant."""
    return extend_schema_field({"type": "string", "format": "date-time", "description": description})(
        _ChangedSinceFilter(field_name=field_name, lookup_expr="gte"))
