"""``manage.py seed_demo``: the demo-data contract (docs/contract.md), idempotent,
deterministic, and
never holding a vote the policy would refuse."""

import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.test import RequestFactory
from django.utils import timezone

from ambassadors.models import Ambassador, WorkLog
from campaigns.models import Campaign, Expense, Prize
from demo.seed import (
    ADMIN_USERNAME,
    CONTEST_SLUG,
    DAILY_SLUG,
    DEFAULT_PASSWORD,
    INTERN_USERNAME,
    STAFF_USERNAME,
    TONGJI_SLUG,
    demo_seed,
)
from voting.models import Activity, Entry, LeaderboardSnapshot, Visit, Vote
from voting.services.photos import entry_derivatives_stale, entry_poster_current

# The seeder builds a whole demo (photos, posters, thousands of votes): seconds a test.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def row_counts() -> dict[str, int]:
    """Rows of every model of the domain apps, plus users and groups."""
    models = [
        model
        for label in ("campaigns", "ambassadors", "voting")
        for model in apps.get_app_config(label).get_models()
    ]
    models += [get_user_model(), Group]
    return {model._meta.label: model._default_manager.count() for model in models}


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_running_it_twice_leaves_the_same_rows_and_logins():
    seed()
    first = row_counts()
    passwords = dict(get_user_model().objects.values_list("username", "password"))

    output = seed()

    assert row_counts() == first
    # The second run found everything: it cast nothing, so nothing was refused either.
    assert "votes_refused          0" in output
    # Not vacuous: the first run wrote history.
    assert first["voting.Vote"] >= 2000
    assert first["voting.Voter"] >= 450
    # Logins kept as they were (no new password hash, no new salt).
    assert dict(get_user_model().objects.values_list("username", "password")) == passwords


def test_a_rerun_on_a_later_day_keeps_campaigns_open_without_adding_rows():
    first_day = timezone.now()
    later = first_day + timedelta(days=9)  # past the first run's windows
    demo_seed(now=first_day)
    counts = row_counts()

    demo_seed(now=later)

    assert row_counts() == counts
    contest = Campaign.objects.get(slug=CONTEST_SLUG)
    assert contest.status == Campaign.Status.OPEN
    assert contest.submission_starts_at <= later < contest.submission_ends_at
    assert contest.voting_starts_at <= later < contest.voting_ends_at
    # Stretched, not shifted: the votes already cast are still inside the window.
    assert not contest.votes.filter(cast_at__lt=contest.voting_starts_at).exists()
    daily = Campaign.objects.get(slug=DAILY_SLUG)
    assert daily.voting_starts_at <= later < daily.voting_ends_at
    assert daily.rounds.filter(voting_starts_at__lte=later, voting_ends_at__gt=later).exists()
    assert contest.pilot.ends_on >= timezone.localdate(contest.voting_ends_at)


def test_fresh_databases_seeded_at_the_same_time_hold_the_same_data():
    now = timezone.now()

    def fingerprint() -> tuple:
        with transaction.atomic():
            demo_seed(now=now)
            data = (
                sorted(Vote.objects.values_list("voter__phone", "entry__share_code", "cast_at")),
                sorted(Visit.objects.values_list("visitor_id", "kind", "at")),
                sorted(Activity.objects.values_list("phone", "day", "kind")),
                sorted(WorkLog.objects.values_list("ambassador__student_id", "date", "task")),
                sorted(Ambassador.objects.values_list("student_id", "referral_code")),
            )
            transaction.set_rollback(True)  # the next seed starts from an empty database
        return data

    assert fingerprint() == fingerprint()


