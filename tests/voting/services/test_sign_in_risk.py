"""SMS pumping: past a risk signal a code request must solve a CAPTCHA first
(voting/services/sign_in_risk.py); the answer is checked once, bad input is `invalid`."""

from datetime import timedelta

import pytest
from captcha.models import CaptchaStore
from django.utils import timezone

from core import sms
from voting.models import OneTimeCode
from voting.services.sign_in import otp_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]

URL = "/api/v1/auth/otp/"


@pytest.fixture(autouse=True)
def _low_thresholds(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}
    settings.OTP_RISK_PER_IP_PER_HOUR = 3
    settings.OTP_RISK_PER_PREFIX_PER_HOUR = 3
    settings.OTP_RISK_UNENTERED_PER_DAY = 2


def _ask(api, phone, ip="203.0.113.7", **body):
    return api.post(
        URL, {"phone": phone, **body}, format="json", REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en"
    )


def _challenge(response) -> dict:
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["error"]["code"] == "captcha_required"
    assert body["error"]["challenge"] == body["challenge"]
    assert set(body["challenge"]) == {"id", "image_url"}
    return body["challenge"]


def _answer(challenge) -> str:
    return CaptchaStore.objects.get(hashkey=challenge["id"]).response


def test_many_codes_from_one_ip_need_a_captcha(api):
    for n in range(3):
        assert _ask(api, f"1391000{n:04d}").status_code == 202
    challenge = _challenge(_ask(api, "13720000000"))
    # Another client is not affected.
    assert _ask(api, "13720000001", ip="198.51.100.9").status_code == 202
    sent = len(sms.outbox)
    solved = _ask(api, "13720000000", captcha={"id": challenge["id"], "answer": _answer(challenge)})
    assert solved.status_code == 202 and len(sms.outbox) == sent + 1


def test_a_number_range_pumped_from_many_ips_needs_a_captcha(api):
    for n in range(3):
        assert _ask(api, f"1391234{n:04d}", ip=f"198.51.100.{n + 1}").status_code == 202
    _challenge(_ask(api, "13912349999", ip="192.0.2.50"))
    assert _ask(api, "13912359999", ip="192.0.2.50").status_code == 202  # the next range


def test_codes_never_entered_need_a_captcha(api):
    long_ago = timezone.now() - timedelta(hours=2)
    for _ in range(2):
        otp_request(phone="13912345678", at=long_ago)  # expired, never tried
    _challenge(_ask(api, "13912345678", ip="192.0.2.1"))
    # A code that was entered (even wrongly) does not count.
    OneTimeCode.objects.update(attempts=1)
    assert _ask(api, "13912345678", ip="192.0.2.1").status_code == 202


def test_the_challenge_picture_is_served_by_the_site(api, client):
    for n in range(3):
        _ask(api, f"1391000{n:04d}")
    challenge = _challenge(_ask(api, "13720000000"))
    assert challenge["image_url"] == f"/captcha/image/{challenge['id']}/"
    picture = client.get(challenge["image_url"])
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert picture.content.startswith(b"\x89PNG")


def test_a_wrong_answer_gets_a_new_challenge_and_an_answer_works_once(api):
    for n in range(3):
        _ask(api, f"1391000{n:04d}")
    first = _challenge(_ask(api, "13720000000"))
    answer = _answer(first)
    wrong = _ask(api, "13720000000", captcha={"id": first["id"], "answer": "nope"})
    second = _challenge(wrong)
    assert second["id"] != first["id"]
    assert "not the text" in wrong.json()["error"]["message"]
    # The first challenge is still good (a wrong try does not spend it), once.
    ok = _ask(api, "13720000000", captcha={"id": first["id"], "answer": answer.upper()})
    assert ok.status_code == 202
    _challenge(_ask(api, "13720000000", captcha={"id": first["id"], "answer": answer}))


def test_an_expired_challenge_does_not_pass(api):
    for n in range(3):
        _ask(api, f"1391000{n:04d}")
    challenge = _challenge(_ask(api, "13720000000"))
    answer = _answer(challenge)
    CaptchaStore.objects.update(expiration=timezone.now() - timedelta(seconds=1))
    _challenge(_ask(api, "13720000000", captcha={"id": challenge["id"], "answer": answer}))


def test_no_signal_no_challenge_even_with_a_captcha(api):
    bogus = {"id": "0" * 40, "answer": "abcde"}
    assert _ask(api, "13912345678", captcha=bogus).status_code == 202


@pytest.mark.parametrize(
    "captcha",
    [
        "abcde",
        {"id": "0" * 40},
        {"answer": "abcde"},
        {"id": "not-hex", "answer": "abcde"},
        {"id": "0" * 41, "answer": "abcde"},
        {"id": "0" * 40, "answer": "x" * 33},
        {"id": "0" * 40, "answer": ""},
        {"id": "0" * 40, "answer": "ab\x00cd"},
        {"id": ["0" * 40], "answer": "abcde"},
        None,
    ],
)
def test_malformed_captcha_is_invalid(api, captcha):
    response = _ask(api, "13912345678", captcha=captcha)
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and "captcha" in body["fields"]
    assert not OneTimeCode.objects.exists()
