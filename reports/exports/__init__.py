"""A stored report, and the comparison of pilots, as spreadsheets (docs/metrics.md
"Exports")."""

from reports.exports.compare import compare_rows, compare_xlsx
from reports.exports.report import (
    report_csv,
    report_subject,
    report_xlsx,
    summary_rows,
    verdict_reasons,
)

__all__ = [
    "compare_rows",
    "compare_xlsx",
    "report_csv",
    "report_subject",
    "report_xlsx",
    "summary_rows",
    "verdict_reasons",
]
