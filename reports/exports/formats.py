"""How a stored report's values read to people: labels in the reader's language, money
with ¥, rates as percentages, local times, 是/否. The report JSON keeps the contract's
codes and numbers (docs/metrics.md); the page, the charts and the spreadsheets all format
them here, so they say the same thing."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

RETENTION_DAYS = ("d1", "d7", "d30")

# The contract's d1/d7/d30, as an operations manager says them.
RETENTION_LABELS = {
    "d1": gettext_lazy("Next-day retention"),
    "d7": gettext_lazy("7-day retention"),
    "d30": gettext_lazy("30-day retention"),
}
RETAINED_LABELS = {
    "d1": gettext_lazy("Retained next day"),
    "d7": gettext_lazy("Retained on day 7"),
    "d30": gettext_lazy("Retained on day 30"),
}
# The cost per retained user rests on D30 once mature, D7 before (docs/metrics.md).
BASIS_LABELS = {
    "d7": gettext_lazy("by 7-day retention"),
    "d30": gettext_lazy("by 30-day retention"),
}
VERDICT_LABELS = {
    "replicate": gettext_lazy("replicate"),
    "improve": gettext_lazy("improve"),
    "stop": gettext_lazy("stop"),
}
PRIZES_BASIS_LABELS = {
    "handed_out": gettext_lazy("prizes handed out"),
    "awarded": gettext_lazy("awarded, none handed out yet"),
    "standing": gettext_lazy("by the standing (no awards yet)"),
}
CHANNEL_LABELS = {
    "share": gettext_lazy("share link"),
    "ambassador": gettext_lazy("ambassador"),
    "direct": gettext_lazy("direct"),
}


def label(table: dict, code: str | None) -> str:
    """The label of a contract code, or the code itself when unknown (never blank)."""
    if code is None:
        return "—"
    return str(table.get(code, code))


def verdict_label(decision: str | None) -> str:
    return label(VERDICT_LABELS, decision)


def yes_no(value: Any) -> str:
    return _("yes") if value else _("no")


def decimal_or_none(value: Any) -> Decimal | None:
    """A money string of the JSON ("1234.50") as a Decimal; None when absent."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money_text(value: Any) -> str:
    amount = decimal_or_none(value)
    return "—" if amount is None else f"¥{amount:,.2f}"


def percent_text(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}%}"


def local_datetime(value: str | None) -> datetime | None:
    """An ISO timestamp of the JSON (UTC or any offset) as Asia/Shanghai wall-clock time,
    naive: spreadsheets have no time zones."""
    parsed = parse_datetime(value) if value else None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    return timezone.localtime(parsed).replace(tzinfo=None)


def local_datetime_text(value: str | None) -> str:
    local = local_datetime(value)
    return "—" if local is None else f"{local:%Y-%m-%d %H:%M}"


def day(value: str | None) -> date | None:
    return parse_date(value) if value else None


def retention_cell(view: dict, code: str) -> dict[str, Any]:
    """One D-n figure of a view (overall, a channel, an ambassador, a week) for reading:
    its rate, how many of how many, and whether the cohort is old enough yet."""
    figure = view.get("retention", {}).get(code, {})
    cohort = figure.get("cohort") or 0
    rate = figure.get("rate")
    note = ""
    if not cohort:
        text = _("not yet mature")
    else:
        text = percent_text(rate)
        if not figure.get("mature", True):
            note = _("(%(cohort)s old enough)") % {"cohort": cohort}
    return {
        "rate": rate,
        "retained": figure.get("retained"),
        "cohort": cohort,
        "mature": figure.get("mature"),
        "text": text,
        "note": note,
    }
