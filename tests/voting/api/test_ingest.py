"""POST /api/v1/ingest/activity/: idempotent, validated per event, service token only."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import VoterFactory
from voting.models import Activity
from voting.services.sign_in import service_token_create, voter_token_issue
from voting.services.traffic import MAX_EVENTS

URL = "/api/v1/ingest/activity/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def service_api(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {service_token_create(name='app-backend')}")
    return client


def today() -> str:
    return timezone.localdate().isoformat()


def test_batch_is_stored_and_normalised(service_api):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = service_api.post(
        URL,
        {
            "events": [
                {"phone": "138 0013 8000", "day": today(), "kind": "workout"},
                {"phone": "+86 138-0013-8000", "day": today(), "kind": "login"},
                {"phone": "１３８００１３８０００", "day": yesterday, "kind": "workout"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"accepted": 3, "duplicate": 0, "rejected": []}
    assert set(Activity.objects.values_list("phone", flat=True)) == {"+8613800138000"}


def test_sending_again_changes_nothing(service_api):
    batch = {"events": [{"phone": "13800138000", "day": today(), "kind": "workout"}] * 3}
    first = service_api.post(URL, batch, format="json").json()
    second = service_api.post(URL, batch, format="json").json()
    assert first == {"accepted": 1, "duplicate": 2, "rejected": []}
    assert second == {"accepted": 0, "duplicate": 3, "rejected": []}
    assert Activity.objects.count() == 1


def test_bad_events_are_rejected_by_index_and_the_rest_stored(service_api):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    events = [
        {"phone": "13800138000", "day": today(), "kind": "workout"},
        {"phone": "12345", "day": today(), "kind": "workout"},
        {"phone": "13800138001", "day": tomorrow, "kind": "workout"},
        {"phone": "13800138002", "day": "2026/11/01", "kind": "workout"},
        {"phone": "13800138003", "day": "2026-02-30", "kind": "workout"},
        {"phone": "13800138004", "day": today(), "kind": "Work\x00out"},
        {"phone": "13800138005", "day": today()},
        "not an object",
    ]
    response = service_api.post(URL, {"events": events}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1 and body["duplicate"] == 0
    assert [r["index"] for r in body["rejected"]] == [1, 2, 3, 4, 5, 6, 7]
    reasons = {r["index"]: r["reason"] for r in body["rejected"]}
    assert "future" in reasons[2] and "YYYY-MM-DD" in reasons[3] and "Missing: kind" in reasons[6]
    assert Activity.objects.count() == 1


def test_rejection_reasons_are_in_the_requests_language(service_api):
    events = [{"phone": "12345", "day": today(), "kind": "workout"}, {"phone": "13800138000"}]
    response = service_api.post(
        URL, {"events": events}, format="json", HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    reasons = [r["reason"] for r in response.json()["rejected"]]
    assert reasons == ["phone: 请输入中国大陆手机号。", "缺少：day, kind。"]


@pytest.mark.parametrize(
    "payload",
    [{}, {"events": "nope"}, {"events": [{"phone": "1"}] * (MAX_EVENTS + 1)}],
    ids=["missing", "not-a-list", "too-many"],
)
def test_malformed_batch_is_invalid_and_writes_nothing(service_api, payload):
    response = service_api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "events" in response.json()["error"]["message"]
    assert not Activity.objects.exists()


def test_only_service_tokens_may_ingest(db):
    batch = {"events": [{"phone": "13800138000", "day": today(), "kind": "workout"}]}
    anonymous = APIClient().post(URL, batch, format="json")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    voter_client = APIClient()
    voter_client.credentials(HTTP_AUTHORIZATION=f"Bearer {voter_token_issue(voter=VoterFactory())}")
    assert voter_client.post(URL, batch, format="json").status_code == 401
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert forged.post(URL, batch, format="json").status_code == 401
    assert not Activity.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_batches_accept_each_event_once(live_server):
    token = service_token_create(name="app-backend")
    batch = {
        "events": [
            {"phone": f"1380013{n:04d}", "day": today(), "kind": "workout"} for n in range(50)
        ]
    }
    results = []

    def send():
        import requests

        response = requests.post(
            live_server.url + URL,
            json=batch,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        results.append(response.json())

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert sum(r["accepted"] for r in results) == 50
    assert sum(r["duplicate"] for r in results) == 7 * 50
    assert Activity.objects.count() == 50
