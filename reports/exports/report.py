"""A stored report as spreadsheets.

- XLSX, for people: labels in the reader's language, the verdict and its reasons at the
  top of the first sheet, one sheet per table, typed cells (reports/exports/workbook.py).
- CSV, for scripts: one ``metric,value`` row per contract key of the report JSON
  (docs/metrics.md), values as the JSON has them, times in local time with their offset.
"""

from typing import Any

import tablib
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from campaigns.models import Expense
from core.spreadsheets.exports import escape_formula
from reports.data_checks import warning_text
from reports.exports import formats as f
from reports.exports.workbook import Book, Money, Percent, Ratio, Sheet
from reports.models import Report


def verdict_reasons(verdict: dict) -> list[str]:
    """The verdict's reasons in the reader's language; reports stored before reasons were
    kept as messages show their English sentences."""
    messages = verdict.get("reason_messages")
    if messages is None:
        return verdict.get("reasons", [])
    return [_(m["msgid"]) % _readable_params(m["params"]) for m in messages]


def _readable_params(params: dict[str, Any]) -> dict[str, Any]:
    # "rests on d7" reads "rests on 7-day retention" in the reader's language.
    if params.get("basis") in f.RETENTION_LABELS:
        return {**params, "basis": str(f.RETENTION_LABELS[params["basis"]])}
    return params


def report_subject(report: Report) -> dict[str, Any]:
    """What a report is about, by name: the campaign (or pilot), its school and dates."""
    if report.campaign_id:
        campaign = report.campaign
        return {
            "kind": "campaign",
            "title": campaign.title,
            "school": campaign.pilot.school.name,
            "pilot": campaign.pilot.name,
            "starts": timezone.localtime(campaign.submission_starts_at),
            "ends": timezone.localtime(campaign.voting_ends_at),
        }
    pilot = report.pilot
    return {
        "kind": "pilot",
        "title": pilot.name,
        "school": pilot.school.name,
        "pilot": pilot.name,
        "starts": pilot.starts_on,
        "ends": pilot.ends_on,
    }


def _local_iso(value: str | None) -> str | None:
    parsed = parse_datetime(value) if value else None
    return timezone.localtime(parsed).isoformat() if parsed and parsed.tzinfo else value


def summary_rows(report: dict) -> list[list[Any]]:
    """The CSV's rows: each contract key of the report JSON and its value."""
    cost = report.get("cost", {})
    retention = report.get("retention", {})
    rows: list[list[Any]] = [
        ["campaign", report.get("campaign")],
        ["generated_at", _local_iso(report.get("generated_at"))],
        ["unique_visitors", report.get("unique_visitors")],
        ["participants", report.get("participants")],
        ["participation_rate", report.get("participation_rate")],
        ["share_visitors", report.get("share_visitors")],
        ["share_signups", report.get("share_signups")],
        ["share_conversion_rate", report.get("share_conversion_rate")],
        ["new_users", report.get("new_users")],
    ]
    for channel, n in report.get("new_users_by_channel", {}).items():
        rows.append([f"new_users.{channel}", n])
    for code in f.RETENTION_DAYS:
        for key in ("cohort", "retained", "rate", "mature"):
            rows.append([f"retention.{code}.{key}", retention.get(code, {}).get(key)])
    for key in ("prizes", "prizes_basis", "expenses", "labour", "total", "cost_per_new_user"):
        if key in cost:
            rows.append([f"cost.{key}", cost.get(key)])
    per_retained = cost.get("cost_per_retained_user", {})
    rows.append(["cost.cost_per_retained_user", per_retained.get("value")])
    rows.append(["cost.cost_per_retained_user.basis", per_retained.get("basis")])
    rows.append(["cost.cost_per_retained_user.mature", per_retained.get("mature")])
    verdict = report.get("verdict", {})
    rows.append(["verdict", verdict.get("decision")])
    # A provisional verdict says so in every export, with the day its cohort matures.
    rows.append(["verdict.provisional", verdict.get("provisional", False)])
    rows.append(["verdict.matures_on", verdict.get("matures_on")])
    rows.extend([["verdict.reason", reason] for reason in verdict_reasons(verdict)])
    rows.extend(
        [f"data_warning.{item.get('code')}", warning_text(item)]
        for item in report.get("data_warnings", [])
    )
    return rows


