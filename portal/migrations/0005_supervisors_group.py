"""The Supervisors group: reads admin's log of changes (admin.view_logentry), the trail of what
dispatchers did. Supervisors are usually in the Dispatchers group as well."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Supervisors"


def make_group(apps, schema_editor):
    config = apps.get_app_config("admin")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="admin", codename="view_logentry")
    )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_dispatchers_group"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(make_group, remove_group)]
