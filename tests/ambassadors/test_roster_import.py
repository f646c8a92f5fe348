"""Importing the team roster and work hours from interns' spreadsheets, through the
``import_roster`` command (docs/contract.md) and the service behind it and the admin.

Every rejected file leaves the database exactly as it was."""

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from ambassadors.models import Ambassador, WorkLog
from campaigns.models import AuditLog
from campaigns.rosters.pipeline import import_scope_build
from campaigns.rosters.service import roster_import_file
from tests.factories import AmbassadorFactory, UserFactory, WorkLogFactory
from tests.spreadsheet_files import (
    ambassador_rows,
    csv_bytes,
    png_bytes,
    roster_snapshot,
    run_import,
    xls,
    xlsx,
    xlsx_billion_laughs,
)

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.fixture
def school(school_a):
    return school_a


# --- files that import ------------------------------------------------------------------

GOOD_ROWS = ambassador_rows(3)


@pytest.mark.parametrize(
    "name, data",
    [
        ("team.xlsx", xlsx(GOOD_ROWS)),
        ("team.xls", xls(GOOD_ROWS)),
        ("team.csv", csv_bytes(GOOD_ROWS, "utf-8")),
        ("team.csv", csv_bytes(GOOD_ROWS, "utf-8-sig")),
        ("team.csv", csv_bytes(GOOD_ROWS, "gbk")),
        ("team.csv", csv_bytes(GOOD_ROWS, "gb18030")),
    ],
    ids=["xlsx", "xls", "csv-utf8", "csv-utf8-bom", "csv-gbk", "csv-gb18030"],
)
def test_each_format_and_encoding_imports(tmp_path, school, name, data):
    code, out, err = run_import("ambassadors", write(tmp_path, name, data), "--school", "fudan")
    assert code == 0, out + err
    assert "3 new" in out
    team = {a.student_id: a for a in Ambassador.objects.filter(school=school)}
    assert set(team) == {"00000000", "00000001", "00000002"}  # leading zeros kept
    lead = team["00000000"]
    assert lead.name == "学生0"
    assert lead.role == Ambassador.Role.LEAD
    assert lead.phone == "+8613900000000"  # normalised as the API does
    assert lead.hourly_rate == Decimal("25.00")
    assert lead.stipend == Decimal("100.00")
    assert lead.email == "s0@example.cn"
    assert team["00000001"].role == Ambassador.Role.INTERN
    assert len({a.referral_code for a in team.values()}) == 3


def test_english_headers_reordered_with_extra_columns_and_stray_spaces(tmp_path, school):
    rows = [
        [" Student ID ", "Notes", "NAME", "Mobile", "Role", "Hourly Rate", "ｅｍａｉｌ"],
        ["０１２３", "extra", " Wang  Wei ", "138 0013 8000", "lead", "¥30", "w@example.cn"],
        [123, "", "Li Lei", 13800138001, "intern", "", ""],
    ]
    code, out, err = run_import(
        "ambassadors", write(tmp_path, "t.xlsx", xlsx(rows)), "--school", "fudan"
    )
    assert code == 0, out + err
    wang = Ambassador.objects.get(school=school, student_id="0123")
    assert wang.name == "Wang Wei"
    assert wang.phone == "+8613800138000"
    assert wang.hourly_rate == Decimal("30.00")
    assert wang.role == Ambassador.Role.LEAD
    li = Ambassador.objects.get(school=school, student_id="123")
    assert li.phone == "+8613800138001"  # a phone that Excel made a number
    assert li.hourly_rate == Decimal("0") and li.role == Ambassador.Role.INTERN


def test_reimport_changes_nothing_and_counts_unchanged(tmp_path, school):
    path = write(tmp_path, "team.xlsx", xlsx(ambassador_rows(5)))
    assert run_import("ambassadors", path, "--school", "fudan")[0] == 0
    before = roster_snapshot()
    code, out, _err = run_import("ambassadors", path, "--school", "fudan")
    assert code == 0
    assert "0 new, 0 updated, 5 unchanged" in out
    assert roster_snapshot() == before


def test_reimport_with_a_change_updates_that_row_only(tmp_path, school):
    assert (
        run_import(
            "ambassadors", write(tmp_path, "a.xlsx", xlsx(ambassador_rows(3))), "--school", "fudan"
        )[0]
        == 0
    )
    rows = ambassador_rows(3)
    rows[2][5] = 40  # hourly rate of 00000001
    rows[3][2] = None  # a blank phone keeps the stored one
    code, out, _err = run_import(
        "ambassadors", write(tmp_path, "b.xlsx", xlsx(rows)), "--school", "fudan"
    )
    assert code == 0
    assert "0 new, 1 updated, 2 unchanged" in out
    assert Ambassador.objects.get(student_id="00000001").hourly_rate == Decimal("40.00")
    assert Ambassador.objects.get(student_id="00000002").phone == "+8613900000002"


