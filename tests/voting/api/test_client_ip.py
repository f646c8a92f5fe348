"""Whom the API takes a request to come from (voting/api/support.py: client_ip): the
X-Forwarded-For hops written by trusted proxies, at most NUM_PROXIES, never a client's own."""

import pytest
from django.test import RequestFactory

from voting.api.support import client_ip


@pytest.fixture
def proxies(settings):
    def configure(num: int, trusted=("127.0.0.0/8", "::1/128", "10.0.0.0/8")):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num}
        settings.TRUSTED_PROXIES = list(trusted)

    return configure


def _ip(remote: str, forwarded: str | None = None) -> str | None:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


@pytest.mark.parametrize(
    "num, remote, forwarded, expected",
    [
        # No proxies configured: the header is never read.
        (0, "203.0.113.9", "1.2.3.4", "203.0.113.9"),
        # One proxy on this host: its hop is the client; the client's own claims left of it
        # are ignored.
        (1, "127.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        # A client reaching gunicorn directly cannot name itself.
        (1, "203.0.113.9", "198.51.100.7", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.5, 198.51.100.7", "203.0.113.9"),
        # Two proxies: the inner one is trusted, so the hop it received is believed.
        (2, "127.0.0.1", "1.2.3.4, 198.51.100.7, 10.0.0.5", "198.51.100.7"),
        # Two configured, but the inner hop is not a trusted proxy: stop there.
        (2, "127.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        # Fewer hops than proxies.
        (3, "127.0.0.1", "198.51.100.7", "198.51.100.7"),
        # Garbage or empty hops from a proxy: the proxy itself.
        (1, "127.0.0.1", "not-an-ip", "127.0.0.1"),
        (1, "127.0.0.1", "", "127.0.0.1"),
        (1, "127.0.0.1", "198.51.100.7, ", "127.0.0.1"),
        # IPv6 on both sides.
        (1, "::1", "2001:db8::7", "2001:db8::7"),
        (1, "2001:db8::1", "198.51.100.7", "2001:db8::1"),
        # A client sending a hundred hops gets no further than NUM_PROXIES.
        (1, "127.0.0.1", ", ".join(["10.1.1.1"] * 100), "10.1.1.1"),
    ],
)
def test_client_ip(proxies, num, remote, forwarded, expected):
    proxies(num)
    assert _ip(remote, forwarded) == expected


def test_nothing_is_trusted_when_the_list_is_empty(proxies):
    proxies(1, trusted=())
    assert _ip("127.0.0.1", "198.51.100.7") == "127.0.0.1"


def test_a_bad_remote_addr_gives_none(proxies):
    proxies(1)
    assert _ip("garbage", "198.51.100.7") is None


@pytest.mark.django_db
@pytest.mark.usefixtures("api_env")
def test_the_otp_ip_throttle_cannot_be_escaped_through_gunicorn_directly(api, settings):
    """NUM_PROXIES=1 but the client connects straight to gunicorn and rotates the header:
    it still has one bucket."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": 1,
        "DEFAULT_THROTTLE_RATES": {"otp_ip": "2/hour"},
    }
    statuses = [
        api.post(
            "/api/v1/auth/otp/",
            {"phone": f"1391234567{n}"},
            format="json",
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(3)
    ]
    assert statuses == [202, 202, 429]
