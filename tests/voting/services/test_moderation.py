"""Moderating one entry (voting/services/moderation.py): a rejection stores its reason,
is audited and texts the contestant after commit; bad input writes nothing."""

import json
import logging

import pytest
from django.utils import translation

from campaigns.models import AuditLog
from core import sms
from core.errors import DomainError
from tests.factories import (
    AmbassadorFactory,
    CampaignFactory,
    EntryFactory,
    PilotFactory,
    UserFactory,
    VoterFactory,
)
from voting.models import Entry
from voting.services.entries import entry_moderate
from voting.services.moderation import (
    entry_approve,
    entry_reject,
    entry_rejection_notify,
    entry_rejection_sms_text,
)

pytestmark = pytest.mark.django_db
Reason = Entry.RejectionReason


@pytest.fixture
def memory_sms(settings):
    settings.SMS_BACKEND = "memory"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def pending(campaign):
    voter = VoterFactory(phone="+8613900001111")
    return EntryFactory(campaign=campaign, status=Entry.Status.PENDING, voter=voter, name="孟馨")


def _unchanged(entry: Entry) -> None:
    stored = Entry.objects.get(pk=entry.pk)
    assert (stored.status, stored.rejection_reason, stored.rejection_note) == (
        entry.status,
        entry.rejection_reason,
        entry.rejection_note,
    )
    assert not AuditLog.objects.filter(action__startswith="entry.").exists()


