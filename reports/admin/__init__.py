"""The reports' admin: the list, the report page, the request flow (reports/admin/request.py),
the exports and the comparison of pilots (reports/admin/compare.py)."""

from django.contrib import admin, messages
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campaigns.scoping import SchoolScopedAdmin, progress_html
from reports import exports
from reports.admin.compare import compare_export_view, compare_view
from reports.admin.page import report_page_context
from reports.admin.request import report_request_view
from reports.exports.formats import verdict_label
from reports.models import Report
from reports.services import report_retry

RelatedOnly = admin.RelatedOnlyFieldListFilter
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

__all__ = ["ReportAdmin", "verdict_label"]


@admin.register(Report)
class ReportAdmin(SchoolScopedAdmin):
    # Few, short columns: the list fits a 1366 px laptop beside its filters.
    list_display = [
        "requested_at",
        "subject",
        "status_progress",
        "verdict",
        "new_users",
        "generated_at",
        "failure",
    ]
    list_filter = ["status", ("campaign", RelatedOnly)]
    list_select_related = ["campaign__pilot__school", "pilot__school"]
    date_hierarchy = "requested_at"
    readonly_fields = [
        "campaign",
        "pilot",
        "status",
        "progress",
        "requested_at",
        "generated_at",
        "provisional",
        "matures_on",
        "previous",
        "attempts",
        "heartbeat_at",
        "error",
    ]
    fieldsets = [
        (
            _("Computation"),
            {
                "classes": ["collapse"],
                "fields": readonly_fields,
            },
        )
    ]
    actions = ["retry_failed"]
    change_form_template = "admin/reports/report/change_form.html"

    def has_add_permission(self, request):
        # Requesting a report is an operations task; interns read their school's reports.
        return request.user.has_perm("reports.add_report")

    def has_change_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return report_request_view(self, request)

    def has_retry_permission(self, request, obj=None):
        # Computing a report again is requesting it: an operations task.
        return self.has_add_permission(request)

    @admin.action(description=_("Retry the selected failed reports"), permissions=["retry"])
    def retry_failed(self, request, queryset):
        retried = sum(
            report_retry(report=report, actor=request.user)
            for report in queryset.filter(status=Report.Status.FAILED).select_related(
                "campaign__pilot", "pilot"
            )
        )
        skipped = queryset.count() - retried
        if retried:
            self.message_user(
                request, _("%(n)d report(s) queued again.") % {"n": retried}, messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                _("%(n)d report(s) had not failed and were left alone.") % {"n": skipped},
                messages.WARNING,
            )

    @admin.display(description=_("about"))
    def subject(self, obj: Report) -> str:
        if obj.campaign_id:
            return obj.campaign.title
        return format_html("{} <small>({})</small>", obj.pilot.name, _("whole pilot"))

    @admin.display(description=_("status"), ordering="status")
    def status_progress(self, obj: Report) -> str:
        if obj.status in (Report.Status.PENDING, Report.Status.RUNNING):
            return format_html("{}<br>{}", obj.get_status_display(), progress_html(obj.progress))
        return obj.get_status_display()

    @admin.display(description=_("reason"))
    def failure(self, obj: Report) -> str:
        if obj.status != Report.Status.FAILED or not obj.error:
            return "—"
        return format_html('<span title="{}">{}</span>', obj.error[:500], obj.error[:60])

    @admin.display(description=_("verdict"))
    def verdict(self, obj: Report) -> str:
        label = verdict_label((obj.data or {}).get("verdict", {}).get("decision"))
        if obj.provisional and obj.matures_on:
            return format_html(
                "{}<br><small>{}</small>",
                label,
                _("provisional until %(date)s") % {"date": obj.matures_on.isoformat()},
            )
        return label

    @admin.display(description=_("new users"))
    def new_users(self, obj: Report) -> str:
        return (obj.data or {}).get("new_users", "—")

    def get_urls(self):
        return [
            path(
                "compare-pilots/",
                self.admin_site.admin_view(lambda request: compare_view(self, request)),
                name="reports_report_compare",
            ),
            path(
                "compare-pilots/export/",
                self.admin_site.admin_view(lambda request: compare_export_view(self, request)),
                name="reports_report_compare_export",
            ),
            path(
                "<int:pk>/export/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name="reports_report_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request, pk: int, fmt: str):
        report = self.get_object(request, str(pk))
        if (
            report is None
            or not self.has_view_permission(request, report)
            or fmt not in ("xlsx", "csv")
            or report.status != Report.Status.DONE
        ):
            raise Http404
        if fmt == "xlsx":
            response = HttpResponse(exports.report_xlsx(report), content_type=XLSX)
        else:
            response = HttpResponse(
                exports.report_csv(report.data), content_type="text/csv; charset=utf-8"
            )
        slug = report.campaign.slug if report.campaign_id else f"pilot-{report.pilot_id}"
        response["Content-Disposition"] = f'attachment; filename="report-{slug}-{report.pk}.{fmt}"'
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if report is not None:
            extra_context.update(report_page_context(report, request))
        return super().change_view(request, object_id, form_url, extra_context)