def test_dry_run_writes_nothing_and_fires_no_hooks(
    tmp_path, school, django_capture_on_commit_callbacks
):
    path = write(tmp_path, "team.xlsx", xlsx(ambassador_rows(4)))
    before = roster_snapshot()
    audits = AuditLog.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        code, out, _err = run_import("ambassadors", path, "--school", "fudan", "--dry-run")
    assert code == 0
    assert "would import 4 rows: 4 new" in out
    assert roster_snapshot() == before
    assert AuditLog.objects.count() == audits
    assert callbacks == []


def test_every_import_is_audited(tmp_path, school):
    run_import(
        "ambassadors", write(tmp_path, "队员.xlsx", xlsx(ambassador_rows(2))), "--school", "fudan"
    )
    log = AuditLog.objects.get(action="import.ambassadors")
    assert log.school == school
    assert log.data == {
        "file": "队员.xlsx",
        "kind": "ambassadors",
        "rows": 2,
        "new": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": 0,
    }


# --- files that are refused, leaving the database unchanged --------------------------------


def refused(tmp_path, name, data, *args, kind="ambassadors"):
    before = roster_snapshot()
    code, out, err = run_import(kind, write(tmp_path, name, data), "--school", "fudan", *args)
    assert code == 1, out + err
    assert roster_snapshot() == before
    assert "nothing was imported" in err
    return out


@pytest.fixture
def existing(school):
    """A stored ambassador, so "unchanged" is about more than an empty table."""
    return AmbassadorFactory(school=school, student_id="00000001", name="学生1")


def test_bad_phone_is_a_row_error(tmp_path, school, existing):
    rows = ambassador_rows(3)
    rows[2][2] = "12345"
    rows[3][2] = "+1 650 555 0100"
    out = refused(tmp_path, "t.xlsx", xlsx(rows))
    assert out.splitlines()[0].startswith("row 3: 手机号: ")
    assert out.splitlines()[1].startswith("row 4: 手机号: ")


def test_duplicate_student_ids_in_one_file(tmp_path, school, existing):
    rows = ambassador_rows(3)
    rows.append(["又一个", "00000001", "", "", "", "", "", ""])
    out = refused(tmp_path, "t.csv", csv_bytes(rows))
    assert out.strip() == "row 5: student id 00000001 is already in row 3 of this file"


def test_wrong_school_row(tmp_path, school, school_b, existing):
    rows = ambassador_rows(2)
    rows[2][3] = "同济大学"
    out = refused(tmp_path, "t.xlsx", xlsx(rows))
    assert out.startswith("row 3: 学校: 同济大学 is not the school of this import (复旦大学)")


def test_text_in_number_columns(tmp_path, school):
    rows = ambassador_rows(2)
    rows[1][5] = "二十五"
    rows[2][6] = "-5"
    out = refused(tmp_path, "t.xlsx", xlsx(rows))
    assert 'row 2: 时薪: "二十五" is not a number' in out
    assert "row 3: 补贴: must be at least 0" in out


def test_formula_cell_without_cached_value(tmp_path, school):
    rows = ambassador_rows(2)
    rows[2][5] = "=20+5"
    out = refused(tmp_path, "t.xlsx", xlsx(rows))
    assert out.startswith("row 3: 时薪: a formula without a saved result")


def test_formula_injection_strings_are_refused_where_they_do_not_fit(tmp_path, school):
    rows = ambassador_rows(1)
    rows[1][1] = '=HYPERLINK("http://evil")'
    rows[1][7] = "@SUM(1+1)"
    out = refused(tmp_path, "t.csv", csv_bytes(rows))
    assert "学号" in out and "邮箱" in out


