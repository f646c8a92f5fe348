"""Casting votes through the API: every error code of the contract with its status."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from tests.factories import CampaignFactory, EntryFactory, SchoolFactory, VoterFactory
from tests.voting.fixtures_api import bearer
from voting.models import Entry, Vote
from voting.services.sign_in import voter_token_revoke

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]


def _vote(client, entry, **headers):
    return client.post(
        f"/api/v1/campaigns/{entry.campaign.slug}/entries/{entry.pk}/votes/", **headers
    )


def _error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_vote_is_201_with_remaining_and_records_the_fingerprint(voter_api, voter, entry):
    response = _vote(
        voter_api,
        entry,
        HTTP_X_DEVICE_ID="device-abc",
        HTTP_USER_AGENT="MicroMessenger/8.0",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["remaining_today"] == 2
    vote = Vote.objects.get(pk=body["vote_id"])
    assert (vote.voter, vote.entry, vote.status) == (voter, entry, Vote.Status.VALID)
    assert (vote.device_id, vote.user_agent, vote.ip) == (
        "device-abc",
        "MicroMessenger/8.0",
        "203.0.113.9",
    )


def test_forwarded_for_is_honoured_only_through_configured_proxies(voter_api, campaign, settings):
    spoofed = "1.2.3.4, 198.51.100.7"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    first = _vote(voter_api, EntryFactory(campaign=campaign), HTTP_X_FORWARDED_FOR=spoofed).json()
    assert Vote.objects.get(pk=first["vote_id"]).ip == "127.0.0.1"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    second = _vote(voter_api, EntryFactory(campaign=campaign), HTTP_X_FORWARDED_FOR=spoofed).json()
    # One proxy: its own hop (the last) is the client; "1.2.3.4" is the client's claim.
    assert Vote.objects.get(pk=second["vote_id"]).ip == "198.51.100.7"


def test_headers_with_control_characters_are_cleaned(voter_api, entry):
    response = _vote(voter_api, entry, HTTP_X_DEVICE_ID="dev\x00ice" + "x" * 200)
    vote = Vote.objects.get(pk=response.json()["vote_id"])
    assert vote.device_id.startswith("device") and len(vote.device_id) == 100


def test_daily_limit_reached_409(voter_api, campaign):
    entries = [EntryFactory(campaign=campaign) for _ in range(4)]
    remaining = [_vote(voter_api, e).json()["remaining_today"] for e in entries[:3]]
    assert remaining == [2, 1, 0]
    assert _error(_vote(voter_api, entries[3])) == (409, "daily_limit_reached")


def test_entry_limit_reached_409(voter_api, entry):
    assert _vote(voter_api, entry).status_code == 201
    assert _error(_vote(voter_api, entry)) == (409, "entry_limit_reached")


def test_campaign_closed_409_outside_the_voting_window(voter_api):
    entry = EntryFactory(
        campaign=CampaignFactory(voting_ends_at=timezone.now() - timedelta(minutes=1))
    )
    assert _error(_vote(voter_api, entry)) == (409, "campaign_closed")


def test_campaign_closed_409_when_closed(voter_api, entry):
    Campaign.objects.filter(pk=entry.campaign_id).update(status=Campaign.Status.CLOSED)
    assert _error(_vote(voter_api, entry)) == (409, "campaign_closed")


def test_entry_not_votable_409_when_not_approved(voter_api, campaign):
    entry = EntryFactory(campaign=campaign, status=Entry.Status.PENDING)
    assert _error(_vote(voter_api, entry)) == (409, "entry_not_votable")


def test_school_not_eligible_403(api):
    school = SchoolFactory()
    entry = EntryFactory(campaign=CampaignFactory(pilot__school=school, school_voters_only=True))
    outsider = VoterFactory(school=SchoolFactory())
    assert _error(_vote(api, entry, **bearer(outsider))) == (403, "school_not_eligible")
    student = VoterFactory(school=school)
    assert _vote(api, entry, **bearer(student)).status_code == 201


def test_not_authenticated_401_without_a_token(api, entry):
    response = _vote(api, entry)
    assert _error(response) == (401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer nonsense", "Bearer", "Bearer a b", "Bearer " + "x" * 500, "Bearer \xe4"]
)
def test_not_authenticated_401_with_a_bad_token(api, entry, header):
    assert _error(_vote(api, entry, HTTP_AUTHORIZATION=header)) == (401, "not_authenticated")


def test_not_authenticated_401_with_a_revoked_token(api, voter, entry):
    headers = bearer(voter)
    api.post("/api/v1/auth/logout/", **headers)
    assert _error(_vote(api, entry, **headers)) == (401, "not_authenticated")


def test_revoke_service_only_revokes_that_token(api, voter, entry):
    kept = bearer(voter)
    revoked = bearer(voter)
    from voting.models import VoterToken

    voter_token_revoke(token_id=VoterToken.objects.order_by("-id").first().pk)
    assert _vote(api, entry, **revoked).status_code == 401
    assert _vote(api, entry, **kept).status_code == 201


def test_throttled_429_per_voter(voter_api, campaign, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"vote_voter": "2/min"},
    }
    entries = [EntryFactory(campaign=campaign) for _ in range(3)]
    assert [_vote(voter_api, e).status_code for e in entries[:2]] == [201, 201]
    response = _vote(voter_api, entries[2])
    assert _error(response) == (429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_vote_throttle_per_ip_cannot_be_escaped_by_spoofing_forwarded_for(api, campaign, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": 0,
        "DEFAULT_THROTTLE_RATES": {"vote_ip": "2/min"},
    }
    entry = EntryFactory(campaign=campaign)
    codes = [
        _vote(api, entry, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}", **bearer(VoterFactory())).status_code
        for n in range(3)
    ]
    assert codes == [201, 201, 429]


def test_unknown_entry_404(voter_api, campaign):
    response = voter_api.post("/api/v1/campaigns/best-runner/entries/424242/votes/")
    assert _error(response) == (404, "not_found")


def test_entry_of_another_campaign_404(voter_api, campaign):
    other = EntryFactory()
    response = voter_api.post(f"/api/v1/campaigns/best-runner/entries/{other.pk}/votes/")
    assert _error(response) == (404, "not_found")


def test_first_vote_attributes_a_direct_voter_to_the_campaign(voter_api, voter, entry):
    _vote(voter_api, entry)
    voter.refresh_from_db()
    assert voter.attributed_campaign == entry.campaign


def test_method_not_allowed_keeps_the_envelope(voter_api, entry):
    response = voter_api.get(f"/api/v1/campaigns/best-runner/entries/{entry.pk}/votes/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_vote_query_count_is_fixed(voter_api, campaign, django_assert_num_queries):
    # The hot path of a voting rush (bench/bench_votes.py): the token's lookup, then one
    # INSERT that checks the policy and takes the slots, in autocommit.
    first, second = EntryFactory.create_batch(2, campaign=campaign)
    _vote(voter_api, first)
    with django_assert_num_queries(2) as captured:
        response = _vote(voter_api, second)
    assert response.status_code == 201
    statements = [q["sql"].split()[0] for q in captured.captured_queries]
    assert statements == ["SELECT", "INSERT"]


def test_a_voters_first_vote_attributes_them(voter_api, voter, entry, django_assert_num_queries):
    with django_assert_num_queries(3) as captured:
        response = _vote(voter_api, entry)
    assert response.status_code == 201
    statements = [q["sql"].split()[0] for q in captured.captured_queries]
    assert statements == ["SELECT", "INSERT", "UPDATE"]
    voter.refresh_from_db()
    assert voter.attributed_campaign_id == entry.campaign_id
