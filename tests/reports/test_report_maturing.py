"""A report over a faked clock: provisional while its cohort is young, final once it
matures, recomputed by beat on that day and not before.

Before, the report gave "stop" on the first days' figures with nothing saying that the
number would move, and nothing recomputed it when D30 arrived.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from reports import exports
from reports.models import Report
from reports.services import report_generate
from reports.tasks import campaign_close_task, reports_refresh_due
from tests.factories import (
    ActivityFactory,
    CampaignFactory,
    EntryFactory,
    ExpenseFactory,
    PilotFactory,
    VoteFactory,
    VoterFactory,
)

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def campaign():
    """Voting Sep 28 - Oct 10 (00:00); new users are counted until Oct 17 (00:00).

    u1 and u2 sign up on Oct 3, u3 on Oct 8. Activity: u1 on days 1, 7, 30 (Oct 4, 10,
    Nov 2); u2 on day 1 (Oct 4); u3 on days 7 and 30 (Oct 15, Nov 7). One expense of
    ¥120; targets ¥100 per retained user and 50 % D7 retention.
    """
    with time_machine.travel(at(9, 26), tick=False):
        pilot = PilotFactory(
            target_max_cost_per_retained_user=Decimal("100.00"),
            target_min_d7_retention=Decimal("0.500"),
            starts_on=date(2026, 9, 20),
            ends_on=date(2026, 11, 30),
        )
        campaign = CampaignFactory(
            pilot=pilot,
            submission_starts_at=at(9, 25, 0),
            submission_ends_at=at(10, 5, 0),
            voting_starts_at=at(9, 28, 0),
            voting_ends_at=at(10, 10, 0),
        )
        entry = EntryFactory(campaign=campaign)
    ExpenseFactory(pilot=pilot, campaign=campaign, amount=Decimal("120.00"))
    for n, signed_up, active_days in [
        (1, at(10, 3), [date(2026, 10, 4), date(2026, 10, 10), date(2026, 11, 2)]),
        (2, at(10, 3), [date(2026, 10, 4)]),
        (3, at(10, 8), [date(2026, 10, 15), date(2026, 11, 7)]),
    ]:
        voter = VoterFactory(
            phone=f"+861370000000{n}", verified_at=signed_up, attributed_campaign=campaign
        )
        VoteFactory(voter=voter, entry=entry, cast_at=signed_up)
        for day in active_days:
            ActivityFactory(phone=voter.phone, day=day)
    return campaign


def latest_report(campaign) -> Report:
    return Report.objects.filter(campaign=campaign).order_by("-pk").first()


def test_provisional_stop_becomes_final_replicate_when_d30_matures(campaign, ops_client):
    # Oct 10, just after voting closed: beat closes the campaign and asks for its report.
    with time_machine.travel(at(10, 10, 0, 5), tick=False):
        campaign_close_task.apply(args=[campaign.pk])
        first = report_generate(report_id=latest_report(campaign).pk)
    verdict = first.data["verdict"]
    # Nobody is 7 days old yet: nothing retained, so "stop" - but provisional, with the
    # day it matures: new users may come until Oct 16, whose day 30 is over on Nov 16.
    assert verdict["decision"] == "stop"
    assert (verdict["provisional"], verdict["matures_on"]) == (True, "2026-11-16")
    assert verdict["reasons"][0] == (
        "Provisional: rests on d7 of 0 of 3 new users; final on 2026-11-16."
    )
    assert (first.provisional, first.matures_on) == (True, date(2026, 11, 16))
    page = ops_client.get(reverse("admin:reports_report_change", args=[first.pk]))
    assert 'id="verdict-provisional"' in page.content.decode()
    assert "2026-11-16" in page.content.decode()
    summary = dict(exports.summary_rows(first.data))
    assert (summary["verdict.provisional"], summary["verdict.matures_on"]) == (True, "2026-11-16")

    # Oct 20: D7 has data now, but the verdict does not flip-flop: beat leaves it alone.
    with time_machine.travel(at(10, 20), tick=False):
        assert reports_refresh_due.apply().get() == 0

    # Nov 16: the cohort is complete; beat recomputes the report as a new version.
    with time_machine.travel(at(11, 16, 0, 10), tick=False):
        assert reports_refresh_due.apply().get() == 1
        final = report_generate(report_id=latest_report(campaign).pk)
    assert final.previous_id == first.pk
    data = final.data
    # D30: all 3 old enough, u1 and u3 active on day 30 -> ¥120 / 2 = ¥60 <= ¥100;
    # D7: u1 and u3 of 3 -> 66.7 % >= 50 %: replicate, final.
    assert data["retention"]["d30"] == {"cohort": 3, "retained": 2, "rate": 0.6667, "mature": True}
    assert data["cost"]["cost_per_retained_user"]["value"] == "60.00"
    assert data["cost"]["cost_per_retained_user"]["basis"] == "d30"
    assert data["verdict"]["decision"] == "replicate"
    assert (data["verdict"]["provisional"], data["verdict"]["matures_on"]) == (False, "2026-11-08")
    assert data["previous_verdict"]["decision"] == "stop"
    assert data["previous_verdict"]["provisional"] is True
    page = ops_client.get(reverse("admin:reports_report_change", args=[final.pk]))
    body = page.content.decode()
    assert 'id="verdict-provisional"' not in body and 'id="previous-verdict"' in body

    # Both versions stay in the history; nothing is due any more.
    with time_machine.travel(at(11, 17), tick=False):
        assert reports_refresh_due.apply().get() == 0
    assert Report.objects.filter(campaign=campaign).count() == 2


def test_between_the_end_of_attribution_and_maturity_matures_on_is_the_last_sign_up(campaign):
    from reports.runner import CampaignReportRunner

    # Oct 20: the period is over; the last new user (Oct 8) matures on Nov 8.
    verdict = CampaignReportRunner(campaign, now=at(10, 20)).run().as_json()["verdict"]
    assert (verdict["provisional"], verdict["matures_on"]) == (True, "2026-11-08")
    # D7: u1 and u2 (Oct 3) and u3 (Oct 8) are old enough; u1, u3 retained: 120 / 2.
    assert verdict["numbers"]["cost_per_retained_user"] == "60.00"
    assert verdict["numbers"]["cohort"] == 3
