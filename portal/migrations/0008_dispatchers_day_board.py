"""Dispatchers open the day board (scheduling.view_day_board)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Dispatchers"
CODENAME = "view_day_board"


def grant(apps, schema_editor):
    # Permissions are normally made after all migrations (post_migrate); make them now.
    config = apps.get_app_config("scheduling")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="scheduling", codename=CODENAME)
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name=GROUP):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="scheduling", codename=CODENAME)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0007_dispatchers_edit_closures"),
        ("scheduling", "0008_day_board"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
