"""The close can wait for a last fraud scan, and the never-active window is a setting.

Before, the close froze the standing the minute voting ended, so the never-active signal
(which waits days after a vote) could only fire after the freeze.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from reports.tasks import campaign_close_task, campaigns_close_due
from tests.factories import CampaignFactory, EntryFactory, VoteFactory, VoterFactory
from voting.models import FraudFlag
from voting.services.fraud_scan import fraud_scan_campaign_ids

pytestmark = pytest.mark.django_db


def ended_campaign(ago: timedelta, **kw) -> Campaign:
    end = timezone.now() - ago
    return CampaignFactory(
        submission_starts_at=end - timedelta(days=10),
        submission_ends_at=end - timedelta(days=5),
        voting_starts_at=end - timedelta(days=8),
        voting_ends_at=end,
        **kw,
    )


def farm(campaign) -> None:
    """Four accounts voting from one device within minutes: a device cluster."""
    entry = EntryFactory(campaign=campaign)
    start = campaign.voting_ends_at - timedelta(hours=2)
    for n in range(4):
        VoteFactory(
            entry=entry,
            voter=VoterFactory(),
            device_id="farm-phone",
            cast_at=start + timedelta(minutes=n),
        )


@pytest.mark.parametrize(("scan", "flags"), [(True, 1), (False, 0)])
def test_the_close_runs_a_last_fraud_scan_first(settings, scan, flags):
    settings.CAMPAIGN_CLOSE_FRAUD_SCAN = scan
    campaign = CampaignFactory(voting_ends_at=timezone.now() - timedelta(minutes=1))
    farm(campaign)
    campaign_close_task.apply(args=[campaign.pk])
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED
    assert FraudFlag.objects.filter(campaign=campaign, kind="device_cluster").count() == flags


def test_the_close_waits_the_configured_hours(settings):
    settings.CAMPAIGN_CLOSE_DELAY_HOURS = 72
    ended_campaign(timedelta(hours=71))
    assert campaigns_close_due.apply().get() == 0
    ended_campaign(timedelta(hours=73))
    # (the fan-out's message goes to the broker; the count says what was due)
    assert campaigns_close_due.apply().get() == 1


def test_the_never_active_window_is_a_setting(settings):
    ended = ended_campaign(timedelta(days=5), status=Campaign.Status.CLOSED)
    # Closed campaigns are rescanned until the never-active signal has judged their
    # last votes: after 3 days by default (+1), a wider window keeps scanning.
    assert ended.pk not in fraud_scan_campaign_ids()
    settings.FRAUD_THRESHOLDS = {**settings.FRAUD_THRESHOLDS, "inactive_after_days": 7}
    assert ended.pk in fraud_scan_campaign_ids()
