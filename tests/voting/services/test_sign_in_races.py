"""The per-phone cap of sign-in codes under real concurrency: many HTTP clients at once
against a live server, on SQLite and on PostgreSQL. Whatever the interleaving, no more
codes are stored (and sent) than the cap, and nothing answers 500."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from core import sms
from voting.models import OneTimeCode

pytestmark = [pytest.mark.usefixtures("api_env", "transactional_db")]

CLIENTS = 24
PHONE = "+8613912345678"


@pytest.fixture(autouse=True)
def _only_the_database_cap(settings):
    # The burst throttles and the CAPTCHA signals would hide the database cap.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}
    settings.OTP_RISK_PER_IP_PER_HOUR = 10**6
    settings.OTP_RISK_PER_PREFIX_PER_HOUR = 10**6
    settings.OTP_MAX_PER_PHONE_PER_HOUR = 3


def _race(live_server, phones: list[str]) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(len(phones))

    def post(phone):
        with requests.Session() as session:
            barrier.wait(timeout=30)
            response = session.post(
                f"{live_server.url}/api/v1/auth/otp/", json={"phone": phone}, timeout=60
            )
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=len(phones)) as pool:
        return list(pool.map(post, phones))


def test_one_phone_racing_past_its_hourly_cap(live_server):
    # Spellings of one number share its cap.
    spellings = ["13912345678", "+86 139 1234 5678", "139-1234-5678"]
    results = _race(live_server, [spellings[i % 3] for i in range(CLIENTS)])

    statuses = Counter(status for status, _ in results)
    assert statuses == {202: 3, 429: CLIENTS - 3}, results
    assert {body["error"]["code"] for status, body in results if status == 429} == {"throttled"}
    assert OneTimeCode.objects.filter(phone=PHONE).count() == 3
    assert len([m for m in sms.outbox if m.to == PHONE]) == 3


def test_different_phones_each_get_their_code(live_server):
    # Ten: the live server's listen backlog (Django's WSGIServer.request_queue_size).
    phones = [f"1391234{n:04d}" for n in range(10)]
    results = _race(live_server, phones)
    assert Counter(status for status, _ in results) == {202: 10}
    assert OneTimeCode.objects.count() == 10
