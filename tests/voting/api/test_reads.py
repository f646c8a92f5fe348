"""Campaigns, entries, leaderboard and share links: the anonymous reads of the API."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from campaigns.models import Campaign, Round
from core.redis_cache import redis_client
from tests.factories import CampaignFactory, EntryFactory, PrizeFactory, VoteFactory
from tests.voting.fixtures_api import image_bytes
from voting.models import Entry, Visit
from voting.services.leaderboards import leaderboard_refresh_campaign
from voting.services.photos import entry_derivatives_generate
from voting.services.traffic import visits_flush

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]


def _error(response) -> str:
    return response.json()["error"]["code"]


# --- Campaigns -------------------------------------------------------------------------


def test_campaign_list_shows_open_campaigns_only(api, campaign):
    CampaignFactory(status=Campaign.Status.DRAFT)
    CampaignFactory(status=Campaign.Status.CLOSED)
    response = api.get("/api/v1/campaigns/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["slug"] == "best-runner"
    assert item["school"]["slug"] == campaign.pilot.school.slug
    assert {"voting_starts_at", "voting_ends_at", "submission_starts_at"} <= set(item)


def test_campaign_list_query_count_is_fixed(api, django_assert_num_queries):
    for _ in range(5):
        CampaignFactory()
    with django_assert_num_queries(2):  # count + page (school joined)
        response = api.get("/api/v1/campaigns/")
    assert response.json()["count"] == 5


def test_campaign_detail_has_policy_windows_rounds_and_prizes(api, campaign):
    PrizeFactory(campaign=campaign, name="手环", rank_from=1, rank_to=3)
    response = api.get("/api/v1/campaigns/best-runner/")
    assert response.status_code == 200
    body = response.json()
    assert body["policy"] == {
        "votes_per_day": 3,
        "votes_per_entry_per_day": 1,
        "school_voters_only": False,
    }
    assert body["voting_ends_at"] and body["submission_ends_at"]
    assert body["rounds"][0]["number"] == 1
    assert body["prizes"] == [
        {"name": "手环", "rank_from": 1, "rank_to": 3, "quantity": 1, "round": None}
    ]


def test_campaign_detail_records_a_visit_and_sets_the_visitor_cookie(api, campaign):
    response = api.get("/api/v1/campaigns/best-runner/")
    vid = response.cookies["vid"].value
    visits_flush()
    visit = Visit.objects.get()
    assert (visit.visitor_id, visit.campaign, visit.kind) == (vid, campaign, "visit")
    # The cookie identifies the visitor next time; reloads add no row.
    api.get("/api/v1/campaigns/best-runner/")
    visits_flush()
    assert Visit.objects.count() == 1
    assert "vid" not in api.get("/api/v1/campaigns/best-runner/").cookies


def test_visitor_header_wins_over_the_cookie(api, campaign):
    api.get("/api/v1/campaigns/best-runner/", HTTP_X_VISITOR_ID="app-device-12345678")
    visits_flush()
    assert Visit.objects.get().visitor_id == "app-device-12345678"


@pytest.mark.parametrize("status", [Campaign.Status.DRAFT, Campaign.Status.ARCHIVED])
def test_unpublished_campaign_is_not_found(api, status):
    CampaignFactory(slug="hidden", status=status)
    response = api.get("/api/v1/campaigns/hidden/")
    assert response.status_code == 404 and _error(response) == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/campaigns/nope/",
        "/api/v1/campaigns/nope/entries/",
        "/api/v1/campaigns/nope/leaderboard/",
        "/api/v1/campaigns/best-runner/entries/999999/",
        "/api/v1/campaigns/best-runner/entries/99999999999999999999999/",
        "/api/v1/campaigns/%E4%B8%AD%00/",
        "/s/NOSUCH",
        "/s/%00",
    ],
)
def test_unknown_things_are_not_found(api, campaign, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}} or (
        _error(response) == "not_found"
    )


# --- Entries ---------------------------------------------------------------------------


def test_entry_list_shows_approved_entries_with_urls_and_snapshot_counts(api, campaign):
    shown = EntryFactory(campaign=campaign, name="小明")
    shown.photo.save("p.jpg", ContentFile(image_bytes()), save=True)
    entry_derivatives_generate(entry_id=shown.pk)
    EntryFactory(campaign=campaign, status=Entry.Status.PENDING)
    EntryFactory(campaign=campaign, status=Entry.Status.REJECTED)
    VoteFactory(entry=shown)
    VoteFactory(entry=shown)
    leaderboard_refresh_campaign(campaign_id=campaign.pk)
    VoteFactory(entry=shown)  # after the snapshot: not shown until the next one

    response = api.get("/api/v1/campaigns/best-runner/entries/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == shown.pk and item["name"] == "小明"
    assert item["votes"] == 2
    assert item["share_code"] == shown.share_code
    assert item["share_url"] == f"http://testserver/s/{shown.share_code}"
    assert item["photo_url"].startswith("http://testserver/media/entries/")
    assert item["thumbnail_url"].startswith("http://testserver/media/entries/thumbs/")


def test_entry_list_query_count_is_fixed(api, campaign, django_assert_num_queries):
    for _ in range(15):
        VoteFactory(entry=EntryFactory(campaign=campaign))
    leaderboard_refresh_campaign(campaign_id=campaign.pk)
    # Built: the slug's campaign id, campaign, count, page, latest snapshots, and the
    # visit's insert (buffered instead with Redis as the cache: docs/caching.md).
    buffered = redis_client() is not None
    with django_assert_num_queries(5 if buffered else 6):
        response = api.get("/api/v1/campaigns/best-runner/entries/?page_size=10")
    assert len(response.json()["results"]) == 10
    assert all(item["votes"] == 1 for item in response.json()["results"])
    # From the shared cache: nothing but another visitor's visit.
    api.cookies.clear()  # another visitor
    with django_assert_num_queries(0 if buffered else 1):
        again = api.get("/api/v1/campaigns/best-runner/entries/?page_size=10")
    assert again.content == response.content


def test_entry_list_is_paginated(api, campaign):
    for _ in range(25):
        EntryFactory(campaign=campaign)
    first = api.get("/api/v1/campaigns/best-runner/entries/").json()
    assert first["count"] == 25 and len(first["results"]) == 20 and first["next"]
    second = api.get("/api/v1/campaigns/best-runner/entries/?page=2").json()
    assert len(second["results"]) == 5


@pytest.mark.parametrize("query", ["page=abc", "page=0", "page_size=0", "page_size=x", "round=x"])
def test_malformed_query_is_invalid_naming_it(api, campaign, query):
    response = api.get(f"/api/v1/campaigns/best-runner/entries/?{query}")
    assert response.status_code == 400
    assert _error(response) == "invalid"
    assert query.split("=")[0] in response.json()["error"]["fields"]


def test_the_last_page_is_page_last(api, campaign):
    for _ in range(25):
        EntryFactory(campaign=campaign)
    last = api.get("/api/v1/campaigns/best-runner/entries/?page=last").json()
    assert len(last["results"]) == 5 and last["next"] is None and last["previous"]
    assert api.get("/api/v1/campaigns/?page=last").json()["count"] == 1


def test_page_last_of_nothing_is_an_empty_first_page(api):
    body = api.get("/api/v1/campaigns/?page=last").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "image/png"])
def test_an_accept_the_api_cannot_satisfy_is_the_documented_406(api, campaign, accept):
    response = api.get("/api/v1/campaigns/best-runner/", HTTP_ACCEPT=accept)
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert _error(response) == "not_acceptable"
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/campaigns/{slug}/"]["get"]
    assert "406" in operation["responses"]


@pytest.mark.parametrize("accept", ["application/json", "application/*", "*/*", ""])
def test_json_accepts_get_json(api, campaign, accept):
    assert api.get("/api/v1/campaigns/best-runner/", HTTP_ACCEPT=accept).status_code == 200


def test_share_link_redirects_whatever_the_accept(api, entry):
    response = api.get(f"/s/{entry.share_code}", HTTP_ACCEPT="text/html")
    assert response.status_code == 302 and response["Location"]


def test_page_past_the_end_is_not_found(api, campaign):
    response = api.get("/api/v1/campaigns/best-runner/entries/?page=9")
    assert response.status_code == 404 and _error(response) == "not_found"


def test_entry_detail_records_an_entry_visit(api, entry):
    response = api.get(f"/api/v1/campaigns/best-runner/entries/{entry.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == entry.pk and response.json()["votes"] == 0
    visits_flush()
    visit = Visit.objects.get()
    assert visit.entry == entry and visit.campaign == entry.campaign


def test_pending_entry_is_not_found(api, campaign):
    pending = EntryFactory(campaign=campaign, status=Entry.Status.PENDING)
    response = api.get(f"/api/v1/campaigns/best-runner/entries/{pending.pk}/")
    assert response.status_code == 404


def test_entry_of_another_campaign_is_not_found(api, campaign):
    other = EntryFactory()
    response = api.get(f"/api/v1/campaigns/best-runner/entries/{other.pk}/")
    assert response.status_code == 404


# --- Leaderboard -----------------------------------------------------------------------


def test_leaderboard_is_the_latest_snapshot(api, campaign):
    first, second = EntryFactory(campaign=campaign), EntryFactory(campaign=campaign)
    VoteFactory(entry=second)
    leaderboard_refresh_campaign(campaign_id=campaign.pk)
    response = api.get("/api/v1/campaigns/best-runner/leaderboard/")
    assert response.status_code == 200
    body = response.json()
    assert body["computed_at"]
    assert body["entries"] == [
        {"rank": 1, "entry_id": second.pk, "name": second.name, "votes": 1},
        {"rank": 2, "entry_id": first.pk, "name": first.name, "votes": 0},
    ]


def test_leaderboard_before_any_snapshot_is_the_live_standing(api, entry):
    VoteFactory(entry=entry)
    body = api.get("/api/v1/campaigns/best-runner/leaderboard/").json()
    assert body["entries"][0]["votes"] == 1


def test_daily_topic_leaderboard_defaults_to_the_current_round(api):
    now = timezone.now()
    campaign = CampaignFactory(slug="daily", kind=Campaign.Kind.DAILY_TOPIC, with_round=False)
    yesterday = Round.objects.create(
        campaign=campaign,
        number=1,
        topic="最佳跑者",
        voting_starts_at=now - timedelta(days=1, hours=1),
        voting_ends_at=now - timedelta(hours=1),
    )
    today = Round.objects.create(
        campaign=campaign,
        number=2,
        topic="最佳腹肌",
        voting_starts_at=now - timedelta(hours=1),
        voting_ends_at=now + timedelta(hours=23),
    )
    old = EntryFactory(campaign=campaign, round=yesterday)
    new = EntryFactory(campaign=campaign, round=today)
    body = api.get("/api/v1/campaigns/daily/leaderboard/").json()
    assert body["round"] == 2 and body["topic"] == "最佳腹肌"
    assert [row["entry_id"] for row in body["entries"]] == [new.pk]
    body = api.get("/api/v1/campaigns/daily/leaderboard/?round=1").json()
    assert [row["entry_id"] for row in body["entries"]] == [old.pk]
    response = api.get("/api/v1/campaigns/daily/leaderboard/?round=7")
    assert response.status_code == 404


def test_closed_campaign_leaderboard_stays_readable(api, entry):
    Campaign.objects.filter(pk=entry.campaign_id).update(status=Campaign.Status.CLOSED)
    assert api.get("/api/v1/campaigns/best-runner/leaderboard/").status_code == 200


# --- Share links -----------------------------------------------------------------------


def test_share_link_records_a_click_and_redirects_to_the_entry(api, entry):
    response = api.get(f"/s/{entry.share_code}", HTTP_X_VISITOR_ID="visitor-from-wechat")
    assert response.status_code == 302
    # The entry's page on the student site (web/), keeping the referral for sign-in.
    assert response["Location"] == f"/c/best-runner/e/{entry.pk}/?ref={entry.share_code}"
    visits_flush()
    click = Visit.objects.get()
    assert click.kind == Visit.Kind.SHARE_CLICK
    assert (click.entry, click.visitor_id) == (entry, "visitor-from-wechat")


def test_share_link_target_is_configurable(api, entry, settings):
    settings.SHARE_REDIRECT_URL = "https://m.example.cn/e/{entry}?ref={code}"
    response = api.get(f"/s/{entry.share_code.lower()}")
    assert response["Location"] == f"https://m.example.cn/e/{entry.pk}?ref={entry.share_code}"
    visits_flush()
    assert response.cookies["vid"].value == Visit.objects.get().visitor_id


# --- Query counts of the other reads -----------------------------------------------------


def test_campaign_detail_query_count_is_fixed(api, campaign, django_assert_num_queries):
    for rank in range(1, 6):
        PrizeFactory(campaign=campaign, rank_from=rank, rank_to=rank)
    # the slug's campaign id, campaign (school joined), rounds, prizes, visit insert
    # (buffered with Redis as the cache); then from the shared cache, the visit only
    buffered = redis_client() is not None
    with django_assert_num_queries(4 if buffered else 5):
        assert api.get("/api/v1/campaigns/best-runner/").status_code == 200
    api.cookies.clear()
    with django_assert_num_queries(0 if buffered else 1):
        assert api.get("/api/v1/campaigns/best-runner/").status_code == 200


def test_entry_detail_and_leaderboard_query_counts_are_fixed(
    api, campaign, django_assert_num_queries
):
    entries = [EntryFactory(campaign=campaign) for _ in range(10)]
    for entry in entries:
        VoteFactory(entry=entry)
    leaderboard_refresh_campaign(campaign_id=campaign.pk)
    # the slug's campaign id, campaign, entry (round joined), latest snapshot, visit
    # insert (buffered with Redis as the cache)
    buffered = redis_client() is not None
    with django_assert_num_queries(4 if buffered else 5):
        response = api.get(f"/api/v1/campaigns/best-runner/entries/{entries[0].pk}/")
    assert response.json()["votes"] == 1
    # the slug's id is cached now: campaign, rounds, latest snapshot
    with django_assert_num_queries(3):
        assert len(api.get("/api/v1/campaigns/best-runner/leaderboard/").json()["entries"]) == 10
