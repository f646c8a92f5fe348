"""Server-side SVG charts of a stored report (pygal): they render without JavaScript or a
CDN, print, and can be checked in tests like any other markup."""

import re

import pygal
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pygal.style import CleanStyle

from campaigns.models import Expense
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
        "height": 320,
        "width": 640,
        "explicit_size": False,
        "print_values": False,
        **extra,
    }


def daily_votes_chart(report: dict) -> SafeString:
    rows = report.get("daily_votes", [])
    chart = pygal.Bar(**_config(_("Valid votes per day"), show_legend=False, x_label_rotation=30))
    chart.x_labels = [row["day"][5:] for row in rows]
    chart.add(_("votes"), [row["votes"] for row in rows])
    return _render(chart)


FUNNEL_LABELS = {
    "visitors": gettext_noop("Visitors"),
    "participants": gettext_noop("Participants"),
    "new_users": gettext_noop("New users"),
    "d7_retained": gettext_noop("Retained D7"),
    "d30_retained": gettext_noop("Retained D30"),
}


def funnel_chart(report: dict) -> SafeString:
    chart = pygal.HorizontalBar(**_config(_("Funnel"), print_values=True))
    for step in report.get("funnel", []):
        chart.add(_(FUNNEL_LABELS.get(step["step"], step["step"])), [step["count"]])
    return _render(chart)


def retention_chart(report: dict) -> SafeString:
    """Retention curve over D1/D7/D30, overall and per channel; immature points are gaps."""
    chart = pygal.Line(**_config(_("Retention"), range=(0, 1), value_formatter=_percent))
    chart.x_labels = ["D1", "D7", "D30"]
    chart.add(_("all new users"), _curve(report.get("retention", {})))
    for channel, data in sorted(report.get("by_channel", {}).items()):
        chart.add(str(Voter.Channel(channel).label), _curve(data.get("retention", {})))
    return _render(chart)


def cost_chart(report: dict) -> SafeString:
    cost = report.get("cost", {})
    chart = pygal.Pie(**_config(_("Cost breakdown (CNY)"), inner_radius=0.4))
    chart.add(_("awarded prizes"), float(cost.get("prizes") or 0))
    chart.add(_("labour"), float(cost.get("labour") or 0))
    for category, amount in sorted(cost.get("expenses_by_category", {}).items()):
        chart.add(str(Expense.Category(category).label), float(amount or 0))
    return _render(chart)


def _curve(retention: dict) -> list[float | None]:
    return [retention.get(day, {}).get("rate") for day in ("d1", "d7", "d30")]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


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
            daily_votes_chart(report),
            retention_chart(report),
            cost_chart(report),
        )
    ]
