"""The Aliyun and Tencent SMS backends, through their official SDKs, against a local
server standing in for each provider (tests/core/sms_server.py)."""

import json
import socket

import pytest

from core.sms import SmsError, sms_send
from tests.core.sms_server import FakeProvider, serve

PHONE = "+8613912345678"
ALIYUN_OK = {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "r1"}


def _tencent_ok(code="Ok", message="send success"):
    status = {
        "SerialNo": "5000:1045710669157053657849499619",
        "PhoneNumber": PHONE,
        "Fee": 1,
        "SessionContext": "",
        "Code": code,
        "Message": message,
        "IsoCode": "CN",
    }
    return {"Response": {"SendStatusSet": [status], "RequestId": "r2"}}


@pytest.fixture
def provider():
    fake = FakeProvider()
    server = serve(fake)
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def aliyun(settings, provider):
    settings.SMS_BACKEND = "aliyun"
    settings.ALIYUN_SMS_ACCESS_KEY_ID = "test-key-id"
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "test-key-secret"
    settings.ALIYUN_SMS_SIGN_NAME = "校园投票"
    settings.ALIYUN_SMS_TEMPLATE_CODE = "SMS_154950909"
    settings.ALIYUN_SMS_ENDPOINT = provider.url
    settings.SMS_TIMEOUT_SECONDS = 5
    provider.reply = ALIYUN_OK
    return provider


@pytest.fixture
def tencent(settings, provider):
    settings.SMS_BACKEND = "tencent"
    settings.TENCENT_SMS_SECRET_ID = "AKIDtest"
    settings.TENCENT_SMS_SECRET_KEY = "test-secret-key"
    settings.TENCENT_SMS_SDK_APP_ID = "1400006666"
    settings.TENCENT_SMS_SIGN_NAME = "校园投票"
    settings.TENCENT_SMS_TEMPLATE_ID = "449739"
    settings.TENCENT_SMS_ENDPOINT = provider.url
    settings.SMS_TIMEOUT_SECONDS = 5
    provider.reply = _tencent_ok()
    return provider


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _send():
    sms_send(to=PHONE, code="123456", text="Your code is 123456")


# --- Aliyun -----------------------------------------------------------------------------


def test_aliyun_sends_the_template_with_the_code_signed(aliyun):
    _send()
    (request,) = aliyun.requests
    assert request.headers["x-acs-action"] == "SendSms"
    assert request.headers["x-acs-version"] == "2017-05-25"
    form = request.form
    assert form["PhoneNumbers"] == "8613912345678"
    assert form["SignName"] == "校园投票" and form["TemplateCode"] == "SMS_154950909"
    assert json.loads(form["TemplateParam"]) == {"code": "123456"}
    # Signed (ACS3-HMAC-SHA256) with the key id; the secret itself never travels.
    authorization = request.headers["authorization"]
    assert authorization.startswith("ACS3-HMAC-SHA256 Credential=test-key-id,")
    assert "Signature=" in authorization
    assert "test-key-secret" not in json.dumps([request.headers, request.query])


def test_aliyun_template_params_follow_the_setting(aliyun, settings):
    settings.SMS_TEMPLATE_PARAMS = "code,minutes"
    _send()
    assert json.loads(aliyun.requests[0].form["TemplateParam"]) == {
        "code": "123456",
        "minutes": "5",
    }


@pytest.mark.parametrize(
    "code, retryable",
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", False),
        ("isv.SMS_TEMPLATE_ILLEGAL", False),
        ("isv.BUSINESS_LIMIT_CONTROL", True),
        ("isp.SYSTEM_ERROR", True),
    ],
)
def test_aliyun_refusals_raise_with_their_code(aliyun, code, retryable):
    aliyun.reply = {"Code": code, "Message": "refused", "RequestId": "r3"}
    with pytest.raises(SmsError, match=code) as raised:
        _send()
    assert raised.value.retryable is retryable


def test_aliyun_unreachable_is_retryable(aliyun, settings):
    settings.ALIYUN_SMS_ENDPOINT = _closed_port_url()
    with pytest.raises(SmsError, match="request failed") as raised:
        _send()
    assert raised.value.retryable


def test_aliyun_http_error_is_retryable(aliyun):
    aliyun.status, aliyun.reply = 500, {"Code": "InternalError", "Message": "boom"}
    with pytest.raises(SmsError) as raised:
        _send()
    assert raised.value.retryable


def test_aliyun_unconfigured_says_what_is_missing(aliyun, settings):
    settings.ALIYUN_SMS_TEMPLATE_CODE = ""
    with pytest.raises(SmsError, match="ALIYUN_SMS_TEMPLATE_CODE") as raised:
        _send()
    assert not raised.value.retryable and not aliyun.requests


# --- Tencent ----------------------------------------------------------------------------


def test_tencent_sends_the_template_with_the_code_signed(tencent, settings):
    settings.SMS_TEMPLATE_PARAMS = "code,minutes"
    _send()
    (request,) = tencent.requests
    assert request.headers["x-tc-action"] == "SendSms"
    assert request.headers["x-tc-version"] == "2021-01-11"
    assert request.headers["x-tc-region"] == "ap-guangzhou"
    assert request.headers["authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtest/")
    body = json.loads(request.body)
    assert body["PhoneNumberSet"] == [PHONE]
    assert body["SmsSdkAppId"] == "1400006666" and body["TemplateId"] == "449739"
    assert body["SignName"] == "校园投票"
    assert body["TemplateParamSet"] == ["123456", "5"]
    assert "test-secret-key" not in request.body.decode()


@pytest.mark.parametrize(
    "code, retryable",
    [
        ("InvalidParameterValue.IncorrectPhoneNumber", False),
        ("LimitExceeded.PhoneNumberDailyLimit", False),
        ("InternalError.Timeout", True),
    ],
)
def test_tencent_send_status_refusals_raise(tencent, code, retryable):
    tencent.reply = _tencent_ok(code=code, message="refused")
    with pytest.raises(SmsError, match=code) as raised:
        _send()
    assert raised.value.retryable is retryable


@pytest.mark.parametrize(
    "code, retryable",
    [("AuthFailure.SignatureFailure", False), ("RequestLimitExceeded", True)],
)
def test_tencent_api_errors_raise(tencent, code, retryable):
    tencent.reply = {"Response": {"Error": {"Code": code, "Message": "no"}, "RequestId": "r4"}}
    with pytest.raises(SmsError, match=code) as raised:
        _send()
    assert raised.value.retryable is retryable


def test_tencent_unreachable_is_retryable(tencent, settings):
    settings.TENCENT_SMS_ENDPOINT = _closed_port_url()
    with pytest.raises(SmsError) as raised:
        _send()
    assert raised.value.retryable


def test_unknown_template_param_is_a_configuration_error(tencent, settings):
    settings.SMS_TEMPLATE_PARAMS = "code,name"
    with pytest.raises(SmsError, match="unknown") as raised:
        _send()
    assert not raised.value.retryable and not tencent.requests