def report_csv(report: dict) -> bytes:
    data = tablib.Dataset(headers=["metric", "value"], title="summary")
    for row in summary_rows(report):
        data.append([escape_formula(value) for value in row])
    # UTF-8 with BOM: Chinese Excel opens it without garbling.
    return data.export("csv").encode("utf-8-sig")


# --- XLSX ---------------------------------------------------------------------------


def _verdict_block(sheet: Sheet, data: dict) -> None:
    verdict = data.get("verdict", {})
    sheet.row(_("Verdict"), f.verdict_label(verdict.get("decision")), bold=True)
    sheet.row(_("Provisional verdict"), bool(verdict.get("provisional")))
    if verdict.get("provisional"):
        sheet.row(_("Final on"), f.day(verdict.get("matures_on")))
    for number, reason in enumerate(verdict_reasons(verdict), start=1):
        sheet.row(_("Reason %(n)s") % {"n": number}, reason)
    for item in data.get("data_warnings", []):
        sheet.row(_("Data warning"), warning_text(item))


def _summary(book: Book, report: Report) -> None:
    data = report.data
    subject = report_subject(report)
    sheet = book.sheet(_("Summary"))
    heading = (
        _("Campaign report: %(title)s")
        if subject["kind"] == "campaign"
        else _("Pilot report: %(title)s")
    )
    sheet.title(heading % {"title": subject["title"]})
    sheet.row(_("School"), subject["school"])
    if subject["kind"] == "campaign":
        sheet.row(_("Pilot"), subject["pilot"])
    sheet.row(_("Dates"), subject["starts"], subject["ends"])
    sheet.blank()
    _verdict_block(sheet, data)
    sheet.blank()
    cost = data.get("cost", {})
    per_retained = cost.get("cost_per_retained_user", {})
    sheet.header(_("Metric"), _("Value"), _("Note"))
    sheet.row(_("Generated at"), f.local_datetime(data.get("generated_at")))
    period = data.get("period") or {}
    if period:
        sheet.row(
            _("Counted from"),
            f.local_datetime(period.get("start")),
            f.local_datetime(period.get("end")),
        )
    sheet.row(_("Unique visitors"), data.get("unique_visitors"))
    sheet.row(_("Participants"), data.get("participants"))
    sheet.row(_("Participation rate"), Percent(data.get("participation_rate")))
    sheet.row(
        _("Participants per 1,000 students"), Ratio(data.get("participants_per_1000_students"))
    )
    sheet.row(_("Share-link visitors"), data.get("share_visitors"))
    sheet.row(_("Sign-ups through share links"), data.get("share_signups"))
    sheet.row(_("Share conversion rate"), Percent(data.get("share_conversion_rate")))
    sheet.row(_("New users"), data.get("new_users"))
    for channel, n in data.get("new_users_by_channel", {}).items():
        sheet.row(_("New users: %(channel)s") % {"channel": f.label(f.CHANNEL_LABELS, channel)}, n)
    for code in f.RETENTION_DAYS:
        cell = f.retention_cell(data, code)
        note = _("%(retained)s of %(cohort)s") % {
            "retained": cell["retained"] or 0,
            "cohort": cell["cohort"],
        }
        if not cell["mature"]:
            note += "; " + _("not every new user is old enough yet")
        sheet.row(f.label(f.RETENTION_LABELS, code), Percent(cell["rate"]), note)
    sheet.row(_("Total cost"), Money(f.decimal_or_none(cost.get("total"))))
    sheet.row(_("Cost per new user"), Money(f.decimal_or_none(cost.get("cost_per_new_user"))))
    sheet.row(
        _("Cost per retained user"),
        Money(f.decimal_or_none(per_retained.get("value"))),
        f.label(f.BASIS_LABELS, per_retained.get("basis")),
    )