def test_formula_injection_text_is_stored_as_plain_text(tmp_path, school):
    # A name is free text: stored as typed; the export escapes it (tests/test_exports.py).
    rows = ambassador_rows(1)
    rows[1][0] = "=cmd|' /C calc'!A0"
    code, out, err = run_import(
        "ambassadors", write(tmp_path, "t.csv", csv_bytes(rows)), "--school", "fudan"
    )
    assert code == 0, out + err
    assert Ambassador.objects.get(student_id="00000000").name == "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("empty.xlsx", b"", "file: The file is empty."),
        ("empty.csv", b"", "file: The file is empty."),
        (
            "headers.xlsx",
            xlsx([ambassador_rows(0)[0]]),
            "file: The file has a header row but no data rows.",
        ),
        (
            "headers.csv",
            csv_bytes([ambassador_rows(0)[0]], "gbk"),
            "file: The file has a header row but no data rows.",
        ),
        (
            "missing.xlsx",
            xlsx([["姓名", "手机号"], ["张三", "13800138000"]]),
            "row 1: missing required column(s): 学号",
        ),
        ("photo.xlsx", png_bytes(), "file: This file is named like an Excel workbook"),
        ("bomb.xlsx", xlsx_billion_laughs(), "file: The workbook contains XML entity"),
    ],
    ids=[
        "empty-xlsx",
        "empty-csv",
        "headers-only",
        "headers-only-gbk",
        "missing-column",
        "png-renamed",
        "xml-bomb",
    ],
)
def test_whole_file_problems(tmp_path, school, existing, name, data, expected):
    out = refused(tmp_path, name, data)
    assert out.startswith(expected), out


def test_every_bad_row_is_reported_not_just_the_first(tmp_path, school):
    rows = ambassador_rows(6)
    for i in (1, 3, 5):
        rows[i][1] = "学号?"
    out = refused(tmp_path, "t.xlsx", xlsx(rows))
    assert [line.split(":")[0] for line in out.splitlines()] == ["row 2", "row 4", "row 6"]


# --- scope -------------------------------------------------------------------------------


def test_intern_cannot_import_into_another_school(tmp_path, school, school_b, ambassador_user):
    path = write(tmp_path, "t.xlsx", xlsx(ambassador_rows(2, school="同济大学", pay=False)))
    before = roster_snapshot()
    code, _out, err = run_import("ambassadors", path, "--school", "tongji", "--user", "intern-a")
    assert code == 1
    assert "only import into your own school" in err
    assert roster_snapshot() == before


def test_intern_row_naming_another_school_is_an_error(tmp_path, school, ambassador_user):
    rows = ambassador_rows(2, pay=False)
    rows[1][3] = "同济大学"
    before = roster_snapshot()
    code, out, _err = run_import(
        "ambassadors",
        write(tmp_path, "t.xlsx", xlsx(rows)),
        "--school",
        "fudan",
        "--user",
        "intern-a",
    )
    assert code == 1
    assert "row 2: 学校: 同济大学 is not your school" in out
    assert roster_snapshot() == before


def test_intern_imports_into_own_school_and_is_named_in_the_audit(
    tmp_path, school, ambassador_user
):
    code, out, err = run_import(
        "ambassadors",
        write(tmp_path, "t.xlsx", xlsx(ambassador_rows(2, pay=False))),
        "--school",
        "fudan",
        "--user",
        "intern-a",
    )
    assert code == 0, out + err
    assert AuditLog.objects.get(action="import.ambassadors").actor == ambassador_user


def test_staff_import_anywhere(tmp_path, school_b):
    UserFactory(username="ops2", role="staff")
    code, out, err = run_import(
        "ambassadors",
        write(tmp_path, "t.xlsx", xlsx(ambassador_rows(2, school="tongji"))),
        "--school",
        "tongji",
        "--user",
        "ops2",
    )
    assert code == 0, out + err
    assert Ambassador.objects.filter(school=school_b).count() == 2


def test_same_student_id_in_two_schools_are_two_ambassadors(tmp_path, school, school_b):
    AmbassadorFactory(school=school_b, student_id="00000000")
    assert (
        run_import(
            "ambassadors", write(tmp_path, "t.xlsx", xlsx(ambassador_rows(1))), "--school", "fudan"
        )[0]
        == 0
    )
    assert Ambassador.objects.filter(student_id="00000000").count() == 2


# --- big files ---------------------------------------------------------------------------


@pytest.mark.slow
def test_ten_thousand_rows(school):
    data = xlsx(ambassador_rows(10_000))
    scope = import_scope_build(user=None, school=school)
    preview = roster_import_file(
        kind="ambassadors", data=data, file_name="big.xlsx", scope=scope, dry_run=True
    )
    assert preview.ok and preview.new == 10_000
    assert Ambassador.objects.count() == 0
    report = roster_import_file(
        kind="ambassadors", data=data, file_name="big.xlsx", scope=scope, dry_run=False
    )
    assert report.ok and report.new == 10_000
    assert Ambassador.objects.filter(school=school).count() == 10_000
    again = roster_import_file(
        kind="ambassadors", data=data, file_name="big.xlsx", scope=scope, dry_run=False
    )
    assert again.unchanged == 10_000 and again.new == again.updated == 0


