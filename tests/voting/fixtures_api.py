"""Fixtures and helpers of the API tests (imported by tests/voting/conftest.py)."""

import io

import pytest
from django.core.cache import cache
from PIL import Image
from rest_framework.test import APIClient

from core import sms
from tests.factories import CampaignFactory, EntryFactory, VoterFactory
from voting.selectors.public import _share_memo, _slug_memo
from voting.services.sign_in import voter_token_issue


@pytest.fixture
def api_env(settings, tmp_path, monkeypatch):
    """Isolation for API tests: an empty cache (throttle buckets, visit de-duplication),
    SMS captured in memory, uploads in a temporary folder.

    Codes are sent inline: a worker sends them after commit, and these tests run in a
    transaction that never commits (tests/voting/tasks/test_sign_in.py sends them through
    a real worker)."""
    cache.clear()
    _slug_memo.clear()  # each process remembers slugs a few seconds (docs/caching.md)
    _share_memo.clear()  # and share codes' campaign and entry
    sms.outbox.clear()
    settings.SMS_BACKEND = "memory"
    monkeypatch.setattr("voting.services.sign_in.otp_sms_send_later", sms.sms_send)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.SENDFILE_ROOT = str(settings.PRIVATE_MEDIA_ROOT)
    yield
    cache.clear()
    sms.outbox.clear()


@pytest.fixture
def api():
    return APIClient()


def bearer(voter) -> dict[str, str]:
    """Request headers authenticating ``voter`` with a fresh token."""
    return {"HTTP_AUTHORIZATION": f"Bearer {voter_token_issue(voter=voter)}"}


@pytest.fixture
def campaign(db):
    return CampaignFactory(slug="best-runner")


@pytest.fixture
def entry(campaign):
    return EntryFactory(campaign=campaign)


@pytest.fixture
def voter(db):
    return VoterFactory()


@pytest.fixture
def voter_api(voter):
    client = APIClient()
    client.credentials(**bearer(voter))
    return client


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def eager_tasks(monkeypatch):
    """Tasks sent with .delay()/.delay_on_commit() run inline (with
    ``django_capture_on_commit_callbacks(execute=True)`` for the after-commit ones); the
    real-worker tests cover the broker."""
    from celery import current_app

    monkeypatch.setitem(current_app.conf, "task_always_eager", True)