def _costs(book: Book, data: dict) -> None:
    cost = data.get("cost", {})
    total = f.decimal_or_none(cost.get("total")) or 0
    sheet = book.sheet(_("Costs"))
    sheet.header(_("Cost item"), _("Amount"), _("Share of total"), _("Note"))

    def line(name: str, amount: Any, note: str = "") -> None:
        value = f.decimal_or_none(amount)
        share = float(value / total) if value is not None and total else None
        sheet.row(name, Money(value), Percent(share), note)

    line(_("Prizes"), cost.get("prizes"), f.label(f.PRIZES_BASIS_LABELS, cost.get("prizes_basis")))
    line(_("Labour"), cost.get("labour"))
    by_category = cost.get("expenses_by_category")
    if by_category:
        for category, amount in sorted(by_category.items()):
            line(str(Expense.Category(category).label), amount, _("expense"))
    else:
        line(_("Expenses"), cost.get("expenses"))
    sheet.row(_("Total"), Money(f.decimal_or_none(cost.get("total"))), bold=True)


def _retention_columns(view: dict) -> list[Any]:
    cells = [f.retention_cell(view, code) for code in f.RETENTION_DAYS]
    return [Percent(c["rate"]) if c["cohort"] else c["text"] for c in cells]


def _ambassadors(book: Book, data: dict) -> None:
    sheet = book.sheet(_("Ambassadors"))
    sheet.header(
        _("Ambassador"),
        _("New users"),
        str(f.RETAINED_LABELS["d7"]),
        str(f.RETAINED_LABELS["d30"]),
        *[str(f.RETENTION_LABELS[code]) for code in f.RETENTION_DAYS],
    )
    for row in data.get("by_ambassador", []):
        name = row["name"] or _("another school's referral code (not credited)")
        sheet.row(
            name,
            row["new_users"],
            row["d7_retained"],
            row["d30_retained"],
            *_retention_columns(row),
        )


def _cohorts(book: Book, data: dict) -> None:
    sheet = book.sheet(_("Weekly cohorts"))
    sheet.header(
        _("Week of (Monday)"),
        _("New users"),
        *[str(f.RETENTION_LABELS[code]) for code in f.RETENTION_DAYS],
    )
    for row in data.get("weekly_cohorts", []):
        sheet.row(f.day(row["week"]), row["new_users"], *_retention_columns(row))


def _channels(book: Book, data: dict) -> None:
    sheet = book.sheet(_("Channels"))
    sheet.header(
        _("Channel"), _("New users"), *[str(f.RETENTION_LABELS[c]) for c in f.RETENTION_DAYS]
    )
    for channel, view in sorted(data.get("by_channel", {}).items()):
        sheet.row(
            f.label(f.CHANNEL_LABELS, channel), view.get("new_users"), *_retention_columns(view)
        )


def _daily_votes(book: Book, data: dict) -> None:
    sheet = book.sheet(_("Daily votes"))
    sheet.header(_("Day"), _("Valid votes"))
    for row in data.get("daily_votes", []):
        sheet.row(f.day(row["day"]), row["votes"])


def _campaigns(book: Book, report: Report) -> None:
    sheet = book.sheet(_("Campaigns"))
    sheet.header(_("Campaign"), _("Status"), _("Voting opens at"), _("Voting closes at"))
    for campaign in report.pilot.campaigns.order_by("voting_starts_at"):
        sheet.row(
            campaign.title,
            campaign.get_status_display(),
            timezone.localtime(campaign.voting_starts_at).replace(tzinfo=None),
            timezone.localtime(campaign.voting_ends_at).replace(tzinfo=None),
        )


def report_xlsx(report: Report) -> bytes:
    """The workbook of a finished report, in the active language."""
    book = Book()
    _summary(book, report)
    _costs(book, report.data)
    if report.campaign_id:
        _ambassadors(book, report.data)
        _cohorts(book, report.data)
        _channels(book, report.data)
        _daily_votes(book, report.data)
    else:
        _campaigns(book, report)
    return book.save()
