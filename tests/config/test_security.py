"""Hardening of config/settings/base.py: admin login throttling (django-axes, real POSTs
to /admin/login/), the Content-Security-Policy, HTTPS settings from the environment,
and ``manage.py check --deploy`` clean with a production deployment's environment."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "pw-for-tests-1"  # tests/factories.py


def log_in(client: Client, username: str, password: str, ip: str = "203.0.113.5"):
    # A real form POST through the login view (CSRF checks are off in the test client).
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


@pytest.fixture
def staff(db):
    return UserFactory(username="ops-login", role="staff")


@pytest.mark.django_db
def test_wrong_passwords_lock_the_username_on_that_ip_out(staff, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    for _ in range(4):
        response = log_in(client, "ops-login", "wrong")
        assert response.status_code == 200  # the form again, "please enter the correct..."
    assert log_in(client, "ops-login", "wrong").status_code == 429  # the 5th locks
    # Locked: even the right password is refused now, with the lockout page.
    response = log_in(client, "ops-login", PASSWORD)
    assert response.status_code == 429
    body = response.content.decode()
    assert 'id="lockout-message"' in body and "15" in body  # minutes
    assert not logged_in(client)
    # The same username from another IP, and another username from this IP, still work:
    # a dorm's shared IP does not lock everyone out, nor a stranger the account's owner.
    other_ip = Client()
    assert log_in(other_ip, "ops-login", PASSWORD, ip="198.51.100.9").status_code == 302
    assert logged_in(other_ip)
    UserFactory(username="ops-other", role="staff")
    same_ip = Client()
    assert log_in(same_ip, "ops-other", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_thirty_wrong_passwords_then_locked_every_time(staff):
    client = Client()
    statuses = [log_in(client, "ops-login", f"guess-{n}").status_code for n in range(30)]
    assert statuses[:4] == [200] * 4
    assert set(statuses[4:]) == {429}


@pytest.mark.django_db
def test_a_successful_login_resets_the_count(staff):
    client = Client()
    for _ in range(4):
        log_in(client, "ops-login", "wrong")
    assert log_in(client, "ops-login", PASSWORD).status_code == 302
    client.post("/admin/logout/")
    for _ in range(4):
        assert log_in(client, "ops-login", "wrong").status_code == 200
    assert log_in(client, "ops-login", PASSWORD).status_code == 302  # 8 wrong, never 5 in a row


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_does_not_escape_the_lock(staff, settings):
    client = Client()
    for n in range(5):
        client.post(
            LOGIN,
            {"username": "ops-login", "password": "wrong"},
            REMOTE_ADDR="203.0.113.5",
            HTTP_X_FORWARDED_FOR=f"10.1.1.{n}",
        )
    response = client.post(
        LOGIN,
        {"username": "ops-login", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.5",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert response.status_code == 429


# --- Headers -----------------------------------------------------------------------------


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


@pytest.mark.django_db
def test_the_admin_and_the_api_docs_carry_a_strict_csp(client, staff):
    client.force_login(staff)
    for url in ("/admin/", "/admin/login/", "/api/docs/", reverse("admin:voting_entry_changelist")):
        response = client.get(url)
        policy = csp(response)
        assert policy["default-src"] == ["'self'"], url
        assert "'unsafe-inline'" not in policy["script-src"], url
        assert "'unsafe-inline'" not in policy["style-src"], url
        body = response.content.decode()
        # No inline handler or style attribute, and no inline script or style without the
        # request's nonce (django-csp names a nonce in the header once a page used one).
        assert not re.search(r"\son(change|click|load|submit|input)=", body), url
        assert not re.search(r"<[a-z]+\b[^>]*\sstyle=", body), url
        nonces = [src for src in policy["script-src"] if src.startswith("'nonce-")]
        nonce = nonces[0].removeprefix("'nonce-").rstrip("'") if nonces else None
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", body):
            assert "src=" in tag or (nonce and f'nonce="{nonce}"' in tag), (url, tag)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_hsts_and_ssl_redirect_follow_the_settings(settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = Client().get("/admin/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/admin/login/"
    secure = Client().get("/admin/login/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=3600; includeSubDomains"
    # Behind the proxy: X-Forwarded-Proto says the client spoke HTTPS (debug is on here,
    # so the header setting is taken from production's value).
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = Client().get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200


# --- check --deploy ------------------------------------------------------------------------

# What a production deployment sets (docs/deploy.md "Environment of a production web
# process"); no value is a real secret.
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "prod-like-" + "k7Qm2xV9pL4sR8tW1yZ3bN6cF0hJ5dG" * 2,
    "DJANGO_ALLOWED_HOSTS": "campaigns.example.cn",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://campaigns.example.cn",
    "SITE_URL": "https://campaigns.example.cn",
    "DATABASE_URL": "postgres://campus:campus@127.0.0.1:5432/campus",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "NUM_PROXIES": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def _check_deploy(tmp_path, **extra) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "CSP_", "DATABASE_", "CACHE_", "CELERY_"))
    }
    env.update(PRODUCTION_ENV, VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings.base")
    env.update(extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _check_deploy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.slow
def test_check_deploy_warns_when_hsts_is_left_out(tmp_path):
    result = _check_deploy(tmp_path, SECURE_HSTS_SECONDS="0", SECURE_SSL_REDIRECT="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
    assert "security.W008" in result.stderr + result.stdout