def test_it_meets_the_spec_contract(client):
    output = seed()
    now = timezone.now()

    votable = Campaign.objects.filter(
        status=Campaign.Status.OPEN, voting_starts_at__lte=now, voting_ends_at__gt=now
    )
    assert votable.exists()
    contest = votable.get(slug=CONTEST_SLUG)
    approved = contest.entries.filter(status=Entry.Status.APPROVED).exclude(photo="")
    assert approved.count() >= 10
    for entry in approved:
        # Through the photo services: thumbnails of the current photo and a share poster.
        assert entry_derivatives_stale(entry, check_storage=True) == []
        assert entry_poster_current(entry) and default_storage.exists(entry.poster.name)
        assert default_storage.exists(entry.photo.name)
    assert Campaign.objects.filter(
        status=Campaign.Status.OPEN, submission_starts_at__lte=now, submission_ends_at__gt=now
    ).exists()
    # Every campaign has its rounds; a daily-topic campaign one per topic.
    assert contest.rounds.count() == 1
    assert Campaign.objects.get(slug=DAILY_SLUG).rounds.exclude(topic="").count() >= 5
    assert Campaign.objects.get(slug=TONGJI_SLUG).status == Campaign.Status.CLOSED

    assert contest.votes.values("day").distinct().count() >= 3
    assert Visit.objects.filter(kind=Visit.Kind.VISIT).exists()
    assert Visit.objects.filter(kind=Visit.Kind.SHARE_CLICK).exists()
    assert Activity.objects.exists()
    assert LeaderboardSnapshot.objects.filter(campaign=contest).exists()
    assert LeaderboardSnapshot.objects.filter(campaign__slug=TONGJI_SLUG, is_final=True).exists()
    assert set(Prize.objects.filter(campaign=contest).values_list("rank_from", "rank_to")) == {
        (1, 1),
        (2, 3),
        (4, 10),
    }
    assert Expense.objects.values("category").distinct().count() >= 5
    assert WorkLog.objects.filter(approved=True).exists()
    assert WorkLog.objects.filter(approved=False).exists()
    assert Ambassador.objects.filter(school__slug="fudan").count() == 5

    lead = Ambassador.objects.get(user__username=INTERN_USERNAME)
    assert (lead.school.slug, lead.role) == ("fudan", Ambassador.Role.LEAD)
    for username in (STAFF_USERNAME, INTERN_USERNAME, ADMIN_USERNAME):
        assert username in output
        # With a request, as django-axes requires of every authentication.
        request = RequestFactory().post("/admin/login/")
        assert authenticate(request, username=username, password=DEFAULT_PASSWORD) is not None
        response = client.post(
            "/admin/login/?next=/admin/", {"username": username, "password": DEFAULT_PASSWORD}
        )
        assert response.status_code == 302
        assert client.get("/admin/").status_code == 200
        client.logout()
    staff = get_user_model().objects.get(username=STAFF_USERNAME)
    assert not staff.is_superuser
    assert staff.groups.filter(name="staff").exists()


def test_no_stored_vote_breaks_its_campaign_policy():
    counts = demo_seed()
    valid = Vote.objects.filter(status=Vote.Status.VALID)

    per_day = valid.values("voter", "campaign", "day").annotate(
        n=Count("id"), limit=Max("campaign__votes_per_day")
    )
    assert not [row for row in per_day if row["n"] > row["limit"]]
    per_entry = valid.values("voter", "entry", "day").annotate(
        n=Count("id"), limit=Max("campaign__votes_per_entry_per_day")
    )
    assert not [row for row in per_entry if row["n"] > row["limit"]]
    # Votes only for approved entries, inside the voting window, by eligible voters.
    assert not valid.exclude(entry__status=Entry.Status.APPROVED).exists()
    assert not valid.filter(
        Q(cast_at__lt=F("campaign__voting_starts_at"))
        | Q(cast_at__gte=F("campaign__voting_ends_at"))
    ).exists()
    assert (
        not valid.filter(campaign__school_voters_only=True)
        .exclude(voter__school=F("campaign__pilot__school"))
        .exists()
    )

    # Not vacuous: the limits are reached, and planned votes past them were refused.
    assert max(row["n"] for row in per_day.filter(campaign__slug=CONTEST_SLUG)) == 3
    assert max(row["n"] for row in per_entry.filter(campaign__slug=TONGJI_SLUG)) == 2
    assert counts["votes_refused"] > 0


def test_the_command_prints_the_address_the_server_uses(settings):
    settings.SITE_URL = "http://127.0.0.1:8765"
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "http://127.0.0.1:8765/admin/" in out.getvalue()
