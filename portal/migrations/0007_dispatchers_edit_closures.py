"""Dispatchers also keep the territories' closures (public holidays)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Dispatchers"
CODENAMES = ["view_closure", "add_closure", "change_closure", "delete_closure"]


def grant(apps, schema_editor):
    config = apps.get_app_config("scheduling")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="scheduling", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name=GROUP):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="scheduling", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0006_invitation_one_pending_per_email"),
        ("scheduling", "0006_closures"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
