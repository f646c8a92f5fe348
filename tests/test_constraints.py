"""The database refuses what the domain forbids, and admin says why instead of a 500."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ambassadors.models import Ambassador, WorkLog
from campaigns.models import Campaign, Expense, Pilot, Prize, Round
from reports.models import Report
from tests.factories import (
    ActivityFactory,
    AmbassadorFactory,
    CampaignFactory,
    EntryFactory,
    PilotFactory,
    VoteFactory,
    VoterFactory,
    WorkLogFactory,
)
from tests.helpers import page_says
from voting.models import Activity, LeaderboardSnapshot, Vote

pytestmark = pytest.mark.django_db


def refused(fn) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_pilot_window_budget_and_targets():
    pilot = PilotFactory()
    refused(
        lambda: Pilot.objects.filter(pk=pilot.pk).update(ends_on=pilot.starts_on - timedelta(1))
    )
    refused(lambda: Pilot.objects.filter(pk=pilot.pk).update(budget=Decimal("-1")))
    refused(
        lambda: Pilot.objects.filter(pk=pilot.pk).update(target_min_d7_retention=Decimal("1.5"))
    )
    refused(
        lambda: Pilot.objects.filter(pk=pilot.pk).update(
            target_max_cost_per_retained_user=Decimal("-5")
        )
    )
    refused(lambda: PilotFactory(school=pilot.school, name=pilot.name))


def test_campaign_windows_and_policy():
    campaign = CampaignFactory()
    qs = Campaign.objects.filter(pk=campaign.pk)
    refused(lambda: qs.update(voting_ends_at=campaign.voting_starts_at))
    refused(lambda: qs.update(submission_ends_at=campaign.submission_starts_at - timedelta(1)))
    refused(lambda: qs.update(voting_starts_at=campaign.submission_starts_at - timedelta(1)))
    refused(lambda: qs.update(votes_per_entry_per_day=4, votes_per_day=3))
    refused(lambda: qs.update(votes_per_entry_per_day=0))
    refused(lambda: CampaignFactory(slug=campaign.slug))


def test_round_and_prize():
    campaign = CampaignFactory()
    refused(lambda: Round.objects.create(campaign=campaign, number=1))
    now = timezone.now()
    refused(
        lambda: Round.objects.create(
            campaign=campaign, number=2, voting_starts_at=now, voting_ends_at=now
        )
    )
    common = {"campaign": campaign, "name": "x", "unit_cost": Decimal("1")}
    refused(lambda: Prize.objects.create(rank_from=3, rank_to=2, **common))
    refused(lambda: Prize.objects.create(rank_from=0, rank_to=2, **common))
    refused(
        lambda: Prize.objects.create(
            campaign=campaign, name="x", rank_from=1, rank_to=1, unit_cost=Decimal("-1")
        )
    )


def test_money_and_hours_are_never_negative():
    pilot = PilotFactory()
    refused(
        lambda: Expense.objects.create(
            pilot=pilot, category="other", amount=Decimal("-0.01"), spent_on=timezone.localdate()
        )
    )
    ambassador = AmbassadorFactory()
    refused(lambda: Ambassador.objects.filter(pk=ambassador.pk).update(hourly_rate=-1))
    refused(lambda: Ambassador.objects.filter(pk=ambassador.pk).update(stipend=-1))
    log = WorkLogFactory(ambassador=ambassador)
    refused(lambda: WorkLog.objects.filter(pk=log.pk).update(hours=Decimal("-1")))
    refused(lambda: WorkLog.objects.filter(pk=log.pk).update(hours=Decimal("0")))
    refused(lambda: WorkLog.objects.filter(pk=log.pk).update(hours=Decimal("24.5")))


def test_natural_keys():
    ambassador = AmbassadorFactory(student_id="00042")
    refused(lambda: AmbassadorFactory(school=ambassador.school, student_id="00042"))
    AmbassadorFactory(student_id="00042")  # same student id at another school is fine
    refused(lambda: AmbassadorFactory(referral_code=ambassador.referral_code))
    log = WorkLogFactory(ambassador=ambassador)
    refused(lambda: WorkLogFactory(ambassador=ambassador, date=log.date, task=log.task))
    entry = EntryFactory(student_id="0099")
    refused(lambda: EntryFactory(campaign=entry.campaign, student_id="0099"))
    refused(lambda: EntryFactory(share_code=entry.share_code))
    EntryFactory(campaign=entry.campaign, student_id="")  # anonymous entries don't collide
    EntryFactory(campaign=entry.campaign, student_id="")
    refused(lambda: VoterFactory(phone=VoterFactory().phone))
    activity = ActivityFactory()
    refused(
        lambda: Activity.objects.create(phone=activity.phone, day=activity.day, kind=activity.kind)
    )


def test_one_valid_vote_per_voter_entry_and_day_under_default_policy():
    vote = VoteFactory()
    same = {"voter": vote.voter, "entry": vote.entry, "day": vote.day}
    # A second vote in the same slot is refused...
    refused(lambda: VoteFactory(day_slot=2, **same))
    # ...and so is a second vote in the campaign's same daily slot for another entry.
    other_entry = EntryFactory(campaign=vote.campaign)
    refused(lambda: VoteFactory(voter=vote.voter, entry=other_entry, day=vote.day))
    # Invalidated votes free their slot: counts come from valid votes only.
    Vote.objects.filter(pk=vote.pk).update(status="invalidated", invalidated_at=timezone.now())
    VoteFactory(**same)
    assert Vote.objects.filter(status="valid").count() == 1
    assert Vote.objects.count() == 2


def test_vote_invalidation_must_be_recorded():
    vote = VoteFactory()
    refused(lambda: Vote.objects.filter(pk=vote.pk).update(status="invalidated"))
    refused(lambda: Vote.objects.filter(pk=vote.pk).update(invalidated_at=timezone.now()))
    refused(lambda: Vote.objects.filter(pk=vote.pk).update(entry_slot=0))


def test_one_final_snapshot_per_round_and_reports_have_a_subject():
    campaign = CampaignFactory()
    round_ = campaign.rounds.get()
    fields = {
        "campaign": campaign,
        "round": round_,
        "computed_at": timezone.now(),
        "total_votes": 0,
    }
    LeaderboardSnapshot.objects.create(is_final=True, **fields)
    refused(lambda: LeaderboardSnapshot.objects.create(is_final=True, **fields))
    LeaderboardSnapshot.objects.create(is_final=False, **fields)
    refused(lambda: Report.objects.create())
    refused(lambda: Report.objects.create(campaign=campaign, progress=101))


def test_entry_round_must_belong_to_its_campaign():
    from django.core.exceptions import ValidationError

    entry = EntryFactory()
    entry.round = CampaignFactory().rounds.get()
    with pytest.raises(ValidationError) as excinfo:
        entry.full_clean()
    assert "round" in excinfo.value.message_dict


# --- admin shows the constraint's message, not a 500 -----------------------------------


def test_admin_explains_pilot_window_error(ops_client):
    pilot = PilotFactory()
    response = ops_client.post(
        reverse("admin:campaigns_pilot_change", args=[pilot.pk]),
        {
            "school": pilot.school.pk,
            "name": pilot.name,
            "status": "running",
            "starts_on": "2026-09-10",
            "ends_on": "2026-09-01",
            "budget": "100",
        },
    )
    assert response.status_code == 200
    assert page_says(response, "A pilot cannot end before it starts.")
    pilot.refresh_from_db()
    assert pilot.ends_on != pilot.starts_on - timedelta(days=9)


def test_admin_explains_negative_hours_and_duplicate_student_id(ops_client):
    ambassador = AmbassadorFactory(student_id="007")
    response = ops_client.post(
        reverse("admin:ambassadors_worklog_add"),
        {"ambassador": ambassador.pk, "date": "2026-09-01", "hours": "-2", "task": "发传单"},
    )
    assert response.status_code == 200
    assert page_says(response, "Hours must be more than 0 and at most 24.")
    assert not WorkLog.objects.exists()

    response = ops_client.post(
        reverse("admin:ambassadors_ambassador_add"),
        {
            "school": ambassador.school.pk,
            "name": "重复",
            "student_id": "007",
            "role": "intern",
            "hourly_rate": "20",
            "stipend": "0",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert page_says(response, "This school already has an ambassador with this student id.")
    assert Ambassador.objects.count() == 1


def test_admin_explains_campaign_policy_error(ops_client):
    campaign = CampaignFactory(voting_starts_at=timezone.now() + timedelta(days=1))
    data = campaign_form_data(campaign, votes_per_day=1, votes_per_entry_per_day=2)
    response = ops_client.post(reverse("admin:campaigns_campaign_change", args=[campaign.pk]), data)
    assert response.status_code == 200
    assert page_says(
        response,
        "Votes per day must be at least 1 and at least the votes per entry per day.",
    )


def campaign_form_data(campaign: Campaign, **overrides) -> dict:
    local = timezone.localtime
    data = {
        "pilot": campaign.pilot.pk,
        "kind": campaign.kind,
        "title": campaign.title,
        "slug": campaign.slug,
        "status": campaign.status,
        "rules": campaign.rules,
        "submission_starts_at_0": local(campaign.submission_starts_at).strftime("%Y-%m-%d"),
        "submission_starts_at_1": local(campaign.submission_starts_at).strftime("%H:%M:%S"),
        "submission_ends_at_0": local(campaign.submission_ends_at).strftime("%Y-%m-%d"),
        "submission_ends_at_1": local(campaign.submission_ends_at).strftime("%H:%M:%S"),
        "voting_starts_at_0": local(campaign.voting_starts_at).strftime("%Y-%m-%d"),
        "voting_starts_at_1": local(campaign.voting_starts_at).strftime("%H:%M:%S"),
        "voting_ends_at_0": local(campaign.voting_ends_at).strftime("%Y-%m-%d"),
        "voting_ends_at_1": local(campaign.voting_ends_at).strftime("%H:%M:%S"),
        "votes_per_day": campaign.votes_per_day,
        "votes_per_entry_per_day": campaign.votes_per_entry_per_day,
        "change_reason": "",
        "rounds-TOTAL_FORMS": "0",
        "rounds-INITIAL_FORMS": "0",
        "prizes-TOTAL_FORMS": "0",
        "prizes-INITIAL_FORMS": "0",
    }
    if campaign.school_voters_only:
        data["school_voters_only"] = "on"
    data.update(overrides)
    return data
