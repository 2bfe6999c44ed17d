from django.db import migrations, models
from django.db.models.functions import Lower


def revoke_older_duplicates(apps, schema_editor):
    """Before the index: of several pending invitations to one address, the newest stays
    pending and replaces the others, as inviting again does from now on."""
    Invitation = apps.get_model("portal", "Invitation")
    newest = {}
    for invitation in Invitation.objects.filter(status="pending").order_by("-created_at", "-pk"):
        email = invitation.email.lower()
        if email in newest:
            invitation.status = "revoked"
            invitation.replaced_by_id = newest[email]
            invitation.save(update_fields=["status", "replaced_by"])
        else:
            newest[email] = invitation.pk


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_supervisors_group")]

    operations = [
        migrations.RunPython(revoke_older_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(("status", "pending")),
                name="invitation_one_pending_per_email",
            ),
        ),
    ]
