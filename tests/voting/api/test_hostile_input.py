"""Hostile input never answers 500: bodies past DATA_UPLOAD_MAX_MEMORY_SIZE are
``invalid`` 400 in the error envelope (voting/api/support.py), and an entry name with
line breaks or control characters is refused at input and still drawn on a poster
(core/text.py) in the API, in admin and in the poster task."""

import io
import json

import pytest
import requests
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from tests.factories import EntryFactory
from tests.voting.fixtures_api import bearer, image_bytes
from tests.voting.services.test_photos import store_photo
from voting.models import Entry
from voting.tasks import photos as tasks_photos

pytestmark = [pytest.mark.usefixtures("api_env")]

OTP = "/api/v1/auth/otp/"
VERIFY = "/api/v1/auth/verify/"
SUBMIT = "/api/v1/campaigns/best-runner/entries/"
TOO_BIG = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024

# Each body is one hostile input; every URL gets each kind.
BODIES = {
    "json": lambda: (json.dumps({"phone": "1" * TOO_BIG, "code": "1"}), "application/json"),
    "form": lambda: ("phone=" + "1" * TOO_BIG, "application/x-www-form-urlencoded"),
    "multipart-field": None,  # built by the test client from a dict
}


# The one body each endpoint reads: JSON for sign-in, multipart for a submission.
ACCEPTS = {OTP: "json", VERIFY: "json", SUBMIT: "multipart-field"}


def assert_invalid(response) -> None:
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "invalid"


@pytest.mark.django_db
@pytest.mark.parametrize("url", [OTP, VERIFY, SUBMIT])
@pytest.mark.parametrize("kind", list(BODIES))
def test_a_body_past_the_upload_limit_is_invalid_not_500(voter, campaign, url, kind):
    client = APIClient(raise_request_exception=False)
    client.credentials(**bearer(voter))
    if kind == "multipart-field":
        response = client.post(
            url,
            {"phone": "1" * TOO_BIG, "name": "x" * TOO_BIG, "photo": _photo()},
            format="multipart",
        )
    else:
        body, content_type = BODIES[kind]()
        response = client.post(url, body, content_type=content_type)
    if kind != ACCEPTS[url]:
        # Refused by its content type before the body is read (docs/api.md).
        assert response.status_code == 415, response.content[:300]
        assert response.json()["error"]["code"] == "unsupported_media_type"
    else:
        assert_invalid(response)
    assert not Entry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_too_large_bodies_over_real_http(live_server, voter, campaign):
    """The same through a real server and socket, each endpoint once per body kind."""
    headers = bearer(voter)
    auth = {"Authorization": headers["HTTP_AUTHORIZATION"]}
    answers = []
    for url in (OTP, VERIFY, SUBMIT):
        full = live_server.url + url
        answers.append(
            requests.post(
                full,
                data=json.dumps({"phone": "1" * TOO_BIG}),
                headers={**auth, "Content-Type": "application/json"},
                timeout=30,
            )
        )
        answers.append(requests.post(full, data={"phone": "1" * TOO_BIG}, headers=auth, timeout=30))
        answers.append(
            requests.post(
                full,
                data={"name": "x" * TOO_BIG, "phone": "1"},
                files={"photo": ("me.jpg", image_bytes(), "image/jpeg")},
                headers=auth,
                timeout=30,
            )
        )
    # Per endpoint: JSON, a form, multipart; what it does not read is 415 unread.
    assert [r.status_code for r in answers] == [400, 415, 415, 400, 415, 415, 415, 415, 400]
    assert [r.json()["error"]["code"] for r in answers] == [
        "invalid" if r.status_code == 400 else "unsupported_media_type" for r in answers
    ]
    assert not Entry.objects.exists()


# --- Names ---------------------------------------------------------------------------------

HOSTILE_NAMES = [
    "李\n雷",  # line feed: Pillow's "can't measure length of multiline text"
    "李\r雷",  # carriage return: raqm_layout() failed
    "李\r\n雷",
    "\n",
    "李\t雷",
    "李\x0b雷",  # vertical tab
    "李\x1b[31m雷",  # an ANSI escape
    "李\x7f雷",  # DEL
    "李\x85雷",  # NEL (C1)
    "李\u2028雷",  # line separator
    "李\u2029雷",  # paragraph separator
    "\u202egnp.exe",  # right-to-left override
    "李\u2066雷\u2069",  # bidi isolates
    "李\ue000雷",  # private use
]


def _photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("me.jpg", image_bytes(), content_type="image/jpeg")


@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_submitted_name_with_control_characters_is_invalid(voter_api, campaign, name):
    response = voter_api.post(SUBMIT, {"name": name, "photo": _photo()}, format="multipart")
    assert_invalid(response)
    assert "name" in response.json()["error"]["fields"]
    assert not Entry.objects.exists()


@pytest.mark.django_db
def test_a_caption_keeps_its_line_breaks_but_not_control_characters(voter_api, campaign):
    ok = voter_api.post(
        SUBMIT, {"name": "李雷", "caption": "第一行\n第二行", "photo": _photo()}, format="multipart"
    )
    assert ok.status_code == 201, ok.json()
    bad = voter_api.post(
        SUBMIT, {"name": "韩梅梅", "caption": "坏\x1b字", "photo": _photo()}, format="multipart"
    )
    assert_invalid(bad)
    assert "caption" in bad.json()["error"]["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["李\n雷", "\u202egnp.exe", "a\x1bb"])
def test_the_admin_form_refuses_such_names(ops_client, campaign, name):
    before = Entry.objects.count()
    response = ops_client.post(
        reverse("admin:voting_entry_add"),
        {
            "campaign": campaign.pk,
            "round": campaign.rounds.get().pk,
            "name": name,
            "student_id": "0042",
            "caption": "",
            "status": "pending",
        },
    )
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert Entry.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_stored_hostile_name_still_gets_a_poster_everywhere(
    api, ops_client, campaign, name, settings
):
    """Names stored before the check (or by an import) are drawn as one line: the API,
    admin and the task all answer with a poster."""
    settings.SITE_URL = "https://campaigns.example.cn"
    campaign.title = "最佳\n跑者\r"
    campaign.save()
    entry = store_photo(EntryFactory(campaign=campaign, status=Entry.Status.APPROVED))
    Entry.objects.filter(pk=entry.pk).update(name=name)

    assert tasks_photos.entry_poster_generate.apply(args=[entry.pk]).successful()

    response = api.get(f"/api/v1/campaigns/{campaign.slug}/entries/{entry.pk}/poster/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    Image.open(io.BytesIO(b"".join(response.streaming_content))).verify()

    response = ops_client.get(reverse("admin:voting_entry_poster", args=[entry.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
