"""The admin's index as the managers' home (home/admin.py, home/selectors.py)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, ImportJob
from home import selectors
from home.admin import attention_items
from reports.models import Report
from tests.factories import (
    CampaignFactory,
    EntryFactory,
    PilotFactory,
    PrizeFactory,
    UserFactory,
    VoteFactory,
)
from voting.models import Entry, FraudFlag, LeaderboardSnapshot, PrizeAward

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def items_by_key(user) -> dict:
    return {item.key: item for item in attention_items(user)}


def flag(campaign, severity, status=FraudFlag.Status.OPEN, key=None):
    return FraudFlag.objects.create(
        campaign=campaign,
        kind=FraudFlag.Kind.DEVICE_CLUSTER,
        key=key or f"device:{severity}:{status}:{FraudFlag.objects.count()}",
        severity=severity,
        status=status,
    )


def award(entry, state):
    prize = PrizeFactory(campaign=entry.campaign)
    standing = LeaderboardSnapshot.objects.create(
        campaign=entry.campaign,
        round=entry.round,
        computed_at=timezone.now(),
        total_votes=0,
        is_final=True,
        standings=[],
        revision=LeaderboardSnapshot.objects.filter(round=entry.round).count() + 1,
    )
    return PrizeAward.objects.create(
        campaign=entry.campaign,
        round=entry.round,
        entry=entry,
        prize=prize,
        standing=standing,
        rank=1,
        unit_cost=prize.unit_cost,
        awarded_at=timezone.now(),
        contacted_at=timezone.now() if state != PrizeAward.State.AWARDED else None,
        handed_out_at=timezone.now() if state == PrizeAward.State.HANDED_OUT else None,
        state=state,
    )


def import_job(school, status, created_at=None):
    job = ImportJob.objects.create(
        kind="ambassadors", school=school, file_name="a.xlsx", status=status
    )
    if created_at:
        ImportJob.objects.filter(pk=job.pk).update(created_at=created_at)
    return job


@pytest.fixture
def world(school_a, school_b):
    """Two schools, each with a running campaign; things waiting in both."""
    a = CampaignFactory(pilot=PilotFactory(school=school_a), title="复旦最美跑者")
    b = CampaignFactory(pilot=PilotFactory(school=school_b), title="同济夜跑")
    CampaignFactory(pilot=a.pilot, status=Campaign.Status.CLOSED, title="已结束")
    EntryFactory.create_batch(2, campaign=a, status=Entry.Status.PENDING)
    EntryFactory(campaign=b, status=Entry.Status.PENDING)
    EntryFactory(campaign=a, status=Entry.Status.APPROVED)
    flag(a, FraudFlag.Severity.HIGH)
    flag(b, FraudFlag.Severity.HIGH)
    flag(b, FraudFlag.Severity.LOW)
    flag(a, FraudFlag.Severity.HIGH, status=FraudFlag.Status.DISMISSED)
    award(EntryFactory(campaign=a), PrizeAward.State.AWARDED)
    award(EntryFactory(campaign=b), PrizeAward.State.CONTACTED)
    award(EntryFactory(campaign=b), PrizeAward.State.HANDED_OUT)
    Report.objects.create(campaign=a, status=Report.Status.DONE, generated_at=timezone.now())
    Report.objects.create(campaign=b, status=Report.Status.FAILED)
    old = Report.objects.create(campaign=b, status=Report.Status.DONE)
    Report.objects.filter(pk=old.pk).update(generated_at=timezone.now() - dt.timedelta(days=30))
    Report.objects.create(pilot=b.pilot, status=Report.Status.RUNNING)
    import_job(school_a, ImportJob.Status.WRITING)
    import_job(school_b, ImportJob.Status.FAILED)
    import_job(school_b, ImportJob.Status.FAILED, created_at=timezone.now() - dt.timedelta(days=30))
    import_job(school_a, ImportJob.Status.PREVIEWED)
    return a, b


# --- Counts ------------------------------------------------------------------------------


def test_staff_counts_every_school(world, ops_user):
    items = items_by_key(ops_user)
    assert items["campaigns-running"].count == 2
    assert items["entries-pending"].count == 3
    assert items["fraud-open"].count == 3
    assert [link.count for link in items["fraud-open"].links] == [2, 0, 1]
    assert items["reports-ready"].count == 1  # the 30-day-old one is not news
    assert [link.count for link in items["reports-ready"].links] == [1]  # being computed
    assert items["reports-failed"].count == 1
    assert items["imports-running"].count == 1
    assert [link.count for link in items["imports-running"].links] == [1]  # to confirm
    assert items["imports-failed"].count == 1
    assert items["prizes-waiting"].count == 2


def test_an_intern_counts_only_their_school_and_no_fraud_or_prizes(world, ambassador_user):
    items = items_by_key(ambassador_user)
    assert set(items) == {
        "campaigns-running",
        "entries-pending",
        "reports-ready",
        "reports-failed",
        "imports-running",
        "imports-failed",
    }
    assert items["campaigns-running"].count == 1
    assert [link.label for link in items["campaigns-running"].links] == ["复旦最美跑者"]
    assert items["entries-pending"].count == 2
    assert items["reports-ready"].count == 1
    assert items["reports-ready"].links == []  # school B's running pilot report
    assert items["reports-failed"].count == 0
    assert items["imports-running"].count == 1
    assert items["imports-failed"].count == 0


def test_a_login_of_no_role_sees_no_counts(world):
    nobody = UserFactory(username="nobody")
    assert attention_items(nobody) == []
    # An intern whose ambassador row was deactivated has no school any more.
    intern = UserFactory(username="left", role="ambassador")
    assert attention_items(intern) == []


def test_votes_today_count_the_shanghai_day(world):
    a, _b = world
    entry = EntryFactory(campaign=a)
    today = timezone.localdate()
    midnight = dt.datetime.combine(today, dt.time(0, 0), tzinfo=SHANGHAI)
    # 23:30 yesterday in Shanghai (15:30 UTC, the same UTC date as the next one).
    VoteFactory(entry=entry, cast_at=midnight - dt.timedelta(minutes=30))
    VoteFactory(entry=entry, cast_at=midnight + dt.timedelta(minutes=30))
    VoteFactory(
        entry=entry,
        cast_at=midnight + dt.timedelta(minutes=40),
        status="invalidated",
        invalidated_at=timezone.now(),
        invalidated_reason="test",
    )
    total, listed = selectors.campaigns_running(school_id=a.pilot.school_id, today=today)
    assert total == 1
    assert [(c.title, c.votes_today) for c in listed] == [("复旦最美跑者", 1)]


def test_many_running_campaigns_are_counted_but_listed_up_to_a_bound(school_a):
    pilot = PilotFactory(school=school_a)
    CampaignFactory.create_batch(selectors.RUNNING_LISTED + 3, pilot=pilot)
    total, listed = selectors.campaigns_running(school_id=None)
    assert total == selectors.RUNNING_LISTED + 3
    assert len(listed) == selectors.RUNNING_LISTED


def test_the_counts_are_a_few_queries_whatever_the_rows(
    world, ops_user, django_assert_max_num_queries
):
    a, b = world
    for campaign in (a, b):
        for _ in range(5):
            VoteFactory(entry=EntryFactory(campaign=campaign))
    attention_items(ops_user)  # warm the user's role caches
    with django_assert_max_num_queries(7):
        attention_items(ops_user)


def test_the_home_page_is_a_bounded_number_of_queries(
    world, ops_client, django_assert_max_num_queries
):
    ops_client.get("/admin/")
    with django_assert_max_num_queries(16):
        response = ops_client.get("/admin/")
    assert response.status_code == 200


# --- The page ---------------------------------------------------------------------------


def test_each_attention_item_links_to_the_filtered_list(world, ops_client):
    zh(ops_client)
    expected = {
        "campaigns-running": 2,
        "entries-pending": 3,
        "fraud-open": 3,
        "reports-ready": 1,
        "reports-failed": 1,
        "imports-running": 1,
        "imports-failed": 1,
        "prizes-waiting": 2,
    }
    user = ops_client.get("/admin/").wsgi_request.user
    for item in attention_items(user):
        response = ops_client.get(item.url)
        assert response.status_code == 200, item.url
        assert response.context["cl"].result_count == expected[item.key], item.key
        for link in item.links:
            response = ops_client.get(link.url)
            assert response.status_code == 200, link.url
            if item.key == "campaigns-running":  # each campaign's own page
                assert response.context["original"].title in link.label
            else:
                assert response.context["cl"].result_count == link.count, link.url


def test_an_interns_links_open_their_schools_lists(world, ambassador_client, ambassador_user):
    for item in attention_items(ambassador_user):
        response = ambassador_client.get(item.url)
        assert response.status_code == 200, item.url
        assert response.context["cl"].result_count == item.count, item.key


def test_home_page_shows_counts_with_links_in_chinese(world, ops_client):
    html = zh(ops_client).get("/admin/").content.decode()
    assert 'data-testid="attention-entries-pending"' in html
    assert "待审核的作品" in html
    assert reverse("admin:voting_entry_changelist") + "?status__exact=pending" in html
    assert "复旦最美跑者" in html
    assert "今日 0 票" in html


def test_staff_see_business_apps_first_and_no_system_apps(ops_client):
    response = zh(ops_client).get("/admin/")
    labels = [app["app_label"] for app in response.context["app_list"]]
    assert labels == ["campaigns", "voting", "ambassadors", "reports"]
    html = response.content.decode()
    assert "django_celery" not in html
    assert 'id="home-system"' not in html
    # Nor in the navigation sidebar of other pages.
    other = ops_client.get(reverse("admin:campaigns_school_changelist"))
    assert "django_celery_beat" not in other.content.decode()


def test_superusers_see_system_apps_last_under_their_heading(client):
    root = UserFactory(username="root", is_superuser=True)
    client.force_login(root)
    response = zh(client).get("/admin/")
    labels = [app["app_label"] for app in response.context["app_list"]]
    assert labels[:4] == ["campaigns", "voting", "ambassadors", "reports"]
    assert {"django_celery_beat", "django_celery_results", "auth"} <= set(labels[4:])
    html = response.content.decode()
    assert html.index('id="home-system"') < html.index("/admin/django_celery_beat/")
    assert html.index("/admin/voting/") < html.index('id="home-system"')


def test_app_and_model_names_differ_in_chinese(ops_client):
    response = zh(ops_client).get("/admin/")
    for app in response.context["app_list"]:
        names = {str(model["name"]) for model in app["models"]}
        assert str(app["name"]) not in names, app["name"]
    html = response.content.decode()
    assert "活动管理" in html


def test_an_intern_sees_their_apps_and_no_system_section(world, ambassador_client):
    response = zh(ambassador_client).get("/admin/")
    assert response.status_code == 200
    labels = [app["app_label"] for app in response.context["app_list"]]
    assert "django_celery_beat" not in labels
    html = response.content.decode()
    assert "attention-fraud-open" not in html
    assert "同济夜跑" not in html


def test_view_site_leads_to_the_student_sites_home(ops_client):
    html = ops_client.get("/admin/").content.decode()
    href = re.search(r'<a href="([^"]+)">[^<]*(?:View site|查看站点)', html)
    assert href, "the View site link"
    assert ops_client.get(href.group(1)).status_code == 200


def test_anonymous_is_sent_to_the_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
