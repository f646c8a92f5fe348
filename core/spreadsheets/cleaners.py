"""Cell values as interns type them: each ``clean_*`` returns a clean value or raises
``CellError`` with a message for the row report.

Normalisation (NFKC: full-width letters, digits and punctuation to ASCII; spaces
collapsed) applies to what is matched or parsed — keys, names, options, numbers, phones,
dates (``clean_key`` and the typed cleaners) — and never to free text (``clean_text``):
a caption keeps its "，" and "！", a note is stored and matched as it was typed.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import translation
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


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "1" if value else "0"
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, dt.datetime):
        value = value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    return str(value)


def _check_length(text: str, max_length: int | None) -> str:
    if max_length is not None and len(text) > max_length:
        raise CellError(_("longer than %(n)d characters") % {"n": max_length})
    return text


def clean_text(value: Any, *, max_length: int | None = None) -> str:
    """Free text (a caption, a note, a task) as it was typed: only the blanks around it
    go, as in every admin form; integral numbers without ".0"."""
    _check_special(value)
    return _check_length(unescape_formula(_as_text(value).strip()), max_length)


def clean_key(value: Any, *, max_length: int | None = None) -> str:
    """Text that names or matches something (a name, a school, an option): NFKC, blanks
    collapsed, so "Ｗａｎｇ　 Wei" is "Wang Wei"."""
    _check_special(value)
    text = unescape_formula(" ".join(nfkc(_as_text(value)).split()))
    return _check_length(text, max_length)


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
# A "?" (or several, for "RMB¥") standing where a currency sign was: "?1500", "-?15".
LOST_CURRENCY = re.compile(r"\?+(?=[-+]?[\d.])")


def clean_decimal(
    value: Any,
    *,
    places: int = 2,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    above: Decimal | None = None,
    required: bool = True,
    default: Decimal | None = None,
    lost_currency: bool = False,
) -> Decimal | None:
    """A number, from a numeric cell or text like "¥1,200.50" or "3.5小时".

    A "?" before the number is what Excel writes for "¥" in a CSV saved as GBK, which
    has no such sign: with ``lost_currency`` (the file is a GBK CSV) it is read as one
    (the caller warns); otherwise the message says how to save the file."""
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
        lost = LOST_CURRENCY.match(text)
        if lost and lost_currency:
            text = text[lost.end() :]
        try:
            number = Decimal(text)
        except InvalidOperation:
            if lost:
                raise CellError(
                    _(
                        '"%(value)s" is not a number: the "?" is probably a currency sign '
                        '(¥) lost when the file was saved as CSV in GBK; save it as "CSV '
                        'UTF-8" or as .xlsx, or delete the "?"'
                    )
                    % {"value": str(value)[:40]}
                ) from None
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


_NO_YEAR = re.compile(r"(\d{1,2})月(\d{1,2})[日号]?")

Period = tuple[dt.date, dt.date]


def clean_date(value: Any, *, periods: tuple[Period, ...] | list[Period] = ()) -> dt.date:
    """A date from an Excel date cell or "2026/9/1", "2026-09-01", "2026.9.1",
    "2026年9月1日", "20260901". Day-first or month-first forms are refused: ambiguous.

    "11月9日" (no year) takes the year that puts it inside one of ``periods`` (the
    pilots' start and end dates); it is refused when no year or several years do."""
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
    else:
        match = _NO_YEAR.fullmatch(text)
        if match:
            return _date_in_periods(text, int(match[1]), int(match[2]), periods)
    raise CellError(_('"%(value)s" is not a date such as 2026-09-01') % {"value": str(value)[:40]})


def _date_in_periods(text: str, month: int, day: int, periods) -> dt.date:
    found: set[dt.date] = set()
    for start, end in periods:
        for year in range(start.year, end.year + 1):
            try:
                candidate = dt.date(year, month, day)
            except ValueError:
                continue
            if start <= candidate <= end:
                found.add(candidate)
    if len(found) == 1:
        return found.pop()
    if not periods:
        raise CellError(_('"%(value)s" has no year; write it as 2026-09-01') % {"value": text})
    if found:
        raise CellError(
            _('"%(value)s" has no year and could be %(dates)s; write the year')
            % {"value": text, "dates": _(" or ").join(sorted(d.isoformat() for d in found))}
        )
    raise CellError(
        _('"%(value)s" has no year and is outside the pilot period (%(periods)s); write the year')
        % {"value": text, "periods": ", ".join(f"{s} – {e}" for s, e in sorted(periods))}
    )


_TRUE = {"1", "y", "yes", "true", "是", "对", "在职", "启用", "✓", "√"}
_FALSE = {"0", "n", "no", "false", "否", "不", "离职", "停用", "✗", "×"}


def bool_words() -> dict[str, bool]:
    """Every word ``clean_bool`` reads as yes or no (written form → value)."""
    return {**dict.fromkeys(sorted(_TRUE), True), **dict.fromkeys(sorted(_FALSE), False)}


def clean_bool(value: Any, *, default: bool) -> bool:
    _check_special(value)
    if is_blank(value):
        return default
    if isinstance(value, bool):
        return value
    text = clean_key(value).casefold()
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
    key = header_key(clean_key(value))
    for written, stored in options.items():
        if header_key(written) == key:
            return stored
    shown = sorted({w for w in options if not w.isascii()}) or sorted(options)
    raise CellError(
        _('"%(value)s" is not one of: %(options)s')
        % {"value": clean_key(value)[:40], "options": ", ".join(shown)}
    )


def labels_in_every_language(choices) -> dict[str, str]:
    """``{label: value}`` for the labels of ``choices`` (a TextChoices' ``.choices``, lazy
    labels) in every language the project ships, and the stored values themselves: an
    option written in Chinese matches whatever language the import runs in."""
    options: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for value, label in choices:
                options.setdefault(str(label), value)
    for value, _label in choices:
        options.setdefault(str(value), value)
    return options
