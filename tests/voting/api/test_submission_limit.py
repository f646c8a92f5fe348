"""At most ENTRY_MAX_PER_VOTER_PER_ROUND entries per voter and round, under real
concurrency too (voting/services/entries.py); a refusal is ``submission_limit_reached``
409 with a message in the reader's language."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import VoterFactory
from tests.voting.fixtures_api import image_bytes
from voting.models import Entry
from voting.services.entries import entry_moderate
from voting.services.sign_in import voter_token_issue

pytestmark = [pytest.mark.usefixtures("api_env")]

URL = "/api/v1/campaigns/best-runner/entries/"


def submit(client, name="李雷", **headers):
    photo = SimpleUploadedFile("me.jpg", image_bytes(), content_type="image/jpeg")
    return client.post(URL, {"name": name, "photo": photo}, format="multipart", **headers)


@pytest.mark.django_db
def test_one_entry_per_round_by_default(voter_api, voter, campaign):
    assert submit(voter_api).status_code == 201
    second = submit(voter_api, name="李雷二号")
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "submission_limit_reached"
    assert error["message"] == "你在本轮已提交 1 件作品，已达上限。"  # zh-hans, the default
    english = submit(voter_api, name="x", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["error"]["message"] == (
        "You have already submitted an entry to this round."
    )
    assert Entry.objects.filter(voter=voter).count() == 1


@pytest.mark.django_db
def test_a_rejected_entry_frees_its_place(voter_api, voter, campaign):
    first = submit(voter_api).json()
    entry_moderate(entry_ids=[first["id"]], status=Entry.Status.REJECTED)
    assert submit(voter_api, name="再来一次").status_code == 201
    assert submit(voter_api, name="第三次").status_code == 409


@pytest.mark.django_db
def test_the_limit_is_a_setting_and_per_voter(voter_api, campaign, settings, api):
    settings.ENTRY_MAX_PER_VOTER_PER_ROUND = 2
    assert [submit(voter_api, name=f"n{i}").status_code for i in range(3)] == [201, 201, 409]
    other = VoterFactory()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {voter_token_issue(voter=other)}")
    assert submit(api).status_code == 201


CLIENTS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_never_pass_the_limit(live_server, campaign, settings):
    settings.ENTRY_MAX_PER_VOTER_PER_ROUND = 2
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}
    voter = VoterFactory()
    token = voter_token_issue(voter=voter)
    barrier = threading.Barrier(CLIENTS)
    photo = image_bytes()

    def post(n):
        with requests.Session() as session:
            barrier.wait(timeout=30)
            response = session.post(
                live_server.url + URL,
                data={"name": f"并发{n}"},
                files={"photo": ("me.jpg", photo, "image/jpeg")},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(post, range(CLIENTS)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 201] + [409] * (CLIENTS - 2), results
    assert {body["error"]["code"] for status, body in results if status == 409} == {
        "submission_limit_reached"
    }
    assert Entry.objects.filter(voter=voter).count() == 2
