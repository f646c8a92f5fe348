"""Headers as interns write them: English or Chinese, any order, stray spaces, full-width
characters, "(元)"-style units and "*" required-markers.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from core.spreadsheets.sheet import FormulaWithoutValue, SpreadsheetError

# --- Headers ---------------------------------------------------------------------------


def nfkc(text: str) -> str:
    """Full-width letters, digits and punctuation to ASCII; ideographic space to space."""
    return unicodedata.normalize("NFKC", text)


def clean_header_text(value: Any) -> str:
    if value is None or isinstance(value, FormulaWithoutValue):
        return ""
    return " ".join(nfkc(str(value)).split())


_HEADER_NOISE = re.compile(r"\(.*?\)|\[.*?\]|[*:_\-\s./]")


@functools.lru_cache(maxsize=8192)
def header_key(text: str) -> str:
    """How a header is compared: "学号 *", "学号（必填）", "Student_ID" and "student id"
    all become one key."""
    return _HEADER_NOISE.sub("", clean_header_text(text).casefold())


@dataclass(frozen=True)
class Column:
    """One importable column: the field it fills, its canonical header (also the export
    header, so an export imports back), and the other headers people write."""

    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def keys(self) -> set[str]:
        return {header_key(h) for h in (self.header, self.field, *self.aliases)}


# The headers interns write, English and Chinese; each resource picks its columns.
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "name", "full name"),
    "student_id": ("学号", "学生证号", "学籍号", "student id", "student no", "student number"),
    "phone": ("手机号", "手机", "电话", "手机号码", "联系电话", "联系方式", "mobile", "phone"),
    "school": ("学校", "学校名称", "院校", "school"),
    "role": ("角色", "职务", "岗位", "role"),
    "hourly_rate": ("时薪", "小时工资", "每小时", "hourly rate", "rate"),
    "stipend": ("补贴", "固定补贴", "津贴", "stipend", "fixed stipend"),
    "email": ("邮箱", "电子邮箱", "邮件", "email", "e-mail"),
    "active": ("在职", "是否在职", "active"),
    "date": ("日期", "date", "day"),
    "hours": ("小时", "工时", "时长", "小时数", "hours"),
    "task": ("任务", "工作内容", "工作", "task", "work"),
    "amount": ("金额", "费用", "花费", "amount", "cost"),
    "category": ("类别", "类型", "分类", "费用类别", "category"),
    "note": ("备注", "说明", "note", "notes", "remark", "remarks"),
    "caption": ("标题", "配文", "简介", "caption", "title"),
    "photo": ("照片", "图片", "照片文件", "photo", "picture", "image"),
    "pilot": ("试点", "项目", "试点项目", "pilot"),
    "campaign": ("活动", "活动标识", "campaign"),
    "round": ("轮次", "场次", "round"),
}


def column(field_name: str, *, required: bool = False) -> Column:
    """The shared column of ``field_name``; its first alias is the canonical header."""
    aliases = ALIASES[field_name]
    return Column(field_name, aliases[0], aliases[1:], required)


def map_columns(headers: Sequence[str], columns: Sequence[Column]) -> dict[str, int]:
    """Which header position holds each known column. Unknown headers are ignored (extra
    columns are fine); a missing required column or a column given twice is an error."""
    by_key = {key: col for col in columns for key in col.keys}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        col = by_key.get(header_key(header))
        if col is None:
            continue
        if col.field in found:
            raise SpreadsheetError(
                _('the columns "%(a)s" and "%(b)s" both mean %(what)s; keep one')
                % {"a": headers[found[col.field]], "b": header, "what": col.header}
            )
        found[col.field] = index
    missing = [col.header for col in columns if col.required and col.field not in found]
    if missing:
        raise SpreadsheetError(
            _("missing required column(s): %(columns)s") % {"columns": ", ".join(missing)}
        )
    return found
