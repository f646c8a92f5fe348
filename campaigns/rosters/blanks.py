"""The blank template of each import kind, downloaded from the admin import page: an XLSX
with the Chinese headers, one example row, drop-down lists for the options (roles,
categories, yes/no), text-formatted id and phone columns (so a spreadsheet keeps their
leading zeros) and a 填写说明 sheet. Imported back as it is, it writes nothing: the
example row is recognised and skipped (``RosterResource.template_example``)."""

from __future__ import annotations

import io

from django.utils import translation
from django.utils.translation import gettext as _

from campaigns.rosters.guide import column_guide
from campaigns.rosters.pipeline import resource_class_for

SHEET_TITLES = {
    "ambassadors": "大使名单",
    "worklogs": "工时",
    "contestants": "参赛选手",
    "expenses": "费用",
}
INSTRUCTIONS_TITLE = "填写说明"
TEMPLATE_ROWS = 1000  # rows that get the drop-down lists and formats

TEXT_FIELDS = {"student_id", "phone"}
DATE_FIELDS = {"date"}


def _zh_labels(choices) -> list[str]:
    with translation.override("zh-hans"):
        return [str(label) for _value, label in choices]


def roster_template_workbook(kind: str) -> bytes:
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    resource = resource_class_for(kind)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLES.get(kind, kind)
    columns = resource.columns
    sheet.append([col.header for col in columns])
    sheet.append([resource.template_example.get(col.field) for col in columns])
    grey = Font(italic=True, color="808080")
    for index, col in enumerate(columns, start=1):
        letter = get_column_letter(index)
        head = sheet.cell(row=1, column=index)
        head.font = Font(bold=True, color="C00000" if col.required else "000000")
        head.fill = PatternFill("solid", fgColor="F2F2F2")
        sheet.column_dimensions[letter].width = 16 if col.field != "caption" else 32
        example = sheet.cell(row=2, column=index)
        example.font = grey
        number_format = (
            "@" if col.field in TEXT_FIELDS else "yyyy-mm-dd" if col.field in DATE_FIELDS else None
        )
        if number_format:
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = number_format
        options = resource.template_lists.get(col.field)
        if options:
            labels = _zh_labels(options)
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(labels) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=col.header,
                error=_("Choose one of: %(options)s") % {"options": ", ".join(labels)},
            )
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet(INSTRUCTIONS_TITLE)
    notes.append([_("How to fill in this sheet")])
    notes["A1"].font = Font(bold=True, size=13)
    for line in (
        _("Fill in the sheet %(sheet)s, one row per line; keep the header row.")
        % {"sheet": sheet.title},
        _("Red headers are required. Other columns may be left blank or deleted."),
        _("The grey row is an example: it is skipped on import; overwrite it or leave it."),
        _(
            "Save as .xlsx (best), .xls or CSV. A title row above the header, merged cells "
            "and a 合计 row are fine."
        ),
        "",
    ):
        notes.append([line])
    notes.append([_("column"), _("required"), _("what to write"), _("options")])
    for cell in notes[notes.max_row]:
        cell.font = Font(bold=True)
    guide = {row.field: row for row in column_guide(kind)}
    for col in columns:
        options = resource.template_lists.get(col.field)
        notes.append(
            [
                col.header,
                _("yes") if col.required else "",
                guide[col.field].help,
                "、".join(_zh_labels(options)) if options else "",
            ]
        )
    for letter, width in zip("ABCD", (14, 8, 60, 40), strict=True):
        notes.column_dimensions[letter].width = width
    workbook.active = 0
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
