"""What the report page shows (templates/admin/reports/report/change_form.html): the
subject with a link to it, the verdict, the figures, the tables and the charts, every
value formatted for reading (reports/exports/formats.py)."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from campaigns.models import Expense
from reports import charts
from reports.data_checks import warning_text
from reports.exports import formats as f
from reports.exports import report_subject, verdict_reasons
from reports.models import Report


def _cost_rows(cost: dict) -> list[dict[str, str]]:
    total = f.decimal_or_none(cost.get("total")) or 0
    items = [
        (
            _("Prizes"),
            cost.get("prizes"),
            f.label(f.PRIZES_BASIS_LABELS, cost["prizes_basis"]) if "prizes_basis" in cost else "",
        ),
        (_("Labour"), cost.get("labour"), ""),
    ]
    by_category = cost.get("expenses_by_category")
    if by_category:
        items += [
            (str(Expense.Category(category).label), amount, _("expense"))
            for category, amount in sorted(by_category.items())
        ]
    else:
        items.append((_("Expenses"), cost.get("expenses"), ""))
    rows = []
    for name, amount, note in items:
        value = f.decimal_or_none(amount)
        share = float(value / total) if value is not None and total else None
        rows.append(
            {
                "name": name,
                "amount": f.money_text(amount),
                "share": f.percent_text(share),
                "note": note,
            }
        )
    return rows


def _retention(view: dict) -> list[dict[str, Any]]:
    return [f.retention_cell(view, code) for code in f.RETENTION_DAYS]


def report_page_context(report: Report, request: HttpRequest) -> dict[str, Any]:
    data = report.data or {}
    verdict = data.get("verdict", {})
    subject = report_subject(report)
    subject["url"] = reverse(
        f"admin:campaigns_{subject['kind']}_change",
        args=[report.campaign_id or report.pilot_id],
    )
    cost = data.get("cost", {})
    per_retained = cost.get("cost_per_retained_user", {})
    previous = data.get("previous_verdict") or {}
    done = report.status == Report.Status.DONE
    return {
        "subject": subject,
        "report_data": data,
        "verdict": f.verdict_label(verdict.get("decision")),
        "verdict_reasons": verdict_reasons(verdict),
        "verdict_data": verdict,
        "warnings": [warning_text(item) for item in data.get("data_warnings", [])],
        "previous_verdict": data.get("previous_verdict"),
        "previous_label": f.verdict_label(previous.get("decision")),
        "previous_when": f.local_datetime_text(previous.get("generated_at")),
        "generated_at": f.local_datetime_text(data.get("generated_at")),
        "kpi": {
            "participation_rate": f.percent_text(data.get("participation_rate")),
            "share_conversion_rate": f.percent_text(data.get("share_conversion_rate")),
            "per_1000": data.get("participants_per_1000_students"),
            "total": f.money_text(cost.get("total")),
            "per_new_user": f.money_text(cost.get("cost_per_new_user")),
            "per_retained": f.money_text(per_retained.get("value")),
            "basis": f.label(f.BASIS_LABELS, per_retained.get("basis")),
            "prizes": f.money_text(cost.get("prizes")),
        },
        "retention_rows": [
            {"label": f.RETENTION_LABELS[code], **f.retention_cell(data, code)}
            for code in f.RETENTION_DAYS
        ],
        "retention_headers": [f.RETENTION_LABELS[code] for code in f.RETENTION_DAYS],
        "cost_rows": _cost_rows(cost),
        "ambassador_rows": [
            {
                "name": row["name"] or _("another school's referral code (not credited)"),
                "new_users": row["new_users"],
                "d7_retained": row["d7_retained"],
                "d30_retained": row["d30_retained"],
                "retention": _retention(row),
            }
            for row in data.get("by_ambassador", [])
        ],
        "cohort_rows": [
            {
                "week": f.day(row["week"]),
                "new_users": row["new_users"],
                "retention": _retention(row),
            }
            for row in data.get("weekly_cohorts", [])
        ],
        "channel_rows": [
            {
                "name": f.label(f.CHANNEL_LABELS, channel),
                "new_users": view.get("new_users"),
                "retention": _retention(view),
            }
            for channel, view in sorted(data.get("by_channel", {}).items())
        ],
        "is_campaign_report": bool(report.campaign_id),
        "pilot_campaigns": (
            list(report.pilot.campaigns.order_by("voting_starts_at"))
            if not report.campaign_id
            else []
        ),
        "charts": (
            charts.all_charts(data, nonce=str(getattr(request, "csp_nonce", ""))) if done else []
        ),
        "in_progress": report.status in (Report.Status.PENDING, Report.Status.RUNNING),
        "failed": report.status == Report.Status.FAILED,
        "export_xlsx": reverse("admin:reports_report_export", args=[report.pk, "xlsx"]),
        "export_csv": reverse("admin:reports_report_export", args=[report.pk, "csv"]),
    }
