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
