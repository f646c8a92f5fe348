"""The sign-in SMS goes out from a real Celery worker: the request answers at once,
whatever the gateway's speed, and a provider hiccup is retried. The gateway is Aliyun's
SDK pointed at a local server standing in for the provider (tests/core/sms_server.py)."""

import time

import pytest
import requests

from tests.celery_worker import broker_clear, celery_workers, wait_until  # noqa: F401
from tests.core.sms_server import FakeProvider, serve
from voting.models import OneTimeCode

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

OK = {"Code": "OK", "Message": "OK", "BizId": "1^0", "RequestId": "r"}


@pytest.fixture
def provider():
    fake = FakeProvider(reply=OK)
    server = serve(fake)
    yield fake
    server.shutdown()
    server.server_close()


def _worker(celery_workers, provider):  # noqa: F811
    broker_clear()
    return celery_workers(
        SMS_BACKEND="aliyun",
        ALIYUN_SMS_ACCESS_KEY_ID="test-key-id",
        ALIYUN_SMS_ACCESS_KEY_SECRET="test-key-secret",
        ALIYUN_SMS_SIGN_NAME="校园投票",
        ALIYUN_SMS_TEMPLATE_CODE="SMS_1",
        ALIYUN_SMS_ENDPOINT=provider.url,
    )


def test_the_request_answers_before_the_slow_gateway_sends(
    live_server,
    settings,
    provider,
    celery_workers,  # noqa: F811
):
    settings.SMS_BACKEND = "memory"  # the web process must not send it itself
    provider.delay = 3
    worker = _worker(celery_workers, provider)
    worker.wait_ready()

    started = time.monotonic()
    response = requests.post(
        f"{live_server.url}/api/v1/auth/otp/", json={"phone": "13912345678"}, timeout=30
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 202 and elapsed < 2, elapsed
    assert OneTimeCode.objects.filter(phone="+8613912345678").count() == 1

    wait_until(lambda: provider.requests, worker=worker, what="the SMS at the gateway")
    form = provider.requests[0].form
    assert form["PhoneNumbers"] == "8613912345678"
    assert form["TemplateParam"].startswith('{"code": "')


def test_a_provider_hiccup_is_retried(live_server, settings, provider, celery_workers):  # noqa: F811
    settings.SMS_BACKEND = "memory"
    provider.failures = 1
    provider.failure = {"Code": "isp.SYSTEM_ERROR", "Message": "busy", "RequestId": "r"}
    worker = _worker(celery_workers, provider)
    response = requests.post(
        f"{live_server.url}/api/v1/auth/otp/", json={"phone": "13912345678"}, timeout=30
    )
    assert response.status_code == 202
    wait_until(lambda: len(provider.requests) == 2, worker=worker, what="the retried SMS")
    assert provider.requests[0].form["TemplateParam"] == provider.requests[1].form["TemplateParam"]
    wait_until(lambda: "succeeded" in worker.output(), worker=worker, what="the task to succeed")
