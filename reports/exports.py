"""A stored report as spreadsheets: XLSX with one sheet per view, CSV of the summary."""

from typing import Any

import tablib
from django.utils.translation import gettext as _

from core.spreadsheets.exports import escape_formula
from reports.data_checks import warning_text


def _dataset(title: str, headers: list[str], rows: list[list[Any]]) -> tablib.Dataset:
    data = tablib.Dataset(headers=headers, title=title[:31])
    for row in rows:
        data.append([escape_formula(value) for value in row])
    return data


def verdict_reasons(verdict: dict) -> list[str]:
    """The verdict's reasons in the reader's language; reports stored before reasons were
    kept as messages show their English sentences."""
    messages = verdict.get("reason_messages")
    if messages is None:
        return verdict.get("reasons", [])
    return [_(m["msgid"]) % m["params"] for m in messages]


def summary_rows(report: dict) -> list[list[Any]]:
    cost = report.get("cost", {})
    retention = report.get("retention", {})
    rows: list[list[Any]] = [
        ["campaign", report.get("campaign")],
        ["generated_at", report.get("generated_at")],
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
    for day in ("d1", "d7", "d30"):
        for key in ("cohort", "retained", "rate", "mature"):
            rows.append([f"retention.{day}.{key}", retention.get(day, {}).get(key)])
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


def report_databook(report: dict) -> tablib.Databook:
    def rate(view: dict, day: str) -> Any:
        return view.get("retention", {}).get(day, {}).get("rate")

    return tablib.Databook(
        [
            _dataset(_("Summary"), ["metric", "value"], summary_rows(report)),
            _dataset(
                _("Daily votes"),
                ["day", "votes"],
                [[r["day"], r["votes"]] for r in report.get("daily_votes", [])],
            ),
            _dataset(
                _("Weekly cohorts"),
                ["week", "new_users", "d1", "d7", "d30"],
                [
                    [r["week"], r["new_users"], rate(r, "d1"), rate(r, "d7"), rate(r, "d30")]
                    for r in report.get("weekly_cohorts", [])
                ],
            ),
            _dataset(
                _("Ambassadors"),
                ["ambassador", "new_users", "d7_retained", "d30_retained"],
                [
                    [r["name"], r["new_users"], r["d7_retained"], r["d30_retained"]]
                    for r in report.get("by_ambassador", [])
                ],
            ),
        ]
    )


def report_xlsx(report: dict) -> bytes:
    return report_databook(report).export("xlsx")


def report_csv(report: dict) -> bytes:
    # UTF-8 with BOM: Chinese Excel opens it without garbling.
    text = _dataset("summary", ["metric", "value"], summary_rows(report)).export("csv")
    return text.encode("utf-8-sig")
