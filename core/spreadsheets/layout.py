"""Where the table is in a sheet as people lay it out: a title row (often merged across
the columns) above the header, merged cells down the rows of one day or one team, and a
合计 row under the data. See docs/spreadsheets.md.

The readers (``reading``) hand each worksheet over as raw lines plus its merged ranges;
this module fills the merges, finds the header and turns the rest into a ``Sheet``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from core.spreadsheets.headers import Column, clean_header_text, header_key, nfkc
from core.spreadsheets.sheet import SKIP_TITLE, SKIP_TOTAL, Sheet, SpreadsheetError, is_blank

# The header is looked for among this many non-empty rows at the top of a sheet.
HEADER_SEARCH_ROWS = 10
# A merged range is filled over at most this many columns (a hostile "A1:XFD1").
MAX_MERGE_WIDTH = 256

Line = tuple[int, list[Any]]
# (first row, first column, last row, last column), 1-based and inclusive.
Range = tuple[int, int, int, int]


@dataclass
class RawSheet:
    """One worksheet as read: its lines (row number, values) and merged ranges."""

    name: str | None
    lines: list[Line]
    merges: list[Range] = field(default_factory=list)


def fill_merges(lines: list[Line], merges: Iterable[Range]) -> list[Line]:
    """Every cell of a merged range takes the value of its top-left cell, as the sheet
    shows it. Only rows that hold something of their own are filled: a merge reaching
    past the data creates no rows."""
    merges = list(merges)
    if not merges:
        return lines
    numbers = [line for line, _values in lines]
    by_line = dict(lines)
    for top, left, bottom, right in merges:
        source = by_line.get(top)
        if source is None or left > len(source) or (top == bottom and left == right):
            continue
        value = source[left - 1]
        if is_blank(value):
            continue
        right = min(right, left + MAX_MERGE_WIDTH - 1)
        start = bisect.bisect_left(numbers, top)
        stop = bisect.bisect_right(numbers, bottom)
        for line in numbers[start:stop]:
            values = by_line[line]
            if len(values) < right:
                values.extend([None] * (right - len(values)))
            for col in range(left - 1, right):
                if values[col] is None:
                    values[col] = value
    return lines


def _has_required(values: Sequence[Any], columns: Sequence[Column]) -> tuple[bool, int]:
    keys = {header_key(clean_header_text(v)) for v in values if not is_blank(v)}
    found = [col for col in columns if col.keys & keys]
    required = [col for col in columns if col.required]
    return all(col in found for col in required), len(found)


def find_header(lines: Sequence[Line], columns: Sequence[Column] | None) -> int | None:
    """Index in ``lines`` (non-empty lines) of the header: the first of the top rows that
    holds every required column; without ``columns``, the first row. None: no such row."""
    if not lines:
        return None
    if not columns:
        return 0
    for index, (_line, values) in enumerate(lines[:HEADER_SEARCH_ROWS]):
        if _has_required(values, columns)[0]:
            return index
    return None


def best_header_line(lines: Sequence[Line], columns: Sequence[Column]) -> Line | None:
    """The top row that looks most like a header (for the message when none is)."""
    best: Line | None = None
    best_found = 0
    for line, values in lines[:HEADER_SEARCH_ROWS]:
        found = _has_required(values, columns)[1]
        if found > best_found:
            best, best_found = (line, values), found
    return best or (lines[0] if lines else None)


_TOTAL_WORDS = {"合计", "总计", "小计", "共计", "总合计", "total", "totals", "subtotal"}
_TOTAL_NOISE = re.compile(r"[\s:：()（）]")


def is_total_row(values: Sequence[Any]) -> bool:
    """A row that sums the rows above it: one of its cells says 合计, 总计, 小计..."""
    for value in values:
        # Cheap test first: every total word has "计" or "tal" (full-width too).
        if (
            isinstance(value, str)
            and len(value) <= 20
            and ("计" in value or "tal" in value.casefold() or "ｔａｌ" in value.casefold())
        ):
            word = _TOTAL_NOISE.sub("", nfkc(value)).casefold()
            if word in _TOTAL_WORDS:
                return True
    return False


def sheet_from_lines(
    format_: str,
    raw: RawSheet,
    header_index: int,
    *,
    encoding: str | None = None,
    max_rows: int,
) -> Sheet:
    """The ``Sheet`` of ``raw`` (non-empty lines, merges filled) whose header is the line
    at ``header_index``: rows above it are title rows, total rows are set aside."""
    lines = raw.lines
    header_line, header_values = lines[header_index]
    headers = [clean_header_text(v) for v in header_values]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    skipped = [(line, SKIP_TITLE) for line, _values in lines[:header_index]]
    rows: list[Line] = []
    for line, values in lines[header_index + 1 :]:
        values = (values + [None] * width)[:width]
        if all(is_blank(v) for v in values):
            continue
        if is_total_row(values):
            skipped.append((line, SKIP_TOTAL))
            continue
        if len(rows) >= max_rows:
            raise SpreadsheetError(
                _("The file has more than %(n)d rows; split it into smaller files.")
                % {"n": max_rows}
            )
        rows.append((line, values))
    return Sheet(
        format=format_,
        headers=headers,
        rows=rows,
        encoding=encoding,
        header_line=header_line,
        name=raw.name,
        skipped=skipped,
    )


def non_empty(lines: Iterable[Line], max_lines: int) -> list[Line]:
    """The lines holding at least one value (Excel keeps formatted blank rows around),
    capped a little above the row limit so a huge sheet is refused early."""
    limit = max_lines + HEADER_SEARCH_ROWS + 100  # title and total rows are not data
    kept: list[Line] = []
    for line, values in lines:
        if all(is_blank(v) for v in values):
            continue
        kept.append((line, list(values)))
        if len(kept) > limit:
            raise SpreadsheetError(
                _("The file has more than %(n)d rows; split it into smaller files.")
                % {"n": max_lines}
            )
    return kept
