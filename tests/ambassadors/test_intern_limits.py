"""What an intern may not do, whatever they post: set pay, touch approved hours, recover
masked phones through list lookups. Pay changes and approvals are audited old → new
(ambassadors/services.py, campaigns/rules.py, campaigns/scoping.py)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ambassadors.models import Ambassador, WorkLog
from ambassadors.services import (
    PayChangeRefused,
    WorkLogApproved,
    ambassador_save,
    worklog_delete,
    worklog_save,
    worklogs_approve,
)
from campaigns.models import AuditLog
from tests.factories import AmbassadorFactory, EntryFactory, WorkLogFactory

pytestmark = pytest.mark.django_db


def posted(response) -> dict:
    """The change form as a browser posts it back (every editable field's value)."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


@pytest.fixture
def me(ambassador_user) -> Ambassador:
    return ambassador_user.ambassador


# --- Pay --------------------------------------------------------------------------------


def test_an_intern_cannot_raise_their_own_pay_in_admin(ambassador_client, me):
    url = reverse("admin:ambassadors_ambassador_change", args=[me.pk])
    page = ambassador_client.get(url)
    assert "hourly_rate" not in page.context["adminform"].form.fields
    data = {**posted(page), "hourly_rate": "999", "stipend": "50000", "name": "张三丰"}
    response = ambassador_client.post(url, data)
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.name == "张三丰"  # the roster edit itself goes through
    assert (me.hourly_rate, me.stipend) == (Decimal("25.00"), Decimal("0.00"))
    assert not AuditLog.objects.filter(action="ambassador.pay").exists()


def test_an_intern_adds_a_teammate_without_pay(ambassador_client, school_a):
    response = ambassador_client.post(
        reverse("admin:ambassadors_ambassador_add"),
        {
            "school": school_a.pk,
            "name": "新队员",
            "student_id": "0099",
            "role": "intern",
            "active": "on",
            "hourly_rate": "999",
            "stipend": "50000",
        },
    )
    assert response.status_code == 302
    added = Ambassador.objects.get(name="新队员")
    assert (added.hourly_rate, added.stipend) == (0, 0)


def test_the_service_refuses_an_interns_pay_change_whatever_the_form(ambassador_user, me):
    me.hourly_rate = Decimal("999")
    with pytest.raises(PayChangeRefused):
        ambassador_save(ambassador=me, actor=ambassador_user)
    assert Ambassador.objects.get(pk=me.pk).hourly_rate == Decimal("25.00")
    new = Ambassador(school=me.school, name="x", student_id="77", stipend=Decimal("50000"))
    with pytest.raises(PayChangeRefused):
        ambassador_save(ambassador=new, actor=ambassador_user)
    assert not Ambassador.objects.filter(student_id="77").exists()


def test_staff_change_pay_and_the_audit_has_old_and_new(ops_client, ops_user, me):
    url = reverse("admin:ambassadors_ambassador_change", args=[me.pk])
    data = {**posted(ops_client.get(url)), "hourly_rate": "30", "stipend": "800"}
    assert ops_client.post(url, data).status_code == 302
    me.refresh_from_db()
    assert (me.hourly_rate, me.stipend) == (Decimal("30.00"), Decimal("800.00"))
    row = AuditLog.objects.get(action="ambassador.pay")
    assert row.actor == ops_user and row.school_id == me.school_id
    assert row.object_id == str(me.pk)
    assert row.data == {
        "changes": {
            "hourly_rate": {"old": "25.00", "new": "30.00"},
            "stipend": {"old": "0.00", "new": "800.00"},
        }
    }
    # Saving again without a change of pay writes no second row.
    assert ops_client.post(url, data).status_code == 302
    assert AuditLog.objects.filter(action="ambassador.pay").count() == 1


def test_an_interns_roster_import_cannot_set_pay(ambassador_user, me):
    from campaigns.rosters.pipeline import import_scope_build
    from campaigns.rosters.service import roster_import_file
    from tests.spreadsheet_files import xlsx

    scope = import_scope_build(user=ambassador_user, school=me.school)
    rows = [["姓名", "学号", "时薪", "补贴"], [me.name, me.student_id, 999, 50000]]
    report = roster_import_file(
        kind="ambassadors", data=xlsx(rows), file_name="t.xlsx", scope=scope, dry_run=False
    )
    assert [p.line for p in report.problems] == [2]
    assert "Only operations staff" in report.problems[0].message or report.problems
    me.refresh_from_db()
    assert me.hourly_rate == Decimal("25.00") and me.stipend == 0
    # A new teammate with pay is refused as well; without, imported.
    rows = [["姓名", "学号", "时薪"], ["新人", "0555", 40]]
    report = roster_import_file(
        kind="ambassadors", data=xlsx(rows), file_name="t.xlsx", scope=scope, dry_run=False
    )
    assert report.problems and not Ambassador.objects.filter(student_id="0555").exists()
    rows = [["姓名", "学号", "时薪"], ["新人", "0555", None]]
    report = roster_import_file(
        kind="ambassadors", data=xlsx(rows), file_name="t.xlsx", scope=scope, dry_run=False
    )
    assert report.ok and Ambassador.objects.get(student_id="0555").hourly_rate == 0


def test_a_staff_import_changing_pay_is_audited_old_and_new(ops_user, me):
    from campaigns.rosters.pipeline import import_scope_build
    from campaigns.rosters.service import roster_import_file
    from tests.spreadsheet_files import xlsx

    scope = import_scope_build(user=ops_user, school=me.school)
    rows = [["姓名", "学号", "时薪"], [me.name, me.student_id, 35]]
    preview = roster_import_file(
        kind="ambassadors", data=xlsx(rows), file_name="t.xlsx", scope=scope, dry_run=True
    )
    assert preview.ok and not AuditLog.objects.filter(action="ambassador.pay").exists()
    report = roster_import_file(
        kind="ambassadors", data=xlsx(rows), file_name="t.xlsx", scope=scope, dry_run=False
    )
    assert report.ok and report.updated == 1
    row = AuditLog.objects.get(action="ambassador.pay")
    assert row.actor == ops_user
    assert row.data == {"changes": {"hourly_rate": {"old": "25.00", "new": "35.00"}}}


# --- Approved hours -----------------------------------------------------------------------


@pytest.fixture
def approved(me) -> WorkLog:
    return WorkLogFactory(ambassador=me, hours=Decimal("3.5"), approved=True)


def test_an_intern_cannot_change_approved_hours_in_admin(ambassador_client, approved):
    url = reverse("admin:ambassadors_worklog_change", args=[approved.pk])
    page = ambassador_client.get(url)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]  # shown read-only
    response = ambassador_client.post(
        url,
        {
            "ambassador": approved.ambassador_id,
            "date": approved.date.isoformat(),
            "hours": "23.5",
            "task": approved.task,
        },
    )
    assert response.status_code == 403
    approved.refresh_from_db()
    assert approved.hours == Decimal("3.50") and approved.approved


