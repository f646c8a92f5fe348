"""``python manage.py fraud_scan SLUG``: run the fraud signals on one campaign now."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from campaigns.models import Campaign
from voting.models import FraudFlag
from voting.services.fraud_scan import fraud_scan_campaign


class Command(BaseCommand):
    help = (
        "Scan one campaign for fraud signals synchronously (the periodic scan does the same "
        "every 10 minutes) and list its open flags. Safe to run repeatedly."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="campaign slug")
        parser.add_argument(
            "--now", help="scan as of this ISO time (replaying history); default: now"
        )

    def handle(self, *args, slug: str, now: str | None = None, **options):
        campaign = Campaign.objects.filter(slug=slug).first()
        if campaign is None:
            raise CommandError(f"No campaign with slug {slug!r}.")
        at = None
        if now:
            at = parse_datetime(now)
            if at is None or at.tzinfo is None:
                raise CommandError("--now must be an ISO date-time with a timezone offset.")
        changed = fraud_scan_campaign(campaign_id=campaign.pk, now=at)
        self.stdout.write(f"{len(changed)} flags created or updated.")
        open_flags = FraudFlag.objects.filter(campaign=campaign, status=FraudFlag.Status.OPEN)
        for flag in open_flags.order_by("-severity", "kind", "key"):
            self.stdout.write(
                f"open  {flag.get_severity_display():<6} {flag.kind:<18} {flag.key}  "
                f"votes={flag.votes.count()}"
            )
