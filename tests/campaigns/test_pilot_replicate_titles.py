"""Replicating a pilot asks for each copied campaign's new title, prefilled with the old
school's name replaced by the new one's, and writes nothing until every title is good.

Before: the copies kept titles naming the old school, and the pilot's name field was
labelled 姓名 (a person's name).
"""

import pytest
from django.contrib.messages import WARNING
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import override

from campaigns.forms import PilotReplicateForm
from campaigns.models import AuditLog, Campaign, Pilot
from campaigns.services import pilot_replicate
from tests.factories import CampaignFactory, PilotFactory, SchoolFactory
from tests.helpers import page_says

pytestmark = pytest.mark.django_db

URL = "admin:campaigns_pilot_changelist"


@pytest.fixture
def pku():
    return SchoolFactory(name="北京大学", slug="pku")


@pytest.fixture
def zju():
    return SchoolFactory(name="浙江大学", slug="zju")


@pytest.fixture
def pilot(pku):
    pilot = PilotFactory(school=pku, name="北京大学跑步推广试点")
    CampaignFactory(pilot=pilot, slug="pku-best-runner", title="北京大学最美跑者")
    CampaignFactory(pilot=pilot, slug="pku-night", title="夜跑打卡")
    return pilot


def campaigns_of(pilot: Pilot) -> list[Campaign]:
    return list(pilot.campaigns.order_by("pk"))


def step_one(pilot: Pilot, school, **overrides) -> dict:
    data = {
        "action": "replicate",
        "apply": "1",
        "_selected_action": [pilot.pk],
        "school": school.pk,
        "starts_on": "2027-03-01",
        "name": pilot.name,
    }
    data.update(overrides)
    return data


def posted(form) -> dict:
    """What the browser posts back from a rendered form."""
    return {field.html_name: field.value() or "" for field in form}


def ask_titles(client, pilot, school, **overrides):
    response = client.post(reverse(URL), step_one(pilot, school, **overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.asks_titles
    return response, {**step_one(pilot, school), **posted(form)}


def test_the_name_field_is_the_pilots_name(ops_client, pilot):
    response = ops_client.post(
        reverse(URL), {"action": "replicate", "_selected_action": [pilot.pk]}
    )
    page = response.content.decode()
    assert '<label for="id_name">试点名称:</label>' in page and "姓名" not in page
    with override("en"):
        form = PilotReplicateForm(pilot=pilot)
        assert str(form.fields["name"].label) == "pilot name"


def test_titles_are_prefilled_for_the_new_school(ops_client, pilot, zju):
    response, data = ask_titles(ops_client, pilot, zju)
    contest, night = campaigns_of(pilot)
    assert data[f"title_{contest.pk}"] == "浙江大学最美跑者"
    assert data[f"title_{night.pk}"] == "夜跑打卡"
    assert data["name"] == "浙江大学跑步推广试点"  # the pilot's name too, while untouched
    assert data["titles_school"] == str(zju.pk)
    assert page_says(response, "Titles of the copied campaigns")
    # Nothing is written by asking.
    assert Pilot.objects.count() == 1 and Campaign.objects.count() == 2


def test_a_pilot_name_typed_by_hand_is_kept(ops_client, pilot, zju):
    _response, data = ask_titles(ops_client, pilot, zju, name="浙大春季试点")
    assert data["name"] == "浙大春季试点"


def test_replicate_with_renamed_titles_end_to_end(ops_client, ops_user, pilot, zju):
    _response, data = ask_titles(ops_client, pilot, zju)
    contest, night = campaigns_of(pilot)
    data[f"title_{night.pk}"] = "  浙大夜跑打卡  "
    done = ops_client.post(reverse(URL), data, follow=True)
    copy = Pilot.objects.get(school=zju)
    assert done.redirect_chain[-1][0].endswith(f"/{copy.pk}/change/")
    assert copy.name == "浙江大学跑步推广试点"
    assert [c.title for c in campaigns_of(copy)] == ["浙江大学最美跑者", "浙大夜跑打卡"]
    assert not [m for m in done.context["messages"] if m.level == WARNING]
    log = AuditLog.objects.get(action="pilot.replicate")
    assert log.actor == ops_user
    assert log.data["titles"] == {
        str(contest.pk): "浙江大学最美跑者",
        str(night.pk): "浙大夜跑打卡",
    }
    # The originals keep theirs.
    assert [c.title for c in campaigns_of(pilot)] == ["北京大学最美跑者", "夜跑打卡"]


def test_a_title_still_naming_the_old_school_is_warned(ops_client, pilot, zju):
    _response, data = ask_titles(ops_client, pilot, zju)
    contest, _night = campaigns_of(pilot)
    data[f"title_{contest.pk}"] = "北京大学 × 浙江大学 跑者"
    done = ops_client.post(reverse(URL), data, follow=True)
    assert Pilot.objects.filter(school=zju).count() == 1
    warnings = [str(m) for m in done.context["messages"] if m.level == WARNING]
    assert warnings == ["“北京大学 × 浙江大学 跑者”仍然写着北京大学。"]


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "Give the copied campaign a title."),
        ("   \t ", "Give the copied campaign a title."),
        ("夜跑打卡", "Two copied campaigns cannot have the same title."),
        ("x" * 201, None),  # too long: Django's own message
    ],
)
def test_a_bad_title_is_refused_and_nothing_written(ops_client, pilot, zju, title, message):
    _response, data = ask_titles(ops_client, pilot, zju)
    contest, night = campaigns_of(pilot)
    data[f"title_{contest.pk}"] = title
    data[f"title_{night.pk}"] = "夜跑打卡"
    response = ops_client.post(reverse(URL), data)
    assert response.status_code == 200
    # The duplicate is marked on the second of the two.
    assert {f"title_{contest.pk}", f"title_{night.pk}"} & set(response.context["form"].errors)
    if message:
        assert page_says(response, message)
    assert Pilot.objects.count() == 1 and Campaign.objects.count() == 2
    assert not AuditLog.objects.filter(action="pilot.replicate").exists()


