# Why moderation rejected an entry, as its contestant is told (voting/services/moderation.py).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("voting", "0014_onetimecode_ip_and_range"),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="rejection_note",
            field=models.CharField(blank=True, max_length=200, verbose_name="rejection note"),
        ),
        migrations.AddField(
            model_name="entry",
            name="rejection_notified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="contestant told at"),
        ),
        migrations.AddField(
            model_name="entry",
            name="rejection_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("blurry", "blurry photo"),
                    ("off_topic", "not on topic"),
                    ("not_own", "not the contestant's own photo"),
                    ("inappropriate", "inappropriate content"),
                    ("other", "other"),
                ],
                max_length=16,
                verbose_name="rejection reason",
            ),
        ),
    ]
