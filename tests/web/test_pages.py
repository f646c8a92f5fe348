"""The reading pages without JavaScript (Django's test client): what each shows, the
visits they record, and the friendly pages for unknown links and closed campaigns."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Round
from tests.factories import CampaignFactory, EntryFactory, PrizeFactory
from tests.web.helpers import entry_url
from voting.models import Visit
from voting.services.leaderboards import leaderboard_refresh_campaign
from voting.services.traffic import visits_flush

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def test_home_lists_open_campaigns_only(client, campaign):
    draft = CampaignFactory(status=Campaign.Status.DRAFT, title="草稿活动")
    response = client.get("/")
    assert response.status_code == 200
    assert campaign.title in text(response) and draft.title not in text(response)
    assert f'href="/c/{campaign.slug}/"' in text(response)


def test_campaign_page_shows_rules_windows_and_entries(client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(rules="上传跑步照片参赛。")
    PrizeFactory(campaign=campaign, name="运动手环", rank_from=1, rank_to=3)
    entries = [EntryFactory(campaign=campaign) for _ in range(3)]
    EntryFactory(campaign=campaign, status="pending", name="待审核选手")
    response = client.get(f"/c/{campaign.slug}/")
    body = text(response)
    assert response.status_code == 200
    assert campaign.title in body and "上传跑步照片参赛。" in body
    assert "每人每天可投 3 票" in body and "同一选手每天最多 1 票" in body
    assert "第 1–3 名：运动手环" in body
    # Windows in Beijing time, whatever the server's clock zone.
    start = timezone.localtime(campaign.voting_starts_at)
    assert f"投票时间：{start.month}月{start.day}日\u00a0{start:%H:%M}" in body
    assert "北京时间" in body
    assert body.count('data-testid="entry-card"') == 3
    assert all(e.name in body for e in entries) and "待审核选手" not in body


def test_campaign_page_thumbnails_are_lazy_with_dimensions(client, campaign):
    entry = EntryFactory(campaign=campaign, photo="entries/a.jpg")
    body = text(client.get(f"/c/{campaign.slug}/"))
    img = re.search(r'<img src="/media/entries/a.jpg"[^>]*>', body).group(0)
    assert 'loading="lazy"' in img and 'width="360"' in img and 'height="480"' in img
    assert entry.name in body


def test_daily_topic_page_shows_the_current_round(client):
    now = timezone.now()
    campaign = CampaignFactory(kind=Campaign.Kind.DAILY_TOPIC, with_round=False)
    Round.objects.create(
        campaign=campaign,
        number=1,
        topic="最佳跑者",
        voting_starts_at=now - timedelta(days=1, hours=1),
        voting_ends_at=now - timedelta(hours=1),
    )
    today = Round.objects.create(
        campaign=campaign,
        number=2,
        topic="夜跑最快",
        voting_starts_at=now - timedelta(hours=1),
        voting_ends_at=now + timedelta(hours=23),
    )
    EntryFactory(campaign=campaign, round=today, name="今天的选手")
    EntryFactory(campaign=campaign, round=campaign.rounds.get(number=1), name="昨天的选手")
    body = text(client.get(f"/c/{campaign.slug}/"))
    assert "今日话题：<strong>夜跑最快</strong>" in body
    assert "今天的选手" in body and "昨天的选手" not in body
    body = text(client.get(f"/c/{campaign.slug}/?round=1"))
    assert "话题：<strong>最佳跑者</strong>" in body and "昨天的选手" in body


def test_entry_page_shows_photo_name_caption_votes_and_button(client, entry):
    entry.caption = "每天 5 公里"
    entry.photo = "entries/b.jpg"
    entry.save()
    leaderboard_refresh_campaign(campaign_id=entry.campaign_id)
    response = client.get(entry_url(entry))
    body = text(response)
    assert response.status_code == 200
    assert f'<h1 data-testid="entry-name">{entry.name}</h1>' in body
    assert 'data-testid="entry-photo" src="/media/entries/b.jpg"' in body
    assert "每天 5 公里" in body
    assert '<strong data-testid="vote-count">0</strong> 票' in body
    assert (
        'data-testid="vote-button"' in body and "disabled" not in body.split("vote-button")[1][:5]
    )
    assert f"/s/{entry.share_code}" in body  # the share link
    assert f"/api/v1/campaigns/{entry.campaign.slug}/entries/{entry.pk}/poster/" in body


def test_pages_carry_share_card_tags(client, entry):
    entry.photo = "entries/c.jpg"
    entry.save()
    body = text(client.get(entry_url(entry)))
    assert f'<meta property="og:title" content="为{entry.name}投票' in body
    assert '<meta property="og:image" content="http://testserver/media/entries/c.jpg">' in body
    assert '<meta property="og:description"' in body and "<title>" in body


def test_every_asset_is_served_by_the_site(client, entry):
    body = text(client.get(entry_url(entry)))
    for url in re.findall(r'(?:src|href)="([^"]+)"', body):
        assert url.startswith(("/", "#", "?", "data:")) or url.startswith("http://127.0.0.1"), url


def test_leaderboard_page_lists_the_standing(client, entry):
    other = EntryFactory(campaign=entry.campaign, name="第二名")
    leaderboard_refresh_campaign(campaign_id=entry.campaign_id)
    body = text(client.get(f"/c/{entry.campaign.slug}/leaderboard/"))
    assert body.count('data-testid="leaderboard-row"') == 2
    assert entry.name in body and other.name in body and "北京时间" in body


def test_page_views_are_visits_like_the_api_reads(client, entry):
    client.get(f"/c/{entry.campaign.slug}/")
    vid = client.cookies["vid"].value
    client.get(entry_url(entry))
    client.get(f"/c/{entry.campaign.slug}/leaderboard/")
    visits_flush()
    visits = list(Visit.objects.order_by("id").values_list("visitor_id", "kind", "entry_id"))
    assert visits == [(vid, "visit", None), (vid, "visit", entry.pk)]  # one per target


def test_share_link_leads_to_the_entry_page_keeping_the_ref(client, entry):
    response = client.get(f"/s/{entry.share_code}")
    assert response.status_code == 302
    assert response["Location"] == f"{entry_url(entry)}?ref={entry.share_code}"
    page = client.get(response["Location"])
    assert page.status_code == 200 and entry.name in text(page)
    assert client.cookies["ref"].value == entry.share_code
    visits_flush()
    assert Visit.objects.filter(kind="share_click", entry=entry).count() == 1


@pytest.mark.parametrize(
    "url",
    ["/c/no-such-campaign/", "/c/no-such-campaign/leaderboard/", "/c/bad%00slug/", "/nowhere/"],
)
def test_unknown_links_get_the_friendly_page_in_chinese(client, url):
    response = client.get(url)
    assert response.status_code == 404
    body = text(response)
    assert "页面不存在" in body and "看看进行中的活动" in body
    assert "Django" not in body and "Page not found" not in body


def test_unknown_entry_and_entry_of_another_campaign_are_not_found(client, entry):
    other = EntryFactory()
    assert client.get(f"/c/{entry.campaign.slug}/e/999999/").status_code == 404
    response = client.get(f"/c/{entry.campaign.slug}/e/{other.pk}/")
    assert response.status_code == 404 and "页面不存在" in text(response)
    pending = EntryFactory(campaign=entry.campaign, status="pending")
    assert client.get(entry_url(pending)).status_code == 404


def test_unknown_share_code_is_a_page_for_browsers_and_json_for_the_api(client, api):
    browser = client.get("/s/NOSUCH", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert browser.status_code == 404 and "页面不存在" in text(browser)
    response = api.get("/s/NOSUCH")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_the_api_keeps_its_json_404(client):
    response = client.get("/api/v1/nowhere/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_closed_campaign_pages_say_so_and_disable_the_vote(client, entry):
    Campaign.objects.filter(pk=entry.campaign_id).update(status=Campaign.Status.CLOSED)
    body = text(client.get(f"/c/{entry.campaign.slug}/"))
    assert "本活动已结束" in body and "投票已结束" in body
    body = text(client.get(entry_url(entry)))
    button = re.search(r'<button[^>]*data-testid="vote-button"[^>]*>', body).group(0)
    assert "disabled" in button and "投票已结束" in body


def test_draft_campaign_is_not_public(client, entry):
    Campaign.objects.filter(pk=entry.campaign_id).update(status=Campaign.Status.DRAFT)
    assert client.get(f"/c/{entry.campaign.slug}/").status_code == 404
    assert client.get(entry_url(entry)).status_code == 404


def test_pages_speak_english_when_asked(client, entry):
    body = text(client.get(entry_url(entry), HTTP_ACCEPT_LANGUAGE="en"))
    assert ">Vote\n" in body or ">Vote<" in body.replace("\n", "").replace("  ", "")
    assert "Ask friends to vote" in body


def test_admin_view_site_link_leads_to_the_site(admin_client):
    response = admin_client.get("/admin/")
    assert 'href="/"' in text(response)
    assert admin_client.get("/").status_code == 200
