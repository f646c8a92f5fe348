"""Spreadsheet files generated for the tests (and the benchmark): every format and
encoding interns produce, and the hostile files the importer must refuse."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from typing import Any

import openpyxl
import tablib

Rows = Sequence[Sequence[Any]]


def xlsx(rows: Rows) -> bytes:
    """An XLSX as openpyxl writes it (formulas given as "=..." get no saved result)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xls(rows: Rows) -> bytes:
    """An Excel 97-2003 file, written by tablib through xlwt."""
    dataset = tablib.Dataset(headers=list(rows[0]))
    for row in rows[1:]:
        dataset.append(list(row))
    return dataset.export("xls")


def csv_bytes(rows: Rows, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode(encoding)


def _rewrite(data: bytes, changes: dict[str, bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename in changes:
                continue
            target.writestr(item, source.read(item.filename))
        for name, content in changes.items():
            target.writestr(name, content)
    return out.getvalue()


def xlsx_with_cached_formula(rows: Rows, cell: str, formula: str, cached: str) -> bytes:
    """An XLSX whose ``cell`` holds ``formula`` with the result Excel saved, ``cached``."""
    data = xlsx(rows)
    source = zipfile.ZipFile(io.BytesIO(data))
    sheet = source.read("xl/worksheets/sheet1.xml").decode()
    sheet, n = re.subn(
        rf'<c r="{cell}"[^>]*>.*?</c>',
        f'<c r="{cell}"><f>{formula}</f><v>{cached}</v></c>',
        sheet,
    )
    assert n == 1, cell
    return _rewrite(data, {"xl/worksheets/sheet1.xml": sheet.encode()})


def xlsx_billion_laughs() -> bytes:
    """An XLSX whose shared strings are the "billion laughs" entity bomb: ~1 kB that a
    plain XML parser expands to gigabytes."""
    data = xlsx([["姓名", "学号"], ["x", "1"]])
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    ]
    strings = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<!DOCTYPE sst [{''.join(entities)}]>\n"
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    source = zipfile.ZipFile(io.BytesIO(data))
    rels = (
        source.read("xl/_rels/workbook.xml.rels")
        .decode()
        .replace(
            "</Relationships>",
            '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
    )
    types = (
        source.read("[Content_Types].xml")
        .decode()
        .replace(
            "</Types>",
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
    )
    sheet = source.read("xl/worksheets/sheet1.xml").decode()
    sheet = re.sub(r'<c r="A2"[^>]*>.*?</c>', '<c r="A2" t="s"><v>0</v></c>', sheet)
    return _rewrite(
        data,
        {
            "xl/sharedStrings.xml": strings.encode(),
            "xl/_rels/workbook.xml.rels": rels.encode(),
            "[Content_Types].xml": types.encode(),
            "xl/worksheets/sheet1.xml": sheet.encode(),
        },
    )


def png_bytes() -> bytes:
    """A real (tiny) PNG: a non-spreadsheet to rename .xlsx."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()


def photos_zip(names: Sequence[str]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            image = io.BytesIO()
            Image.new("RGB", (64, 48), "blue").save(image, format="JPEG")
            archive.writestr(f"photos/{name}", image.getvalue())
    return out.getvalue()


AMBASSADOR_HEADERS_ZH = ["姓名", "学号", "手机号", "学校", "角色", "时薪", "补贴", "邮箱"]


def ambassador_rows(
    n: int, school: str = "复旦大学", start: int = 0, pay: bool = True
) -> list[list[Any]]:
    """``n`` valid roster rows with Chinese headers, student ids with leading zeros;
    ``pay=False`` leaves the pay cells blank, as an intern's roster must."""
    rows: list[list[Any]] = [list(AMBASSADOR_HEADERS_ZH)]
    for i in range(start, start + n):
        rows.append(
            [
                f"学生{i}",
                f"{i:08d}",
                f"139{i:08d}",
                school,
                "组长" if i % 10 == 0 else "实习生",
                25 if pay else None,
                100 if pay else None,
                f"s{i}@example.cn",
            ]
        )
    return rows


def roster_snapshot() -> dict[str, list[tuple]]:
    """Every row an import could write, to prove a rejected file changed nothing."""
    from ambassadors.models import Ambassador, WorkLog
    from campaigns.models import Expense
    from voting.models import Entry

    return {
        model.__name__: sorted(model.objects.values_list())
        for model in (Ambassador, WorkLog, Expense, Entry)
    }


def run_import(*args: str) -> tuple[int, str, str]:
    """``manage.py import_roster ...`` in-process: (exit status, stdout, stderr). In
    English unless the arguments name a ``--language`` (the command's default is the
    site's LANGUAGE_CODE, zh-hans)."""
    from django.core.management import CommandError, call_command

    if "--language" not in args:
        args = (*args, "--language", "en")
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_roster", *args, stdout=out, stderr=err)
    except CommandError as exc:
        err.write(str(exc))
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()
