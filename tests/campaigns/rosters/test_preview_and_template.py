"""The import page's preview (the rows about to be written: new, changed old → new,
unchanged counted; paged) and the blank template of each kind (zh headers, example row,
drop-down lists, 填写说明), which imports back as it is."""

import io

import openpyxl
import pytest
from django.urls import reverse

from ambassadors.models import Ambassador
from campaigns.models import Campaign
from campaigns.rosters.blanks import INSTRUCTIONS_TITLE, SHEET_TITLES
from campaigns.rosters.pipeline import KINDS, resource_class_for
from tests.campaigns.rosters.test_admin import form_data, upload
from tests.factories import AmbassadorFactory, CampaignFactory, PilotFactory, RoundFactory
from tests.spreadsheet_files import ambassador_rows, roster_snapshot, run_import, xlsx

pytestmark = pytest.mark.django_db

PREVIEW_URL = reverse("admin:ambassadors_ambassador_import_preview")
MODELS = {
    "ambassadors": "ambassadors_ambassador",
    "worklogs": "ambassadors_worklog",
    "expenses": "campaigns_expense",
    "contestants": "voting_entry",
}


def test_preview_lists_new_and_changed_rows_with_old_and_new_values(ops_client, school_a):
    AmbassadorFactory(school=school_a, student_id="00000001", name="学生1", hourly_rate=20)
    AmbassadorFactory(
        school=school_a,
        student_id="00000002",
        name="学生2",
        hourly_rate=25,
        phone="+8613900000002",
        email="s2@example.cn",
        role="intern",
        stipend=100,
    )
    preview = upload(ops_client, xlsx(ambassador_rows(3)), school_a)
    assert preview.status_code == 200
    changes = preview.context["preview_page"].object_list
    assert [(c.line, c.kind) for c in changes] == [(2, "new"), (3, "update")]
    new, changed = changes
    assert {f.label: f.new for f in new.fields}["姓名"] == "学生0"
    by_label = {f.label: (f.old, f.new) for f in changed.fields}
    assert by_label["时薪（元）"] == ("20.00", "25.00")  # only what changes is listed
    assert "姓名" not in by_label
    body = preview.content.decode()
    assert "<del>20.00</del> → <ins>25.00</ins>" in body
    assert "新增 1 条，更新 1 条，未变 1 条" in body  # the unchanged row is counted
    assert roster_snapshot()["Ambassador"] == sorted(Ambassador.objects.values_list())


def test_preview_pages_through_the_rows_and_keeps_the_confirm_button(
    ops_client, school_a, settings
):
    preview = upload(ops_client, xlsx(ambassador_rows(120)), school_a)
    page = preview.context["preview_page"]
    assert (page.number, page.paginator.num_pages, len(page.object_list)) == (1, 3, 50)
    assert 'name="page" value="2"' in preview.content.decode()
    before = roster_snapshot()
    data = {**form_data(preview.context["confirm_form"]), "page": "3"}
    third = ops_client.post(PREVIEW_URL, data)
    assert third.status_code == 200
    rows = third.context["preview_page"].object_list
    assert [c.line for c in rows] == list(range(102, 122))
    assert third.context["confirm_form"] is not None  # confirm from any page
    assert roster_snapshot() == before  # paging writes nothing
    confirm = ops_client.post(
        reverse("admin:ambassadors_ambassador_process_import"),
        form_data(third.context["confirm_form"]),
    )
    assert confirm.status_code == 302
    assert Ambassador.objects.filter(school=school_a).count() == 120


def test_preview_page_refuses_a_tampered_form(ambassador_client, school_a, school_b):
    preview = upload(ambassador_client, xlsx(ambassador_rows(2, pay=False)), school_a)
    data = {**form_data(preview.context["confirm_form"]), "school": school_b.pk, "page": "1"}
    assert ambassador_client.post(PREVIEW_URL, data).status_code == 403
    assert ambassador_client.get(PREVIEW_URL).status_code == 405


