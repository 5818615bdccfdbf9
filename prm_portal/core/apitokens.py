"""API tokens: a person's keys to the REST API, one per client, made and revoked on their own page.

- Hashed at rest: a token row keeps a SHA-256 of its secret (and the secret's first characters, to tell tokens
  apart); the secret itself is shown once, when `api_token_create` makes it. A secret is 256 random bits, so a
  plain hash is enough (a slow password hash would only cost every request time).
- Expiring: 30, 90 (the default) or 365 days; an expired or revoked token, or the token of a deactivated person, is
  refused (401). The portal's gates (a forced password change, PRM off) hold for token clients as for pages
  (accounts.api_permissions.PortalGate).
- `last_used_at` is written at most once a minute per token (one conditional UPDATE), not on every request.
- Clients send `Authorization: Bearer <secret>`; `Authorization: Token <secret>` works too.

Core knows no app: the owner is `settings.AUTH_USER_MODEL`, and the models are imported when a request asks
(DRF imports the authentication class while the apps are still loading).
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from .errors import InvalidTransition, NotPermitted

LIFETIME_DAYS = (30, 90, 365)
DEFAULT_LIFETIME_DAYS = 90
MAX_ACTIVE_TOKENS = 20  # per person: enough for every client they run, few enough to keep an eye on
NAME_MAX_LENGTH = 100
SECRET_PREFIX = "prm_"  # says what the secret is when it turns up in a log or a repository
PREFIX_SHOWN = len(SECRET_PREFIX) + 8
LAST_USED_RESOLUTION = timedelta(minutes=1)
KEYWORDS = (b"bearer", b"token")


def api_token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# --- reads ---------------------------------------------------------------------------------------------------------


def api_token_list_for(*, user):
    """The person's own tokens, newest first (revoked and expired ones too: the page says which)."""
    from .models import ApiToken

    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_get_for_owner(*, user, pk):
    """One of the person's own tokens; anyone else's does not exist for them (404)."""
    from .models import ApiToken

    try:
        return ApiToken.objects.get(user=user, pk=int(pk))
    except (ApiToken.DoesNotExist, TypeError, ValueError):
        raise Http404("No such token.")


# --- writes --------------------------------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, actor, name, lifetime_days=DEFAULT_LIFETIME_DAYS):
    """Make a token for `actor`'s client `name`; returns (token, secret). The secret is not kept: show it now."""
    from django.contrib.auth import get_user_model

    from .events import ApiTokenEvent
    from .models import ApiToken
    from .services import activity_record

    name = (name or "").strip()
    if not name:
        raise InvalidTransition(_("Name the client that will use the token, e.g. CRM sync."), code="validation")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidTransition(_("A token's name has at most %(max)d characters.") % {"max": NAME_MAX_LENGTH},
                                code="validation")
    try:
        lifetime_days = int(lifetime_days)
    except (TypeError, ValueError):
        lifetime_days = 0
    if lifetime_days not in LIFETIME_DAYS:
        raise InvalidTransition(_("Choose how long the token works: 30, 90 or 365 days."), code="validation")
    # The person's row is the lock: two creations at once cannot both pass the count below.
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    now = timezone.now()
    active = ApiToken.objects.filter(user=actor, revoked_at__isnull=True, expires_at__gt=now).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise InvalidTransition(
            _("You have %(count)d working tokens, the most a person may have: revoke one you no longer use first.")
            % {"count": active}, code="state")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=actor, name=name, prefix=secret[:PREFIX_SHOWN],
                                    key_hash=api_token_hash(secret), expires_at=now + timedelta(days=lifetime_days))
    activity_record(target=token, event=ApiTokenEvent.CREATED, actor=actor,
                    partner_account=getattr(actor, "partner_account", None), name=name, days=lifetime_days)
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor, token):
    """Revoke a token at once: its owner on their page, a vendor admin in the admin. Revoking twice is refused."""
    from .events import ApiTokenEvent
    from .models import ApiToken
    from .services import activity_record

    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if token.user_id != actor.pk and not getattr(actor, "is_vendor_admin", False):
        raise NotPermitted(_("Only the token's owner or a vendor admin revokes it."))
    if token.revoked_at is not None:
        raise InvalidTransition(_("The token “%(name)s” is already revoked.") % {"name": token.name}, code="state")
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    activity_record(target=token, event=ApiTokenEvent.REVOKED, actor=actor,
                    partner_account=getattr(token.user, "partner_account", None), name=token.name)
    return token


# --- authentication ------------------------------------------------------------------------------------------------


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <secret>` (or `Token <secret>`): the token's owner, with the token as `request.auth`
    (the throttles count per token)."""

    invalid = gettext_lazy("The token is not valid: it is unknown, expired or revoked, or its user is deactivated.")

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send the token as: Authorization: Bearer <token>."))
        try:
            secret = parts[1].decode("ascii")
        except UnicodeError:
            raise AuthenticationFailed(self.invalid)
        return self.authenticate_credentials(secret)

    def authenticate_credentials(self, secret):
        from .models import ApiToken

        token = ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(secret)).first()
        now = timezone.now()
        if token is None or not token.is_active(now) or not token.user.is_active:
            raise AuthenticationFailed(self.invalid)
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            # At most one write a minute per token, whatever the number of requests (and of web processes).
            ApiToken.objects.filter(pk=token.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
            ).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'