def test_an_intern_cannot_delete_approved_hours(ambassador_client, approved, me):
    pending = WorkLogFactory(ambassador=me)
    url = reverse("admin:ambassadors_worklog_delete", args=[approved.pk])
    assert ambassador_client.post(url, {"post": "yes"}).status_code == 403
    # Nor through the list's bulk delete, mixed with a deletable one.
    response = ambassador_client.post(
        reverse("admin:ambassadors_worklog_changelist"),
        {"action": "delete_selected", "_selected_action": [approved.pk, pending.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302, 403)
    assert WorkLog.objects.filter(pk=approved.pk).exists()
    # Their own unapproved hours they still delete.
    url = reverse("admin:ambassadors_worklog_delete", args=[pending.pk])
    assert ambassador_client.post(url, {"post": "yes"}).status_code == 302
    assert not WorkLog.objects.filter(pk=pending.pk).exists()


def test_an_intern_edits_unapproved_hours_but_cannot_approve_them(ambassador_client, me):
    log = WorkLogFactory(ambassador=me)
    url = reverse("admin:ambassadors_worklog_change", args=[log.pk])
    response = ambassador_client.post(
        url,
        {
            "ambassador": me.pk,
            "date": log.date.isoformat(),
            "hours": "4",
            "task": log.task,
            "approved": "on",
        },
    )
    assert response.status_code == 302
    log.refresh_from_db()
    assert log.hours == Decimal("4.00") and not log.approved


def test_the_services_refuse_an_intern_on_approved_hours(ambassador_user, approved):
    approved.hours = Decimal("23.5")
    with pytest.raises(WorkLogApproved):
        worklog_save(worklog=approved, actor=ambassador_user)
    with pytest.raises(WorkLogApproved):
        worklog_delete(worklog=approved, actor=ambassador_user)
    with pytest.raises(WorkLogApproved):
        worklogs_approve(worklog_ids=[approved.pk], actor=ambassador_user)
    stored = WorkLog.objects.get(pk=approved.pk)
    assert stored.hours == Decimal("3.50") and stored.approved


def test_staff_correct_approved_hours_audited_old_and_new(ops_client, ops_user, approved):
    url = reverse("admin:ambassadors_worklog_change", args=[approved.pk])
    data = {**posted(ops_client.get(url)), "hours": "2"}
    assert ops_client.post(url, data).status_code == 302
    row = AuditLog.objects.get(action="worklog.change")
    assert row.actor == ops_user and row.object_id == str(approved.pk)
    assert row.data == {"changes": {"hours": {"old": "3.50", "new": "2"}}} or row.data == {
        "changes": {"hours": {"old": "3.50", "new": "2.00"}}
    }
    worklog_delete(worklog=approved, actor=ops_user)
    row = AuditLog.objects.get(action="worklog.delete")
    assert row.data["old"]["approved"] is True and row.data["id"] == approved.pk


# --- Masked fields -----------------------------------------------------------------------


def test_an_intern_cannot_filter_or_search_on_masked_phones(ambassador_client, me):
    target = AmbassadorFactory(school=me.school, phone="+8613912345678")
    changelist = reverse("admin:ambassadors_ambassador_changelist")
    # The attack: narrow the list down digit by digit. Every lookup naming the phone is
    # refused (400), whatever the prefix, so no answer tells one digit from another.
    answers = set()
    for digit in "0123456789":
        for lookup in ("phone__startswith", "phone__contains", "phone", "phone__regex"):
            response = ambassador_client.get(changelist, {lookup: "+86139" + digit})
            answers.add(response.status_code)
    assert answers == {400}
    for url, lookup in (
        (reverse("admin:ambassadors_worklog_changelist"), "ambassador__phone__startswith"),
        (reverse("admin:voting_entry_changelist"), "submitted_by__phone__startswith"),
        (changelist, "user__ambassador__phone__startswith"),
    ):
        assert ambassador_client.get(url, {lookup: "+86139"}).status_code == 400, lookup
    # The search box does not look at phones either.
    response = ambassador_client.get(changelist, {"q": "13912345678"})
    assert response.status_code == 200
    assert target not in response.context["cl"].result_list


def test_staff_still_filter_on_phones(ops_client, me):
    target = AmbassadorFactory(school=me.school, phone="+8613912345678")
    response = ops_client.get(
        reverse("admin:ambassadors_ambassador_changelist"), {"phone__startswith": "+8613912"}
    )
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [target]


# --- Approved entries -----------------------------------------------------------------------


@pytest.fixture
def approved_entry(me):
    from campaigns.models import Campaign

    campaign = Campaign.objects.filter(pilot__school=me.school).first()
    entry = EntryFactory(campaign__pilot__school=me.school) if campaign is None else None
    entry = entry or EntryFactory(campaign=campaign)
    type(entry).objects.filter(pk=entry.pk).update(status="approved")
    entry.refresh_from_db()
    return entry


def test_an_interns_edit_of_an_approved_entry_goes_back_to_moderation(
    ambassador_client, ambassador_user, approved_entry
):
    url = reverse("admin:voting_entry_change", args=[approved_entry.pk])
    data = {**posted(ambassador_client.get(url)), "name": "换了名字"}
    data.pop("photo", None)
    assert ambassador_client.post(url, data).status_code == 302
    approved_entry.refresh_from_db()
    assert approved_entry.name == "换了名字"
    assert approved_entry.status == "pending"
    row = AuditLog.objects.get(action="entry.back_to_moderation")
    assert row.actor == ambassador_user and row.data == {"changed": ["name"]}


def test_an_interns_save_without_change_keeps_the_entry_approved(ambassador_client, approved_entry):
    url = reverse("admin:voting_entry_change", args=[approved_entry.pk])
    data = posted(ambassador_client.get(url))
    data.pop("photo", None)
    assert ambassador_client.post(url, data).status_code == 302
    approved_entry.refresh_from_db()
    assert approved_entry.status == "approved"


def test_a_staff_edit_of_an_approved_entry_stands(ops_client, approved_entry):
    url = reverse("admin:voting_entry_change", args=[approved_entry.pk])
    data = {**posted(ops_client.get(url)), "caption": "改个说明"}
    data.pop("photo", None)
    assert ops_client.post(url, data).status_code == 302
    approved_entry.refresh_from_db()
    assert approved_entry.caption == "改个说明" and approved_entry.status == "approved"


def test_an_interns_contestant_import_renaming_an_approved_entry_sends_it_back(
    ambassador_user, ops_user, me, approved_entry
):
    from campaigns.rosters.pipeline import import_scope_build
    from campaigns.rosters.service import roster_import_file
    from tests.spreadsheet_files import xlsx

    type(approved_entry).objects.filter(pk=approved_entry.pk).update(student_id="0001")
    campaign = approved_entry.campaign

    def import_as(user, name):
        scope = import_scope_build(user=user, school=me.school, campaign=campaign)
        rows = [["姓名", "学号"], [name, "0001"]]
        return roster_import_file(
            kind="contestants", data=xlsx(rows), file_name="c.xlsx", scope=scope, dry_run=False
        )

    assert import_as(ops_user, "员工改名").ok
    approved_entry.refresh_from_db()
    assert (approved_entry.name, approved_entry.status) == ("员工改名", "approved")
    assert import_as(ambassador_user, "实习生改名").ok
    approved_entry.refresh_from_db()
    assert (approved_entry.name, approved_entry.status) == ("实习生改名", "pending")
