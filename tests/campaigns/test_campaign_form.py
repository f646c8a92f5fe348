"""The campaign form in admin: a slug made from the title, what each rule means, the
reason asked only once voting has opened, prize rounds of the campaign's own, warnings
for odd windows, and errors that name fields by their labels.

Before: the slug was required and the admin's script dropped Chinese titles; a new
campaign asked for a "reason for changing frozen rules"; a prize could be given any
campaign's round; a gap between entries and voting passed silently; a frozen change was
refused naming ``votes_per_day``.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import WARNING
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import override

from campaigns.forms import CAMPAIGN_HELP, PRIZE_HELP, ROUND_HELP
from campaigns.models import Campaign, Prize
from tests.factories import CampaignFactory, PilotFactory, PrizeFactory, RoundFactory
from tests.helpers import page_says
from tests.test_constraints import campaign_form_data

pytestmark = pytest.mark.django_db

ADD_URL = "admin:campaigns_campaign_add"


def change_url(campaign: Campaign) -> str:
    return reverse("admin:campaigns_campaign_change", args=[campaign.pk])


def new_campaign_data(**overrides) -> dict:
    """A new campaign, voting next week, as the add form posts it."""
    now = timezone.now()
    campaign = CampaignFactory.build(
        pilot=PilotFactory(),
        slug="",
        title="最美跑者",
        status=Campaign.Status.DRAFT,
        submission_starts_at=now + timedelta(days=1),
        submission_ends_at=now + timedelta(days=8),
        voting_starts_at=now + timedelta(days=8),
        voting_ends_at=now + timedelta(days=15),
    )
    return campaign_form_data(campaign, **overrides)


def local(value) -> dict:
    value = timezone.localtime(value)
    return {"day": value.strftime("%Y-%m-%d"), "time": value.strftime("%H:%M:%S")}


def window(name: str, value) -> dict:
    parts = local(value)
    return {f"{name}_0": parts["day"], f"{name}_1": parts["time"]}


def warnings_of(response) -> list[str]:
    # Django's durations ("2 days") hold a no-break space.
    return [str(m).replace("\xa0", " ") for m in response.context["messages"] if m.level == WARNING]


# --- The slug ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("最美跑者", "zui-mei-pao-zhe"),
        ("重庆大学 Best Runner 2026", "chong-qing-da-xue-best-runner-2026"),
        ("Night Run", "night-run"),
    ],
)
def test_a_blank_slug_is_made_from_the_title(ops_client, title, slug):
    response = ops_client.post(reverse(ADD_URL), new_campaign_data(title=title))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Campaign.objects.get(title=title).slug == slug


def test_a_taken_slug_gets_a_suffix(ops_client):
    CampaignFactory(slug="zui-mei-pao-zhe")
    CampaignFactory(slug="zui-mei-pao-zhe-2")
    assert ops_client.post(reverse(ADD_URL), new_campaign_data()).status_code == 302
    assert Campaign.objects.filter(slug="zui-mei-pao-zhe-3").count() == 1


@pytest.mark.parametrize("title", ["🏃🏃‍♀️🎉", "——！？", "\u200b\u202e…"])
def test_a_title_with_nothing_to_spell_gets_a_short_code(ops_client, title):
    response = ops_client.post(reverse(ADD_URL), new_campaign_data(title=title))
    assert response.status_code == 302
    assert re.fullmatch(r"campaign-[2-9a-z]{6}", Campaign.objects.get().slug)


def test_a_typed_slug_is_kept_and_a_taken_one_refused(ops_client):
    data = new_campaign_data(slug="night-run-2026")
    assert ops_client.post(reverse(ADD_URL), data).status_code == 302
    assert Campaign.objects.get().slug == "night-run-2026"
    again = ops_client.post(reverse(ADD_URL), data)
    assert again.status_code == 200 and "slug" in again.context["adminform"].form.errors
    assert Campaign.objects.count() == 1


@pytest.mark.parametrize("slug", ["最美", "a b", "x" * 81, "<b>"])
def test_a_bad_typed_slug_is_refused(ops_client, slug):
    response = ops_client.post(reverse(ADD_URL), new_campaign_data(slug=slug))
    assert response.status_code == 200 and "slug" in response.context["adminform"].form.errors
    assert not Campaign.objects.exists()


def test_no_title_no_slug_names_only_the_title(ops_client):
    response = ops_client.post(reverse(ADD_URL), new_campaign_data(title=""))
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"title"} and not Campaign.objects.exists()


def test_clearing_the_slug_of_a_campaign_keeps_its_address(ops_client):
    campaign = CampaignFactory(slug="shared-link", title="新标题")
    response = ops_client.post(change_url(campaign), campaign_form_data(campaign, slug=""))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.slug == "shared-link"


# --- What each rule means ---------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_rule_field_is_explained(ops_client, language):
    campaign = CampaignFactory(voting_starts_at=timezone.now() + timedelta(days=1))
    PrizeFactory(campaign=campaign)
    response = ops_client.get(change_url(campaign), HTTP_ACCEPT_LANGUAGE=language)
    page = response.content.decode()
    with override(language):
        for help_text in [*CAMPAIGN_HELP.values(), *ROUND_HELP.values(), *PRIZE_HELP.values()]:
            # Stacked fields show it under the field (as is: admin marks help texts safe);
            # the inlines' column headers as an (escaped) title.
            text = str(help_text)
            assert text in page or escape(text) in page, text
    assert response.headers["Content-Language"] == language


def test_the_add_page_explains_the_slug_in_chinese(ops_client):
    response = ops_client.get(reverse(ADD_URL))
    assert page_says(response, str(CAMPAIGN_HELP["slug"]))
    assert 'name="slug"' in response.content.decode()
    assert 'required id="id_slug"' not in response.content.decode()


# --- The reason for a frozen change -----------------------------------------------------


def test_the_add_page_asks_no_reason(ops_client):
    response = ops_client.get(reverse(ADD_URL))
    assert 'name="change_reason"' not in response.content.decode()


def test_a_campaign_whose_voting_has_not_opened_asks_no_reason(ops_client):
    campaign = CampaignFactory(voting_starts_at=timezone.now() + timedelta(hours=1))
    response = ops_client.get(change_url(campaign))
    assert 'name="change_reason"' not in response.content.decode()
    # A reason posted anyway (an old tab) is ignored, the change saved, nothing audited.
    data = campaign_form_data(campaign, votes_per_day=2, change_reason="旧页面")
    assert ops_client.post(change_url(campaign), data).status_code == 302
    campaign.refresh_from_db()
    assert campaign.votes_per_day == 2


def test_a_campaign_whose_voting_has_opened_asks_the_reason(ops_client):
    campaign = CampaignFactory()  # voting opened 3 days ago
    response = ops_client.get(change_url(campaign))
    assert 'name="change_reason"' in response.content.decode()


# --- Prize rounds -----------------------------------------------------------------------


def prize_inline_data(campaign: Campaign, round_id, **overrides) -> dict:
    data = campaign_form_data(
        campaign,
        **{
            "prizes-TOTAL_FORMS": "1",
            "prizes-0-round": round_id,
            "prizes-0-name": "运动耳机",
            "prizes-0-rank_from": "1",
            "prizes-0-rank_to": "3",
            "prizes-0-unit_cost": "199.00",
            "prizes-0-quantity": "1",
        },
    )
    data.update(overrides)
    return data


@pytest.fixture
def future_campaign():
    campaign = CampaignFactory(voting_starts_at=timezone.now() + timedelta(days=1))
    RoundFactory(campaign=campaign, number=2, topic="最美腹肌")
    return campaign


def test_the_prize_inline_offers_only_the_campaigns_rounds(ops_client, future_campaign):
    foreign = CampaignFactory(title="别的活动").rounds.get()
    response = ops_client.get(change_url(future_campaign))
    form = response.context["inline_admin_formsets"][1].formset.empty_form
    offered = set(form.fields["round"].queryset)
    assert offered == set(future_campaign.rounds.all()) and foreign not in offered
    assert "最美腹肌" in response.content.decode()


def test_a_hand_posted_round_of_another_campaign_is_refused(ops_client, future_campaign):
    foreign = CampaignFactory().rounds.get()
    response = ops_client.post(
        change_url(future_campaign), prize_inline_data(future_campaign, foreign.pk)
    )
    assert response.status_code == 200
    assert page_says(response, "Choose one of this campaign's rounds, or none for every round.")
    assert not Prize.objects.exists()


@pytest.mark.parametrize("round_id", ["", "own"])
def test_a_prize_of_every_round_or_of_an_own_round_is_saved(ops_client, future_campaign, round_id):
    own = future_campaign.rounds.get(number=2)
    value = own.pk if round_id == "own" else ""
    response = ops_client.post(
        change_url(future_campaign), prize_inline_data(future_campaign, value)
    )
    assert response.status_code == 302
    assert Prize.objects.get().round == (own if round_id else None)


def test_a_new_campaign_offers_no_rounds_yet(ops_client):
    response = ops_client.get(reverse(ADD_URL))
    form = response.context["inline_admin_formsets"][1].formset.empty_form
    assert not form.fields["round"].queryset.exists()


def test_the_prize_admin_offers_only_its_campaigns_rounds(ops_client, future_campaign):
    foreign = CampaignFactory().rounds.get()
    prize = PrizeFactory(campaign=future_campaign)
    response = ops_client.get(reverse("admin:campaigns_prize_change", args=[prize.pk]))
    offered = set(response.context["adminform"].form.fields["round"].queryset)
    assert offered == set(future_campaign.rounds.all()) and foreign not in offered

    add = reverse("admin:campaigns_prize_add")
    with_campaign = ops_client.get(f"{add}?campaign={future_campaign.pk}")
    offered = set(with_campaign.context["adminform"].form.fields["round"].queryset)
    assert offered == set(future_campaign.rounds.all())
    without = ops_client.get(add)
    assert not without.context["adminform"].form.fields["round"].queryset.exists()


@pytest.mark.parametrize("campaign_value", ["abc", "-1", "99999", ""])
def test_the_prize_admin_refuses_rounds_with_a_tampered_campaign(ops_client, campaign_value):
    own_round = CampaignFactory(voting_starts_at=timezone.now() + timedelta(days=1)).rounds.get()
    data = {
        "campaign": campaign_value,
        "round": own_round.pk,
        "name": "奖品",
        "rank_from": 1,
        "rank_to": 1,
        "unit_cost": "1.00",
        "quantity": 1,
    }
    response = ops_client.post(reverse("admin:campaigns_prize_add"), data)
    assert response.status_code == 200 and not Prize.objects.exists()
    assert "round" in response.context["adminform"].form.errors


# --- Warnings for odd windows -----------------------------------------------------------


def test_a_gap_between_entries_and_voting_is_warned_but_saved(ops_client):
    now = timezone.now()
    data = new_campaign_data(
        **window("submission_ends_at", now + timedelta(days=3)),
        **window("voting_starts_at", now + timedelta(days=5)),
    )
    response = ops_client.post(reverse(ADD_URL), data, follow=True)
    assert Campaign.objects.count() == 1
    assert warnings_of(response) == [
        "作品征集截止后 2 日才开始投票：这段时间里既不能提交作品也不能投票。"
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (  # a contest voted on while entries still come in
            {"submission_ends_at": 10, "voting_starts_at": 5},
            "Voting opens before entries close: entries sent later have less time to "
            "collect votes.",
        ),
        (
            {"submission_ends_at": 20, "voting_starts_at": 8, "voting_ends_at": 15},
            "Voting closes before entries close: an entry sent after voting closes can "
            "never get a vote.",
        ),
        (
            {"voting_starts_at": 8, "voting_ends_at": 8.25},
            "The voting window is only 6 hours long.",
        ),
    ],
)
def test_odd_windows_are_warned_in_english_too(ops_client, overrides, expected):
    now = timezone.now()
    data = new_campaign_data()
    for name, days in overrides.items():
        data.update(window(name, now + timedelta(days=days)))
    response = ops_client.post(reverse(ADD_URL), data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert Campaign.objects.count() == 1
    assert expected in warnings_of(response)


def test_a_daily_topic_taking_entries_while_voting_is_not_warned(ops_client):
    now = timezone.now()
    data = new_campaign_data(
        kind=Campaign.Kind.DAILY_TOPIC,
        **window("submission_ends_at", now + timedelta(days=15)),
        **window("voting_starts_at", now + timedelta(days=2)),
    )
    response = ops_client.post(reverse(ADD_URL), data, follow=True)
    assert Campaign.objects.count() == 1 and warnings_of(response) == []


def test_plain_windows_are_not_warned(ops_client):
    response = ops_client.post(reverse(ADD_URL), new_campaign_data(), follow=True)
    assert Campaign.objects.count() == 1 and warnings_of(response) == []


def test_an_impossible_window_is_still_an_error_not_a_warning(ops_client):
    now = timezone.now()
    data = new_campaign_data(**window("voting_starts_at", now))  # before entries open
    response = ops_client.post(reverse(ADD_URL), data)
    assert response.status_code == 200 and not Campaign.objects.exists()
    assert page_says(response, "Voting cannot open before entries open.")


# --- Errors name labels -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "投票已开始：请填写修改 状态、每人每天的票数上限 的原因。"),
        ("en", "Voting has opened: give a reason for changing status, votes per day."),
    ],
)
def test_a_frozen_change_is_refused_naming_labels(ops_client, language, message):
    campaign = CampaignFactory()
    data = campaign_form_data(campaign, votes_per_day=9, status=Campaign.Status.CLOSED)
    response = ops_client.post(change_url(campaign), data, HTTP_ACCEPT_LANGUAGE=language)
    page = response.content.decode()
    assert escape(message) in page
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "votes_per_day" not in errors
    campaign.refresh_from_db()
    assert campaign.votes_per_day == 3


@pytest.mark.parametrize(
    ("language", "label"), [("zh-hans", "每人每天的票数上限"), ("en", "votes per day")]
)
def test_a_lowered_limit_is_refused_naming_its_label(ops_client, language, label):
    campaign = CampaignFactory(votes_per_day=3)
    data = campaign_form_data(campaign, votes_per_day=2, change_reason="收紧")
    response = ops_client.post(change_url(campaign), data, HTTP_ACCEPT_LANGUAGE=language)
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert label in errors and "votes_per_day" not in errors
