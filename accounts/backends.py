"""The authentication backends: Django's and allauth's, each loading the signed-in person with their partner account
in the same statement (the user's first query of every request: the brand, the gates and the access policy read the
partner account, and it would cost a second query per page)."""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def _get_user(backend, user_id):
    User = get_user_model()
    try:
        user = User._default_manager.select_related("partner_account").get(pk=user_id)
    except User.DoesNotExist:
        return None
    return user if backend.user_can_authenticate(user) else None


class PortalModelBackend(ModelBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)


class PortalAllauthBackend(AllauthBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)
