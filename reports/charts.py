"""Server-side SVG charts of a stored report (pygal): they render without JavaScript or a
CDN, print, and can be checked in tests like any other markup."""

import re
from decimal import Decimal

import pygal
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pygal.style import CleanStyle

from campaigns.models import Expense
from reports.exports.formats import (
    RETENTION_DAYS,
    RETENTION_LABELS,
    decimal_or_none,
    money_text,
    percent_text,
)
from voting.models import Voter

STYLE = CleanStyle(font_family="'Noto Sans CJK SC', 'PingFang SC', sans-serif")


def _render(chart: pygal.Graph) -> SafeString:
    # No pygal tooltips script: it would load from a CDN the admin must not depend on.
    svg = chart.render(is_unicode=True, disable_xml_declaration=True)
    # pygal escapes every label and value it writes into the SVG.
    return mark_safe(svg)  # noqa: S308


def _config(title: str, **extra) -> dict:
    return {
        "title": title,
        "style": STYLE,
        "js": [],
        "height": 360,
        "width": 640,
        "explicit_size": False,
        "print_values": False,
        # pygal's own "No data" is English; an empty chart says it in the reader's language.
        "no_data_text": _("No data"),
        # Beside the plot the legend covers a left axis' labels, and pygal cuts legend
        # text to fit there: below the plot it has the chart's width.
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 3,
        "truncate_legend": -1,
        "truncate_label": -1,
        **extra,
    }


def daily_votes_chart(report: dict) -> SafeString:
    rows = report.get("daily_votes", [])
    chart = pygal.Bar(**_config(_("Valid votes per day"), show_legend=False, x_label_rotation=30))
    chart.x_labels = [row["day"][5:] for row in rows]
    chart.add(_("valid votes"), [row["votes"] for row in rows])
    return _render(chart)


FUNNEL_LABELS = {
    "visitors": gettext_noop("Visitors"),
    "participants": gettext_noop("Participants"),
    "new_users": gettext_noop("New users"),
    "d7_retained": gettext_noop("Retained D7"),
    "d30_retained": gettext_noop("Retained D30"),
}


def _funnel(report: dict) -> list[dict]:
    """The report's funnel; a pilot's report has none stored, so it is read off its
    figures (the same steps, added up over its campaigns)."""
    if "funnel" in report:
        return report["funnel"]
    retention = report.get("retention", {})
    return [
        {"step": "visitors", "count": report.get("unique_visitors", 0)},
        {"step": "participants", "count": report.get("participants", 0)},
        {"step": "new_users", "count": report.get("new_users", 0)},
        {"step": "d7_retained", "count": retention.get("d7", {}).get("retained", 0)},
        {"step": "d30_retained", "count": retention.get("d30", {}).get("retained", 0)},
    ]


def funnel_chart(report: dict) -> SafeString:
    chart = pygal.HorizontalBar(**_config(_("Funnel"), print_values=True))
    for step in _funnel(report):
        chart.add(_(FUNNEL_LABELS.get(step["step"], step["step"])), [step["count"]])
    return _render(chart)


def retention_chart(report: dict) -> SafeString:
    """Retention curve over D1/D7/D30, overall and per channel; immature points are gaps."""
    chart = pygal.Line(**_config(_("Retention"), range=(0, 1), value_formatter=_percent))
    chart.x_labels = [str(RETENTION_LABELS[code]) for code in RETENTION_DAYS]
    chart.add(_("all new users"), _curve(report.get("retention", {})))
    for channel, data in sorted(report.get("by_channel", {}).items()):
        chart.add(str(Voter.Channel(channel).label), _curve(data.get("retention", {})))

    return _render(chart)


def cost_items(report: dict) -> list[tuple[str, Decimal]]:
    """The cost's parts that are not zero, with their labels."""
    cost = report.get("cost", {})
    items = [(_("Prizes"), cost.get("prizes")), (_("Labour"), cost.get("labour"))]
    by_category = cost.get("expenses_by_category")
    if by_category:
        items += [
            (str(Expense.Category(category).label), amount)
            for category, amount in sorted(by_category.items())
        ]
    else:
        items.append((_("Expenses"), cost.get("expenses")))
    return [(name, value) for name, amount in items if (value := decimal_or_none(amount))]


def cost_chart(report: dict) -> SafeString:
    """A donut of the cost's parts; each legend entry names its ¥ amount and its share of
    the total, so the chart reads without hovering (values printed on the slices would
    overlap on the small ones)."""
    items = cost_items(report)
    total = sum((value for _name, value in items), Decimal(0))
    chart = pygal.Pie(
        **_config(
            _("Cost breakdown"),
            inner_radius=0.45,
            value_formatter=lambda value: money_text(value),
            legend_at_bottom_columns=2,
        )
    )
    for name, value in items:
        share = percent_text(float(value / total)) if total else "—"
        chart.add(f"{name} {money_text(value)} ({share})", float(value))
    return _render(chart)


def _curve(retention: dict) -> list[float | None]:
    return [retention.get(day, {}).get("rate") for day in ("d1", "d7", "d30")]


def _percent(value: float | None) -> str:
    return percent_text(value, digits=0)


_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)
_STYLE = re.compile(r"<style\b")
# pygal's (empty, script-less) tooltip group is hidden by an inline style attribute,
# which the policy blocks; static/admin-site/site.css hides it instead.
_TOOLTIP_STYLE = ' style="opacity: 0" class="tooltip"'


def chart_for_csp(svg: str, nonce: str) -> SafeString:
    """An inline chart the Content-Security-Policy lets render: pygal's ``<style>`` gets
    the request's nonce, and its config ``<script>`` (for tooltips we do not load) goes."""
    svg = _SCRIPT.sub("", svg).replace(_TOOLTIP_STYLE, ' class="tooltip"')
    if nonce:
        # The nonce is drawn by django-csp: URL-safe base64, nothing to escape.
        svg = _STYLE.sub(f'<style nonce="{nonce}"', svg)
    return mark_safe(svg)  # noqa: S308


def all_charts(report: dict, *, nonce: str = "") -> list[SafeString]:
    """The report's charts; ``nonce`` is the request's CSP nonce (``request.csp_nonce``)."""
    if not report:
        return []
    return [
        chart_for_csp(chart, nonce)
        for chart in (
            funnel_chart(report),
            # A pilot's report has no daily votes of its own (its campaigns' pages do).
            daily_votes_chart(report) if "daily_votes" in report else None,
            retention_chart(report),
            cost_chart(report),
        )
        if chart is not None
    ]
