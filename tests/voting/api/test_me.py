"""The signed-in voter and their votes."""

import pytest

from tests.factories import EntryFactory, SchoolFactory, VoterFactory
from tests.voting.fixtures_api import bearer
from voting.services.votes import vote_cast

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]


def test_me_shows_the_voter_with_a_masked_phone(api):
    voter = VoterFactory(phone="+8613800138000", school=SchoolFactory(slug="fudan"))
    body = api.get("/api/v1/me/", **bearer(voter)).json()
    assert body["voter_id"] == voter.pk
    assert body["phone"] == "+86138****8000"
    assert body["school"]["slug"] == "fudan"
    assert body["channel"] == "direct"


def test_me_needs_a_token(api):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_my_votes_newest_first_with_a_fixed_query_count(
    api, voter, campaign, django_assert_num_queries
):
    entries = [EntryFactory(campaign=campaign) for _ in range(3)]
    for entry in entries:
        vote_cast(voter=voter, entry=entry)
    vote_cast(voter=VoterFactory(), entry=entries[0])  # someone else's
    headers = bearer(voter)
    with django_assert_num_queries(3):  # token, count, page (entry+campaign joined)
        response = api.get("/api/v1/me/votes/", **headers)
    body = response.json()
    assert body["count"] == 3
    assert [row["entry_id"] for row in body["results"]] == [e.pk for e in reversed(entries)]
    assert body["results"][0]["campaign"] == campaign.slug
    assert body["results"][0]["status"] == "valid"


def test_my_votes_needs_a_token(api):
    assert api.get("/api/v1/me/votes/").status_code == 401
