"""Matching what a roster says to what is stored: student ids that a spreadsheet made
numbers, rounds written as "第4轮" or "第4天", and the pilot periods that give a date
without a year its year (docs/spreadsheets.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import translation

from core.spreadsheets.headers import header_key, nfkc


class StudentIds:
    """Known student ids, to recover ones a spreadsheet turned into numbers: "007" typed in
    a numeric column arrives as 7 (XLSX, XLS) or as the text "7" (the same sheet saved as
    CSV). A number — or, with ``loose``, digit-only text — that matches exactly one known
    id once leading zeros are ignored is that id; anything else is taken as written."""

    def __init__(self, ids: Iterable[str], *, loose: bool = False) -> None:
        self.exact = set(ids)
        self.loose = loose
        self.stripped: dict[str, str | None] = {}
        for sid in self.exact:
            key = sid.lstrip("0")
            self.stripped[key] = None if key in self.stripped else sid

    def resolve(self, raw: Any, student_id: str | None) -> str | None:
        if not student_id or student_id in self.exact:
            return student_id
        numeric = isinstance(raw, int | float) and not isinstance(raw, bool)
        if not numeric and not (self.loose and student_id.isdigit()):
            return student_id
        return self.stripped.get(student_id.lstrip("0")) or student_id


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_DIGITS.update({"七": 7, "八": 8, "九": 9})


def _chinese_number(text: str) -> int | None:
    """一 … 九十九 (round numbers are small)."""
    if not text or any(ch not in _DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return _DIGITS[text] if len(text) == 1 else None
    tens, _sep, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)


_ORDINAL = re.compile(
    r"第\s*(?P<zh>[0-9]+|[零〇一二两三四五六七八九十]+)\s*[轮天场期日]"
    r"|(?:round|day|r|d)\s*#?\s*(?P<en>[0-9]+)"
    r"|(?P<bare>[0-9]+)",
    re.IGNORECASE,
)


def round_number(text: str) -> int | None:
    """The round number in "4", "第4轮", "第 四 天", "Round 4", "day 4"; else None."""
    compact = "".join(nfkc(text).split())
    match = _ORDINAL.fullmatch(compact)
    if match is None:
        return None
    raw = match["zh"] or match["en"] or match["bare"]
    return int(raw) if raw.isdigit() else _chinese_number(raw)


def _labels(round_) -> set[str]:
    """How a round is shown, in every language (the export writes one of these)."""
    from django.conf import settings

    keys = {header_key(round_.topic)} if round_.topic else set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            keys.add(
                header_key(translation.gettext("round %(number)s") % {"number": round_.number})
            )
    return keys


def round_for(rounds: Sequence[Any], text: str):
    """The round of ``rounds`` that ``text`` names (number, topic or ordinal), or None."""
    key = header_key(text)
    for round_ in rounds:
        if round_.topic and header_key(round_.topic) == key:
            return round_
    number = round_number(text)
    if number is not None:
        for round_ in rounds:
            if round_.number == number:
                return round_
    for round_ in rounds:
        if key in _labels(round_):
            return round_
    return None


def rounds_listing(rounds: Sequence[Any]) -> str:
    """ "1 (晨跑), 2 (夜跑)": what the round column may say, for the error message."""
    return ", ".join(
        f"{round_.number} ({round_.topic})" if round_.topic else str(round_.number)
        for round_ in rounds
    )


def pilot_periods(pilots: Iterable[Any]) -> tuple[tuple[Any, Any], ...]:
    return tuple((p.starts_on, p.ends_on) for p in pilots if p.starts_on and p.ends_on)