def test_preview_masks_stored_phones_for_interns(ambassador_client, school_a):
    AmbassadorFactory(school=school_a, student_id="00000000", phone="+8613812345678")
    # Interns leave pay blank (ambassadors/services.py: ambassador_save refuses theirs).
    preview = upload(ambassador_client, xlsx(ambassador_rows(1, pay=False)), school_a)
    (change,) = preview.context["preview_page"].object_list
    phone = {f.label: f for f in change.fields}["手机号"]
    assert "12345678" not in phone.old and "****" in phone.old


def test_preview_names_the_sheet_and_the_skipped_rows(ops_client, school_a):
    rows = [["复旦大学校园大使名单（2026年秋季）"], *ambassador_rows(2), ["合计", None, None]]
    workbook = openpyxl.Workbook()
    workbook.active.title = "名单"
    for row in rows:
        workbook.active.append(row)
    instructions = workbook.create_sheet("填写说明", 0)
    instructions.append(["请填写第二个表"])
    out = io.BytesIO()
    workbook.save(out)
    preview = upload(ops_client, out.getvalue(), school_a)
    body = preview.content.decode()
    assert "“名单”" in body and preview.context["preview_sheet"].header_line == 2
    assert [n.line for n in preview.context["preview_notes"]] == [1, 5]
    assert preview.context["result"].totals["new"] == 2


# --- templates -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_has_a_template_on_its_import_page(ambassador_client, kind):
    page = ambassador_client.get(reverse(f"admin:{MODELS[kind]}_import"))
    url = reverse(f"admin:{MODELS[kind]}_import_template")
    assert url in page.content.decode()
    response = ambassador_client.get(url)
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [SHEET_TITLES[kind], INSTRUCTIONS_TITLE]
    sheet = workbook[SHEET_TITLES[kind]]
    assert workbook.active.title == SHEET_TITLES[kind]
    columns = resource_class_for(kind).columns
    assert [c.value for c in sheet[1]] == [col.header for col in columns]  # zh headers
    assert any(c.value is not None for c in sheet[2])  # the example row
    lists = {
        tuple(dv.sqref.ranges)[0].coord.split(":")[0][0]: dv.formula1
        for dv in sheet.data_validations.dataValidation
    }
    if kind == "ambassadors":
        assert '"组长,实习生"' in lists.values() and '"是,否"' in lists.values()
    if kind == "expenses":
        assert any("广告投放" in f for f in lists.values())
    notes = [r[0] for r in workbook[INSTRUCTIONS_TITLE].iter_rows(values_only=True)]
    assert all(col.header in notes for col in columns)


def test_template_needs_the_import_permission(client, school_a):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse("admin:ambassadors_ambassador_import_template")).status_code == 403


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_template_imports_back_as_it_is_and_writes_nothing(ops_client, school_a, tmp_path, kind):
    pilot = PilotFactory(school=school_a)
    campaign = CampaignFactory(
        pilot=pilot, slug="c1", kind=Campaign.Kind.DAILY_TOPIC, with_round=False
    )
    RoundFactory(campaign=campaign, number=1)
    path = tmp_path / "template.xlsx"
    path.write_bytes(ops_client.get(reverse(f"admin:{MODELS[kind]}_import_template")).content)
    before = roster_snapshot()
    args = [kind, str(path), "--school", "fudan"] + (
        ["--campaign", "c1"] if kind == "contestants" else []
    )
    code, out, err = run_import(*args)
    assert code == 0, out + err
    assert "row 2: skipped: the template's example row" in out
    assert "0 new, 0 updated, 0 unchanged" in out
    assert roster_snapshot() == before


def test_a_filled_template_imports_its_rows_and_skips_the_example(ops_client, school_a, tmp_path):
    data = ops_client.get(reverse("admin:ambassadors_ambassador_import_template")).content
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    sheet.append(["李雷", "0012345", "13800138009", None, "实习生", 22, None, "是"])
    out = io.BytesIO()
    workbook.save(out)
    path = tmp_path / "filled.xlsx"
    path.write_bytes(out.getvalue())
    code, text, err = run_import("ambassadors", str(path), "--school", "fudan")
    assert code == 0, text + err
    assert "1 new" in text
    assert list(Ambassador.objects.values_list("student_id", "name")) == [("0012345", "李雷")]
