from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Pilot
from campaigns.scoping import SchoolScopedAdmin, progress_html, scope_queryset
from reports import charts, exports
from reports.data_checks import warning_text
from reports.models import Report
from reports.pilot import pilots_compared
from reports.services import pilot_report_request, report_request, report_retry

RelatedOnly = admin.RelatedOnlyFieldListFilter

# The report JSON keeps the contract's English codes; people read them translated.
VERDICT_LABELS = {
    "replicate": _("replicate"),
    "improve": _("improve"),
    "stop": _("stop"),
}


def verdict_label(decision: str | None) -> str:
    return str(VERDICT_LABELS.get(decision or "", decision or "—"))


class ReportRequestForm(forms.ModelForm):
    """A report of one campaign, or of a whole pilot (all its campaigns and costs)."""

    class Meta:
        model = Report
        fields = ["campaign", "pilot"]

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("campaign")) == bool(cleaned.get("pilot")):
            raise forms.ValidationError(_("Choose a campaign or a pilot."))
        return cleaned


@admin.register(Report)
class ReportAdmin(SchoolScopedAdmin):
    list_display = [
        "requested_at",
        "campaign",
        "status",
        "progress_bar",
        "verdict",
        "provisional",
        "matures_on",
        "new_users",
        "generated_at",
        "failure",
    ]
    list_filter = ["status", ("campaign", RelatedOnly)]
    list_select_related = ["campaign", "pilot__school"]
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
    fields = readonly_fields
    actions = ["retry_failed"]
    change_form_template = "admin/reports/report/change_form.html"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ReportRequestForm
            kwargs["fields"] = ["campaign", "pilot"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["campaign", "pilot"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "campaign":
            kwargs["queryset"] = scope_queryset(
                Campaign.objects.select_related("pilot__school"), request.user
            )
        if db_field.name == "pilot":
            kwargs["queryset"] = scope_queryset(
                Pilot.objects.select_related("school"), request.user
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        # Requesting a report is an operations task; interns read their school's reports.
        return request.user.has_perm("reports.add_report")

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Creating a report means asking a worker to compute it after commit.
        if obj.campaign_id:
            report = report_request(campaign=obj.campaign)
        else:
            report = pilot_report_request(pilot=obj.pilot)
        obj.pk, obj.pilot_id, obj.requested_at = report.pk, report.pilot_id, report.requested_at

    def response_add(self, request, obj, post_url_continue=None):
        # Straight to the report's page, where its progress shows.
        return HttpResponseRedirect(reverse("admin:reports_report_change", args=[obj.pk]))

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

    @admin.display(description=_("reason"))
    def failure(self, obj: Report) -> str:
        return obj.error[:200] if obj.status == Report.Status.FAILED and obj.error else "—"

    @admin.display(description=_("progress"), ordering="progress")
    def progress_bar(self, obj: Report) -> str:
        return progress_html(obj.progress)

    @admin.display(description=_("verdict"))
    def verdict(self, obj: Report) -> str:
        return verdict_label((obj.data or {}).get("verdict", {}).get("decision"))

    @admin.display(description=_("new users"))
    def new_users(self, obj: Report) -> str:
        return (obj.data or {}).get("new_users", "—")

    def get_urls(self):
        return [
            path(
                "compare-pilots/",
                self.admin_site.admin_view(self.compare_view),
                name="reports_report_compare",
            ),
            path(
                "<int:pk>/export/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name="reports_report_export",
            ),
            *super().get_urls(),
        ]

    def compare_view(self, request):
        """The latest finished pilot report of every pilot in scope, ranked."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        latest: dict[int, dict] = {}
        pilot_reports = (
            self.get_queryset(request)
            .filter(campaign__isnull=True, pilot__isnull=False, status=Report.Status.DONE)
            .order_by("pilot_id", "-generated_at")
        )
        for report in pilot_reports:
            latest.setdefault(report.pilot_id, report.data)

        def labelled(rows: list[dict]) -> list[dict]:
            return [
                {**row, "verdict_label": verdict_label(row["verdict"]["decision"])} for row in rows
            ]

        groups = pilots_compared(list(latest.values()))
        return TemplateResponse(
            request,
            "admin/reports/pilot_compare.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Compare pilots"),
                "opts": Pilot._meta,
                # Final figures ranked among themselves, provisional ones apart.
                "rows": labelled(groups["final"]),
                "provisional_rows": labelled(groups["provisional"]),
                "groups": [
                    {
                        "id": "pilot-compare",
                        "title": _("Final figures"),
                        "rows": labelled(groups["final"]),
                    },
                    {
                        "id": "pilot-compare-provisional",
                        "title": _("Provisional figures (not comparable with final ones)"),
                        "rows": labelled(groups["provisional"]),
                    },
                ],
            },
        )

    def export_view(self, request, pk: int, fmt: str):
        report = self.get_object(request, str(pk))
        if (
            report is None
            or not self.has_view_permission(request, report)
            or fmt not in ("xlsx", "csv")
        ):
            raise Http404
        if fmt == "xlsx":
            body = exports.report_xlsx(report.data)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body = exports.report_csv(report.data)
            content_type = "text/csv; charset=utf-8"
        response = HttpResponse(body, content_type=content_type)
        slug = report.campaign.slug if report.campaign_id else f"pilot-{report.pilot_id}"
        response["Content-Disposition"] = f'attachment; filename="report-{slug}-{report.pk}.{fmt}"'
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if report is not None:
            data = report.data or {}
            extra_context.update(
                report_data=data,
                verdict=verdict_label(data.get("verdict", {}).get("decision")),
                verdict_reasons=exports.verdict_reasons(data.get("verdict", {})),
                verdict_data=data.get("verdict", {}),
                warnings=[warning_text(item) for item in data.get("data_warnings", [])],
                previous_verdict=data.get("previous_verdict"),
                previous_label=verdict_label((data.get("previous_verdict") or {}).get("decision")),
                charts=(
                    charts.all_charts(data, nonce=str(getattr(request, "csp_nonce", "")))
                    if report.status == Report.Status.DONE
                    else []
                ),
                in_progress=report.status in (Report.Status.PENDING, Report.Status.RUNNING),
                export_xlsx=reverse("admin:reports_report_export", args=[report.pk, "xlsx"]),
                export_csv=reverse("admin:reports_report_export", args=[report.pk, "csv"]),
            )
        return super().change_view(request, object_id, form_url, extra_context)
