"""On PostgreSQL, the database itself refuses two active appointments of one resource that
overlap: the backstop behind the booking transaction's lock and re-check. SQLite (the
embedded demo) has no exclusion constraints and no row locks; its IMMEDIATE transactions
(see settings) make bookings take turns instead."""

from django.db import migrations

ACTIVE = "('scheduled', 'traveling', 'in_progress')"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        "ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_overlap "
        "EXCLUDE USING gist (resource_id WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
        f"WHERE (status IN {ACTIVE})"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_no_overlap"
    )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_characteristic_product_schedulingsettings_and_more")]

    operations = [migrations.RunPython(add_constraint, drop_constraint, elidable=False)]
