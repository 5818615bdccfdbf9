"""SQL expressions the apps share."""

import hashlib
import inspect
import re

from django.conf import settings
from django.db import NotSupportedError
from django.db.models import BooleanField, F, Func, Model, QuerySet, Subquery
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from psycopg2.extensions import TRANSACTION_STATUS_INERROR


class AmongSubquery(Func):
    """`field` among a subquery's values: `field = ANY(ARRAY(subquery))` on PostgreSQL, `field IN (subquery)`
    elsewhere.

    ORed into a visibility filter, `IN (subquery)` becomes a hashed subplan that keeps PostgreSQL from using the other
    branches' indexes (every list and count then scans the whole table). The array is an InitPlan: computed once,
    before the scan, it becomes one more index condition of a BitmapOr. So a page can ask for "leads in my queues" or
    "records my sharing rules grant" in the same statement as the rows, without reading the ids first
    (`make bench-inbox`)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, field, subquery):
        """`subquery`: a queryset of one column, or a RawSQL of one (hand-written for a hot path)."""
        super().__init__(F(field) if isinstance(field, str) else field,
                         Subquery(subquery) if isinstance(subquery, QuerySet) else subquery)

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="%(expressions)s", arg_joiner=" IN ", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="%(expressions)s)", arg_joiner=" = ANY(ARRAY",
                              **extra_context)


# --- rows read by hand-written statements, turned into model instances ------------------------------------------
# For the few statements every request runs (the signed-in person, the Leads tab's rows): the ORM took longer to
# build them than PostgreSQL to run them. Columns come from the models, so the statements follow the schema.


def model_columns(model, alias) -> str:
    """`alias`.column for each of `model`'s concrete fields, in `_meta.concrete_fields` order (what
    `model_from_row` reads back)."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def model_from_row(model, row, start, using="default", known=None):
    """The `model` instance whose columns (`model_columns`) start at `row[start]`, or None when its primary key is
    NULL (an outer join that found nothing); and where the next model's columns start. With `known` (a dict), rows
    naming the same record share one instance (for what many rows join: a page's owners, its queues)."""
    attnames, pk_at = _layout(model)
    stop = start + len(attnames)
    pk = row[start + pk_at]
    if pk is None:
        return None, stop
    if known is not None:
        instance = known.get((model, pk))
        if instance is None:
            instance = known[(model, pk)] = _instance(model, attnames, row[start:stop], using)
        return instance, stop
    return _instance(model, attnames, row[start:stop], using), stop


def _instance(model, attnames, values, using):
    """What `model.from_db(using, attnames, values)` returns, for a row of every concrete field. Model.__init__
    matches each value to its field, sends pre_init and post_init and runs the fields' descriptors: for a model
    that changes none of that (no __init__ or from_db of its own, nobody listening to either signal) the
    instance is its attributes in its __dict__ and a ModelState, made three times faster (a lead: 12 µs, 4 µs).
    A page of the Leads tab makes a hundred (a fifth of a rows poll's Python time went to Model.__init__, `make
    bench-claims`)."""
    if not _plain(model):
        return model.from_db(using, attnames, values)
    instance = model.__new__(model)
    instance.__dict__.update(zip(attnames, values, strict=True))
    state = instance._state = ModelState()
    state.adding = False
    state.db = using
    return instance


_layouts = {}
_plain_models = {}
# The descriptors Django puts on a model for its fields' attnames: reading falls back to the database only when the
# value is missing from __dict__ (never, here), and the foreign key's setter only drops a related object cached on
# an instance that has none yet.
_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)


def _layout(model):
    layout = _layouts.get(model)
    if layout is None:
        fields = model._meta.concrete_fields
        layout = _layouts[model] = ([f.attname for f in fields], [f.primary_key for f in fields].index(True))
    return layout


def _plain(model) -> bool:
    """The model is built by Model.__init__ and Model.from_db as they are, its fields keep their values in the
    instance's __dict__ as given, and no pre_init/post_init receiver is connected, for any model (checked on every
    call: a receiver connected later, in a test say, is honoured)."""
    plain = _plain_models.get(model)
    if plain is None:
        plain = _plain_models[model] = (
            model.__init__ is Model.__init__
            and model.from_db.__func__ is Model.from_db.__func__
            and all(type(inspect.getattr_static(model, attname, None)) in _PLAIN_DESCRIPTORS
                    for attname in _layout(model)[0])
        )
    return plain and not (pre_init.receivers or post_init.receivers)


