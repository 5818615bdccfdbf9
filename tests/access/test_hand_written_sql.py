"""The access policy's hand-written SQL (for the hot paths: Accept, the Leads tab) says exactly what its Q forms say."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts import access
from leads.models import Lead, LeadClaimBlock
from tests.factories import LeadFactory, PartnerUserFactory, QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads(cast):
    by_account, by_user = QueueFactory(accounts=[cast.partner_a]), QueueFactory(users=[cast.partner_a_user])
    others = QueueFactory(accounts=[cast.partner_b])
    made = [
        *LeadFactory.create_batch(2, queue=by_account), LeadFactory(queue=by_user), LeadFactory(queue=others),
        LeadFactory(partner_account=cast.partner_a), LeadFactory(partner_account=cast.partner_b),
        LeadFactory(owner=cast.partner_a_user, partner_account=cast.partner_a), LeadFactory(),
    ]
    blocked = LeadFactory(queue=by_account)
    LeadClaimBlock.objects.create(lead=blocked, user=cast.partner_a_user, until=timezone.now() + timedelta(hours=1))
    expired = LeadFactory(queue=by_account)
    LeadClaimBlock.objects.create(lead=expired, user=cast.partner_a_user, until=timezone.now() - timedelta(hours=1))
    return [*made, blocked, expired]


def _rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize("who", ["partner_a_user", "partner_a_admin", "partner_b_user", "channel_manager",
                                 "vendor_admin", "inactive"])
def test_claimable_sql_and_queue_sql_match_their_q_forms(cast, leads, who):
    user = PartnerUserFactory(partner_account=cast.partner_a, is_active=False) if who == "inactive" \
        else getattr(cast, who)
    expected = set(Lead.objects.filter(access.lead_claimable_q(user)).values_list("pk", flat=True))
    found = {lead.pk for lead in leads if _rows(*access.lead_claimable_sql(user, lead.pk))}
    assert found == expected
    assert _rows(*access.queue_ids_sql(user)) == set(access.queue_ids_subquery(user).values_list("pk", flat=True))
    if who == "partner_a_user":
        assert len(expected) == 5  # two of A's queue, one of his own queue, the one given to A, the expired block


@pytest.mark.parametrize("who", ["partner_a_user", "partner_a_admin", "channel_manager", "vendor_admin"])
def test_queue_ids_for_lists_the_queues_of_the_orm_subquery(cast, leads, who):
    user = getattr(cast, who)
    assert access.queue_ids_for(user) == sorted(access.queue_ids_subquery(user).values_list("pk", flat=True))


@pytest.mark.parametrize("statements", ["sent as text", "prepared"])
@pytest.mark.parametrize("who", ["partner_a_user", "partner_a_admin", "channel_manager", "vendor_admin"])
def test_the_signed_in_person_is_read_as_the_orm_reads_them(cast, who, statements, monkeypatch,
                                                           django_assert_num_queries):
    """Sent as text, or prepared on a kept connection (prm_portal.core.sql.execute_prepared)."""
    from accounts.backends import user_with_partner_account
    from accounts.models import User

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0 if statements == "sent as text" else 60)
    expected = User.objects.select_related("partner_account").get(pk=getattr(cast, who).pk)
    with django_assert_num_queries(1):
        user = user_with_partner_account(str(expected.pk))  # as the session keeps it
        partner = user.partner_account
    assert user == expected and partner == expected.partner_account
    fields = [f.attname for f in User._meta.concrete_fields]
    assert [getattr(user, f) for f in fields] == [getattr(expected, f) for f in fields]
    if partner is not None:
        assert partner.name == expected.partner_account.name and partner.logo_url == expected.partner_account.logo_url
    assert user_with_partner_account("not a number") is None and user_with_partner_account(10**9) is None


def test_rows_become_the_instances_from_db_makes(cast):
    """model_from_row skips Model.__init__ for plain models: the instance is the one from_db builds, field by field,
    saved state and related-object caches included."""
    from accounts.models import User
    from prm_portal.core.sql import model_columns, model_from_row

    expected = User.objects.get(pk=cast.partner_a_user.pk)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {model_columns(User, "u")} FROM accounts_user u WHERE u.id = %s', [expected.pk])
        user, stop = model_from_row(User, cursor.fetchone(), 0, connection.alias)
    assert type(user) is User and stop == len(User._meta.concrete_fields)
    assert {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields} == \
        {f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields}
    assert (user._state.adding, user._state.db) == (False, connection.alias)
    assert user.partner_account == cast.partner_a  # the foreign key's descriptor reads it as usual
    user.first_name = "Renamed"
    user.save(update_fields=["first_name"])  # an UPDATE, not an INSERT
    assert User.objects.get(pk=user.pk).first_name == "Renamed"


def test_a_model_init_listener_is_still_heard(cast):
    """With any pre_init/post_init receiver connected, rows go through Model.__init__ as from_db would."""
    from django.db.models.signals import post_init

    from accounts.models import User
    from prm_portal.core.sql import model_columns, model_from_row

    heard = []

    def listener(sender, instance, **kwargs):
        heard.append(instance.pk)

    post_init.connect(listener, sender=User)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT {model_columns(User, "u")} FROM accounts_user u WHERE u.id = %s',
                           [cast.partner_a_user.pk])
            model_from_row(User, cursor.fetchone(), 0, connection.alias)
    finally:
        post_init.disconnect(listener, sender=User)
    assert heard == [cast.partner_a_user.pk]


def test_request_user_is_the_person_not_a_lazy_proxy(client, cast):
    """accounts.middleware.AuthenticationMiddleware: every later attribute read of request.user is a plain one."""
    from accounts.models import User

    client.force_login(cast.partner_a_user)
    response = client.get("/leads/")
    assert type(response.wsgi_request.user) is User and response.wsgi_request.user.pk == cast.partner_a_user.pk
    client.logout()
    response = client.get("/auth/login/")
    assert response.wsgi_request.user.is_authenticated is False
