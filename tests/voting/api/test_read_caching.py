"""Public API reads from the shared cache (voting/api/caching.py, docs/caching.md): fast,
and correct — after a moderation, a new snapshot or a campaign edit the next read shows
the change. Runs on the cache of the stack (local memory, or Redis on the PostgreSQL
stack) and, where marked, on a Redis of its own.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Prize
from core.public_cache import public_cache_bump
from tests.factories import CampaignFactory, EntryFactory, PrizeFactory, VoteFactory
from tests.test_constraints import campaign_form_data
from tests.voting.services.test_traffic import unique_visitors
from voting.models import Entry
from voting.services.entries import entry_moderate
from voting.services.leaderboards import campaign_close, leaderboard_refresh_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]

BASE = "/api/v1/campaigns/best-runner"


@pytest.fixture(params=["stack cache", "redis"])
def any_cache(request):
    """Each test on the stack's own cache and on a Redis of its own."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")


def _names(response) -> list[str]:
    return [e["name"] for e in response.json()["results"]]


def test_a_moderation_shows_at_the_next_read(
    any_cache, api, campaign, django_capture_on_commit_callbacks
):
    shown, other = EntryFactory(campaign=campaign, name="甲"), EntryFactory(campaign=campaign)
    pending = EntryFactory(campaign=campaign, name="乙", status=Entry.Status.PENDING)
    assert _names(api.get(f"{BASE}/entries/")) == ["甲", other.name]
    assert api.get(f"{BASE}/entries/{shown.pk}/").status_code == 200
    share = api.get(f"/s/{shown.share_code}")
    assert share.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        entry_moderate(entry_ids=[shown.pk], status=Entry.Status.REJECTED)
        entry_moderate(entry_ids=[pending.pk], status=Entry.Status.APPROVED)
    assert _names(api.get(f"{BASE}/entries/")) == [other.name, "乙"]
    assert api.get(f"{BASE}/entries/{shown.pk}/").status_code == 404
    assert api.get(f"{BASE}/entries/{pending.pk}/").status_code == 200
    assert api.get(f"/s/{shown.share_code}").status_code == 404


