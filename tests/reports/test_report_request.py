"""Requesting a report from a campaign's or a pilot's page (reports/admin/request.py):
``add/?campaign=<pk>`` confirms in one click, naming what the report is about; without a
parameter the page offers a choice; anything wrong is a message and nothing written."""

import pytest
from django.urls import reverse

from reports.models import Report
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db
ADD = reverse("admin:reports_report_add")

# Query strings no campaign or pilot answers to: malformed, huge, signed, non-ASCII
# digits, markup, SQL, both at once, empty.
HOSTILE_PARAMS = [
    {"campaign": "abc"},
    {"campaign": "-1"},
    {"campaign": "1.5"},
    {"campaign": "99999999999999999999999"},
    {"campaign": "١٢"},  # Arabic-Indic digits: str.isdigit() says yes, int() agrees
    {"campaign": "<script>alert(1)</script>"},
    {"campaign": "1 OR 1=1"},
    {"pilot": "0x10"},
    {"pilot": " 1"},
]


@pytest.fixture
def campaign(school_a):
    return CampaignFactory(pilot__school=school_a, pilot__name="复旦试点", title="夜跑挑战赛")


def test_the_campaign_link_shows_a_confirmation_naming_it(ops_client, campaign):
    page = ops_client.get(f"{ADD}?campaign={campaign.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="report-request-confirm"' in html
    for text in ("夜跑挑战赛", "复旦大学", "复旦试点"):
        assert text in html
    assert not Report.objects.exists()  # a GET writes nothing


def test_confirming_requests_the_report_after_commit(
    ops_client, campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = ops_client.post(ADD, {"campaign": campaign.pk})
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:reports_report_change", args=[report.pk])
    assert (report.campaign, report.pilot, report.status) == (
        campaign,
        campaign.pilot,
        Report.Status.PENDING,
    )
    assert len(callbacks) == 1


def test_the_pilot_link_requests_a_pilot_report(ops_client, campaign):
    pilot = campaign.pilot
    page = ops_client.get(f"{ADD}?pilot={pilot.pk}")
    assert "复旦试点" in page.content.decode() and 'name="pilot"' in page.content.decode()
    ops_client.post(ADD, {"pilot": pilot.pk})
    report = Report.objects.get()
    assert (report.campaign, report.pilot) == (None, pilot)


def test_a_second_click_while_computing_opens_the_same_report(ops_client, campaign):
    first = ops_client.post(ADD, {"campaign": campaign.pk})
    second = ops_client.post(ADD, {"campaign": campaign.pk})
    assert first["Location"] == second["Location"]
    assert Report.objects.count() == 1


def test_without_a_parameter_the_page_offers_the_users_schools(ops_client, campaign, school_b):
    other = CampaignFactory(pilot__school=school_b, title="同济夜跑")
    page = ops_client.get(ADD)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="report-campaign"' in html and 'id="report-pilot"' in html
    assert "夜跑挑战赛" in html and other.title in html  # staff see every school


@pytest.mark.parametrize("params", HOSTILE_PARAMS)
def test_malformed_numbers_are_a_message_and_nothing_written(ops_client, campaign, params):
    for response in (ops_client.get(ADD, params), ops_client.post(ADD, params)):
        assert response.status_code in (400, 404)
        assert response.context["error"]
        assert "<script>alert" not in response.content.decode()
    assert not Report.objects.exists()


def test_unknown_numbers_are_a_clear_404(ops_client, campaign):
    for params in ({"campaign": campaign.pk + 1000}, {"pilot": campaign.pilot_id + 1000}):
        for response in (ops_client.get(ADD, params), ops_client.post(ADD, params)):
            assert response.status_code == 404
            assert str(list(params.values())[0]) in response.context["error"]
    assert not Report.objects.exists()


def test_both_or_neither_is_refused(ops_client, campaign):
    both = {"campaign": campaign.pk, "pilot": campaign.pilot_id}
    assert ops_client.get(ADD, both).status_code == 400
    assert ops_client.post(ADD, both).status_code == 400
    assert ops_client.post(ADD, {}).status_code == 400
    assert not Report.objects.exists()


def test_messages_are_in_the_readers_language(ops_client, campaign):
    missing = {"campaign": campaign.pk + 1000}
    chinese = ops_client.get(ADD, missing).context["error"]
    english = ops_client.get(ADD, missing, HTTP_ACCEPT_LANGUAGE="en").context["error"]
    assert not chinese.isascii() and english.isascii() and chinese != english


def test_interns_cannot_request_reports(ambassador_client, campaign):
    for response in (
        ambassador_client.get(f"{ADD}?campaign={campaign.pk}"),
        ambassador_client.post(ADD, {"campaign": campaign.pk}),
    ):
        assert response.status_code == 403
    assert not Report.objects.exists()


def test_a_staff_user_without_the_permission_cannot_request(client, campaign):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="viewer", is_staff=True))
    assert client.post(ADD, {"campaign": campaign.pk}).status_code == 403
    assert not Report.objects.exists()


def test_another_schools_campaign_reads_as_missing_for_a_scoped_user(
    ambassador_user, campaign, school_b
):
    # Only staff may request; should a scoped role ever get the right, another school's
    # campaign or pilot is the same 404 as a missing one.
    from reports.admin.request import SubjectError, subject_from

    other = CampaignFactory(pilot__school=school_b)
    assert subject_from({"campaign": str(campaign.pk)}, ambassador_user).obj == campaign
    for params in ({"campaign": str(other.pk)}, {"pilot": str(other.pilot_id)}):
        with pytest.raises(SubjectError) as refused:
            subject_from(params, ambassador_user)
        assert refused.value.status == 404
