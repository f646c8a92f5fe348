"""A pilot's report adds up its campaigns and carries its whole cost; pilots compare."""

from datetime import date

import pytest
from django.urls import reverse

from reports.models import Report
from reports.pilot import PilotReportRunner, pilots_ranked
from reports.services import report_generate
from tests.factories import CampaignFactory, PilotFactory
from tests.reports.test_campaign_report import NOW, scenario  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_pilot_report_numbers(scenario):  # noqa: F811
    pilot = scenario.pilot
    pilot.starts_on, pilot.ends_on = date(2026, 9, 25), date(2026, 10, 31)
    pilot.save()
    report = PilotReportRunner(pilot, now=NOW).run()
    assert len(report["campaigns"]) == 2 and scenario.slug in report["campaigns"]
    assert report["new_users"] == 5  # all from the contest; the sibling has none
    assert report["new_users_by_channel"] == {"share": 2, "ambassador": 1, "direct": 2}
    assert report["retention"]["d7"] == {
        "cohort": 3,
        "retained": 2,
        "rate": 0.6667,
        "mature": False,
    }
    cost = report["cost"]
    # every expense of the pilot: 300 + 200.50 + 1000 (pilot-wide) + 77 (sibling campaign)
    assert cost["expenses"] == "1577.50"
    # approved hours inside the pilot's dates (Sep 20 is before it) + the whole stipend
    assert cost["labour"] == "590.00"  # 4 x 25 + 3 x 30 + 400
    assert cost["prizes"] == "900.00"
    assert cost["total"] == "3067.50"
    assert cost["cost_per_retained_user"] == {
        "value": "1533.75",
        "basis": "d7",
        "retained": 2,
        "cohort": 3,
        "mature": False,
    }
    assert report["participants_per_1000_students"] == 0.8
    assert report["new_users_per_1000_students"] == 0.5
    # 1533.75 is over the 1200 target but under twice it; D7 66.7 % meets 50 %.
    assert report["verdict"]["decision"] == "improve"
    assert report["verdict"]["numbers"]["target_max_cost_per_retained_user"] == "1200.00"


def test_pilots_rank_by_cost_per_retained_user_missing_last():
    def row(name, value):
        return {"pilot_name": name, "cost": {"cost_per_retained_user": {"value": value}}}

    ranked = pilots_ranked([row("a", None), row("b", "90.00"), row("c", "12.50")])
    assert [r["pilot_name"] for r in ranked] == ["c", "b", "a"]


def test_pilot_report_through_admin_and_compare_page(
    ops_client, django_capture_on_commit_callbacks
):
    cheap = PilotFactory(name="cheap")
    CampaignFactory(pilot=cheap)
    with django_capture_on_commit_callbacks() as callbacks:
        response = ops_client.post(reverse("admin:reports_report_add"), {"pilot": cheap.pk})
    assert response.status_code == 302 and len(callbacks) == 1
    report = Report.objects.get(pilot=cheap, campaign__isnull=True)
    report_generate(report_id=report.pk)
    page = ops_client.get(reverse("admin:reports_report_compare"))
    assert page.status_code == 200
    # Its campaign is open: the figure is provisional, ranked apart from final ones.
    assert page.context["rows"] == []
    assert [row["pilot"] for row in page.context["provisional_rows"]] == ["cheap"]
    assert 'id="pilot-compare-provisional"' in page.content.decode()


def test_report_request_needs_exactly_one_subject(ops_client):
    pilot = PilotFactory()
    campaign = CampaignFactory(pilot=pilot)
    for data in ({}, {"campaign": campaign.pk, "pilot": pilot.pk}):
        response = ops_client.post(reverse("admin:reports_report_add"), data)
        assert response.status_code == 400
        assert response.context["error"]
    assert not Report.objects.exists()


def test_interns_cannot_open_the_comparison_of_other_schools(ambassador_client):
    other = PilotFactory(name="elsewhere")
    report_generate(report_id=Report.objects.create(pilot=other).pk)
    page = ambassador_client.get(reverse("admin:reports_report_compare"))
    assert page.status_code == 200
    assert page.context["rows"] == [] and page.context["provisional_rows"] == []
