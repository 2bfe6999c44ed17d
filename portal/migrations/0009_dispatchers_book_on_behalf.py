"""Dispatchers book visits on behalf of customers in admin (scheduling.admin_booking), which
asks for scheduling.add_appointment: the booking still goes through the booking service."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Dispatchers"
CODENAME = "add_appointment"


def _permission(apps):
    config = apps.get_app_config("scheduling")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    return apps.get_model("auth", "Permission").objects.get(
        content_type__app_label="scheduling", codename=CODENAME
    )


def grant(apps, schema_editor):
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    group.permissions.add(_permission(apps))


def revoke(apps, schema_editor):
    permission = _permission(apps)
    for group in apps.get_model("auth", "Group").objects.filter(name=GROUP):
        group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0008_dispatchers_day_board"),
        ("scheduling", "0007_technician_names"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
