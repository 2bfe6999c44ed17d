"""The Dispatchers group: what a dispatcher needs in admin (appointments, service accounts,
invitations, technicians' hours and time off, devices, survey results, the dispatch map) and none
of the internals (groups, users and their permissions, social accounts, the outbox)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Copied at the time of writing, so a later change to the module cannot rewrite history.
GROUP = "Dispatchers"
GRANTS = [
    ("scheduling", "view_appointment"),
    ("scheduling", "change_appointment"),
    ("scheduling", "view_appointmentevent"),
    ("scheduling", "view_serviceaccount"),
    ("scheduling", "add_serviceaccount"),
    ("scheduling", "change_serviceaccount"),
    ("scheduling", "view_resource"),
    ("scheduling", "change_resource"),
    ("scheduling", "view_workinghours"),
    ("scheduling", "add_workinghours"),
    ("scheduling", "change_workinghours"),
    ("scheduling", "delete_workinghours"),
    ("scheduling", "view_timeoff"),
    ("scheduling", "add_timeoff"),
    ("scheduling", "change_timeoff"),
    ("scheduling", "delete_timeoff"),
    ("scheduling", "view_territory"),
    ("scheduling", "view_product"),
    ("scheduling", "view_servicetype"),
    ("scheduling", "view_characteristic"),
    ("portal", "view_invitation"),
    ("portal", "add_invitation"),
    ("portal", "change_invitation"),
    ("tracking", "view_device"),
    ("tracking", "add_device"),
    ("tracking", "change_device"),
    ("tracking", "view_notice"),
    ("tracking", "view_noticeoptout"),
    ("tracking", "view_dispatch_map"),
    ("surveys", "view_survey"),
    ("surveys", "view_response"),
    ("surveys", "view_results"),
    ("surveys", "export_responses"),
]


def make_group(apps, schema_editor):
    # Permissions are normally made after all migrations (post_migrate); make them now.
    for label in ("scheduling", "portal", "tracking", "surveys"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    device = ContentType.objects.get_for_model(apps.get_model("tracking", "Device"))
    if not Permission.objects.filter(
        content_type__app_label="tracking", codename="view_dispatch_map"
    ).exists():
        Permission.objects.create(
            content_type=device, codename="view_dispatch_map", name="Can view the dispatch map"
        )
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in GRANTS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_outbox_sending"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("scheduling", "0005_appointment_fk_indexes_in_composites"),
        ("tracking", "0003_notices"),
        ("surveys", "0001_initial"),
    ]

    operations = [migrations.RunPython(make_group, remove_group)]
