"""A rejection reaches its contestant through a real Celery worker: the service hands
the SMS to the worker once the rejection commits, and the file SMS backend writes it."""

import json

import pytest

from tests.celery_worker import broker_clear, celery_workers, wait_until  # noqa: F401
from tests.factories import CampaignFactory, EntryFactory, UserFactory, VoterFactory
from voting.models import Entry
from voting.services.moderation import entry_reject

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_texts_the_rejection_reason(celery_workers, settings, tmp_path):  # noqa: F811
    settings.SMS_BACKEND = "memory"  # the web process must not send it itself
    folder = tmp_path / "sms"
    broker_clear()
    worker = celery_workers(SMS_BACKEND="file", SMS_FILE_PATH=str(folder))
    staff = UserFactory(role="staff")
    entry = EntryFactory(
        campaign=CampaignFactory(title="最美跑者"),
        status=Entry.Status.PENDING,
        name="孟馨",
        voter=VoterFactory(phone="+8613900002222"),
    )
    done = entry_reject(
        entry_id=entry.pk, actor=staff, reason=Entry.RejectionReason.OFF_TOPIC, note="请拍跑步"
    )
    assert done.contestant_texted

    files = wait_until(
        lambda: sorted(folder.glob("*.json")), worker=worker, what="the rejection SMS"
    )
    (message,) = [json.loads(path.read_text(encoding="utf-8")) for path in files]
    assert message["to"] == "+8613900002222"
    assert message["text"] == (
        "你在“最美跑者”的参赛作品“孟馨”未通过审核：与主题不符（请拍跑步）。报名期内可重新提交照片。"
    )
    wait_until(
        lambda: Entry.objects.get(pk=entry.pk).rejection_notified_at,
        worker=worker,
        what="the claim",
    )