@pytest.mark.slow
def test_ten_thousand_rows_with_one_bad_row_write_nothing(school):
    rows = ambassador_rows(10_000)
    rows[9_000][1] = "坏学号"
    scope = import_scope_build(user=None, school=school)
    with translation.override("en"):  # the wording the import_roster command prints
        report = roster_import_file(
            kind="ambassadors", data=xlsx(rows), file_name="big.xlsx", scope=scope, dry_run=False
        )
        assert [str(p) for p in report.problems] == ['row 9001: 学号: "坏学号" is not a student id']
    assert Ambassador.objects.count() == 0


# --- work logs ---------------------------------------------------------------------------


@pytest.fixture
def team(school):
    return [
        AmbassadorFactory(school=school, student_id="001", name="张三"),
        AmbassadorFactory(school=school, student_id="002", name="李四"),
    ]


def test_worklogs_import_with_chinese_dates(tmp_path, school, team):
    rows = [
        ["学号", "姓名", "日期", "工时", "工作内容"],
        ["001", "张三", "2026/9/1", 3.5, "摆摊宣传"],
        ["002", "李四", "2026年9月2日", "2", "发传单"],
        [2, "", dt.datetime(2026, 9, 3), 1, "拍照"],
    ]
    code, out, err = run_import(
        "worklogs", write(tmp_path, "h.xlsx", xlsx(rows)), "--school", "fudan"
    )
    assert code == 0, out + err
    logs = {(w.ambassador.student_id, w.date): w for w in WorkLog.objects.all()}
    assert logs[("001", dt.date(2026, 9, 1))].hours == Decimal("3.5")
    assert logs[("002", dt.date(2026, 9, 3))].task == "拍照"
    assert not any(w.approved for w in logs.values())
    code, out, _err = run_import(
        "worklogs", write(tmp_path, "h.xlsx", xlsx(rows)), "--school", "fudan"
    )
    assert "3 unchanged" in out


def test_worklog_errors(tmp_path, school, team, school_b):
    AmbassadorFactory(school=school_b, student_id="003")
    rows = [
        ["学号", "姓名", "日期", "小时", "任务"],
        ["001", "张三", "2026/9/1", -2, "摆摊"],  # negative hours
        ["002", "王五", "2026/9/1", 2, "摆摊"],  # name does not match the id
        ["003", "", "2026/9/1", 2, "摆摊"],  # another school's ambassador
        ["001", "", "9/1/2026", 2, "摆摊"],  # ambiguous date
        ["001", "", "2026/9/2", "两小时", "摆摊"],  # text in a number column
        ["001", "", "2026/9/3", 25, "摆摊"],  # more than a day
        ["001", "", "2026/9/4", 2, ""],  # no task
    ]
    out = refused(tmp_path, "h.xlsx", xlsx(rows), kind="worklogs")
    lines = out.splitlines()
    assert lines[0] == "row 2: 小时: must be more than 0, not -2.00"
    assert lines[1] == "row 3: 姓名: student id 002 is 李四, not 王五"
    assert lines[2] == "row 4: 学号: no ambassador of 复旦大学 has student id 003"
    assert lines[3].startswith("row 5: 日期:")
    assert lines[4].startswith('row 6: 小时: "两小时" is not a number')
    assert lines[5] == "row 7: 小时: must be at most 24, not 25.00"
    assert lines[6].startswith("row 8: 任务: required")


def test_approved_hours_cannot_be_changed_by_import(tmp_path, school, team):
    WorkLogFactory(
        ambassador=team[0], date=dt.date(2026, 9, 1), task="摆摊", hours=2, approved=True
    )
    rows = [["学号", "日期", "小时", "任务"], ["001", "2026-09-01", 5, "摆摊"]]
    out = refused(tmp_path, "h.csv", csv_bytes(rows), kind="worklogs")
    assert "approved already" in out


def test_duplicate_worklog_key_in_one_file(tmp_path, school, team):
    rows = [
        ["学号", "日期", "小时", "任务"],
        ["001", "2026-09-01", 1, "摆摊"],
        ["001", "2026/9/1", 2, "摆摊"],
    ]
    out = refused(tmp_path, "h.csv", csv_bytes(rows), kind="worklogs")
    assert out.startswith("row 3: 001 / 2026-09-01 / 摆摊 is already in row 2")


# --- the command as a process ------------------------------------------------------------


