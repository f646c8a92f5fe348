"""The comparison of pilots: the latest finished pilot report of every pilot in scope,
ranked (reports.pilot.pilots_compared), on a page and as an XLSX."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from campaigns.models import Pilot
from reports.exports import compare_rows, compare_xlsx
from reports.exports.compare import compare_headers
from reports.models import Report
from reports.pilot import pilots_compared

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _groups(admin, request) -> dict[str, list[dict]]:
    if not admin.has_view_permission(request):
        raise PermissionDenied
    latest: dict[int, dict] = {}
    pilot_reports = (
        admin.get_queryset(request)
        .filter(campaign__isnull=True, pilot__isnull=False, status=Report.Status.DONE)
        .order_by("pilot_id", "-generated_at")
    )
    for report in pilot_reports:
        latest.setdefault(report.pilot_id, report.data)
    return pilots_compared(list(latest.values()))


def compare_view(admin, request):
    groups = _groups(admin, request)
    final, provisional = compare_rows(groups["final"]), compare_rows(groups["provisional"])
    return TemplateResponse(
        request,
        "admin/reports/pilot_compare.html",
        {
            **admin.admin_site.each_context(request),
            "title": _("Compare pilots"),
            "opts": Pilot._meta,
            "headers": compare_headers()[:-2],
            "export_url": reverse("admin:reports_report_compare_export"),
            "rows": final,
            "provisional_rows": provisional,
            # Final figures ranked among themselves, provisional ones apart.
            "groups": [
                {
                    "id": "pilot-compare",
                    "title": _("Final figures"),
                    "rows": final,
                },
                {
                    "id": "pilot-compare-provisional",
                    "title": _("Provisional figures (not comparable with final ones)"),
                    "rows": provisional,
                },
            ],
        },
    )


def compare_export_view(admin, request):
    response = HttpResponse(compare_xlsx(_groups(admin, request)), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="pilot-comparison.xlsx"'
    return response
