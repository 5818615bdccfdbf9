"""Statements prepared once per kept connection (prm_portal.core.sql.execute_prepared): what the hot paths run (the
signed-in person, the claim, Recent Items) gives what the same text gives, on every connection, whatever happened
to the transaction that prepared it; and nothing is prepared where a connection is not kept or the setting says no."""

import pytest
from django.db import connection, transaction

from prm_portal.core import sql
from tests.factories import LeadFactory, QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(monkeypatch):
    """A kept connection, as `?conn_max_age=60` in DATABASE_URL gives."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)


def _prepared():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def _run(statement, params):
    with connection.cursor() as cursor:
        sql.execute_prepared(cursor, statement, params)
        return cursor.fetchall()


def test_placeholders_become_numbered_parameters():
    name, prepare, execute, names = sql._prepared_form("SELECT %s + %s, 'a%%b'")
    assert prepare == f"PREPARE {name} AS SELECT $1 + $2, 'a%b'" and execute == f"EXECUTE {name} (%s, %s)"
    assert names is None
    name, prepare, execute, names = sql._prepared_form("SELECT %(x)s, %(y)s, %(x)s")
    assert prepare == f"PREPARE {name} AS SELECT $1, $2, $1" and names == ["x", "y"]
    with pytest.raises(ValueError):
        sql._prepared_form("SELECT %s, %(x)s")


def test_a_statement_is_prepared_once_and_answers_as_its_text(kept):
    statement = "SELECT %s::int * 2, %s::text || '%%'"
    assert _run(statement, [21, "a"]) == [(42, "a%")]
    name = sql._prepared_form(statement)[0]
    assert name in _prepared()
    assert _run(statement, [5, "b"]) == [(10, "b%")]  # executed by name, not prepared again
    assert _run("SELECT %(n)s::int + %(n)s::int", {"n": 4}) == [(8,)]


@pytest.mark.django_db(transaction=True)  # the connection is closed in the middle
def test_a_rolled_back_transaction_keeps_the_statement_and_a_new_connection_prepares_it_again(kept):
    statement = "SELECT %s::int + 1"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert _run(statement, [1]) == [(2,)]
        raise RuntimeError
    assert sql._prepared_form(statement)[0] in _prepared()
    assert _run(statement, [2]) == [(3,)]
    connection.close()  # a connection the server dropped, or CONN_MAX_AGE ran out: the next one prepares again
    assert _run(statement, [3]) == [(4,)]


@pytest.mark.parametrize("why", ["connections not kept", "turned off"])
def test_nothing_is_prepared_without_a_kept_connection_or_when_turned_off(why, monkeypatch, settings):
    if why == "turned off":
        monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
        settings.DATABASE_PREPARED_STATEMENTS = False
    statement = "SELECT %s::int + 10"
    assert _run(statement, [1]) == [(11,)]
    assert sql._prepared_form(statement)[0] not in _prepared()


def test_accept_runs_its_statements_by_name_in_as_many_queries(kept, cast, client, django_assert_num_queries):
    queue = QueueFactory(accounts=[cast.partner_a])
    first, second = LeadFactory(queue=queue), LeadFactory(queue=queue)
    client.force_login(cast.partner_a_user)
    client.post(f"/leads/{first.pk}/accept/")  # the rep's first claim makes their quota rows
    with django_assert_num_queries(5) as ctx:
        assert client.post(f"/leads/{second.pk}/accept/").status_code == 302
    executed = [q["sql"] for q in ctx.captured_queries]
    assert sum(1 for text in executed if "EXECUTE prm_" in text) == 3  # the person, the claim, Recent Items
    second.refresh_from_db()
    assert second.owner == cast.partner_a_user


def _column_becomes_text():
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE prm_prepared_probe ALTER COLUMN v TYPE text")


@pytest.fixture
def probe_table():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS prm_prepared_probe (v integer)")
        cursor.execute("INSERT INTO prm_prepared_probe VALUES (7)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS prm_prepared_probe")


@pytest.mark.django_db(transaction=True)
def test_a_statement_whose_table_a_migration_changed_is_made_again_on_its_own(kept, probe_table):
    """A rolling deploy: the migration changes a column under a running process. On its own (autocommit) the
    statement is prepared again and answers at once."""
    statement = "SELECT v FROM prm_prepared_probe WHERE %s::int > 0"
    assert _run(statement, [1]) == [(7,)]
    _column_becomes_text()
    assert _run(statement, [1]) == [("7",)]
    assert _run(statement, [1]) == [("7",)]


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_request_fails_once_and_the_next_one_works(kept, probe_table):
    from django.db import NotSupportedError

    statement = "SELECT v FROM prm_prepared_probe WHERE %s::int > 1"
    assert _run(statement, [2]) == [(7,)]
    _column_becomes_text()
    with pytest.raises(NotSupportedError), transaction.atomic():
        _run(statement, [2])
    with transaction.atomic():
        assert _run(statement, [2]) == [("7",)]


@pytest.mark.django_db(transaction=True)
def test_a_touch_sent_with_its_own_transaction_recovers_too(kept, probe_table):
    """`around` opens a transaction in the same round trip: after the failure it is rolled back, then retried."""
    statement = "SELECT v FROM prm_prepared_probe WHERE %s::int > 2"
    with connection.cursor() as cursor:
        sql.execute_prepared(cursor, statement, [3], around=("BEGIN; ", "; COMMIT;"))
    _column_becomes_text()
    with connection.cursor() as cursor:
        sql.execute_prepared(cursor, statement, [3], around=("BEGIN; ", "; COMMIT;"))
    assert connection.connection.get_transaction_status() == 0  # idle: nothing left open
    assert _run(statement, [3]) == [("7",)]
