"""Votes under real concurrency: many HTTP clients at once against a live server.

Run on SQLite (default) and PostgreSQL (``DATABASE_URL=postgres://...``). Whatever the
interleaving, the stored valid votes equal exactly what the policy allows, every 201
names a stored vote, and nothing answers 500.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.factories import CampaignFactory, EntryFactory, VoterFactory
from voting.models import Vote
from voting.services.sign_in import voter_token_issue

pytestmark = [pytest.mark.usefixtures("api_env", "transactional_db")]

CLIENTS = 40


@pytest.fixture(autouse=True)
def _no_burst_throttles(settings):
    # These tests are about the database limits; the burst throttles would hide them.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}


def _race(live_server, jobs: list[tuple[str, object]]) -> list[tuple[int, dict]]:
    """POST every ``(token, entry)`` job at once, each from its own client thread;
    return ``(status, body)`` per job."""
    barrier = threading.Barrier(len(jobs))

    def post(job):
        token, entry = job
        url = f"{live_server.url}/api/v1/campaigns/{entry.campaign.slug}/entries/{entry.pk}/votes/"
        with requests.Session() as session:
            barrier.wait(timeout=30)
            response = session.post(
                url,
                headers={"Authorization": f"Bearer {token}", "X-Device-Id": "race"},
                timeout=60,
            )
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(post, jobs))


def _check_accepted_votes_are_stored(results) -> list[int]:
    statuses = Counter(status for status, _ in results)
    assert statuses[500] == 0, results
    accepted = [body["vote_id"] for status, body in results if status == 201]
    stored = set(
        Vote.objects.filter(pk__in=accepted, status=Vote.Status.VALID).values_list("pk", flat=True)
    )
    assert stored == set(accepted), "an accepted vote was lost"
    return accepted


def _error_codes(results) -> set[str]:
    return {body["error"]["code"] for status, body in results if status != 201}


def test_one_voter_racing_past_votes_per_day(live_server):
    campaign = CampaignFactory(votes_per_day=3)
    entries = [EntryFactory(campaign=campaign) for _ in range(CLIENTS)]
    voter = VoterFactory()
    token = voter_token_issue(voter=voter)

    results = _race(live_server, [(token, entry) for entry in entries])

    accepted = _check_accepted_votes_are_stored(results)
    assert len(accepted) == 3
    assert Vote.objects.filter(voter=voter, status=Vote.Status.VALID).count() == 3
    assert _error_codes(results) == {"daily_limit_reached"}
    remaining = sorted(body["remaining_today"] for status, body in results if status == 201)
    assert remaining == [0, 1, 2]


def test_one_voter_sending_the_same_vote_at_once(live_server):
    entry = EntryFactory(campaign=CampaignFactory(votes_per_day=3))
    voter = VoterFactory()
    token = voter_token_issue(voter=voter)

    results = _race(live_server, [(token, entry)] * 32)

    accepted = _check_accepted_votes_are_stored(results)
    assert len(accepted) == 1
    assert Vote.objects.filter(voter=voter, entry=entry, status=Vote.Status.VALID).count() == 1
    assert _error_codes(results) == {"entry_limit_reached"}


def test_one_voter_same_entry_with_two_votes_per_entry(live_server):
    campaign = CampaignFactory(votes_per_day=3, votes_per_entry_per_day=2)
    entry = EntryFactory(campaign=campaign)
    voter = VoterFactory()
    token = voter_token_issue(voter=voter)

    results = _race(live_server, [(token, entry)] * 32)

    assert len(_check_accepted_votes_are_stored(results)) == 2
    assert _error_codes(results) == {"entry_limit_reached"}


def test_many_voters_on_one_entry(live_server):
    entry = EntryFactory(campaign=CampaignFactory())
    voters = [VoterFactory() for _ in range(CLIENTS)]
    tokens = [voter_token_issue(voter=voter) for voter in voters]

    # Every voter twice at once: each gets exactly one vote in.
    results = _race(live_server, [(token, entry) for token in tokens * 2])

    accepted = _check_accepted_votes_are_stored(results)
    assert len(accepted) == CLIENTS
    assert Vote.objects.filter(entry=entry, status=Vote.Status.VALID).count() == CLIENTS
    per_voter = Counter(Vote.objects.filter(entry=entry).values_list("voter_id", flat=True))
    assert set(per_voter.values()) == {1}
    assert _error_codes(results) == {"entry_limit_reached"}
