"""Voting on the site: the API's one vote path, every refusal a sentence in Chinese,
the vote tapped before sign-in cast after it, and the same limits seen through the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from core import sms
from tests.factories import EntryFactory, SchoolFactory
from tests.voting.fixtures_api import bearer
from tests.web.helpers import entry_url, vote_url
from voting.models import Vote, Voter
from voting.services.leaderboards import leaderboard_refresh_campaign

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def vote(client, entry, **extra):
    return client.post(vote_url(entry), **extra)


def test_a_vote_lands_and_the_page_says_so(student, voter, entry):
    response = vote(student, entry)
    assert response.status_code == 302 and response["Location"] == entry_url(entry) + "#vote"
    assert Vote.objects.filter(voter=voter, entry=entry, status="valid").count() == 1
    body = student.get(entry_url(entry)).content.decode()
    assert "投票成功" in body
    assert '<strong data-testid="remaining-today">2</strong>' in body
    # The snapshot has not caught up; the voter sees their vote counted all the same.
    assert '<strong data-testid="vote-count">1</strong>' in body
    body = student.get(entry_url(entry)).content.decode()
    assert "投票成功" not in body  # shown once


def test_the_vote_records_the_request_like_the_api(student, voter, entry):
    student.get(entry_url(entry))  # the visitor cookie, the site's device id
    vote(student, entry, HTTP_USER_AGENT="MicroMessenger/8.0.47")
    stored = Vote.objects.get()
    assert stored.user_agent == "MicroMessenger/8.0.47" and stored.ip == "127.0.0.1"
    assert stored.device_id == student.cookies["vid"].value


def test_the_script_gets_json(student, entry):
    response = vote(student, entry, **JSON)
    assert response.status_code == 201
    body = response.json()
    assert body["ok"] is True and body["remaining_today"] == 2 and body["message"]


def test_second_vote_for_the_entry_is_refused_in_chinese(student, entry):
    vote(student, entry)
    response = vote(student, entry, **JSON)
    assert response.status_code == 409
    body = response.json()
    assert body["ok"] is False and body["code"] == "entry_limit_reached"
    assert body["message"].startswith("你今天给该作品的票数已用完。")
    assert "\u00a000:00（北京时间）起可以再投。" in body["message"]
    assert Vote.objects.count() == 1


def test_daily_limit_says_when_votes_come_back(student, campaign):
    entries = [EntryFactory(campaign=campaign) for _ in range(4)]
    for entry in entries[:3]:
        assert vote(student, entry, **JSON).status_code == 201
    body = vote(student, entries[3], **JSON).json()
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert body["code"] == "daily_limit_reached"
    back = f"{tomorrow.month}月{tomorrow.day}日\u00a000:00（北京时间）起可以再投。"
    assert body["message"] == "你今天在本活动的票数已用完。" + back


def test_plain_form_refusal_is_shown_on_the_page(student, entry):
    vote(student, entry)
    vote(student, entry)
    body = student.get(entry_url(entry)).content.decode()
    assert 'class="msg error"' in body and "你今天给该作品的票数已用完。" in body


def test_closed_campaign_refuses(student, entry):
    Campaign.objects.filter(pk=entry.campaign_id).update(
        voting_ends_at=timezone.now() - timedelta(minutes=1)
    )
    body = vote(student, entry, **JSON).json()
    assert body["code"] == "campaign_closed" and body["message"] == "本活动当前未开放投票。"


def test_not_eligible_refuses(student, entry):
    Campaign.objects.filter(pk=entry.campaign_id).update(school_voters_only=True)
    response = vote(student, entry, **JSON)
    assert response.status_code == 403
    assert response.json()["message"] == "仅限本校学生参与投票。"


def test_vote_burst_is_throttled(student, entry, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "vote_voter": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    vote(student, entry, **JSON)
    response = vote(student, EntryFactory(campaign=entry.campaign), **JSON)
    assert response.status_code == 429 and "操作太频繁了" in response.json()["message"]


def test_unknown_entry_vote_is_the_friendly_404(student, entry):
    response = student.post(f"/c/{entry.campaign.slug}/e/999999/vote/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_vote_before_sign_in_is_cast_after_it(client, entry):
    client.get(f"{entry_url(entry)}?ref={entry.share_code}")
    response = vote(client, entry)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert f"ref={entry.share_code}" in response["Location"]
    login = client.get(response["Location"]).content.decode()
    assert f'value="{entry_url(entry)}"' in login
    client.post("/login/", {"phone": "13912345678", "action": "send"})
    response = client.post(
        "/login/",
        {
            "phone": "13912345678",
            "code": sms.outbox[-1].code,
            "action": "verify",
            "next": entry_url(entry),
        },
    )
    assert response["Location"] == entry_url(entry) + "#vote"
    voter = Voter.objects.get()
    assert voter.channel == "share" and voter.attributed_entry == entry
    assert Vote.objects.filter(voter=voter, entry=entry).count() == 1
    body = client.get(entry_url(entry)).content.decode()
    assert "投票成功" in body and 'data-testid="remaining-today">2<' in body


def test_the_script_is_sent_to_sign_in(client, entry):
    response = vote(client, entry, **JSON)
    assert response.status_code == 401 and response.json()["login_url"].startswith("/login/")


def test_one_vote_path_site_then_api(student, voter, campaign, api):
    """The limits are the service's: what the site spent, the API sees spent."""
    first, second, third, fourth = (EntryFactory(campaign=campaign) for _ in range(4))
    vote(student, first)
    url = f"/api/v1/campaigns/{campaign.slug}/entries/{first.pk}/votes/"
    response = api.post(url, **bearer(voter))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "entry_limit_reached"
    vote(student, second)
    url = f"/api/v1/campaigns/{campaign.slug}/entries/{third.pk}/votes/"
    assert api.post(url, **bearer(voter)).json()["remaining_today"] == 0
    body = vote(student, fourth, **JSON).json()
    assert body["code"] == "daily_limit_reached"
    url = f"/api/v1/campaigns/{campaign.slug}/entries/{fourth.pk}/votes/"
    assert api.post(url, **bearer(voter)).json()["error"]["code"] == "daily_limit_reached"
    assert Vote.objects.filter(voter=voter).count() == 3


def test_counts_are_live_before_a_snapshot_and_never_count_twice(client, student, entry):
    vote(student, entry)
    other = client.__class__()
    assert (
        '<strong data-testid="vote-count">1</strong>'
        in other.get(entry_url(entry)).content.decode()
    )
    leaderboard_refresh_campaign(campaign_id=entry.campaign_id)
    body = student.get(entry_url(entry)).content.decode()
    assert '<strong data-testid="vote-count">1</strong>' in body  # not counted twice


def test_my_votes_lists_them(student, entry):
    vote(student, entry)
    body = student.get("/me/votes/").content.decode()
    assert entry.name in body and entry.campaign.title in body


def test_school_of_voter_matters_not_for_open_campaigns(student, voter, entry):
    Voter.objects.filter(pk=voter.pk).update(school=SchoolFactory())
    assert vote(student, entry, **JSON).status_code == 201