@pytest.mark.slow
def test_command_exit_codes_as_a_process(tmp_path, school, transactional_db):
    """The contract as an operator sees it: exit status and output of manage.py."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": _database_url(),
    }
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    good = write(tmp_path, "good.xlsx", xlsx(ambassador_rows(2)))
    bad_rows = ambassador_rows(2)
    bad_rows[2][2] = "123"
    bad = write(tmp_path, "bad.xlsx", xlsx(bad_rows))
    run = subprocess.run(
        [sys.executable, manage, "import_roster", "ambassadors", bad, "--school", "fudan"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    # The site's language (LANGUAGE_CODE) unless --language says otherwise.
    assert run.stdout.startswith("第 3 行: 手机号:")
    run = subprocess.run(
        [sys.executable, manage, "import_roster", "ambassadors", good, "--school", "fudan"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert Ambassador.objects.filter(school=school).count() == 2


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def test_student_id_that_excel_made_a_number_matches_the_stored_one(tmp_path, school):
    AmbassadorFactory(school=school, student_id="007", name="邦德", hourly_rate=20)
    rows = [["姓名", "学号", "时薪"], ["邦德", 7, 30]]
    code, out, err = run_import(
        "ambassadors", write(tmp_path, "t.xlsx", xlsx(rows)), "--school", "fudan"
    )
    assert code == 0, out + err
    assert "1 updated" in out
    assert Ambassador.objects.get().hourly_rate == Decimal("30.00")


# --- the library's traps (docs/library-traps.md) -----------------------------------------


def test_query_count_does_not_grow_with_rows(school):
    """One prefetch per import and batched writes: not one SELECT per row (#921)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaigns.rosters.service import roster_import_dataset
    from core.spreadsheets.reading import read_sheet
    from core.spreadsheets.stash import sheet_to_dataset

    AmbassadorFactory(school=school, student_id="00000001", name="学生1")
    scope = import_scope_build(user=None, school=school)
    selects = []
    for rows in (50, 1500):
        dataset = sheet_to_dataset(read_sheet(xlsx(ambassador_rows(rows, start=rows))))
        with CaptureQueriesContext(connection) as queries:
            report = roster_import_dataset(
                kind="ambassadors",
                dataset=dataset,
                file_name="t.xlsx",
                scope=scope,
                dry_run=False,
            )
        assert report.ok and report.new == rows
        sql = [q["sql"] for q in queries.captured_queries]
        selects.append(sum(s.startswith("SELECT") for s in sql))
        # INSERTs come in batches (SQLite caps the parameters of one statement).
        assert sum(s.startswith("INSERT") for s in sql) <= 2 + rows // 50
    assert selects[0] == selects[1] <= 4


def test_a_database_error_at_confirm_rolls_everything_back(school, monkeypatch):
    from django.db import IntegrityError
    from django.db.models.query import QuerySet

    real = QuerySet.bulk_create
    calls = []

    def second_batch_fails(self, objs, *args, **kwargs):
        calls.append(len(objs))
        if len(calls) == 2:
            raise IntegrityError("simulated")
        return real(self, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", second_batch_fails)
    scope = import_scope_build(user=None, school=school)
    with translation.override("en"):  # the wording the import_roster command prints
        report = roster_import_file(
            kind="ambassadors",
            data=xlsx(ambassador_rows(2500)),
            file_name="t.xlsx",
            scope=scope,
            dry_run=False,
        )
    assert not report.ok
    assert "nothing was imported" in report.problems[0].message
    assert Ambassador.objects.count() == 0
    assert not AuditLog.objects.exists()


def test_only_the_active_sheet_is_read(tmp_path, school):
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "说明"
    notes.append(["这张表不导入"])
    team = workbook.create_sheet("队员")
    for row in ambassador_rows(2):
        team.append(row)
    workbook.active = team
    out = io.BytesIO()
    workbook.save(out)
    code, text, err = run_import(
        "ambassadors", write(tmp_path, "t.xlsx", out.getvalue()), "--school", "fudan"
    )
    assert code == 0, text + err
    assert Ambassador.objects.count() == 2


def test_import_export_settings_are_explicit(settings):
    # Open by default (#608, #820); local temp storage breaks multi-node confirms (#251).
    assert settings.IMPORT_EXPORT_IMPORT_PERMISSION_CODE == "add"
    assert settings.IMPORT_EXPORT_EXPORT_PERMISSION_CODE == "view"
    # The library's MediaStorage, on the shared private storage (docs/files.md).
    from django.utils.module_loading import import_string
    from import_export.tmp_storages import MediaStorage

    assert issubclass(import_string(settings.IMPORT_EXPORT_TMP_STORAGE_CLASS), MediaStorage)
    assert settings.STORAGES["import_export"]["BACKEND"] == "core.storage.PrivateStorage"
