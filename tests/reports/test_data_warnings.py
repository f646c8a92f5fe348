"""Rates are never clamped, and numbers that cannot be right are said to be wrong.

Before, ``rate()`` capped at 1.0: 6 participants over 1 counted visitor read as a
perfect 100 % instead of showing a broken denominator.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from campaigns.models import Expense
from reports.models import Report
from reports.runner import CampaignReportRunner
from reports.services import report_generate
from reports.verdict import rate
from tests.factories import (
    ActivityFactory,
    CampaignFactory,
    EntryFactory,
    ExpenseFactory,
    PilotFactory,
    VisitFactory,
    VoteFactory,
    VoterFactory,
)
from voting.models import Visit

pytestmark = pytest.mark.django_db


def codes(report: dict) -> list[str]:
    return [w["code"] for w in report["data_warnings"]]


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(6, 1, None), (1, 0, None), (0, 0, None), (0, 4, 0.0), (1, 3, 0.3333), (4, 4, 1.0)],
)
def test_rate_is_never_clamped(numerator, denominator, expected):
    assert rate(numerator, denominator) == expected


def test_six_participants_over_one_visitor_is_a_warning_not_100_percent():
    campaign = CampaignFactory()
    voters = [VoterFactory(attributed_campaign=campaign) for _ in range(6)]
    entry = EntryFactory(campaign=campaign, voter=voters[0])  # a contestant who votes too
    for voter in voters:
        VoteFactory(entry=entry, voter=voter)
    VisitFactory(campaign=campaign)  # the only client that sent a visitor id
    ExpenseFactory(pilot=campaign.pilot, campaign=campaign)
    report = CampaignReportRunner(campaign).run().as_json()
    assert (report["participants"], report["unique_visitors"]) == (6, 1)
    assert report["participation_rate"] is None
    (warning,) = [w for w in report["data_warnings"] if w["code"] == "participants_exceed_visitors"]
    assert warning["message"].startswith("6 participants but only 1 counted visitors")


def test_share_signups_over_share_visitors_and_no_activity_and_no_costs():
    campaign = CampaignFactory()
    voters = [VoterFactory(attributed_campaign=campaign, channel="share") for _ in range(3)]
    entry = EntryFactory(campaign=campaign, voter=voters[0])
    for voter in voters:
        VoteFactory(entry=entry, voter=voter)
    for n in range(5):
        VisitFactory(campaign=campaign, visitor_id=f"v{n}")
    VisitFactory(campaign=campaign, visitor_id="s1", kind=Visit.Kind.SHARE_CLICK, entry=entry)
    report = CampaignReportRunner(campaign).run().as_json()
    # 3 participants of 6 visitors (5 views, 1 share click): a real rate, no warning.
    assert report["participation_rate"] == 0.5
    assert report["share_conversion_rate"] is None  # 3 sign-ups, 1 share visitor
    assert codes(report) == [
        "share_signups_exceed_share_visitors",
        "no_activity_ingested",
        "no_costs",
    ]


def test_activity_for_one_new_user_clears_the_activity_warning():
    campaign = CampaignFactory()
    voter = VoterFactory(attributed_campaign=campaign)
    VoteFactory(entry=EntryFactory(campaign=campaign), voter=voter)
    ActivityFactory(phone=voter.phone)
    assert "no_activity_ingested" not in codes(CampaignReportRunner(campaign).run().as_json())


def test_an_expense_booked_under_another_pilot_is_counted_and_flagged():
    """Such a row (older than the check that now refuses it) vanished from both pilots."""
    campaign = CampaignFactory()
    other = PilotFactory()
    expense = ExpenseFactory(pilot=campaign.pilot, campaign=campaign, amount=Decimal("80.00"))
    Expense.objects.filter(pk=expense.pk).update(pilot=other)
    report = CampaignReportRunner(campaign).run().as_json()
    assert report["cost"]["expenses"] == "80.00"
    assert "expense_other_pilot" in codes(report)


def test_the_page_shows_the_warnings_in_the_readers_language(ops_client):
    campaign = CampaignFactory()
    VoteFactory(entry=EntryFactory(campaign=campaign))
    report = report_generate(report_id=Report.objects.create(campaign=campaign).pk)
    page = ops_client.get(reverse("admin:reports_report_change", args=[report.pk]))
    body = page.content.decode()
    assert 'id="data-warnings"' in body
    assert "counted visitors" not in body  # zh-hans by default
