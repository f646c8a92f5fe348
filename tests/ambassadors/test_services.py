"""Writes of the ambassadors app: approving work logs (audited) and referral codes."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ambassadors.models import Ambassador
from ambassadors.services import ambassador_referral_code_assign, worklogs_approve
from campaigns.models import AuditLog
from tests.factories import AmbassadorFactory, SchoolFactory, UserFactory, WorkLogFactory

pytestmark = pytest.mark.django_db


def test_approving_writes_one_audit_row_per_school_and_approves_once():
    fudan, tongji = SchoolFactory(slug="fudan"), SchoolFactory(slug="tongji")
    staff = UserFactory(username="ops", role="staff")
    logs = [
        WorkLogFactory(ambassador=AmbassadorFactory(school=fudan), hours=Decimal("2.5")),
        WorkLogFactory(ambassador=AmbassadorFactory(school=fudan), hours=Decimal("4")),
        WorkLogFactory(ambassador=AmbassadorFactory(school=tongji), hours=Decimal("1")),
    ]
    ids = [log.pk for log in logs]

    assert worklogs_approve(worklog_ids=ids, actor=staff) == 3
    assert worklogs_approve(worklog_ids=ids, actor=staff) == 0  # twice: nothing more

    rows = {row.school_id: row for row in AuditLog.objects.filter(action="worklogs.approve")}
    assert set(rows) == {fudan.pk, tongji.pk}
    assert rows[fudan.pk].actor == staff
    assert rows[fudan.pk].data["work_logs"] == ids[:2]
    assert rows[fudan.pk].data["hours"] == "6.50"
    assert rows[tongji.pk].data["work_logs"] == ids[2:]
    assert rows[tongji.pk].data["hours"] == "1.00"
    # Each log with what was approved and the approval's old and new value.
    assert rows[tongji.pk].data["logs"] == [
        {
            "id": logs[2].pk,
            "ambassador": logs[2].ambassador_id,
            "date": logs[2].date.isoformat(),
            "hours": "1.00",
            "approved": {"old": False, "new": True},
        }
    ]


def test_the_admin_action_approves_through_the_service(ops_client):
    log = WorkLogFactory()
    ops_client.post(
        reverse("admin:ambassadors_worklog_changelist"),
        {"action": "approve", "_selected_action": [log.pk]},
    )
    log.refresh_from_db()
    assert log.approved is True
    assert AuditLog.objects.get(action="worklogs.approve").data["work_logs"] == [log.pk]


def test_a_referral_code_is_drawn_once():
    ambassador = Ambassador(name="李四", student_id="1", school=SchoolFactory())
    ambassador_referral_code_assign(ambassador=ambassador)
    code = ambassador.referral_code
    assert len(code) == 8
    ambassador_referral_code_assign(ambassador=ambassador)
    assert ambassador.referral_code == code
