"""Phone sign-in: the one-time code rules and acquisition attribution, one test each."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from core import sms
from tests.factories import AmbassadorFactory, EntryFactory, SchoolFactory, VoterFactory
from voting.models import OneTimeCode, Voter, VoterToken
from voting.services.sign_in import otp_request, token_hash

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]

PHONE = "+8613912345678"


def _last_code() -> str:
    return sms.outbox[-1].code


def _verify(api, code, phone="139 1234 5678", **extra):
    return api.post("/api/v1/auth/verify/", {"phone": phone, "code": code, **extra}, format="json")


def test_request_sends_a_6_digit_code_and_stores_only_its_hash(api):
    response = api.post("/api/v1/auth/otp/", {"phone": "139-1234-5678"}, format="json")
    assert response.status_code == 202
    assert response.json() == {"sent": True, "expires_in": 300}
    message = sms.outbox[-1]
    assert message.to == PHONE
    assert len(message.code) == 6 and message.code.isdigit()
    assert message.code in message.text
    stored = OneTimeCode.objects.get()
    assert stored.phone == PHONE
    assert message.code not in stored.code_hash
    assert stored.expires_at - stored.created_at == timedelta(minutes=5)


def test_verify_creates_voter_and_returns_a_working_token(api):
    otp_request(phone=PHONE)
    response = _verify(api, _last_code())
    assert response.status_code == 200
    body = response.json()
    voter = Voter.objects.get(phone=PHONE)
    assert body["voter_id"] == voter.pk and body["created"] is True
    assert voter.verified_at is not None
    # Stored hashed, and it authenticates.
    assert VoterToken.objects.get().key_hash == token_hash(body["token"])
    me = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200 and me.json()["voter_id"] == voter.pk


def test_existing_voter_signs_in_again_without_being_created(api):
    VoterFactory(phone=PHONE)
    otp_request(phone=PHONE)
    body = _verify(api, _last_code()).json()
    assert body["created"] is False and Voter.objects.count() == 1


def test_code_expires_after_five_minutes(api):
    otp_request(phone=PHONE, at=timezone.now() - timedelta(minutes=5, seconds=1))
    response = _verify(api, _last_code())
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_code"


def test_code_is_single_use(api):
    otp_request(phone=PHONE)
    code = _last_code()
    assert _verify(api, code).status_code == 200
    response = _verify(api, code)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_code"


def test_code_is_void_after_five_wrong_tries(api):
    otp_request(phone=PHONE)
    code = _last_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert _verify(api, wrong).json()["error"]["code"] == "invalid_code"
    response = _verify(api, code)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_code"
    assert not Voter.objects.exists()


def test_a_new_code_voids_the_previous_one(api):
    otp_request(phone=PHONE)
    first = _last_code()
    otp_request(phone=PHONE)
    if first != _last_code():
        assert _verify(api, first).json()["error"]["code"] == "invalid_code"
    assert _verify(api, _last_code()).status_code == 200


def test_full_width_code_is_accepted(api):
    otp_request(phone=PHONE)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in _last_code())
    assert _verify(api, full_width).status_code == 200


def test_no_code_requested_is_invalid_code(api):
    response = _verify(api, "123456")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_code"


@pytest.mark.parametrize("phone", ["12345", "+1 202 555 0123", "", "138\x0000138000"])
def test_bad_phone_is_invalid_naming_the_field(api, phone):
    response = api.post("/api/v1/auth/otp/", {"phone": phone}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "phone" in error["message"] and "phone" in error["fields"]
    assert not sms.outbox


def test_unknown_school_is_invalid_naming_the_field(api):
    otp_request(phone=PHONE)
    response = _verify(api, _last_code(), school="nowhere")
    assert response.status_code == 400
    assert "school" in response.json()["error"]["fields"]


def test_school_is_set_for_a_new_voter(api):
    school = SchoolFactory(slug="fudan")
    otp_request(phone=PHONE)
    assert _verify(api, _last_code(), school="fudan").status_code == 200
    assert Voter.objects.get().school == school


def test_codes_per_phone_are_capped_in_the_database(api, settings):
    settings.OTP_MAX_PER_PHONE_PER_HOUR = 2
    otp_request(phone=PHONE)
    otp_request(phone=PHONE)
    # Past the DRF throttle's reach (e.g. another process): the database cap answers.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}
    response = api.post("/api/v1/auth/otp/", {"phone": PHONE}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"


# --- Attribution -----------------------------------------------------------------------


def test_share_code_attributes_a_new_voter_to_the_entry_and_its_campaign(api):
    entry = EntryFactory()
    otp_request(phone=PHONE)
    assert _verify(api, _last_code(), ref=entry.share_code.lower()).status_code == 200
    voter = Voter.objects.get()
    assert voter.channel == Voter.Channel.SHARE
    assert voter.attributed_entry == entry
    assert voter.attributed_campaign == entry.campaign
    assert voter.attributed_ambassador is None


def test_referral_code_attributes_a_new_voter_to_the_ambassador(api):
    ambassador = AmbassadorFactory()
    otp_request(phone=PHONE)
    assert _verify(api, _last_code(), ref=ambassador.referral_code).status_code == 200
    voter = Voter.objects.get()
    assert voter.channel == Voter.Channel.AMBASSADOR
    assert voter.attributed_ambassador == ambassador
    assert voter.attributed_entry is None


def test_existing_voter_attribution_never_changes(api):
    first_entry = EntryFactory()
    VoterFactory(
        phone=PHONE,
        channel=Voter.Channel.SHARE,
        attributed_entry=first_entry,
        attributed_campaign=first_entry.campaign,
    )
    ambassador = AmbassadorFactory()
    otp_request(phone=PHONE)
    assert _verify(api, _last_code(), ref=ambassador.referral_code).status_code == 200
    voter = Voter.objects.get()
    assert voter.channel == Voter.Channel.SHARE
    assert voter.attributed_entry == first_entry
    assert voter.attributed_ambassador is None


def test_ambassador_own_phone_earns_no_credit(api):
    ambassador = AmbassadorFactory(phone="13912345678")  # typed: stored as E.164
    otp_request(phone=PHONE)
    assert _verify(api, _last_code(), ref=ambassador.referral_code).status_code == 200
    voter = Voter.objects.get()
    assert voter.channel == Voter.Channel.DIRECT
    assert voter.attributed_ambassador is None and voter.attributed_entry is None


def test_unknown_ref_is_a_direct_sign_up(api):
    otp_request(phone=PHONE)
    assert _verify(api, _last_code(), ref="NOSUCHCODE").status_code == 200
    assert Voter.objects.get().channel == Voter.Channel.DIRECT


# --- SMS backends ----------------------------------------------------------------------


def test_file_backend_writes_one_json_file_per_code(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    otp_request(phone="13912345678")
    otp_request(phone="13912345679")
    files = sorted((tmp_path / "sms").glob("*.json"))
    assert len(files) == 2
    message = json.loads(files[0].read_text(encoding="utf-8"))
    assert set(message) == {"to", "code", "text"}
    assert message["to"] in {PHONE, "+8613912345679"}
    assert len(message["code"]) == 6 and message["code"] in message["text"]


def test_console_backend_logs_the_message(settings, caplog):
    settings.SMS_BACKEND = "console"
    with caplog.at_level("INFO", logger="core.sms"):
        otp_request(phone=PHONE)
    assert any(PHONE in record.getMessage() for record in caplog.records)


# --- Throttles -------------------------------------------------------------------------


def test_otp_is_throttled_per_phone_whatever_its_spelling(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"otp_phone": "2/hour"},
    }
    spellings = ["13912345678", "+86 139 1234 5678", "0086-139-1234-5678"]
    codes = [api.post("/api/v1/auth/otp/", {"phone": p}, format="json") for p in spellings]
    assert [r.status_code for r in codes] == [202, 202, 429]
    assert codes[-1].json()["error"]["code"] == "throttled"
    # Another phone has its own bucket.
    assert api.post("/api/v1/auth/otp/", {"phone": "13912345679"}, format="json").status_code == 202


def test_otp_is_throttled_per_ip_despite_a_spoofed_forwarded_for(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": 0,
        "DEFAULT_THROTTLE_RATES": {"otp_ip": "2/hour"},
    }
    statuses = [
        api.post(
            "/api/v1/auth/otp/",
            {"phone": f"1391234567{n}"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.9.8.{n}",
        ).status_code
        for n in range(3)
    ]
    assert statuses == [202, 202, 429]


def test_nul_bytes_anywhere_in_the_body_are_invalid(api):
    otp_request(phone=PHONE)
    for field, value in [("code", "12\x003456"), ("school", "fu\x00dan"), ("ref", "AB\x00")]:
        body = {"phone": PHONE, "code": _last_code(), field: value}
        response = api.post("/api/v1/auth/verify/", body, format="json")
        assert response.status_code == 400, field
        assert field in response.json()["error"]["fields"]
