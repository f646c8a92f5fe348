"""One post-campaign report per campaign, requested when it closes.

Existing data: a closed or archived campaign's first campaign report requested after its
voting ended counts as that report, so the close job does not request a second one for
every campaign closed before this migration.
"""

from django.db import migrations, models


def mark_existing(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    Report = apps.get_model("reports", "Report")
    for campaign in Campaign.objects.filter(status__in=["closed", "archived"]).only(
        "id", "voting_ends_at"
    ):
        first = (
            Report.objects.filter(campaign=campaign, requested_at__gte=campaign.voting_ends_at)
            .order_by("requested_at", "id")
            .first()
        )
        if first is not None:
            Report.objects.filter(pk=first.pk).update(on_close=True)


def unmark(apps, schema_editor):
    apps.get_model("reports", "Report").objects.filter(on_close=True).update(on_close=False)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_report_attempts_heartbeat"),
        ("campaigns", "0003_importjob"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="on_close",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="requested on close"
            ),
        ),
        migrations.RunPython(mark_existing, unmark),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.UniqueConstraint(
                condition=models.Q(("on_close", True)),
                fields=("campaign",),
                name="report_one_close_report_per_campaign",
            ),
        ),
    ]
