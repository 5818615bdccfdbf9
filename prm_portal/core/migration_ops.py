"""Migration operations the apps share."""

from django.db import migrations


def foreign_key_index_dropped(app_label, alter_field):
    """`alter_field`, an AlterField that only sets `db_index=False` on a foreign key whose column leads another index
    of its table (a composite index or a unique constraint): the model state changes as it says, and in the
    database the column's own index goes, nothing else. Django's AlterField would also drop the foreign key
    constraint and add it again, validating it against every row of the table under lock. The index is found by
    introspection (any name), and made again under Django's name when the migration is reversed.

    Why: every INSERT, and every UPDATE that changes an indexed column, writes an entry in each index of the table
    (a claim moves a lead's owner, queue and partner: `make bench-claims`); an index that another one already
    covers is paid for on every write and used by no query."""

    def table_and_column(apps):
        model = apps.get_model(app_label, alter_field.model_name)
        return model, model._meta.get_field(alter_field.name)

    def drop(apps, schema_editor):
        model, field = table_and_column(apps)
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        for name, info in constraints.items():
            if (info["index"] and info["columns"] == [field.column] and not info["unique"]
                    and not info["primary_key"]):
                schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")

    def make_again(apps, schema_editor):
        model, field = table_and_column(apps)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    return migrations.SeparateDatabaseAndState(
        state_operations=[alter_field],
        database_operations=[migrations.RunPython(drop, make_again, elidable=False)],
    )
