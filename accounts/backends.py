"""The authentication backends: Django's and allauth's, each loading the signed-in person with their partner account
in the same statement (the user's first query of every request: the brand, the gates and the access policy read the
partner account, and it would cost a second query per page)."""

import functools

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from prm_portal.core.sql import execute_prepared, model_columns, model_from_row


@functools.cache
def _user_statement(User):
    """The person and their partner account, one row (hand-written: the ORM took longer to build this statement, run
    by every request, than PostgreSQL to run it; `tests/access/test_hand_written_sql.py` holds it to the ORM's)."""
    Partner = User._meta.get_field("partner_account").related_model
    return (
        f"SELECT {model_columns(User, 'u')}, {model_columns(Partner, 'p')} "  # noqa: S608 - names from the models
        f'FROM "{User._meta.db_table}" u LEFT JOIN "{Partner._meta.db_table}" p '
        f'ON p."{Partner._meta.pk.column}" = u."{User._meta.get_field("partner_account").column}" '
        f'WHERE u."{User._meta.pk.column}" = %s'
    )


def user_with_partner_account(user_id):
    """The user `user_id` with their partner account loaded (None if there is no such user)."""
    User = get_user_model()
    try:
        user_id = User._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    using = router.db_for_read(User)
    with connections[using].cursor() as cursor:
        execute_prepared(cursor, _user_statement(User), [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    user, start = model_from_row(User, row, 0, using)
    user.partner_account, _ = model_from_row(User._meta.get_field("partner_account").related_model, row, start, using)
    return user


def _get_user(backend, user_id):
    user = user_with_partner_account(user_id)
    return user if user is not None and backend.user_can_authenticate(user) else None


class PortalModelBackend(ModelBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)


class PortalAllauthBackend(AllauthBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)
