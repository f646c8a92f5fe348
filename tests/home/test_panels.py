"""The panels of the pilot and campaign pages (home/panels.py)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Pilot
from home.panels import campaign_panel, pilot_panel, report_request_url
from reports.models import Report
from tests.factories import (
    CampaignFactory,
    EntryFactory,
    ExpenseFactory,
    PilotFactory,
    UserFactory,
)
from tests.home.test_home import award, zh
from voting.models import Entry, LeaderboardSnapshot, PrizeAward

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def pilot(school_a):
    pilot = PilotFactory(school=school_a, name="复旦秋季试点", budget=Decimal("1000.00"))
    spring = CampaignFactory(pilot=pilot, title="最美跑者")
    CampaignFactory(pilot=pilot, title="夜跑打卡", status=Campaign.Status.DRAFT)
    ExpenseFactory(pilot=pilot, amount=Decimal("300.00"))
    ExpenseFactory(pilot=pilot, campaign=spring, amount=Decimal("100.50"))
    award(EntryFactory(campaign=spring), PrizeAward.State.HANDED_OUT)  # 199.00
    award(EntryFactory(campaign=spring), PrizeAward.State.AWARDED)  # 199.00
    forfeited = award(EntryFactory(campaign=spring), PrizeAward.State.AWARDED)
    PrizeAward.objects.filter(pk=forfeited.pk).update(state="forfeited", closed_at=timezone.now())
    Report.objects.create(pilot=pilot, status=Report.Status.DONE, generated_at=timezone.now())
    Report.objects.create(campaign=spring, pilot=pilot, status=Report.Status.FAILED)
    return pilot


def test_pilot_panel_counts_campaigns_spend_and_reports(pilot, ops_user):
    panel = pilot_panel(pilot=pilot, user=ops_user)
    assert [c["title"] for c in panel.campaigns] == ["最美跑者", "夜跑打卡"] or {
        c["title"] for c in panel.campaigns
    } == {"最美跑者", "夜跑打卡"}
    assert panel.spend.expenses == Decimal("400.50")
    assert panel.spend.prizes == Decimal("398.00")  # the forfeited prize is not owed
    assert panel.spend.total == Decimal("798.50")
    assert panel.spend.percent == 79 and not panel.spend.over
    assert len(panel.reports) == 2
    assert panel.request_report_url == report_request_url(pilot=pilot.pk)


def test_spend_over_budget_and_without_budget(pilot, ops_user):
    Pilot.objects.filter(pk=pilot.pk).update(budget=Decimal("500.00"))
    pilot.refresh_from_db()
    spend = pilot_panel(pilot=pilot, user=ops_user).spend
    assert spend.over and spend.percent == 159 and spend.bar_value == 100
    Pilot.objects.filter(pk=pilot.pk).update(budget=Decimal("0"))
    pilot.refresh_from_db()
    spend = pilot_panel(pilot=pilot, user=ops_user).spend
    assert spend.percent is None and not spend.over


def test_pilot_page_shows_the_panel_with_links(pilot, ops_client):
    html = zh(ops_client).get(reverse("admin:campaigns_pilot_change", args=[pilot.pk]))
    html = html.content.decode()
    assert 'id="pilot-panel"' in html
    for campaign in pilot.campaigns.all():
        assert reverse("admin:campaigns_campaign_change", args=[campaign.pk]) in html
    assert "¥798.50" in html and "(79%)" in html
    assert '<progress class="spend-bar" max="100" value="79"' in html
    assert reverse("admin:reports_report_add") + f"?pilot={pilot.pk}" in html
    for report in Report.objects.all():
        assert reverse("admin:reports_report_change", args=[report.pk]) in html


def test_the_panel_is_not_on_the_add_page(ops_client):
    html = ops_client.get(reverse("admin:campaigns_pilot_add")).content.decode()
    assert 'id="pilot-panel"' not in html
    html = ops_client.get(reverse("admin:campaigns_campaign_add")).content.decode()
    assert 'id="campaign-panel"' not in html


def test_the_report_request_links_open_the_confirmation_of_their_subject(pilot, ops_client):
    campaign = pilot.campaigns.get(title="最美跑者")
    subject = ops_client.get(report_request_url(pilot=pilot.pk)).context["subject"]
    assert (subject.kind, subject.obj) == ("pilot", pilot)
    subject = ops_client.get(report_request_url(campaign=campaign.pk)).context["subject"]
    assert (subject.kind, subject.obj) == ("campaign", campaign)


def test_an_intern_sees_the_panel_without_the_request_link(pilot, ambassador_client):
    response = ambassador_client.get(reverse("admin:campaigns_pilot_change", args=[pilot.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="pilot-panel"' in html and "request-pilot-report" not in html
    campaign = pilot.campaigns.get(title="最美跑者")
    response = ambassador_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    html = response.content.decode()
    assert 'id="campaign-panel"' in html and "request-campaign-report" not in html
    assert "voting_fraudflag" not in html and "/admin/voting/fraudflag/" not in html


def test_an_intern_cannot_open_another_schools_pilot(pilot, school_b, ambassador_client):
    other = PilotFactory(school=school_b)
    response = ambassador_client.get(reverse("admin:campaigns_pilot_change", args=[other.pk]))
    assert response.status_code == 403


@pytest.fixture
def campaign(school_a):
    campaign = CampaignFactory(pilot=PilotFactory(school=school_a), title="最美跑者")
    first, second = EntryFactory(campaign=campaign, name="王五"), EntryFactory(campaign=campaign)
    EntryFactory.create_batch(3, campaign=campaign, status=Entry.Status.PENDING)
    EntryFactory(campaign=campaign, status=Entry.Status.REJECTED)
    EntryFactory(status=Entry.Status.PENDING)  # another campaign's
    round_ = campaign.rounds.get()
    at = dt.datetime(2026, 11, 30, 2, 15, tzinfo=dt.UTC)  # 10:15 in Shanghai
    LeaderboardSnapshot.objects.create(
        campaign=campaign,
        round=round_,
        computed_at=at - dt.timedelta(hours=1),
        total_votes=1,
        standings=[{"rank": 1, "entry_id": second.pk, "name": second.name, "votes": 1}],
    )
    LeaderboardSnapshot.objects.create(
        campaign=campaign,
        round=round_,
        computed_at=at,
        total_votes=9,
        standings=[
            {"rank": 1, "entry_id": first.pk, "name": "王五", "votes": 7},
            {"rank": 2, "entry_id": second.pk, "name": second.name, "votes": 2},
        ],
    )
    Report.objects.create(campaign=campaign, status=Report.Status.DONE, generated_at=at)
    return campaign


def test_campaign_panel_counts_and_standing(campaign, ops_user, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        panel = campaign_panel(campaign=campaign, user=ops_user)
    assert panel.entries_by_status == {
        "pending": 3,
        "approved": 2,
        "rejected": 1,
        "disqualified": 0,
    }
    assert [(row["name"], row["votes"]) for row in panel.standing] == [
        ("王五", 7),
        (panel.standing[1]["name"], 2),
    ]
    assert panel.report.status == Report.Status.DONE
    assert panel.site_url == f"/c/{campaign.slug}/"
    assert panel.fraud_open == 0


def test_campaign_page_shows_the_panel_and_its_links_work(campaign, ops_client):
    zh(ops_client)
    html = ops_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    html = html.content.decode()
    assert 'id="campaign-panel"' in html
    assert "3 件待审核" in html
    assert "2026/11/30 10:15" in html or "2026年11月30日 10:15" in html  # local time
    assert reverse("admin:reports_report_add") + f"?campaign={campaign.pk}" in html
    panel = campaign_panel(campaign=campaign, user=UserFactory(username="x", is_superuser=True))
    pending = ops_client.get(panel.pending_url)
    assert pending.context["cl"].result_count == 3
    assert {e.status for e in pending.context["cl"].result_list} == {"pending"}
    assert ops_client.get(panel.site_url).status_code == 200
    assert ops_client.get(panel.standing[0]["url"]).status_code == 200


def test_a_draft_has_no_student_site_link_and_no_standing(ops_user):
    draft = CampaignFactory(status=Campaign.Status.DRAFT)
    panel = campaign_panel(campaign=draft, user=ops_user)
    assert panel.site_url is None and panel.snapshot is None and panel.report is None
    assert panel.entries_total == 0
