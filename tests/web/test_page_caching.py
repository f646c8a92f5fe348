"""The site's campaign, entry and leaderboard pages from the shared cache
(web/views/pages.py, docs/caching.md): the next page after a moderation, a snapshot or a
campaign edit shows the change, and nothing of one reader reaches another."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Round
from tests.factories import CampaignFactory, EntryFactory, VoteFactory
from tests.test_constraints import campaign_form_data
from tests.web.helpers import entry_url, sign_in_as
from voting.models import Entry
from voting.services.entries import entry_moderate
from voting.services.leaderboards import leaderboard_refresh_campaign
from voting.services.votes import vote_cast_by_id

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["stack cache", "redis"])
def any_cache(request):
    if request.param == "redis":
        request.getfixturevalue("redis_cache")


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _count(body: str) -> int:
    return int(re.search(r'data-testid="vote-count">(\d+)<', body).group(1))


def test_a_moderation_shows_on_the_next_pages(
    any_cache, client, campaign, django_capture_on_commit_callbacks
):
    kept = EntryFactory(campaign=campaign, name="留下的")
    gone = EntryFactory(campaign=campaign, name="被拒的")
    body = text(client.get(f"/c/{campaign.slug}/"))
    assert body.count('data-testid="entry-card"') == 2 and "被拒的" in body
    assert "被拒的" in text(client.get(entry_url(gone)))
    with django_capture_on_commit_callbacks(execute=True):
        entry_moderate(entry_ids=[gone.pk], status=Entry.Status.REJECTED)
    body = text(client.get(f"/c/{campaign.slug}/"))
    assert body.count('data-testid="entry-card"') == 1 and "被拒的" not in body
    assert kept.name in body
    assert client.get(entry_url(gone)).status_code == 404


def test_a_snapshot_shows_on_the_next_pages(
    any_cache, client, campaign, django_capture_on_commit_callbacks
):
    entry = EntryFactory(campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard_refresh_campaign(campaign_id=campaign.pk)
    assert _count(text(client.get(entry_url(entry)))) == 0
    assert "0 票" in text(client.get(f"/c/{campaign.slug}/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    for _ in range(3):
        VoteFactory(entry=entry)
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard_refresh_campaign(campaign_id=campaign.pk)
    assert _count(text(client.get(entry_url(entry)))) == 3
    assert "3 票" in text(client.get(f"/c/{campaign.slug}/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    board = text(client.get(f"/c/{campaign.slug}/leaderboard/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "3 票" in board


def test_a_campaign_edit_shows_on_the_next_pages(
    any_cache, client, campaign, ops_client, django_capture_on_commit_callbacks
):
    entry = EntryFactory(campaign=campaign)
    assert campaign.title in text(client.get(f"/c/{campaign.slug}/"))
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    data = campaign_form_data(campaign, title="改过的标题", rules="新规则。", change_reason="改")
    with django_capture_on_commit_callbacks(execute=True):
        assert ops_client.post(url, data).status_code == 302
    body = text(client.get(f"/c/{campaign.slug}/"))
    assert "改过的标题" in body and "新规则。" in body
    assert "改过的标题" in text(client.get(entry_url(entry)))
    assert "改过的标题" in text(client.get(f"/c/{campaign.slug}/leaderboard/"))


def test_the_page_language_is_part_of_the_cached_body(any_cache, client, campaign):
    EntryFactory(campaign=campaign)
    zh = text(client.get(f"/c/{campaign.slug}/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    en = text(client.get(f"/c/{campaign.slug}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "参赛选手" in zh and "Contestants" in en and "参赛选手" not in en


def test_a_voters_own_votes_and_limits_never_reach_another_reader(
    any_cache, client, campaign, voter, django_capture_on_commit_callbacks
):
    entry = EntryFactory(campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard_refresh_campaign(campaign_id=campaign.pk)
    anonymous = text(client.get(entry_url(entry)))
    assert _count(anonymous) == 0 and 'data-testid="remaining-today"' not in anonymous

    sign_in_as(client, voter)
    vote_cast_by_id(
        voter_id=voter.pk,
        slug=campaign.slug,
        entry_id=entry.pk,
        ip=None,
        user_agent="",
        device_id="",
    )
    mine = text(client.get(entry_url(entry)))
    assert _count(mine) == 1  # their vote counts at once, for them
    assert re.search(r'data-testid="remaining-today">2<', mine)
    assert "csrfmiddlewaretoken" in mine

    client.logout()
    client.cookies.clear()
    other = text(client.get(entry_url(entry)))
    assert _count(other) == 0  # the snapshot's, as for everyone
    assert 'data-testid="remaining-today"' not in other


def test_a_page_past_the_end_is_the_last_page_and_garbage_the_first(any_cache, client, campaign):
    for _ in range(30):
        EntryFactory(campaign=campaign)
    last = text(client.get(f"/c/{campaign.slug}/?page=2"))
    assert last.count('data-testid="entry-card"') == 6
    for page in ("99", "99999999999999999999", "abc", "-1", "１", "%00"):
        body = text(client.get(f"/c/{campaign.slug}/?page={page}"))
        assert body.count('data-testid="entry-card"') in (24, 6), page
    assert text(client.get(f"/c/{campaign.slug}/?page=99")).count("entry-card") == 6


def test_a_draft_campaign_leaves_the_site_at_once(
    any_cache, client, campaign, ops_client, django_capture_on_commit_callbacks
):
    entry = EntryFactory(campaign=campaign)
    text(client.get(f"/c/{campaign.slug}/"))
    text(client.get(entry_url(entry)))
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    data = campaign_form_data(campaign, status="draft", change_reason="撤下")
    with django_capture_on_commit_callbacks(execute=True):
        assert ops_client.post(url, data).status_code == 302
    assert Campaign.objects.get().status == "draft"
    assert client.get(f"/c/{campaign.slug}/").status_code == 404
    assert client.get(entry_url(entry)).status_code == 404


def test_a_page_kept_whole_follows_the_clock_past_a_window_boundary(any_cache, client, db):
    now = timezone.now()
    campaign = CampaignFactory(
        slug="soon",
        voting_starts_at=now + timedelta(hours=1),
        voting_ends_at=now + timedelta(days=3),
    )
    Round.objects.filter(campaign=campaign).update(voting_starts_at=None, voting_ends_at=None)
    entry = EntryFactory(campaign=campaign)
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    assert "投票未开始" in text(client.get(f"/c/{campaign.slug}/", **zh))
    assert "投票未开始" in text(client.get(entry_url(entry), **zh))
    # No write, no bump: only the clock moves past the opening.
    with time_machine.travel(now + timedelta(hours=1, seconds=1)):
        assert "投票进行中" in text(client.get(f"/c/{campaign.slug}/", **zh))
        body = text(client.get(entry_url(entry), **zh))
        assert (
            'data-testid="vote-button"' in body
            and "disabled" not in body.split("vote-button")[1][:40]
        )


def test_the_csrf_token_of_a_kept_page_is_the_readers_own(any_cache, client, campaign):
    entry = EntryFactory(campaign=campaign)
    first = text(client.get(entry_url(entry)))
    other = Client(enforce_csrf_checks=True)
    second = text(other.get(entry_url(entry)))
    tokens = [
        re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', b).group(1)
        for b in (first, second)
    ]
    assert tokens[0] != tokens[1] and "slot" not in tokens[0]
    # The token works: the reader's form posts (set_language, as the footer's form
    # does), and a forged one does not.
    forged = other.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": "x" * 64})
    assert forged.status_code == 403
    response = other.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": tokens[1]})
    assert response.status_code == 302


def test_the_home_page_is_kept_until_a_campaign_changes_and_shows_no_readers_ref(
    any_cache, campaign, django_capture_on_commit_callbacks
):
    """The list of open campaigns is kept under the version of every campaign: a write
    behind the app's back does not show, a campaign closing does. A reader who came by
    a share link (its ref in their cookie, which sign-in reads) builds the page: the
    next reader's links carry no ref of theirs; a link's own ?ref= is part of the key."""
    from voting.services.leaderboards import campaign_close

    referred = Client()
    referred.cookies["ref"] = "REFCODE1"
    first = text(referred.get("/"))
    assert campaign.title in first and "REFCODE1" not in first
    other = text(Client().get("/"))
    assert campaign.title in other and "REFCODE1" not in other
    assert "?ref=REFCODE2" in text(Client().get("/?ref=REFCODE2"))
    Campaign.objects.filter(pk=campaign.pk).update(title="绕过应用")
    assert campaign.title in text(Client().get("/"))  # from the cache
    Campaign.objects.filter(pk=campaign.pk).update(
        voting_ends_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_close(campaign_id=campaign.pk)
    assert "绕过应用" not in text(Client().get("/"))
