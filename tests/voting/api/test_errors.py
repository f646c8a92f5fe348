"""Every error code the API answers, in each language, as a client receives it.

Each code is provoked through a real request where one can provoke it (the server's own
failures by making the database or the code fail), once with ``Accept-Language: en``
and once with ``zh-CN`` (→ zh-hans): the top-level message and every field message are
in that language (docs/api.md "Error codes").
"""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError
from django.utils import timezone, translation
from rest_framework import exceptions

from campaigns.models import Campaign
from core import sms
from tests.factories import CampaignFactory, EntryFactory, SchoolFactory, VoterFactory
from tests.voting.fixtures_api import bearer, image_bytes
from voting.api.support import api_error
from voting.models import Entry, Vote
from voting.services.sign_in import otp_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]

CJK = re.compile(r"[\u4e00-\u9fff]")
LANGUAGES = {"en": "en", "zh-hans": "zh-CN"}
PHONE = "13800138000"


def _messages(error: dict):
    yield error["message"]
    stack = [error.get("fields", {})]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        else:
            yield node


def assert_in_language(error: dict, language: str) -> None:
    for message in _messages(error):
        assert isinstance(message, str) and message, error
        if language == "en":
            assert not CJK.search(message), message
        else:
            assert CJK.search(message), message


def _vote(client, entry, **headers):
    return client.post(
        f"/api/v1/campaigns/{entry.campaign.slug}/entries/{entry.pk}/votes/", **headers
    )


def _throttle(settings, scope: str, rate: str) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], scope: rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


# Each provocation: (expected status, request maker(api, settings, monkeypatch, headers)).


def invalid_field(api, settings, monkeypatch, headers):
    return api.post("/api/v1/auth/otp/", {"phone": "12345"}, format="json", **headers)


def invalid_page(api, settings, monkeypatch, headers):
    CampaignFactory()
    return api.get("/api/v1/campaigns/?page=zero&page_size=1000", **headers)


def invalid_body(api, settings, monkeypatch, headers):
    return api.post(
        "/api/v1/auth/otp/", data='{"phone": ', content_type="application/json", **headers
    )


def invalid_code(api, settings, monkeypatch, headers):
    otp_request(phone=PHONE)
    body = {"phone": PHONE, "code": "not-it"}
    return api.post("/api/v1/auth/verify/", body, format="json", **headers)


def not_authenticated(api, settings, monkeypatch, headers):
    return api.get("/api/v1/me/", **headers)


def not_authenticated_bad_token(api, settings, monkeypatch, headers):
    return api.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer not-a-token", **headers)


def not_found(api, settings, monkeypatch, headers):
    return api.get("/api/v1/campaigns/nowhere/", **headers)


def not_found_entry(api, settings, monkeypatch, headers):
    campaign = CampaignFactory()
    return api.get(f"/api/v1/campaigns/{campaign.slug}/entries/not-an-id/", **headers)


def method_not_allowed(api, settings, monkeypatch, headers):
    return api.delete("/api/v1/campaigns/", **headers)


def not_acceptable(api, settings, monkeypatch, headers):
    return api.get("/api/v1/campaigns/", HTTP_ACCEPT="text/html", **headers)


