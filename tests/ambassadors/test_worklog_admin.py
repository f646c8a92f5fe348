"""The work-log form picks its ambassador by autocomplete: no <select> of every
ambassador (a 50,000-row import made the page take 47 s), and the search answers only
with the intern's own school."""

import pytest
from django.urls import reverse

from ambassadors.models import Ambassador, WorkLog
from tests.factories import AmbassadorFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:ambassadors_worklog_add")
AUTOCOMPLETE = reverse("admin:autocomplete")


def _search(client, term: str = ""):
    return client.get(
        AUTOCOMPLETE,
        {
            "app_label": "ambassadors",
            "model_name": "worklog",
            "field_name": "ambassador",
            "term": term,
        },
    )


@pytest.fixture
def crowd(school_a, school_b):
    Ambassador.objects.bulk_create(
        AmbassadorFactory.build(school=school_a, referral_code=f"A{n:07}") for n in range(300)
    )
    return AmbassadorFactory(school=school_b, name="同济的人")


def test_the_form_renders_no_option_per_ambassador(ambassador_client, crowd):
    page = ambassador_client.get(ADD_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "admin-autocomplete" in html
    assert html.count("<option") < 5


def test_autocomplete_answers_with_own_school_only(ambassador_client, crowd, school_a):
    found = _search(ambassador_client).json()
    ids = {int(r["id"]) for r in found["results"]}
    own = set(Ambassador.objects.filter(school=school_a).values_list("pk", flat=True))
    assert ids and ids <= own
    assert found["pagination"]["more"] is True  # paged, not 300 at once
    assert _search(ambassador_client, "同济").json()["results"] == []


def test_another_schools_ambassador_posted_by_id_is_refused(ambassador_client, crowd):
    before = WorkLog.objects.count()
    response = ambassador_client.post(
        ADD_URL, {"ambassador": crowd.pk, "date": "2026-03-01", "hours": "2", "task": "x"}
    )
    assert response.status_code == 200
    assert "ambassador" in response.context["adminform"].form.errors
    assert WorkLog.objects.count() == before


def test_staff_search_every_school(ops_client, crowd):
    assert [r["text"] for r in _search(ops_client, "同济").json()["results"]] == [str(crowd)]
