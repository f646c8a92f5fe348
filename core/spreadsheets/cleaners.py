"""Cell values as interns type them: each ``clean_*`` returns a clean value or raises
``CellError`` with a message for the row report.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from core.spreadsheets.headers import header_key, nfkc
from core.spreadsheets.sheet import (
    FORMULA_TRIGGERS,
    CellError,
    ExcelError,
    FormulaWithoutValue,
    is_blank,
)

# --- Values ----------------------------------------------------------------------------


def _check_special(value: Any) -> None:
    if isinstance(value, FormulaWithoutValue):
        raise CellError(
            _(
                "a formula without a saved result; open the file in Excel, "
                "let it calculate and save it again"
            )
        )
    if isinstance(value, ExcelError):
        raise CellError(_("the cell holds the Excel error %(error)s") % {"error": value})


def unescape_formula(text: str) -> str:
    """Undo our own export escaping ("'=..."), so an exported file imports back."""
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


def clean_text(value: Any, *, max_length: int | None = None) -> str:
    """Any cell as trimmed text; integral numbers without ".0"."""
    _check_special(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "1" if value else "0"
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, dt.datetime):
        value = value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    text = unescape_formula(" ".join(nfkc(str(value)).split()))
    if max_length is not None and len(text) > max_length:
        raise CellError(_("longer than %(n)d characters") % {"n": max_length})
    return text


_STUDENT_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-]*")
_FLOAT_ID = re.compile(r"(\d+)\.0+")


def clean_student_id(value: Any) -> str:
    """Student ids are text: Excel hands "007" over as 7 only when the column was
    formatted as a number, which cannot be undone; "7.0" (a float in a CSV) becomes "7"."""
    _check_special(value)
    if isinstance(value, bool):
        raise CellError(_("not a student id"))
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(_("not a student id"))
        value = int(value)
    text = "".join(nfkc(str(value if value is not None else "")).split())
    # "'0123" is how people force Excel to keep the zeros; in a CSV the apostrophe stays.
    text = text.lstrip("'")
    match = _FLOAT_ID.fullmatch(text)
    if match:
        text = match.group(1)
    if not text:
        raise CellError(_("required"))
    if len(text) > 32 or not _STUDENT_ID.fullmatch(text):
        raise CellError(_('"%(value)s" is not a student id') % {"value": text[:40]})
    return text


_NUMBER_NOISE = re.compile(r"[\s,¥$]|元|rmb|cny|小时|h$", re.IGNORECASE)


def clean_decimal(
    value: Any,
    *,
    places: int = 2,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    above: Decimal | None = None,
    required: bool = True,
    default: Decimal | None = None,
) -> Decimal | None:
    """A number, from a numeric cell or text like "¥1,200.50" or "3.5小时"."""
    _check_special(value)
    if is_blank(value):
        if required:
            raise CellError(_("required"))
        return default
    if isinstance(value, bool | dt.date):
        raise CellError(_("not a number"))
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = _NUMBER_NOISE.sub("", unescape_formula(nfkc(str(value)).strip()))
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(_('"%(value)s" is not a number') % {"value": str(value)[:40]}) from None
    if not number.is_finite():
        raise CellError(_("not a number"))
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum)
    if rounded != number:
        raise CellError(
            _("at most %(places)d decimal places, not %(value)s")
            % {"places": places, "value": number}
        )
    if minimum is not None and rounded < minimum:
        raise CellError(
            _("must be at least %(min)s, not %(value)s") % {"min": minimum, "value": rounded}
        )
    if above is not None and rounded <= above:
        raise CellError(
            _("must be more than %(min)s, not %(value)s") % {"min": above, "value": rounded}
        )
    if maximum is not None and rounded > maximum:
        raise CellError(
            _("must be at most %(max)s, not %(value)s") % {"max": maximum, "value": rounded}
        )
    return rounded


_DATE_PATTERNS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)


def clean_date(value: Any) -> dt.date:
    """A date from an Excel date cell or "2026/9/1", "2026-09-01", "2026.9.1",
    "2026年9月1日", "20260901". Day-first or month-first forms are refused: ambiguous."""
    _check_special(value)
    if is_blank(value):
        raise CellError(_("required"))
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = " ".join(nfkc(str(value)).split()) if not isinstance(value, int | float) else ""
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise CellError(_('"%(value)s" is not a date such as 2026-09-01') % {"value": str(value)[:40]})


_TRUE = {"1", "y", "yes", "true", "是", "对", "在职", "启用", "✓", "√"}
_FALSE = {"0", "n", "no", "false", "否", "不", "离职", "停用", "✗", "×"}


def clean_bool(value: Any, *, default: bool) -> bool:
    _check_special(value)
    if is_blank(value):
        return default
    if isinstance(value, bool):
        return value
    text = clean_text(value).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(_('"%(value)s" is neither yes (是) nor no (否)') % {"value": text[:40]})


def clean_choice(value: Any, options: dict[str, str], *, default: str | None = None) -> str:
    """One of ``options`` (written form → stored value); matched like headers."""
    _check_special(value)
    if is_blank(value):
        if default is None:
            raise CellError(_("required"))
        return default
    key = header_key(clean_text(value))
    for written, stored in options.items():
        if header_key(written) == key:
            return stored
    shown = sorted({w for w in options if not w.isascii()}) or sorted(options)
    raise CellError(
        _('"%(value)s" is not one of: %(options)s')
        % {"value": clean_text(value)[:40], "options": ", ".join(shown)}
    )
