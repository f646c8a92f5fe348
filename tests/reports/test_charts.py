"""The report's inline SVG charts under the Content-Security-Policy (reports/charts.py):
their styles carry the request's nonce; no script, no style attribute."""

import re

from reports.charts import all_charts

REPORT = {
    "daily_votes": [{"day": "2026-10-01", "votes": 3}, {"day": "2026-10-02", "votes": 5}],
    "funnel": [{"step": "visitors", "count": 40}, {"step": "participants", "count": 9}],
}


def test_charts_comply_with_the_policy():
    charts = all_charts(REPORT, nonce="n0nce")
    assert len(charts) == 4
    for svg in charts:
        styles = re.findall(r"<style\b[^>]*>", svg)
        assert styles and all('nonce="n0nce"' in tag for tag in styles)
        assert "<script" not in svg
        assert not re.search(r"<[a-z]+\b[^>]*\sstyle=", svg)
        assert 'class="tooltip"' in svg


FULL = {
    **REPORT,
    "new_users": 4,
    "retention": {
        "d1": {"cohort": 4, "retained": 2, "rate": 0.5, "mature": True},
        "d7": {"cohort": 4, "retained": 1, "rate": 0.25, "mature": True},
        "d30": {"cohort": 0, "retained": 0, "rate": None, "mature": False},
    },
    "cost": {
        "prizes": "300.00",
        "labour": "100.00",
        "expenses": "600.00",
        "expenses_by_category": {"printing": "600.00"},
        "total": "1000.00",
    },
}


def _text(svg: str) -> str:
    return re.sub(r"<[^>]+>", " ", svg)


def test_an_empty_chart_says_no_data_in_the_readers_language():
    from django.utils import translation

    with translation.override("zh-hans"):
        charts = [_text(svg) for svg in all_charts({"funnel": [], "daily_votes": []})]
    assert all("No data" not in text for text in charts)
    assert all("暂无数据" in text for text in charts[1:])  # votes, retention, cost: empty
    with translation.override("en"):
        assert "No data" in _text(all_charts({"funnel": [], "daily_votes": []})[3])


def test_chart_titles_and_retention_days_are_translated():
    from django.utils import translation

    with translation.override("zh-hans"):
        funnel, votes, retention, cost = (_text(svg) for svg in all_charts(FULL))
    assert "转化漏斗" in funnel and "每日有效票数" in votes
    for label in ("次日留存", "7日留存", "30日留存"):
        assert label in retention
    assert "D7" not in retention and "d30" not in retention
    assert "成本构成" in cost


def test_the_cost_donut_names_amounts_and_shares():
    from django.utils import translation

    with translation.override("zh-hans"):
        cost = _text(all_charts(FULL)[3])
    assert "奖品 ¥300.00 (30.0%)" in cost
    assert "人工成本 ¥100.00 (10.0%)" in cost
    assert "印刷 ¥600.00 (60.0%)" in cost


def test_legends_sit_below_the_plot_and_are_never_cut():
    svg = all_charts(FULL)[2]
    # pygal cuts long legend text with "…" when it sits beside the plot.
    assert "…" not in _text(svg)

    def offsets(css_class: str) -> list[float]:
        pattern = rf'<g transform="translate\([\d.]+, ([\d.]+)\)" class="{css_class}">'
        return [float(y) for y in re.findall(pattern, svg)]

    legend_y, plot_y = offsets("legends"), offsets("plot")
    assert legend_y and plot_y and legend_y[0] > plot_y[0]


def test_a_pilot_report_draws_its_funnel_from_its_figures():
    from django.utils import translation

    pilot = {k: v for k, v in FULL.items() if k not in ("funnel", "daily_votes")}
    pilot.update(unique_visitors=40, participants=9)
    with translation.override("zh-hans"):
        charts = [_text(svg) for svg in all_charts(pilot)]
    assert len(charts) == 3  # no daily votes of its own
    assert "暂无数据" not in charts[0] and "40" in charts[0] and "访客" in charts[0]
