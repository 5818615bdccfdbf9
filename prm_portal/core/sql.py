"""SQL expressions the apps share."""

from django.db.models import BooleanField, F, Func, QuerySet, Subquery


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
            instance = known[(model, pk)] = model.from_db(using, attnames, row[start:stop])
        return instance, stop
    return model.from_db(using, attnames, row[start:stop]), stop


_layouts = {}


def _layout(model):
    layout = _layouts.get(model)
    if layout is None:
        fields = model._meta.concrete_fields
        layout = _layouts[model] = ([f.attname for f in fields], [f.primary_key for f in fields].index(True))
    return layout
