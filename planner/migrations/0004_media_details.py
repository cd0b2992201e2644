from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("planner", "0003_channel_check"),
    ]

    operations = [
        migrations.AddField(
            model_name="media",
            name="width",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="media",
            name="height",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
    ]
