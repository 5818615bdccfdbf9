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