# --- prepared statements for the hot paths ------------------------------------------------------------------------
# The claim statement (Accept) is a few kilobytes of SQL with a dozen CTEs: PostgreSQL spent four times as long
# parsing and planning it as running it (1.6 ms against 0.3 ms prepared, `make bench-claims`). On a kept connection
# (CONN_MAX_AGE not 0) such a statement is prepared once per connection and executed by name after that.
# PgBouncer in transaction mode hands a session's prepared statements to whoever holds the connection next, so the
# README's PgBouncer set-up (CONN_MAX_AGE 0) never prepares; DATABASE_PREPARED_STATEMENTS=false turns it off anyway.

_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?(s|%)")
_prepared_forms = {}  # sql -> (name, PREPARE text, EXECUTE text, parameter names or None), per process


def prepared_statements_enabled(connection) -> bool:
    return (connection.vendor == "postgresql" and connection.settings_dict.get("CONN_MAX_AGE") != 0
            and getattr(settings, "DATABASE_PREPARED_STATEMENTS", True))


def execute_prepared(cursor, sql, params, *, around=("", "")):
    """cursor.execute(around[0] + sql + around[1], params), `sql` run as a statement prepared on this connection
    where that is on (see above).

    `sql` is one statement with %s or %(name)s placeholders (%% for a literal %); `around`, statements sent with it
    in the same round trip (e.g. BEGIN ...; and ; COMMIT). The PREPARE goes through the driver's own cursor: it is
    how this connection was set up, not a query of the request, so the query counts the tests hold stay as they
    are. A prepared statement outlives the transaction that made it, rolled back or not, and goes with its
    connection."""
    db = cursor.db
    if not prepared_statements_enabled(db):
        cursor.execute(around[0] + sql + around[1], params)
        return
    name, prepare, execute, names = _prepared_forms.get(sql) or _prepared_form(sql)
    text = around[0].replace("%", "%%") + execute + around[1].replace("%", "%%")
    args = [params[n] for n in names] if names is not None else params
    raw = db.connection
    made = db.__dict__.get("_prepared_on")
    if made is None or made[0] is not raw:
        made = db.__dict__["_prepared_on"] = (raw, set(), set())  # the connection, prepared, to make again
    _prepare(raw, made, name, prepare)
    try:
        cursor.execute(text, args)
    except NotSupportedError as exc:
        if "cached plan must not change result type" not in str(exc):
            raise
        # A migration changed a table under this running process (a rolling deploy): the statement is made again.
        # Inside a transaction that transaction is lost (the request fails once); on its own it is retried now.
        made[1].discard(name)
        made[2].add(name)
        if db.in_atomic_block:
            raise
        if raw.get_transaction_status() == TRANSACTION_STATUS_INERROR:  # `around` opened one
            with raw.cursor() as raw_cursor:
                raw_cursor.execute("ROLLBACK")
        _prepare(raw, made, name, prepare)
        cursor.execute(text, args)


def _prepare(raw, made, name, prepare):
    if name in made[1]:
        return
    with raw.cursor() as raw_cursor:
        if name in made[2]:
            raw_cursor.execute(f"DEALLOCATE {name}")
            made[2].discard(name)
        raw_cursor.execute(prepare)
    made[1].add(name)


def _prepared_form(sql):
    numbers, positional = {}, []

    def number(match):
        key, kind = match.groups()
        if kind == "%":
            return "%"
        if key is None:
            positional.append(None)
            return f"${len(positional)}"
        if key not in numbers:
            numbers[key] = len(numbers) + 1
        return f"${numbers[key]}"

    text = _PLACEHOLDER.sub(number, sql)
    if numbers and positional:
        raise ValueError("placeholders both named and positional")
    count = len(numbers) or len(positional)
    name = "prm_" + hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
    # The PREPARE goes to the driver without parameters: its text is sent as it is (a % stays single).
    form = (name, f"PREPARE {name} AS {text}",
            f"EXECUTE {name} ({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}",
            list(numbers) if numbers else None)
    if len(_prepared_forms) < 256:
        _prepared_forms[sql] = form
    return form