def test_a_title_the_new_school_already_has_is_refused(ops_client, pilot, zju):
    CampaignFactory(pilot=PilotFactory(school=zju), title="浙江大学最美跑者")
    response, data = ask_titles(ops_client, pilot, zju)
    contest, _night = campaigns_of(pilot)
    # The prefilled title is checked at once, so the clash shows before anyone submits.
    assert page_says(
        response,
        "%(school)s already has a campaign titled “%(title)s”.",
        school="浙江大学",
        title="浙江大学最美跑者",
    )
    response = ops_client.post(reverse(URL), data)
    assert response.status_code == 200 and f"title_{contest.pk}" in response.context["form"].errors
    assert Pilot.objects.filter(school=zju).count() == 1  # only the one made above


def test_choosing_another_school_fills_the_titles_in_again(ops_client, pilot, zju):
    fdu = SchoolFactory(name="复旦大学", slug="fdu")
    _response, data = ask_titles(ops_client, pilot, zju)
    contest, _night = campaigns_of(pilot)
    data[f"title_{contest.pk}"] = "改过的标题"
    data["school"] = fdu.pk
    response = ops_client.post(reverse(URL), data)
    assert response.status_code == 200
    again = posted(response.context["form"])
    assert again[f"title_{contest.pk}"] == "复旦大学最美跑者"
    assert again["titles_school"] == str(fdu.pk)
    warnings = [str(m) for m in response.context["messages"] if m.level == WARNING]
    assert warnings == ["学校已更改：已重新填写活动标题，请核对。"]
    assert not Pilot.objects.filter(school__in=[zju, fdu]).exists()


@pytest.mark.parametrize("tampered", ["abc", "-1", "999999"])
def test_a_tampered_titles_school_only_asks_again(ops_client, pilot, zju, tampered):
    _response, data = ask_titles(ops_client, pilot, zju)
    data["titles_school"] = tampered
    response = ops_client.post(reverse(URL), data)
    assert response.status_code == 200
    assert not Pilot.objects.filter(school=zju).exists()


def test_a_title_posted_for_a_campaign_of_another_pilot_is_ignored(ops_client, pilot, zju):
    other = CampaignFactory(title="别人的活动")
    _response, data = ask_titles(ops_client, pilot, zju)
    data[f"title_{other.pk}"] = "改名"
    ops_client.post(reverse(URL), data)
    other.refresh_from_db()
    assert other.title == "别人的活动"
    copy = Pilot.objects.get(school=zju)
    assert "改名" not in [c.title for c in campaigns_of(copy)]


def test_the_service_refuses_a_blank_title_before_writing(ops_user, pilot, zju):
    contest, _night = campaigns_of(pilot)
    with pytest.raises(ValidationError):
        pilot_replicate(
            pilot=pilot,
            school=zju,
            starts_on=pilot.starts_on,
            actor=ops_user,
            titles={contest.pk: "  "},
        )
    assert Pilot.objects.count() == 1 and Campaign.objects.count() == 2
    assert not AuditLog.objects.exists()
