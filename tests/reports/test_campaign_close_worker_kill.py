"""A campaign-close task killed between closing the campaign and requesting its report
leaves nothing half done, and the campaign still gets its final standing and exactly one
post-campaign report, on both CI stacks.

The worker pauses there (``CAMPAIGN_CLOSE_TEST_DELAY_SECONDS``, test settings), inside
the one transaction of ``campaign_close_with_report``. A killed pool child's message
comes back to the worker; after a killed whole worker, beat's minute job
``campaigns_close_due`` finds the campaign still due.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from reports.models import Report
from reports.tasks import campaign_close_task, campaigns_close_due
from tests.celery_worker import broker_clear, celery_workers, wait_until  # noqa: F401
from tests.factories import CampaignFactory, EntryFactory, VoteFactory
from voting.models import LeaderboardSnapshot

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PAUSED = "campaign_close: campaign {} closed, requesting its report"


def _ended_campaign() -> Campaign:
    campaign = CampaignFactory(voting_ends_at=timezone.now() - timedelta(minutes=5))
    for n_votes in (3, 1):
        entry = EntryFactory(campaign=campaign)
        for _ in range(n_votes):
            VoteFactory(entry=entry)
    return campaign


def _kill_while_paused(worker, campaign: Campaign, how: str) -> None:
    wait_until(
        lambda: PAUSED.format(campaign.pk) in worker.output(),
        worker=worker,
        what="the close to pause between closing and requesting",
    )
    if how == "child":
        worker.kill_pool_child()
    else:
        worker.kill()
    campaign.refresh_from_db()
    # The transaction died with the worker: nothing of the close was kept.
    assert campaign.status == Campaign.Status.OPEN
    assert not LeaderboardSnapshot.objects.filter(campaign=campaign, is_final=True).exists()
    assert not Report.objects.filter(campaign=campaign).exists()


def _reported(campaign: Campaign, worker) -> Report:
    def done():
        return Report.objects.filter(
            campaign=campaign, on_close=True, status=Report.Status.DONE
        ).first()

    report = wait_until(done, worker=worker, what="the post-campaign report")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED
    assert LeaderboardSnapshot.objects.filter(campaign=campaign, is_final=True).count() == 1
    assert Report.objects.filter(campaign=campaign).count() == 1
    assert report.data["participants"] >= 4
    return report


def test_killed_pool_child_the_redelivered_close_does_it_all(celery_workers):  # noqa: F811
    campaign = _ended_campaign()
    broker_clear()
    worker = celery_workers(CAMPAIGN_CLOSE_TEST_DELAY_SECONDS="3")
    campaign_close_task.delay(campaign.pk)
    _kill_while_paused(worker, campaign, "child")
    _reported(campaign, worker)


def test_killed_worker_the_next_minute_job_does_it_all(celery_workers):  # noqa: F811
    campaign = _ended_campaign()
    broker_clear()
    first = celery_workers(CAMPAIGN_CLOSE_TEST_DELAY_SECONDS="30")
    campaign_close_task.delay(campaign.pk)
    _kill_while_paused(first, campaign, "worker")

    second = celery_workers()
    assert campaigns_close_due.apply_async(ignore_result=False).get(timeout=60) == 1
    _reported(campaign, second)
    # Beat again, a minute later: nothing more to close or request.
    assert campaigns_close_due.apply_async(ignore_result=False).get(timeout=60) == 0
    broker_clear()  # Redis still holds the killed worker's message
