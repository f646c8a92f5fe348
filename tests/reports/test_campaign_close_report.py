"""Closing a campaign and requesting its post-campaign report are one step: one report,
whoever closes it and however often (reports/services.py: campaign_close_with_report)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import Campaign
from reports.models import Report
from reports.selectors import campaigns_missing_close_report
from reports.services import campaign_close_report_ensure, campaign_close_with_report
from tests.factories import CampaignFactory, EntryFactory, VoteFactory
from voting.models import LeaderboardSnapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended():
    campaign = CampaignFactory(voting_ends_at=timezone.now() - timedelta(hours=1))
    VoteFactory(entry=EntryFactory(campaign=campaign))
    return campaign


def test_close_requests_the_report_after_commit_once(ended, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        report = campaign_close_with_report(campaign_id=ended.pk)
        again = campaign_close_with_report(campaign_id=ended.pk)  # a redelivered task
    ended.refresh_from_db()
    assert ended.status == Campaign.Status.CLOSED
    assert LeaderboardSnapshot.objects.filter(campaign=ended, is_final=True).count() == 1
    assert report is not None and again == report and report.on_close
    assert Report.objects.filter(campaign=ended).count() == 1
    # One computation, sent after commit (besides the public cache's version bumps).
    tasks = [c for c in callbacks if "public_cache_bump" not in getattr(c, "__qualname__", "")]
    assert len(tasks) == 1
    assert campaigns_missing_close_report() == []


def test_a_close_that_fails_half_way_leaves_the_campaign_open(ended, monkeypatch):
    """Killed (here: an error) between closing and requesting: nothing is kept, so the
    next run does both."""
    import reports.services

    def boom(**kwargs):
        raise RuntimeError("worker died here")

    monkeypatch.setattr(reports.services, "campaign_close_report_ensure", boom)
    with pytest.raises(RuntimeError):
        campaign_close_with_report(campaign_id=ended.pk)
    ended.refresh_from_db()
    assert ended.status == Campaign.Status.OPEN
    assert not LeaderboardSnapshot.objects.filter(campaign=ended, is_final=True).exists()
    assert not Report.objects.exists()


def test_an_open_campaign_is_not_closed_and_gets_no_report():
    campaign = CampaignFactory()
    assert campaign_close_with_report(campaign_id=campaign.pk) is None
    assert campaign_close_with_report(campaign_id=987654) is None  # gone
    assert not Report.objects.exists()


def test_closed_by_hand_without_a_report_is_found_and_gets_one(ended):
    Campaign.objects.filter(pk=ended.pk).update(status=Campaign.Status.CLOSED)
    # A report staff asked for during the campaign is not the post-campaign report.
    Report.objects.create(campaign=ended, pilot=ended.pilot)
    assert campaigns_missing_close_report() == [ended.pk]
    report = campaign_close_with_report(campaign_id=ended.pk)
    assert report.on_close and campaigns_missing_close_report() == []
    assert Report.objects.filter(campaign=ended).count() == 2


def test_archived_and_draft_campaigns_are_not_reported():
    CampaignFactory(status=Campaign.Status.ARCHIVED)
    CampaignFactory(status=Campaign.Status.DRAFT)
    assert campaigns_missing_close_report() == []


def test_the_database_holds_one_close_report_per_campaign(ended):
    campaign_close_report_ensure(campaign=ended)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(campaign=ended, pilot=ended.pilot, on_close=True)
    # ensure() after losing that race returns the winner's report.
    assert campaign_close_report_ensure(campaign=ended) == Report.objects.get(on_close=True)
