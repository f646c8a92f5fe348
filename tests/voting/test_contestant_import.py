"""Importing contestants (entries of a campaign) with an optional zip of photos, through
the command and the admin; and expenses."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import Expense, Round
from tests.factories import CampaignFactory, EntryFactory, ExpenseFactory
from tests.spreadsheet_files import csv_bytes, photos_zip, roster_snapshot, run_import, xlsx
from voting.models import Entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(school_a):
    return CampaignFactory(pilot__school=school_a, slug="run-a", pilot__name="秋季试点")


@pytest.fixture
def other_campaign(school_b):
    return CampaignFactory(pilot__school=school_b, slug="run-b")


def write(tmp_path, name, data) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


CONTESTANTS = [
    ["姓名", "学号", "配文", "照片"],
    ["陈一", "0001", "夜跑十公里", "chen.jpg"],
    ["林二", 2, "晨跑", ""],
]


def test_contestants_import_with_photos(
    tmp_path, campaign, media_root, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        code, out, err = run_import(
            "contestants",
            write(tmp_path, "c.xlsx", xlsx(CONTESTANTS)),
            "--school",
            "fudan",
            "--campaign",
            "run-a",
            "--photos",
            write(tmp_path, "p.zip", photos_zip(["Chen.JPG"])),
        )
    assert code == 0, out + err
    assert callbacks  # the thumbnails, asked for once the import committed
    chen = Entry.objects.get(student_id="0001")
    assert chen.campaign == campaign and chen.round == campaign.rounds.get()
    assert chen.status == Entry.Status.PENDING  # moderation still applies
    assert chen.photo and chen.thumbnail and chen.share_code
    assert Entry.objects.get(student_id="2").photo.name == ""
    code, out, _err = run_import(
        "contestants",
        write(tmp_path, "c.xlsx", xlsx(CONTESTANTS)),
        "--school",
        "fudan",
        "--campaign",
        "run-a",
        "--photos",
        write(tmp_path, "p.zip", photos_zip(["chen.jpg"])),
    )
    assert code == 0
    assert "0 new, 1 updated, 1 unchanged" in out  # the re-sent photo replaces the old one


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_contestant_errors_write_nothing(tmp_path, campaign, media_root):
    EntryFactory(campaign=campaign, student_id="0009", name="已报名")
    rows = [
        ["姓名", "学号", "照片"],
        ["甲", "0001", "missing.jpg"],  # not in the zip
        ["乙", "0002", "notes.txt"],  # not an image
        ["", "0003", ""],  # no name
        ["丙", "0001", ""],  # duplicate student id
    ]
    buffer = io.BytesIO(photos_zip([]))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("notes.txt", "hello")
    before = roster_snapshot()
    code, out, _err = run_import(
        "contestants",
        write(tmp_path, "c.csv", csv_bytes(rows)),
        "--school",
        "fudan",
        "--campaign",
        "run-a",
        "--photos",
        write(tmp_path, "p.zip", buffer.getvalue()),
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == 'row 2: 照片: "missing.jpg" is not in the zip of photos'
    assert lines[1].startswith("row 3: 照片: notes.txt:")
    assert lines[2] == "row 4: 姓名: required"
    assert lines[3] == "row 5: student id 0001 is already in row 2 of this file"
    assert roster_snapshot() == before
    assert not media_root.exists() or not list(media_root.rglob("*.jpg"))  # no file stored


def test_photo_named_without_a_zip(tmp_path, campaign):
    code, out, _err = run_import(
        "contestants",
        write(tmp_path, "c.xlsx", xlsx(CONTESTANTS)),
        "--school",
        "fudan",
        "--campaign",
        "run-a",
    )
    assert code == 1
    assert out.startswith("row 2: 照片: chen.jpg: upload the zip of photos")


def test_campaign_of_another_school_is_refused(tmp_path, campaign, other_campaign):
    rows = [["姓名", "学号"], ["甲", "1"]]
    before = roster_snapshot()
    code, _out, err = run_import(
        "contestants",
        write(tmp_path, "c.xlsx", xlsx(rows)),
        "--school",
        "fudan",
        "--campaign",
        "run-b",
    )
    assert code == 1
    assert "belongs to another school" in err
    assert roster_snapshot() == before


def test_daily_topics_need_a_round_column(tmp_path, campaign):
    Round.objects.create(campaign=campaign, number=2, topic="最美腹肌")
    rows = [["姓名", "学号", "轮次"], ["甲", "1", "最美腹肌"], ["乙", "2", 1], ["丙", "3", ""]]
    code, out, _err = run_import(
        "contestants",
        write(tmp_path, "c.xlsx", xlsx(rows)),
        "--school",
        "fudan",
        "--campaign",
        "run-a",
    )
    assert code == 1
    assert out.strip() == "row 4: 轮次: required: this campaign has 2 rounds"
    rows.pop()
    code, out, err = run_import(
        "contestants",
        write(tmp_path, "c.xlsx", xlsx(rows)),
        "--school",
        "fudan",
        "--campaign",
        "run-a",
    )
    assert code == 0, out + err
    assert Entry.objects.get(student_id="1").round.number == 2
    # One student may enter each daily round: the key is round + student id.
    rows[2][2] = "最美腹肌"
    rows[2][1] = "1"
    code, out, _err = run_import(
        "contestants",
        write(tmp_path, "c.xlsx", xlsx(rows)),
        "--school",
        "fudan",
        "--campaign",
        "run-a",
    )
    assert "row 3: student id 1 is already in row 2" in out


def test_admin_contestant_import_by_intern(
    ambassador_client, ambassador_user, campaign, other_campaign, media_root
):
    url = reverse("admin:voting_entry_import")
    page = ambassador_client.get(url)
    assert list(page.context["form"].fields["campaign"].queryset) == [campaign]
    preview = ambassador_client.post(
        url,
        {
            "format": "0",
            "resource": "0",
            "campaign": campaign.pk,
            "import_file": SimpleUploadedFile("c.xlsx", xlsx(CONTESTANTS)),
            "photos": SimpleUploadedFile("p.zip", photos_zip(["chen.jpg"])),
        },
    )
    assert preview.status_code == 200
    assert not preview.context["result"].problems
    assert Entry.objects.count() == 0
    form = preview.context["confirm_form"]
    data = {k: "" if form[k].value() is None else form[k].value() for k in form.fields}
    assert (
        ambassador_client.post(reverse("admin:voting_entry_process_import"), data).status_code
        == 302
    )
    chen = Entry.objects.get(student_id="0001")
    assert chen.submitted_by == ambassador_user.ambassador
    assert chen.photo
    # Another school's campaign is not a choice.
    response = ambassador_client.post(
        url,
        {
            "format": "0",
            "resource": "0",
            "campaign": other_campaign.pk,
            "import_file": SimpleUploadedFile("c.xlsx", xlsx(CONTESTANTS)),
        },
    )
    assert "campaign" in response.context["form"].errors


# --- expenses ------------------------------------------------------------------------------


EXPENSES = [
    ["日期", "类别", "金额", "备注"],
    ["2026/9/1", "印刷", "¥1,200.50", "海报"],
    ["2026-09-02", "奖品", 300, "手环"],
    ["2026年9月2日", "printing", "80", ""],
]


def test_expenses_import_into_the_only_pilot(tmp_path, campaign):
    code, out, err = run_import(
        "expenses", write(tmp_path, "e.xlsx", xlsx(EXPENSES)), "--school", "fudan"
    )
    assert code == 0, out + err
    assert Expense.objects.filter(pilot=campaign.pilot).count() == 3
    poster = Expense.objects.get(note="海报")
    assert (poster.category, poster.amount) == ("printing", Decimal("1200.50"))
    code, out, _err = run_import(
        "expenses", write(tmp_path, "e.xlsx", xlsx(EXPENSES)), "--school", "fudan"
    )
    assert "3 unchanged" in out
    fixed = [row[:] for row in EXPENSES]
    fixed[1][2] = "1100"
    code, out, _err = run_import(
        "expenses", write(tmp_path, "e.xlsx", xlsx(fixed)), "--school", "fudan"
    )
    assert "0 new, 1 updated, 2 unchanged" in out
    assert Expense.objects.get(note="海报").amount == Decimal("1100.00")


def test_expense_errors(tmp_path, campaign):
    ExpenseFactory(pilot=campaign.pilot, note="旧")
    rows = [
        ["日期", "类别", "金额", "备注", "试点", "活动"],
        ["2026/9/1", "餐饮", "10", "", "", ""],  # unknown category
        ["2026/9/1", "印刷", "-10", "a", "", ""],  # negative
        ["2026/9/1", "印刷", "十元", "b", "", ""],  # text in a number column
        ["2026/9/1", "印刷", "10", "c", "春季试点", ""],  # no such pilot
        ["2026/9/1", "印刷", "10", "d", "", "no-such"],  # no such campaign
        ["2026/9/1", "印刷", "10", "e", "", "run-a"],
        ["2026/9/1", "印刷", "12", "e", "秋季试点", ""],  # same key as the row above
    ]
    before = roster_snapshot()
    code, out, _err = run_import(
        "expenses", write(tmp_path, "e.xlsx", xlsx(rows)), "--school", "fudan"
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith('row 2: 类别: "餐饮" is not one of')
    assert lines[1] == "row 3: 金额: must be at least 0, not -10.00"
    assert lines[2] == 'row 4: 金额: "十元" is not a number'
    assert lines[3] == "row 5: 试点: 复旦大学 has no pilot named 春季试点"
    assert lines[4] == "row 6: 活动: the pilot 秋季试点 has no campaign no-such"
    assert lines[5] == "row 8: 2026-09-01 / printing / e is already in row 7 of this file"
    assert roster_snapshot() == before


def test_expenses_need_a_pilot_column_when_the_school_has_several(tmp_path, campaign):
    CampaignFactory(pilot__school=campaign.pilot.school, pilot__name="春季试点")
    code, out, _err = run_import(
        "expenses", write(tmp_path, "e.xlsx", xlsx(EXPENSES)), "--school", "fudan"
    )
    assert code == 1
    assert out.startswith("row 2: 试点: required: 复旦大学 has 2 pilots")


def test_intern_imports_expenses_of_own_school_only(
    tmp_path, campaign, other_campaign, ambassador_user
):
    before = roster_snapshot()
    code, _out, err = run_import(
        "expenses",
        write(tmp_path, "e.xlsx", xlsx(EXPENSES)),
        "--school",
        "tongji",
        "--user",
        "intern-a",
    )
    assert code == 1 and "own school" in err
    assert roster_snapshot() == before
    code, out, err = run_import(
        "expenses",
        write(tmp_path, "e.xlsx", xlsx(EXPENSES)),
        "--school",
        "fudan",
        "--user",
        "intern-a",
    )
    assert code == 0, out + err


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_hostile_photos_in_the_zip_are_row_errors_and_nothing_is_written(
    tmp_path, campaign, media_root
):
    from tests.voting import image_corpus as corpus

    rows = [
        ["姓名", "学号", "照片"],
        ["甲", "0001", "bomb.png"],
        ["乙", "0002", "script.jpg"],
        ["丙", "0003", "scan.jpg"],
        ["丁", "0004", "cut.jpg"],
        ["戊", "0005", "fine.jpg"],
    ]
    archive = zip_of(
        {
            "bomb.png": corpus.bomb_png(20000),
            "script.jpg": corpus.SCRIPT,
            "scan.jpg": corpus.tiff(),
            "cut.jpg": corpus.truncated_jpeg(),
            "fine.jpg": corpus.jpeg_with_gps(),
        }
    )
    before = roster_snapshot()
    code, out, _err = run_import(
        "contestants",
        write(tmp_path, "c.csv", csv_bytes(rows)),
        "--school",
        "fudan",
        "--campaign",
        "run-a",
        "--photos",
        write(tmp_path, "p.zip", archive),
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("row 2: 照片: bomb.png: The photo has too many pixels")
    assert lines[1].startswith("row 3: 照片: script.jpg: This file is not a JPEG, PNG or WebP")
    assert lines[2].startswith("row 4: 照片: scan.jpg: This file is not a JPEG, PNG or WebP")
    assert lines[3].startswith("row 5: 照片: cut.jpg: The photo is damaged or incomplete")
    assert len(lines) == 4 or not lines[4].startswith("row 6")  # the good photo is fine
    assert roster_snapshot() == before
    assert not media_root.exists() or not list(media_root.rglob("*.*"))  # no file stored


def test_imported_photos_are_stored_without_gps_and_upright(tmp_path, campaign, media_root):
    from tests.voting import image_corpus as corpus

    rows = [["姓名", "学号", "照片"], ["甲", "0001", "gps.jpg"], ["乙", "0002", "turned.jpg"]]
    archive = zip_of({"gps.jpg": corpus.jpeg_with_gps(), "turned.jpg": corpus.jpeg_rotated()})
    code, out, err = run_import(
        "contestants",
        write(tmp_path, "c.csv", csv_bytes(rows)),
        "--school",
        "fudan",
        "--campaign",
        "run-a",
        "--photos",
        write(tmp_path, "p.zip", archive),
    )
    assert code == 0, out + err
    for student_id, size in (("0001", (40, 20)), ("0002", (20, 40))):
        entry = Entry.objects.get(student_id=student_id)
        with entry.photo.open("rb") as fp:
            assert corpus.assert_clean(fp.read()).size == size