def test_reject_stores_the_reason_audits_and_texts_after_commit(
    pending, ops_user, memory_sms, django_capture_on_commit_callbacks, eager_tasks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        done = entry_reject(
            entry_id=pending.pk, actor=ops_user, reason=Reason.BLURRY, note="  看不清脸  "
        )
    assert done.changed and done.contestant_texted
    pending.refresh_from_db()
    assert pending.status == Entry.Status.REJECTED
    assert (pending.rejection_reason, pending.rejection_note) == ("blurry", "看不清脸")
    log = AuditLog.objects.get(action="entry.reject")
    assert log.actor == ops_user and log.object_id == str(pending.pk)
    assert log.data["reason"] == "blurry" and log.data["status_before"] == "pending"
    assert log.school_id == pending.campaign.pilot.school_id
    # Nothing is sent before the commit; the SMS task is among the after-commit hooks.
    assert memory_sms == []
    for callback in callbacks:
        callback()
    (message,) = memory_sms
    assert message.to == "+8613900001111" and message.code == ""
    assert "孟馨" in message.text and "照片模糊（看不清脸）" in message.text
    pending.refresh_from_db()
    assert pending.rejection_notified_at is not None


def test_the_sms_is_in_the_sites_language_whatever_the_moderators(pending, ops_user):
    entry_reject(entry_id=pending.pk, actor=ops_user, reason=Reason.OFF_TOPIC)
    pending.refresh_from_db()
    with translation.override("en"):
        text = entry_rejection_sms_text(pending)
    assert "未通过审核：与主题不符" in text and pending.campaign.title in text


def test_other_uses_the_note_alone(pending, ops_user):
    entry_reject(entry_id=pending.pk, actor=ops_user, reason=Reason.OTHER, note="重复提交")
    pending.refresh_from_db()
    assert pending.rejection_text() == "重复提交"
    with translation.override("en"):
        entry_reject(entry_id=pending.pk, actor=ops_user, reason=Reason.NOT_OWN)
        pending.refresh_from_db()
        assert pending.rejection_text() == "not the contestant's own photo"


@pytest.mark.parametrize(
    ("reason", "note", "says"),
    [
        ("", "", "Choose why the entry is rejected."),
        ("ugly", "", "Choose why the entry is rejected."),
        ("BLURRY", "", "Choose why the entry is rejected."),
        (None, "", "Choose why the entry is rejected."),
        ("other", "", "Say why in the note"),
        ("other", "   \t ", "Say why in the note"),
        ("blurry", "x" * 201, "Keep the note under 200 characters"),
        ("blurry", "bad\x00byte", "Remove the control characters"),
        ("blurry", "\u202egnp.exe", "Remove the control characters"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_writes_nothing(
    pending, ops_user, memory_sms, django_capture_on_commit_callbacks, reason, note, says
):
    with (
        translation.override("en"),
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(DomainError) as error,
    ):
        entry_reject(entry_id=pending.pk, actor=ops_user, reason=reason, note=note)
    assert says in error.value.message
    assert callbacks == []
    _unchanged(pending)


def test_an_entry_of_another_school_is_refused(pending, django_capture_on_commit_callbacks):
    other_school_intern = UserFactory(role="ambassador")
    AmbassadorFactory(user=other_school_intern)  # a school of its own
    with (
        translation.override("en"),
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(DomainError, match="belongs to another school"),
    ):
        entry_reject(entry_id=pending.pk, actor=other_school_intern, reason=Reason.BLURRY)
    assert callbacks == []
    _unchanged(pending)


def test_an_intern_of_the_entrys_own_school_does_not_moderate(pending):
    intern = UserFactory(role="ambassador")
    AmbassadorFactory(user=intern, school=pending.campaign.pilot.school)
    with translation.override("en"), pytest.raises(DomainError, match="Only operations staff"):
        entry_reject(entry_id=pending.pk, actor=intern, reason=Reason.BLURRY)
    with translation.override("en"), pytest.raises(DomainError, match="Only operations staff"):
        entry_approve(entry_id=pending.pk, actor=intern)
    _unchanged(pending)


def test_a_missing_entry_is_refused(ops_user):
    with translation.override("en"), pytest.raises(DomainError, match="does not exist"):
        entry_reject(entry_id=987654, actor=ops_user, reason=Reason.BLURRY)


def test_rejecting_again_with_the_same_reason_texts_nobody_twice(
    pending, ops_user, django_capture_on_commit_callbacks
):
    entry_reject(entry_id=pending.pk, actor=ops_user, reason=Reason.BLURRY)
    with django_capture_on_commit_callbacks() as callbacks:
        again = entry_reject(entry_id=pending.pk, actor=ops_user, reason=Reason.BLURRY)
    assert not again.changed and callbacks == []
    assert AuditLog.objects.filter(action="entry.reject").count() == 1
    with django_capture_on_commit_callbacks() as callbacks:
        new = entry_reject(entry_id=pending.pk, actor=ops_user, reason=Reason.INAPPROPRIATE)
    assert new.changed and new.contestant_texted and len(callbacks) >= 1
    assert AuditLog.objects.filter(action="entry.reject").count() == 2


def test_approving_later_clears_the_reason_and_is_audited(pending, ops_user):
    entry_reject(entry_id=pending.pk, actor=ops_user, reason=Reason.OTHER, note="先驳回")
    done = entry_approve(entry_id=pending.pk, actor=ops_user)
    assert done.changed
    pending.refresh_from_db()
    assert pending.status == Entry.Status.APPROVED
    assert (pending.rejection_reason, pending.rejection_note) == ("", "")
    assert pending.rejection_text() == ""
    assert AuditLog.objects.get(action="entry.approve").data == {"status_before": "rejected"}
    assert not entry_approve(entry_id=pending.pk, actor=ops_user).changed


def test_the_bulk_approve_action_clears_the_reason_too(pending, ops_user):
    entry_reject(entry_id=pending.pk, actor=ops_user, reason=Reason.BLURRY)
    assert entry_moderate(entry_ids=[pending.pk], status=Entry.Status.APPROVED) == 1
    pending.refresh_from_db()
    assert pending.rejection_reason == "" and pending.rejection_notified_at is None


def test_an_entry_without_a_phone_is_rejected_but_nobody_is_texted(
    campaign, ops_user, memory_sms, django_capture_on_commit_callbacks
):
    entered_by_ambassador = EntryFactory(campaign=campaign, status=Entry.Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        done = entry_reject(entry_id=entered_by_ambassador.pk, actor=ops_user, reason=Reason.BLURRY)
    assert done.changed and not done.contestant_texted
    assert entry_rejection_notify(entry_id=entered_by_ambassador.pk) is False
    assert memory_sms == []


def test_notify_sends_once_and_not_after_a_new_approval(pending, ops_user, memory_sms, caplog):
    entry_reject(entry_id=pending.pk, actor=ops_user, reason=Reason.BLURRY)
    with caplog.at_level(logging.INFO):
        assert entry_rejection_notify(entry_id=pending.pk) is True
    assert entry_rejection_notify(entry_id=pending.pk) is False  # a redelivered task
    assert len(memory_sms) == 1
    # No phone, name or reason in the log.
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "13900001111" not in logged and "孟馨" not in logged and "模糊" not in logged
    entry_reject(entry_id=pending.pk, actor=ops_user, reason=Reason.OFF_TOPIC)
    entry_approve(entry_id=pending.pk, actor=ops_user)
    assert entry_rejection_notify(entry_id=pending.pk) is False  # approved since
    assert entry_rejection_notify(entry_id=123456) is False  # gone
    assert len(memory_sms) == 1


def test_a_failed_send_leaves_the_rejection_to_be_told_by_a_retry(
    pending, ops_user, settings, monkeypatch
):
    entry_reject(entry_id=pending.pk, actor=ops_user, reason=Reason.BLURRY)

    def refuse(**kwargs):
        raise sms.SmsError("gateway down", retryable=True)

    monkeypatch.setattr("voting.services.moderation.sms_send", refuse)
    with pytest.raises(sms.SmsError):
        entry_rejection_notify(entry_id=pending.pk)
    pending.refresh_from_db()
    assert pending.rejection_notified_at is None


def test_the_file_backend_writes_the_rejection(pending, ops_user, settings, tmp_path):
    settings.SMS_BACKEND, settings.SMS_FILE_PATH = "file", str(tmp_path)
    entry_reject(entry_id=pending.pk, actor=ops_user, reason=Reason.NOT_OWN)
    assert entry_rejection_notify(entry_id=pending.pk)
    (path,) = tmp_path.glob("*.json")
    message = json.loads(path.read_text(encoding="utf-8"))
    assert message["to"] == "+8613900001111"
    assert "不是参赛者本人的照片" in message["text"]


def test_a_staff_member_moderates_every_school(ops_user):
    far = EntryFactory(campaign=CampaignFactory(pilot=PilotFactory()), status=Entry.Status.PENDING)
    assert entry_approve(entry_id=far.pk, actor=ops_user).changed
