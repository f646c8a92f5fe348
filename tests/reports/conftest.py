"""A finished campaign report with every table filled (ambassadors, cohorts, channels,
costs) and hostile names, shared by the page and export tests."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from campaigns.models import Campaign
from reports.models import Report
from reports.runner import CampaignReportRunner
from tests.factories import (
    ActivityFactory,
    AmbassadorFactory,
    CampaignFactory,
    EntryFactory,
    ExpenseFactory,
    PilotFactory,
    SchoolFactory,
    VisitFactory,
    VoteFactory,
    VoterFactory,
)

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 10, 17, 10, 0, tzinfo=SH)
# Every text a hostile intern or contestant could type where a spreadsheet runs formulas.
HOSTILE = ["=HYPERLINK(1)", "+SUM(1)", "-2+3", "@cmd", "\tTAB", "\rCR"]


def local(y, m, d, hh=10):
    return datetime(y, m, d, hh, tzinfo=SH)


@pytest.fixture
def report(db):
    school = SchoolFactory(name="复旦大学", slug="fudan", student_population=10_000)
    pilot = PilotFactory(
        school=school,
        name="复旦跑步试点",
        target_max_cost_per_retained_user=Decimal("1200.00"),
        target_min_d7_retention=Decimal("0.500"),
    )
    campaign = CampaignFactory(
        pilot=pilot,
        slug="night-run",
        title="夜跑挑战赛",
        status=Campaign.Status.CLOSED,
        submission_starts_at=local(2026, 9, 1, 0),
        submission_ends_at=local(2026, 9, 8, 0),
        voting_starts_at=local(2026, 9, 3, 0),
        voting_ends_at=local(2026, 9, 14, 0),
    )
    ambassadors = [AmbassadorFactory(school=school, name=name) for name in HOSTILE[:3]]
    entry = EntryFactory(campaign=campaign, name=HOSTILE[3])
    for n, channel in enumerate(["share", "share", "ambassador", "ambassador", "direct"]):
        voter = VoterFactory(
            verified_at=local(2026, 9, 5 + n),
            attributed_campaign=campaign,
            channel=channel,
            attributed_ambassador=ambassadors[n % 3] if channel == "ambassador" else None,
        )
        VoteFactory(voter=voter, entry=entry, cast_at=local(2026, 9, 5 + n, 12))
        if n % 2 == 0:
            ActivityFactory(phone=voter.phone, day=date(2026, 9, 12 + n))
    for n in range(8):
        VisitFactory(campaign=campaign, visitor_id=f"v{n}", at=local(2026, 9, 4))
    ExpenseFactory(pilot=pilot, campaign=campaign, category="printing", amount=Decimal("300"))
    ExpenseFactory(pilot=pilot, campaign=campaign, category="advertising", amount=Decimal("200.5"))
    data = CampaignReportRunner(campaign, now=NOW).run().as_json()
    return Report.objects.create(
        campaign=campaign, pilot=pilot, status=Report.Status.DONE, data=data, generated_at=NOW
    )
