import json

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from reports.models import Report
from reports.services import report_generate


class Command(BaseCommand):
    help = "Compute the post-campaign report of a campaign now, store it, and print it."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the campaign's slug")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, slug: str, json: bool = False, **options):
        campaign = Campaign.objects.select_related("pilot__school").filter(slug=slug).first()
        if campaign is None:
            raise CommandError(f"No campaign with slug {slug!r}.")
        report = Report.objects.create(campaign=campaign, pilot=campaign.pilot)
        data = report_generate(report_id=report.pk).data
        if json:
            self.stdout.write(_dumps(data))
            return
        self.stdout.write(f"{data['campaign_title']} ({data['campaign']})")
        for key in ("unique_visitors", "participants", "participation_rate", "new_users"):
            self.stdout.write(f"  {key}: {data[key]}")
        self.stdout.write(f"  cost: {data['cost']['total']} CNY")
        self.stdout.write(f"  verdict: {data['verdict']['decision']}")


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
