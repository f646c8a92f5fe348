"""An operations manager sets up a campaign and copies a pilot, on a 1366×768 laptop in
zh-hans: a Chinese title with a blank slug (made in pinyin), a warning for a gap between
entries and voting, prize rounds of the campaign's own, lists that fit the window, and a
pilot copied with its campaigns renamed for the new school.

Each step is a function taking the logged-in page, to compose into longer journeys.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, Pilot
from tests.browser.conftest import (
    LAPTOP_VIEWPORT,
    assert_fits_width,
    log_in,
    run_action,
    success_message,
)
from tests.factories import (
    CampaignFactory,
    PilotFactory,
    PrizeFactory,
    RoundFactory,
    SchoolFactory,
    UserFactory,
)

LONG_TITLE = "北京大学2026春季校园最美跑者评选暨夜跑打卡挑战赛（第一季）"


@pytest.fixture
def viewport():
    return LAPTOP_VIEWPORT


@pytest.fixture
def ops_login(db):
    return UserFactory(username="ops-campaign-form", role="staff")


@pytest.fixture
def pku_pilot(db):
    school = SchoolFactory(name="北京大学", slug="pku")
    pilot = PilotFactory(school=school, name="北京大学跑步推广试点")
    contest = CampaignFactory(pilot=pilot, slug="pku-runner", title=LONG_TITLE)
    daily = CampaignFactory(
        pilot=pilot, slug="pku-daily", title="北京大学每日话题", kind=Campaign.Kind.DAILY_TOPIC
    )
    for number, topic in [(2, "最美腹肌"), (3, "最快夜跑")]:
        RoundFactory(campaign=daily, number=number, topic=topic)
    PrizeFactory(campaign=contest, name="运动耳机（限量联名款）")
    PrizeFactory(campaign=daily, round=daily.rounds.get(number=2), name="运动水杯")
    for n in range(6):  # a list long enough to show the layout
        CampaignFactory(pilot=pilot, slug=f"pku-extra-{n}", title=f"{LONG_TITLE} {n}")
    return pilot


def local_day(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def fill_window(page, field: str, day: str, time: str) -> None:
    page.fill(f"#id_{field}_0", day)
    page.fill(f"#id_{field}_1", time)


def create_campaign_with_chinese_title(page, step, *, pilot: Pilot, title: str) -> None:
    """The add page: no slug typed, no reason asked, entries closing two days before
    voting opens; saved with a warning."""
    with step("30-campaign-add-form"):
        page.goto("/admin/campaigns/campaign/add/")
        expect(page.locator("#id_change_reason")).to_have_count(0)
        expect(page.locator(".field-slug .help")).to_contain_text("拼音")
        expect(page.locator(".field-school_voters_only .help")).to_contain_text("无投票资格")
        page.select_option("#id_pilot", label=str(pilot))
        page.fill("#id_title", title)
        fill_window(page, "submission_starts_at", local_day(1), "09:00:00")
        fill_window(page, "submission_ends_at", local_day(5), "22:00:00")
        fill_window(page, "voting_starts_at", local_day(7), "22:00:00")
        fill_window(page, "voting_ends_at", local_day(14), "22:00:00")
        assert_fits_width(page)

    with step("31-campaign-saved-with-warning"):
        page.locator("input[name=_save]").click()
        expect(success_message(page)).to_be_visible()
        expect(page.locator("ul.messagelist li.warning")).to_contain_text("才开始投票")
        expect(page.locator("ul.messagelist li.error")).to_have_count(0)
        assert_fits_width(page)


def prize_rounds_are_the_campaigns_own(page, step, *, campaign: Campaign) -> None:
    with step("32-campaign-prize-rounds"):
        page.goto(f"/admin/campaigns/campaign/{campaign.pk}/change/")
        page.locator("#prizes-group .add-row a").click()
        added = page.locator("#prizes-group tr.dynamic-prizes").last
        options = added.locator("select[name$='-round'] option")
        expect(options).to_have_count(campaign.rounds.count() + 1)  # and "---------"
        expect(options.nth(2)).to_have_text("最美腹肌")
        assert_fits_width(page)


def lists_fit_the_laptop(page, step) -> None:
    with step("33-campaign-list-fits"):
        page.goto("/admin/campaigns/campaign/")
        first = page.locator(f'#result_list tbody tr th span[title="{LONG_TITLE}"]')
        shown = first.inner_text()
        assert shown.startswith(LONG_TITLE[:12]) and len(shown) < len(LONG_TITLE), shown
        # A title cut short on at most two lines, never one character per line.
        lines = first.evaluate(
            "el => el.getBoundingClientRect().height"
            " / parseFloat(getComputedStyle(el.parentElement).lineHeight)"
        )
        assert lines <= 2.1, lines
        assert_fits_width(page)
    with step("34-round-list-fits"):
        page.goto("/admin/campaigns/round/")
        expect(page.locator("#result_list tbody tr").first).to_be_visible()
        assert_fits_width(page)
    with step("35-prize-list-fits"):
        page.goto("/admin/campaigns/prize/")
        expect(page.locator("#result_list")).to_contain_text("所有轮次")
        assert_fits_width(page)


def campaign_list_fits_in_english(page, step) -> None:
    """English headers and labels are longer: the list must still fit."""
    with step("39-campaign-list-fits-english"):
        page.goto("/admin/campaigns/campaign/")
        page.select_option("#language-switch select", "en")
        expect(page.locator("#result_list thead")).to_contain_text("Votes a day (per entry)")
        assert_fits_width(page)
    page.select_option("#language-switch select", "zh-hans")
    expect(page.locator("#result_list thead")).to_contain_text("每天票数")


def replicate_with_new_titles(page, step, *, pilot: Pilot, school_name: str) -> None:
    """The copy asks each campaign's title for the new school, prefilled."""
    with step("36-pilot-replicate-form"):
        page.goto("/admin/campaigns/pilot/")
        run_action(page, "replicate", pilot.name)
        expect(page.locator("label[for=id_name]")).to_have_text("试点名称:")
        page.select_option("#id_school", label=school_name)
        page.fill("#id_starts_on", local_day(60))
        assert_fits_width(page)

    with step("37-pilot-replicate-titles"):
        page.locator("#replicate-form input[type=submit]").click()
        expect(page.locator("#replicate-titles")).to_contain_text(LONG_TITLE)
        titles = page.locator("#replicate-titles input[type=text]")
        expect(titles.first).to_have_value(LONG_TITLE.replace("北京大学", school_name))
        expect(page.locator("#id_name")).to_have_value(f"{school_name}跑步推广试点")
        page.locator("#replicate-titles tr", has_text="北京大学每日话题").locator("input").fill(
            "浙大每日跑步话题"
        )
        assert_fits_width(page)

    with step("38-pilot-replicated"):
        page.locator("#replicate-form input[type=submit]").click()
        expect(success_message(page)).to_contain_text(f"{school_name}跑步推广试点")
        expect(page.locator("ul.messagelist li.warning")).to_have_count(0)


@pytest.mark.django_db(transaction=True)
def test_manager_sets_up_a_campaign_and_copies_the_pilot(page, step, ops_login, pku_pilot):
    SchoolFactory(name="浙江大学", slug="zju")
    log_in(page, ops_login.username)

    create_campaign_with_chinese_title(page, step, pilot=pku_pilot, title="北京大学最美夜跑")
    created = Campaign.objects.get(title="北京大学最美夜跑")
    assert created.slug == "bei-jing-da-xue-zui-mei-ye-pao"
    assert created.status == Campaign.Status.DRAFT

    prize_rounds_are_the_campaigns_own(
        page, step, campaign=pku_pilot.campaigns.get(slug="pku-daily")
    )
    lists_fit_the_laptop(page, step)

    replicate_with_new_titles(page, step, pilot=pku_pilot, school_name="浙江大学")
    copy = Pilot.objects.get(school__slug="zju")
    titles = set(copy.campaigns.values_list("title", flat=True))
    assert LONG_TITLE.replace("北京大学", "浙江大学") in titles
    assert "浙大每日跑步话题" in titles and "北京大学最美夜跑" not in titles
    assert "浙江大学最美夜跑" in titles

    campaign_list_fits_in_english(page, step)
