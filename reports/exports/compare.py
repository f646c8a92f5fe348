"""The comparison of pilots (reports.pilot.pilots_compared) for reading: on its admin page
and as an XLSX, with titles, percentages, ¥ and the retention days spelled out."""

from typing import Any

from django.utils.translation import gettext as _

from campaigns.models import Pilot
from reports.exports import formats as f
from reports.exports.workbook import Book, Money, Percent, Ratio


def compare_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each pilot report's figures, named by the pilot's and its school's titles."""
    pilots = Pilot.objects.select_related("school").in_bulk([row.get("pilot") for row in rows])
    readable = []
    for row in rows:
        pilot = pilots.get(row.get("pilot"))
        cost = row.get("cost", {})
        per_retained = cost.get("cost_per_retained_user", {})
        verdict = row.get("verdict", {})
        readable.append(
            {
                "pilot_id": row.get("pilot"),
                "pilot": pilot.name if pilot else row.get("pilot_name"),
                "school": pilot.school.name if pilot else row.get("school"),
                "cost_per_retained": f.decimal_or_none(per_retained.get("value")),
                "cost_per_retained_text": f.money_text(per_retained.get("value")),
                "basis": f.label(f.BASIS_LABELS, per_retained.get("basis")),
                "new_users": row.get("new_users"),
                "new_users_per_1000": row.get("new_users_per_1000_students"),
                "participants_per_1000": row.get("participants_per_1000_students"),
                "retention": [f.retention_cell(row, code) for code in f.RETENTION_DAYS],
                "total": f.decimal_or_none(cost.get("total")),
                "total_text": f.money_text(cost.get("total")),
                "verdict": f.verdict_label(verdict.get("decision")),
                "provisional": bool(verdict.get("provisional")),
                "matures_on": f.day(verdict.get("matures_on")),
            }
        )
    return readable


def compare_headers() -> list[str]:
    return [
        _("Pilot"),
        _("School"),
        _("Cost per retained user"),
        _("Basis"),
        _("New users"),
        _("New users per 1,000 students"),
        _("Participants per 1,000 students"),
        *[str(f.RETENTION_LABELS[code]) for code in f.RETENTION_DAYS],
        _("Total cost"),
        _("Verdict"),
        _("Provisional"),
        _("Final on"),
    ]


def compare_xlsx(groups: dict[str, list[dict[str, Any]]]) -> bytes:
    """One sheet for the final figures, one for the provisional ones: an immature D7
    figure is not comparable with a mature D30 one (docs/metrics.md)."""
    book = Book()
    for key, title in (
        ("final", _("Final figures")),
        ("provisional", _("Provisional figures")),
    ):
        sheet = book.sheet(title)
        sheet.header(*compare_headers())
        for row in compare_rows(groups[key]):
            sheet.row(
                row["pilot"],
                row["school"],
                Money(row["cost_per_retained"]),
                row["basis"],
                row["new_users"],
                Ratio(row["new_users_per_1000"]),
                Ratio(row["participants_per_1000"]),
                *[Percent(c["rate"]) if c["cohort"] else c["text"] for c in row["retention"]],
                Money(row["total"]),
                row["verdict"],
                row["provisional"],
                row["matures_on"],
            )
    return book.save()
