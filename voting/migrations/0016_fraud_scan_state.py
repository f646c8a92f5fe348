# When the fraud detectors last ran on each campaign, and "Scan now" requests
# (voting/services/fraud_scan.py).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0011_import_jobs_sweep_schedule"),
        ("voting", "0015_entry_rejection_reason"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="FraudScan",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "requested_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="scan requested at"),
                ),
                (
                    "started_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="last scan started at"
                    ),
                ),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last scanned at"),
                ),
                (
                    "flags_changed",
                    models.PositiveIntegerField(
                        default=0, verbose_name="flags new or changed by the last scan"
                    ),
                ),
                (
                    "campaign",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="fraud_scan",
                        to="campaigns.campaign",
                        verbose_name="campaign",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="scan requested by",
                    ),
                ),
            ],
            options={
                "verbose_name": "fraud scan",
                "verbose_name_plural": "fraud scans",
            },
        ),
    ]
