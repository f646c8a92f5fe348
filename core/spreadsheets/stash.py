"""A parsed sheet kept as JSON between the preview and the confirm of an import (and for
background jobs), so the workbook is parsed once.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import tablib

from core.spreadsheets.reading import read_sheet
from core.spreadsheets.sheet import ExcelError, FormulaWithoutValue, Sheet

# --- Stashing a parsed sheet (preview → confirm, background jobs) -----------------------

# v2: the sheet's name and its skipped (title, total) rows. A v1 stash still loads.
_STASH_MARK = b"campus-sheet-v2\n"
_OLD_MARKS = (b"campus-sheet-v1\n",)


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str) and not isinstance(value, ExcelError):
        return value
    if isinstance(value, float):
        return {"f": repr(value)}
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"t": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"f": repr(value.total_seconds() / 86400)}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if isinstance(value, FormulaWithoutValue):
        return {"fx": value.formula}
    if isinstance(value, ExcelError):
        return {"e": str(value)}
    return str(value)


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    ((tag, raw),) = value.items()
    return {
        "f": float,
        "dt": dt.datetime.fromisoformat,
        "d": dt.date.fromisoformat,
        "t": dt.time.fromisoformat,
        "n": Decimal,
        "fx": FormulaWithoutValue,
        "e": ExcelError,
    }[tag](raw)


def stash_dumps(sheet: Sheet) -> bytes:
    payload = {
        "format": sheet.format,
        "encoding": sheet.encoding,
        "header_line": sheet.header_line,
        "headers": sheet.headers,
        "name": sheet.name,
        "skipped": [list(item) for item in sheet.skipped],
        "lines": [line for line, _values in sheet.rows],
        "rows": [[_encode(v) for v in values] for _line, values in sheet.rows],
    }
    return _STASH_MARK + json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def is_stash(data: bytes) -> bool:
    return data.startswith((_STASH_MARK, *_OLD_MARKS))


def stash_loads(data: bytes) -> Sheet:
    payload = json.loads(data[data.index(b"\n") + 1 :])
    return Sheet(
        format=payload["format"],
        encoding=payload["encoding"],
        header_line=payload["header_line"],
        headers=payload["headers"],
        name=payload.get("name"),
        skipped=[(line, why) for line, why in payload.get("skipped", [])],
        rows=[
            (line, [_decode(v) for v in values])
            for line, values in zip(payload["lines"], payload["rows"], strict=True)
        ],
    )


def sheet_from_upload(data: bytes, *, file_name: str = "", columns=None) -> Sheet:
    """A stashed sheet, or a workbook/CSV to parse (``columns``: see ``read_sheet``)."""
    if is_stash(data):
        return stash_loads(data)
    return read_sheet(data, file_name=file_name, columns=columns)


def sheet_to_dataset(sheet: Sheet) -> tablib.Dataset:
    """A tablib Dataset of the raw sheet, carrying the sheet (and so its row numbers)."""
    dataset = tablib.Dataset(headers=list(sheet.headers))
    dataset._data = [tablib.core.Row(values) for _line, values in sheet.rows]
    dataset.sheet = sheet
    return dataset
