"""The import page says which columns each kind needs and which values it accepts
(campaigns/rosters/guide.py), from the resources' own definitions."""

import io

import openpyxl
import pytest
from django.urls import reverse

from ambassadors.models import Ambassador
from campaigns.models import Expense
from campaigns.rosters.guide import column_guide
from campaigns.rosters.pipeline import KINDS, resource_class_for
from core.spreadsheets.cleaners import CellError, bool_words, clean_bool, clean_choice

pytestmark = pytest.mark.django_db

IMPORT_PAGES = {
    "ambassadors": "admin:ambassadors_ambassador_import",
    "contestants": "admin:voting_entry_import",
    "worklogs": "admin:ambassadors_worklog_import",
    "expenses": "admin:campaigns_expense_import",
}


def _zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_guide_is_the_resources_columns(kind):
    resource = resource_class_for(kind)
    guide = column_guide(kind)
    assert {row.field for row in guide} == {col.field for col in resource.columns}
    required = [row.header for row in guide if row.required]
    assert required == [col.header for col in resource.columns if col.required]
    assert required, "every kind has a required column"
    # Required first, so the reader sees them before anything else.
    assert [row.required for row in guide] == sorted((row.required for row in guide), reverse=True)
    assert all(row.help for row in guide), "every column says what to write"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_import_page_shows_required_columns_and_the_template(kind, ops_client):
    html = _zh(ops_client).get(reverse(IMPORT_PAGES[kind])).content.decode()
    assert 'id="import-columns"' in html
    for row in column_guide(kind):
        marker = f'<tr class="column-{"required" if row.required else "optional"}" '
        assert f'{marker}data-field="{row.field}">' in html, row.field
    assert reverse(IMPORT_PAGES[kind].replace("_import", "_import_template")) in html


def test_every_listed_role_word_is_read_as_that_role():
    from ambassadors.resources import _roles

    (role,) = [row for row in column_guide("ambassadors") if row.field == "role"]
    by_label = {option.label: option.words for option in role.options}
    assert set(by_label) == {str(label) for _v, label in Ambassador.Role.choices}
    for value, label in Ambassador.Role.choices:
        for word in by_label[str(label)]:
            assert clean_choice(word, _roles()) == value, word
    assert "lead" in by_label[str(Ambassador.Role.LEAD.label)]


def test_every_listed_yes_no_word_is_read_as_yes_or_no():
    (active,) = [row for row in column_guide("ambassadors") if row.field == "active"]
    yes, no = active.options
    assert {"是", "yes", "在职"} <= set(yes.words) and {"否", "no", "离职"} <= set(no.words)
    for word in yes.words:
        assert clean_bool(word, default=None) is True, word
    for word in no.words:
        assert clean_bool(word, default=None) is False, word
    assert set(yes.words) | set(no.words) == set(bool_words())
    with pytest.raises(CellError):
        clean_bool("也许", default=None)


def test_expense_categories_are_listed_with_their_words(ops_client):
    (category,) = [row for row in column_guide("expenses") if row.field == "category"]
    assert [option.label for option in category.options] == [
        str(label) for _v, label in Expense.Category.choices
    ]
    html = _zh(ops_client).get(reverse(IMPORT_PAGES["expenses"])).content.decode()
    assert "<strong>印刷</strong>" in html


def test_the_page_reads_in_chinese(ops_client):
    html = _zh(ops_client).get(reverse(IMPORT_PAGES["ambassadors"])).content.decode()
    assert "表格的列" in html and "可选值" in html
    assert "<strong>组长</strong>: " in html and "lead" in html


def test_the_template_has_the_guides_headers(ops_client):
    url = reverse("admin:ambassadors_ambassador_import_template")
    book = openpyxl.load_workbook(io.BytesIO(ops_client.get(url).content))
    headers = [cell.value for cell in book.worksheets[0][1]]
    assert set(headers) == {row.header for row in column_guide("ambassadors")}
    notes = [row[2] for row in book["填写说明"].iter_rows(values_only=True) if row[0] == "学号"]
    assert notes == [str(column_guide("ambassadors")[1].help)]


def test_an_intern_sees_the_guide_of_their_import(ambassador_client):
    response = _zh(ambassador_client).get(reverse(IMPORT_PAGES["ambassadors"]))
    assert response.status_code == 200
    assert 'id="import-columns"' in response.content.decode()
