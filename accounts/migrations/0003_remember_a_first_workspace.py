"""Everyone who belongs to a workspace has one remembered: their first by name, as
``member_add`` now leaves it (the calendar keeps answers per remembered workspace)."""

from django.db import migrations


def remember_first_workspace(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Membership = apps.get_model("accounts", "Membership")
    for user in User.objects.filter(current_workspace__isnull=True, memberships__isnull=False).distinct():
        first = (
            Membership.objects.filter(user=user)
            .order_by("workspace__name")
            .values_list("workspace_id", flat=True)
            .first()
        )
        User.objects.filter(pk=user.pk).update(current_workspace_id=first)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_invitation")]

    operations = [migrations.RunPython(remember_first_workspace, migrations.RunPython.noop)]
