"""Costs that add up, with hand-computed numbers.

Before: the pilot's shared costs were split over all its campaigns (a leftover draft
halved a campaign's share and flattered its verdict), and stipends were summed over
every ambassador the school ever had.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ambassadors.models import Ambassador
from campaigns.models import Campaign
from reports.pilot import PilotReportRunner
from reports.runner import CampaignReportRunner
from tests.factories import (
    AmbassadorFactory,
    CampaignFactory,
    EntryFactory,
    ExpenseFactory,
    PilotFactory,
    WorkLogFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilot():
    today = timezone.localdate()
    return PilotFactory(starts_on=today - timedelta(days=20), ends_on=today + timedelta(days=10))


def cost(campaign) -> dict:
    return CampaignReportRunner(campaign).run().as_json()["cost"]


def test_pilot_share_is_split_over_campaigns_that_ran(pilot):
    ran = CampaignFactory(pilot=pilot)  # open
    closed = CampaignFactory(pilot=pilot, status=Campaign.Status.CLOSED)
    CampaignFactory(pilot=pilot, status=Campaign.Status.DRAFT)  # never opened
    CampaignFactory(pilot=pilot, status=Campaign.Status.ARCHIVED)  # archived without running
    archived_after_running = CampaignFactory(pilot=pilot, status=Campaign.Status.ARCHIVED)
    EntryFactory(campaign=archived_after_running)
    ExpenseFactory(pilot=pilot, campaign=None, amount=Decimal("900.00"))
    # 900 over the three that ran (open, closed, archived with entries): 300 each, not 180.
    assert cost(ran)["expenses"] == "300.00"
    assert cost(ran)["pilot_share"] == 0.3333
    assert cost(closed)["expenses"] == "300.00"
    draft = pilot.campaigns.get(status=Campaign.Status.DRAFT)
    assert cost(draft)["expenses"] == "0.00"  # a draft carries none


def test_stipends_only_for_ambassadors_active_in_the_pilot_period(pilot):
    campaign = CampaignFactory(pilot=pilot)
    school = pilot.school
    today = timezone.localdate()
    worked = AmbassadorFactory(school=school, stipend=Decimal("400"), hourly_rate=Decimal("0"))
    WorkLogFactory(ambassador=worked, date=today - timedelta(days=5), hours=1, approved=True)
    # Left the team before: inactive, logged hours only before the pilot started.
    left = AmbassadorFactory(
        school=school, stipend=Decimal("1000"), hourly_rate=Decimal("0"), active=False
    )
    WorkLogFactory(ambassador=left, date=pilot.starts_on - timedelta(days=30), approved=True)
    # Joined after the pilot ended.
    later = AmbassadorFactory(school=school, stipend=Decimal("700"))
    Ambassador.objects.filter(pk=later.pk).update(created_at=timezone.now() + timedelta(days=40))
    current = AmbassadorFactory(school=school, stipend=Decimal("200"), hourly_rate=Decimal("0"))
    # Stipends 400 (worked in the period) + 200 (active on the roster); one campaign ran.
    assert cost(campaign)["labour"] == "600.00"
    assert PilotReportRunner(pilot).run()["cost"]["labour"] == "600.00"
    assert current.active


def test_pilot_expenses_include_rows_booked_on_its_campaigns_under_another_pilot(pilot):
    from campaigns.models import Expense
    from campaigns.selectors import expenses_for_pilot

    campaign = CampaignFactory(pilot=pilot)
    stray = ExpenseFactory(pilot=pilot, campaign=campaign, amount=Decimal("50.00"))
    Expense.objects.filter(pk=stray.pk).update(pilot=PilotFactory())
    ExpenseFactory(pilot=pilot, amount=Decimal("10.00"))
    assert expenses_for_pilot(pilot_id=pilot.pk) == Decimal("60.00")


def test_a_stipend_period_outside_every_log_counts_no_hours(pilot):
    from ambassadors.selectors import labour_cost

    amb = AmbassadorFactory(school=pilot.school, hourly_rate=Decimal("30"), stipend=0)
    WorkLogFactory(ambassador=amb, date=date(2020, 1, 1), hours=2, approved=True)
    assert labour_cost(
        school_id=pilot.school_id,
        start=pilot.starts_on,
        end=pilot.ends_on,
        stipend_share=Decimal(1),
    ) == Decimal("0")