def test_a_new_snapshot_shows_at_the_next_read(
    any_cache, api, campaign, django_capture_on_commit_callbacks
):
    entry = EntryFactory(campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard_refresh_campaign(campaign_id=campaign.pk)
    assert api.get(f"{BASE}/entries/{entry.pk}/").json()["votes"] == 0
    assert api.get(f"{BASE}/leaderboard/").json()["entries"][0]["votes"] == 0
    VoteFactory(entry=entry)
    VoteFactory(entry=entry)
    # Votes alone change nothing shown: counts are the latest snapshot's.
    assert api.get(f"{BASE}/entries/").json()["results"][0]["votes"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard_refresh_campaign(campaign_id=campaign.pk)
    assert api.get(f"{BASE}/entries/{entry.pk}/").json()["votes"] == 2
    assert api.get(f"{BASE}/entries/").json()["results"][0]["votes"] == 2
    assert api.get(f"{BASE}/leaderboard/").json()["entries"][0]["votes"] == 2


def test_a_campaign_edit_in_the_admin_shows_at_the_next_read(
    any_cache, api, campaign, ops_client, django_capture_on_commit_callbacks
):
    assert api.get(f"{BASE}/").json()["title"] == campaign.title
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    data = campaign_form_data(campaign, title="新标题", change_reason="改名")
    with django_capture_on_commit_callbacks(execute=True):
        assert ops_client.post(url, data).status_code == 302
    assert api.get(f"{BASE}/").json()["title"] == "新标题"
    # Back to draft: no longer public, at once.
    data = campaign_form_data(campaign, title="新标题", status="draft", change_reason="撤下")
    with django_capture_on_commit_callbacks(execute=True):
        assert ops_client.post(url, data).status_code == 302
    assert Campaign.objects.get().status == "draft"
    assert api.get(f"{BASE}/").status_code == 404
    assert api.get(f"{BASE}/entries/").status_code == 404


def test_a_prize_edit_in_the_admin_shows_at_the_next_read(
    any_cache, api, campaign, ops_client, django_capture_on_commit_callbacks
):
    prize = PrizeFactory(campaign=campaign, name="手环")
    assert [p["name"] for p in api.get(f"{BASE}/").json()["prizes"]] == ["手环"]
    url = reverse("admin:campaigns_prize_change", args=[prize.pk])
    data = {
        "campaign": campaign.pk,
        "round": "",
        "name": "耳机",
        "rank_from": prize.rank_from,
        "rank_to": prize.rank_to,
        "unit_cost": prize.unit_cost,
        "quantity": prize.quantity,
        "change_reason": "换奖品",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert ops_client.post(url, data).status_code == 302
    assert [p["name"] for p in api.get(f"{BASE}/").json()["prizes"]] == ["耳机"]


@pytest.mark.parametrize("model", ["prize", "round"])
def test_a_bulk_delete_in_the_admin_shows_at_the_next_read_and_spares_frozen_ones(
    any_cache, api, campaign, ops_client, django_capture_on_commit_callbacks, model
):
    """The list's "delete selected" bumps the campaign's version as one delete does; a
    campaign whose voting has opened keeps its rounds and prizes (they are changed with
    a reason, never deleted)."""
    upcoming = Campaign.objects.get(pk=campaign.pk)
    upcoming.voting_starts_at = timezone.now() + timedelta(days=1)
    upcoming.voting_ends_at = timezone.now() + timedelta(days=8)
    upcoming.save()
    from campaigns.models import Round

    Round.objects.create(campaign=campaign, number=2, topic="第二轮")
    PrizeFactory(campaign=campaign, name="手环")
    opened = PrizeFactory().campaign  # voting open: frozen
    frozen = PrizeFactory(campaign=opened, name="奖杯")
    shown = api.get(f"{BASE}/").json()
    assert [p["name"] for p in shown["prizes"]] == ["手环"]
    assert len(shown["rounds"]) == 2
    manager = Prize.objects if model == "prize" else Round.objects
    doomed = list(
        manager.filter(campaign=campaign).values_list("pk", flat=True)
        if model == "prize"
        else manager.filter(campaign=campaign, number=2).values_list("pk", flat=True)
    )
    url = reverse(f"admin:campaigns_{model}_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(
            url,
            {"action": "delete_selected", "_selected_action": doomed, "post": "yes"},
        )
    assert response.status_code == 302
    shown = api.get(f"{BASE}/").json()
    assert shown["prizes"] == [] if model == "prize" else len(shown["rounds"]) == 1

    kept = [frozen.pk] if model == "prize" else [opened.rounds.get().pk]
    response = ops_client.post(
        url, {"action": "delete_selected", "_selected_action": kept, "post": "yes"}
    )
    # has_delete_permission(obj) refuses each one: the confirmation says it cannot
    # delete them, and the confirmed post is refused.
    assert response.status_code == 403
    confirm = ops_client.post(url, {"action": "delete_selected", "_selected_action": kept})
    assert "无法删除" in confirm.content.decode()
    assert manager.filter(pk__in=kept).exists()


def test_a_read_is_built_once_then_served_from_the_cache(
    any_cache, api, campaign, django_assert_max_num_queries
):
    EntryFactory(campaign=campaign)
    first = api.get(f"{BASE}/leaderboard/")
    with django_assert_max_num_queries(0):
        again = api.get(f"{BASE}/leaderboard/")
    assert again.content == first.content


# --- HTTP caching -------------------------------------------------------------------------


def test_reads_carry_an_etag_and_answer_304_until_the_data_changes(
    any_cache, api, campaign, django_capture_on_commit_callbacks
):
    entry = EntryFactory(campaign=campaign)
    for path in ("/", "/entries/", f"/entries/{entry.pk}/", "/leaderboard/"):
        response = api.get(f"{BASE}{path}")
        etag = response["ETag"]
        assert etag.startswith('"') and etag.endswith('"')
        not_modified = api.get(f"{BASE}{path}", HTTP_IF_NONE_MATCH=etag)
        assert not_modified.status_code == 304 and not_modified.content == b""
        assert not_modified["ETag"] == etag
        assert api.get(f"{BASE}{path}", HTTP_IF_NONE_MATCH=f'"other", {etag}').status_code == 304
        assert api.get(f"{BASE}{path}", HTTP_IF_NONE_MATCH="*").status_code == 304
    etag = api.get(f"{BASE}/")["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        Campaign.objects.filter(pk=campaign.pk).update(title="改了")
        public_cache_bump(campaign_id=campaign.pk)
    changed = api.get(f"{BASE}/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["title"] == "改了"
    assert changed["ETag"] != etag


def test_cache_control_is_private_where_a_visit_is_counted(any_cache, api, campaign):
    entry = EntryFactory(campaign=campaign)
    for path in ("/", "/entries/", f"/entries/{entry.pk}/"):
        assert api.get(f"{BASE}{path}")["Cache-Control"] == "private, max-age=10"
    assert api.get(f"{BASE}/leaderboard/")["Cache-Control"] == "public, max-age=10"


def test_a_304_still_counts_the_visit(any_cache, api, campaign):
    etag = api.get(f"{BASE}/", HTTP_X_VISITOR_ID="visitor-one")["ETag"]
    response = api.get(f"{BASE}/", HTTP_X_VISITOR_ID="visitor-two", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert unique_visitors(campaign) == 2


def test_next_links_follow_the_host_and_never_repeat_unknown_parameters(any_cache, api, campaign):
    for _ in range(3):
        EntryFactory(campaign=campaign)
    plain = api.get(f"{BASE}/entries/?page_size=1").json()
    assert plain["next"] == f"http://testserver{BASE}/entries/?page=2&page_size=1"
    # Another (allowed) host: its own links, not the cached body of the first.
    other = api.get(f"{BASE}/entries/?page_size=1", HTTP_HOST="localhost").json()
    assert other["next"].startswith("http://localhost/")
    # Unknown parameters are served uncached: nobody else gets them in their links.
    odd = api.get(f"{BASE}/entries/?page_size=1&utm=x").json()
    assert "utm=x" in odd["next"]
    assert "utm" not in api.get(f"{BASE}/entries/?page_size=1").json()["next"]


# --- Hostile input is answered as before and never cached --------------------------------

HOSTILE = [
    ("/entries/?page=abc", 400),
    ("/entries/?page=0", 400),
    ("/entries/?page=-1", 400),
    ("/entries/?page=99999999999", 404),
    ("/entries/?page=2", 404),
    ("/entries/?page_size=1000", 400),
    ("/entries/?round=x", 400),
    ("/entries/?round=99", 200),
    ("/entries/9223372036854775808/", 404),
    ("/entries/0/", 404),
    ("/entries/abc/", 404),
    ("/leaderboard/?round=abc", 400),
    ("/leaderboard/?round=99", 404),
]


@pytest.mark.parametrize("path,status", HOSTILE)
def test_hostile_queries_answer_as_before_and_twice_alike(any_cache, api, campaign, path, status):
    EntryFactory(campaign=campaign)
    for _ in range(2):
        response = api.get(f"{BASE}{path}")
        assert response.status_code == status, response.content
        if status != 200:
            assert "error" in response.json()


@pytest.mark.parametrize(
    "slug", ["no-such", "a" * 81, "bad%00slug", "%E4%B8%AD", "..", "x;drop"], ids=repr
)
def test_unknown_or_hostile_slugs_are_not_found(any_cache, api, slug):
    for path in ("/", "/entries/", "/entries/1/", "/leaderboard/"):
        response = api.get(f"/api/v1/campaigns/{slug}{path}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("etag", ["", "garbage", '"', "W/", '"' + "x" * 5000 + '"', "\x00"])
def test_hostile_if_none_match_gets_the_body(any_cache, api, campaign, etag):
    response = api.get(f"{BASE}/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response.json()["slug"] == "best-runner"


def test_a_draft_campaign_is_never_served_from_a_cache(any_cache, api, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    assert api.get(f"{BASE}/").status_code == 404


def test_a_campaign_closing_shows_at_the_next_read(
    any_cache, api, campaign, django_capture_on_commit_callbacks
):
    EntryFactory(campaign=campaign)
    assert api.get(f"{BASE}/").json()["status"] == "open"
    Campaign.objects.filter(pk=campaign.pk).update(
        voting_ends_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_close(campaign_id=campaign.pk)
    assert api.get(f"{BASE}/").json()["status"] == "closed"
    assert api.get(f"{BASE}/leaderboard/").json()["is_final"] is True


def _open_titles(api) -> list[str]:
    return [c["title"] for c in api.get("/api/v1/campaigns/").json()["results"]]


def test_the_open_campaigns_list_is_cached_and_shows_each_change_at_the_next_read(
    any_cache, api, campaign, ops_client, django_capture_on_commit_callbacks
):
    """Kept under the version of every campaign: an edit in the admin, a campaign opened
    or closed shows at once; a change that bumps nothing (a write behind the app's
    back) does not, which shows the list is read from the cache."""
    draft = CampaignFactory(status=Campaign.Status.DRAFT, title="草稿活动")
    first = api.get("/api/v1/campaigns/")
    assert first["Cache-Control"].startswith("public")
    assert _open_titles(api) == [campaign.title]
    Campaign.objects.filter(pk=campaign.pk).update(title="绕过应用")
    assert _open_titles(api) == [campaign.title]  # from the cache

    url = reverse("admin:campaigns_campaign_change", args=[draft.pk])
    data = campaign_form_data(draft, status="open", change_reason="上线")
    with django_capture_on_commit_callbacks(execute=True):
        assert ops_client.post(url, data).status_code == 302
    assert sorted(_open_titles(api)) == sorted(["绕过应用", "草稿活动"])

    Campaign.objects.filter(pk=campaign.pk).update(
        voting_ends_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_close(campaign_id=campaign.pk)
    assert _open_titles(api) == ["草稿活动"]
    assert api.get("/api/v1/campaigns/?page=2").status_code == 404
    assert api.get("/api/v1/campaigns/?page=x").status_code == 400


def test_a_school_rename_shows_at_the_next_read_and_a_snapshot_leaves_the_list_kept(
    any_cache, api, campaign, ops_client, django_capture_on_commit_callbacks
):
    """The list of open campaigns moves only with what it shows: a school's new name
    shows on the list and the campaign at once; a new snapshot (every minute per
    campaign) rebuilds the campaign's reads but not the list."""
    from core.public_cache import EVERY_CAMPAIGN, public_cache_version

    school = campaign.pilot.school
    assert api.get("/api/v1/campaigns/").json()["results"][0]["school"]["name"] == school.name
    listed = public_cache_version(EVERY_CAMPAIGN)
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard_refresh_campaign(campaign_id=campaign.pk)
    assert public_cache_version(EVERY_CAMPAIGN) == listed

    url = reverse("admin:campaigns_school_change", args=[school.pk])
    data = {
        "name": "新校名大学",
        "slug": school.slug,
        "city": school.city,
        "province": school.province,
        "student_population": school.student_population or "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
    assert public_cache_version(EVERY_CAMPAIGN) > listed
    assert api.get("/api/v1/campaigns/").json()["results"][0]["school"]["name"] == "新校名大学"
    assert api.get(f"{BASE}/").json()["school"]["name"] == "新校名大学"
