from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("planner", "0015_platform_key_longer"),
    ]

    operations = [
        migrations.AddField(
            model_name="publication",
            name="content_digest",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