def unsupported_media_type(api, settings, monkeypatch, headers):
    return api.post(
        "/api/v1/auth/otp/",
        "phone=13800138000",
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


def throttled(api, settings, monkeypatch, headers):
    _throttle(settings, "otp_phone", "1/hour")
    api.post("/api/v1/auth/otp/", {"phone": PHONE}, format="json")
    return api.post("/api/v1/auth/otp/", {"phone": PHONE}, format="json", **headers)


def captcha_required(api, settings, monkeypatch, headers):
    settings.OTP_RISK_PER_IP_PER_HOUR = 0  # every request raises the per-IP signal
    return api.post("/api/v1/auth/otp/", {"phone": PHONE}, format="json", **headers)


def throttled_codes_per_phone(api, settings, monkeypatch, headers):
    settings.OTP_MAX_PER_PHONE_PER_HOUR = 1
    otp_request(phone=PHONE)
    return api.post("/api/v1/auth/otp/", {"phone": PHONE}, format="json", **headers)


def campaign_closed(api, settings, monkeypatch, headers):
    entry = EntryFactory(campaign=CampaignFactory(status=Campaign.Status.CLOSED))
    return _vote(api, entry, **bearer(VoterFactory()), **headers)


def entry_not_votable(api, settings, monkeypatch, headers):
    entry = EntryFactory(status=Entry.Status.PENDING)
    return _vote(api, entry, **bearer(VoterFactory()), **headers)


def entry_limit_reached(api, settings, monkeypatch, headers):
    entry, auth = EntryFactory(), bearer(VoterFactory())
    _vote(api, entry, **auth)
    return _vote(api, entry, **auth, **headers)


def daily_limit_reached(api, settings, monkeypatch, headers):
    campaign, auth = CampaignFactory(votes_per_day=1), bearer(VoterFactory())
    _vote(api, EntryFactory(campaign=campaign), **auth)
    return _vote(api, EntryFactory(campaign=campaign), **auth, **headers)


def school_not_eligible(api, settings, monkeypatch, headers):
    entry = EntryFactory(campaign=CampaignFactory(school_voters_only=True))
    return _vote(api, entry, **bearer(VoterFactory(school=SchoolFactory())), **headers)


def submissions_closed(api, settings, monkeypatch, headers):
    now = timezone.now()
    campaign = CampaignFactory(
        submission_starts_at=now - timedelta(days=5), submission_ends_at=now - timedelta(days=1)
    )
    return _submit(api, campaign, b"\xff\xd8 not checked before the window", headers)


def submission_limit_reached(api, settings, monkeypatch, headers):
    settings.ENTRY_MAX_PER_VOTER_PER_ROUND = 1
    campaign, voter = CampaignFactory(), VoterFactory()
    EntryFactory(campaign=campaign, voter=voter, status=Entry.Status.PENDING)
    return _submit(api, campaign, image_bytes(), headers, voter)


def invalid_image(api, settings, monkeypatch, headers):
    return _submit(api, CampaignFactory(), b"GIF89a not a photo", headers)


def _submit(api, campaign, content: bytes, headers, voter=None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg")
    return api.post(
        f"/api/v1/campaigns/{campaign.slug}/entries/",
        {"name": "李雷", "photo": upload},
        format="multipart",
        **bearer(voter or VoterFactory()),
        **headers,
    )


def server_error(api, settings, monkeypatch, headers):
    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr("voting.api.views.campaign_list_open", broken)
    return api.get("/api/v1/campaigns/", **headers)


def unavailable(api, settings, monkeypatch, headers):
    def locked():
        raise OperationalError("database is locked")

    monkeypatch.setattr("voting.api.views.campaign_list_open", locked)
    return api.get("/api/v1/campaigns/", **headers)


PROVOKED = {
    "invalid": [(400, invalid_field), (400, invalid_page), (400, invalid_body)],
    "invalid_code": [(400, invalid_code)],
    "invalid_image": [(400, invalid_image)],
    "not_authenticated": [(401, not_authenticated), (401, not_authenticated_bad_token)],
    "school_not_eligible": [(403, school_not_eligible)],
    "captcha_required": [(403, captcha_required)],
    "not_found": [(404, not_found), (404, not_found_entry)],
    "method_not_allowed": [(405, method_not_allowed)],
    "not_acceptable": [(406, not_acceptable)],
    "campaign_closed": [(409, campaign_closed)],
    "entry_not_votable": [(409, entry_not_votable)],
    "entry_limit_reached": [(409, entry_limit_reached)],
    "daily_limit_reached": [(409, daily_limit_reached)],
    "submissions_closed": [(409, submissions_closed)],
    "submission_limit_reached": [(409, submission_limit_reached)],
    "unsupported_media_type": [(415, unsupported_media_type)],
    "throttled": [(429, throttled), (429, throttled_codes_per_phone)],
    "server_error": [(500, server_error)],
    "unavailable": [(503, unavailable)],
}
CASES = [
    pytest.param(code, status, make, language, id=f"{make.__name__}-{language}")
    for code, makers in PROVOKED.items()
    for status, make in makers
    for language in LANGUAGES
]


@pytest.mark.parametrize(("code", "status", "make", "language"), CASES)
def test_each_code_in_each_language(api, settings, monkeypatch, code, status, make, language):
    response = make(api, settings, monkeypatch, {"HTTP_ACCEPT_LANGUAGE": LANGUAGES[language]})
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    assert_in_language(error, language)
    sms.outbox.clear()


def test_every_code_of_the_schema_is_provoked_here_or_below(api):
    schema = api.get("/api/schema/?format=json").json()
    every = set(schema["components"]["schemas"]["ErrorCode"]["enum"])
    # forbidden: no endpoint's permission can fail for a principal its authentication
    # accepted, so it is checked at the handler (test_forbidden_in_each_language).
    assert every - set(PROVOKED) == {"forbidden"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_forbidden_in_each_language(language):
    with translation.override(language):
        for exc in (exceptions.PermissionDenied(), DjangoPermissionDenied()):
            error, _, _ = api_error(exc)
            assert (error.code, error.status) == ("forbidden", 403)
            assert_in_language({"message": error.message}, language)


# --- The shapes of particular refusals ---------------------------------------------------


def test_malformed_json_is_invalid_naming_the_body_not_a_missing_field(api):
    response = api.post(
        "/api/v1/auth/otp/",
        data="{not json",
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "The request body is not valid JSON (line 1, column 2)."
    assert list(error["fields"]) == ["body"]
    assert not sms.outbox


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b'{"phone": "13800138000"'])
def test_undecodable_bodies_are_invalid_naming_the_body(api, body):
    response = api.post("/api/v1/auth/verify/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["body"]


@pytest.mark.parametrize("body", ["[]", '"13800138000"', "null", "1"])
def test_a_json_body_that_is_not_an_object_is_invalid(api, body):
    response = api.post(
        "/api/v1/auth/otp/", data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    # DRF's own sentence ("Expected a dictionary, but got list.", "No data provided").
    assert list(error["fields"]) == ["non_field_errors"]
    assert error["message"] == error["fields"]["non_field_errors"][0]


def test_unauthenticated_answers_carry_www_authenticate(api):
    response = api.get("/api/v1/me/")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_throttled_answers_carry_retry_after(api, settings):
    _throttle(settings, "otp_ip", "1/hour")
    api.post("/api/v1/auth/otp/", {"phone": PHONE}, format="json")
    response = api.post("/api/v1/auth/otp/", {"phone": "13800138001"}, format="json")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_unavailable_answers_carry_retry_after(api, monkeypatch):
    response = unavailable(api, None, monkeypatch, {})
    assert response.status_code == 503 and response["Retry-After"] == "1"


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/campaigns/best-runner/entries/abc/",
        "/api/v1/campaigns/best-runner/entries/0/",
        "/api/v1/campaigns/best-runner/entries/-1/",
        "/api/v1/campaigns/best-runner/entries/99999999999999999999/",
        "/api/v1/campaigns/best-runner/entries/%EF%BC%91/",  # a full-width digit
        "/api/v1/campaigns/best-runner/entries/1.5/poster/",
    ],
)
def test_unknown_ids_are_json_not_found_in_debug_mode_too(client, campaign, settings, debug, path):
    settings.DEBUG = debug
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_ids_in_a_vote_are_json_not_found(campaign, settings, debug):
    from rest_framework.test import APIClient

    settings.DEBUG = debug
    client = APIClient()
    response = client.post(
        "/api/v1/campaigns/best-runner/entries/x1/votes/", **bearer(VoterFactory())
    )
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert not Vote.objects.exists()


def test_format_in_the_query_is_no_reason_to_refuse(api, campaign):
    # DRF would answer 404 to ?format=xml; the API has one representation per endpoint.
    assert api.get("/api/v1/campaigns/?format=xml").status_code == 200
    assert api.get("/api/schema/?format=json")["Content-Type"].startswith(
        "application/vnd.oai.openapi+json"
    )


def test_a_domain_error_can_carry_more_members_of_its_error_object():
    # e.g. a challenge to answer; the view documents them with @raises(extra_fields=...).
    from core.errors import DomainError

    class Challenged(DomainError):
        code, status = "challenged", 403

    exc = Challenged("Answer the challenge.")
    exc.extra = {"challenge": {"id": "c1", "image_url": "https://example.cn/c1.png"}}
    error, extra, headers = api_error(exc)
    assert (error.code, error.status, headers) == ("challenged", 403, {})
    assert extra == {"challenge": {"id": "c1", "image_url": "https://example.cn/c1.png"}}
