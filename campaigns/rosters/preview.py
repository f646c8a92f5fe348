"""What a preview shows before anything is written: each row about to be written (new,
or changed with its old → new values), unchanged rows counted, in pages.

The resource records a ``RowChange`` per written row during the dry run; the values are
already shown as the list would show them (choice labels, names, masked phones).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.db.models.fields.files import FieldFile

PREVIEW_PAGE_SIZE = 50

NEW = "new"
CHANGED = "update"


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


class RowChange:
    """One row the import writes: ``kind`` NEW (``fields`` hold the new values, ``old``
    empty) or CHANGED (only the fields that change). ``fields`` are shown when asked
    (``render``), so a 10,000-row preview formats only the page it shows."""

    def __init__(self, line: int, kind: str, key: str, fields=None, *, render=None) -> None:
        self.line, self.kind, self.key = line, kind, key
        self._fields: list[FieldChange] | None = fields
        self._render = render

    @property
    def fields(self) -> list[FieldChange]:
        if self._fields is None:
            self._fields = self._render() if self._render is not None else []
        return self._fields

    @property
    def is_new(self) -> bool:
        return self.kind == NEW

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "kind": self.kind,
            "key": self.key,
            "fields": [[f.label, f.old, f.new] for f in self.fields],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RowChange:
        return cls(
            data["line"], data["kind"], data["key"], [FieldChange(*f) for f in data["fields"]]
        )

    def __repr__(self) -> str:
        return f"<RowChange row {self.line} {self.kind} {self.key}>"


def show(value: Any) -> str:
    """A stored value as the admin list shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        from django.utils.translation import gettext as _

        return _("yes") if value else _("no")
    if isinstance(value, FieldFile):
        return value.name.rsplit("/", 1)[-1] if value else ""
    if isinstance(value, Decimal | int | float | dt.date):
        return str(value)
    return str(value)


def field_value(instance, name: str) -> Any:
    """``instance.name`` shown: a choice as its label, a related row as its name."""
    display = getattr(instance, f"get_{name}_display", None)
    if display is not None:
        return str(display())
    value = getattr(instance, name, None)
    if hasattr(value, "_meta"):
        return getattr(value, "name", None) or str(value)
    return value


def field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # a property or an annotation: its own name
        return name


def preview_page(changes: list[RowChange], page: Any = 1, per_page: int = PREVIEW_PAGE_SIZE):
    """One page of the rows about to be written (a bad page number: the nearest page)."""
    return Paginator(changes, per_page, allow_empty_first_page=True).get_page(page)
