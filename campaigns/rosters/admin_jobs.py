"""Background roster imports in admin: their progress, the bad-row report, confirming a
checked preview, and retrying a failed job.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import dateformat
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from campaigns.models import (
    ImportJob,
)
from campaigns.rosters.admin import XLSX_TYPE
from campaigns.rosters.pipeline import KINDS, resource_class_for
from campaigns.rosters.previews import import_job_confirm
from campaigns.rosters.service import import_job_retry
from campaigns.rules import is_ops, user_school_id
from campaigns.scoping import progress_html
from core.errors import DomainError
from core.spreadsheets.exports import Problem, problems_workbook


def _clipped(text: str) -> str:
    return format_html('<span class="cell-clip clip-narrow" title="{}">{}</span>', text, text)


def _kind_label(kind: str) -> str:
    try:
        return str(resource_class_for(kind)._meta.model._meta.verbose_name_plural)
    except DomainError:  # a kind no longer imported
        return kind


RUNNING = (
    ImportJob.Status.PREVIEWING,
    ImportJob.Status.QUEUED,
    ImportJob.Status.VALIDATING,
    ImportJob.Status.WRITING,
)


class KindFilter(admin.SimpleListFilter):
    """The import kinds in words (what was imported), not their codes."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind, _kind_label(kind)) for kind in KINDS]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


admin.site.site_header = _("Campus campaign manager")
admin.site.site_title = _("Campus campaigns")
admin.site.index_title = _("Operations")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Background roster imports: progress while they run, the bad-row report after.
    Written by the import service only; an intern sees the jobs of their own school."""

    # Fits a 1366 px laptop beside the filters: the counts in one column, long file
    # names and reasons clipped with the whole text in their title.
    list_display = [
        "started",
        "kind_label",
        "school",
        "file_short",
        "status_progress",
        "outcome",
        "created_by",
        "failure",
    ]
    list_display_links = ["started"]
    list_filter = ["status", KindFilter]
    list_select_related = ["school", "created_by"]
    fields = [
        "kind",
        "school",
        "campaign",
        "file_name",
        "created_by",
        "created_at",
        "finished_at",
        "status",
        "progress_bar",
        "attempts",
        "heartbeat_at",
        "total_rows",
        "new",
        "updated",
        "unchanged",
        "problems",
        "confirm_button",
    ]
    readonly_fields = fields
    actions = ["retry_failed"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if is_ops(request.user):
            return qs
        school_id = user_school_id(request.user)
        return qs.filter(school_id=school_id) if school_id else qs.none()

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        if is_ops(request.user):
            return True
        school_id = user_school_id(request.user)
        return school_id is not None and (obj is None or obj.school_id == school_id)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return is_ops(request.user)

    def has_retry_permission(self, request, obj=None):
        # Whoever sees a job may start it again; it runs with its creator's school scope.
        return self.has_view_permission(request, obj)

    @admin.action(description=_("Retry the selected failed imports"), permissions=["retry"])
    def retry_failed(self, request, queryset):
        retried = sum(
            import_job_retry(job=job, actor=request.user)
            for job in queryset.filter(status=ImportJob.Status.FAILED)
        )
        skipped = queryset.count() - retried
        if retried:
            self.message_user(
                request, _("%(n)d import(s) queued again.") % {"n": retried}, messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                _("%(n)d import(s) had not failed and were left alone.") % {"n": skipped},
                messages.WARNING,
            )

    @admin.display(description=_("reason"))
    def failure(self, obj: ImportJob) -> str:
        """Why a job failed: its file-level error, or how many rows were bad."""
        if obj.status != ImportJob.Status.FAILED or not obj.errors:
            return "—"
        whole_file = [e["message"] for e in obj.errors if not e.get("line")]
        if whole_file:
            return _clipped(whole_file[0][:200])
        return _("%(n)d bad row(s)") % {"n": len(obj.errors)}

    @admin.display(description=_("started at"), ordering="created_at")
    def started(self, obj: ImportJob) -> str:
        return dateformat.format(localtime(obj.created_at), "Y-m-d H:i")

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj: ImportJob) -> str:
        return _kind_label(obj.kind)

    @admin.display(description=_("file name"), ordering="file_name")
    def file_short(self, obj: ImportJob) -> str:
        return _clipped(obj.file_name)

    @admin.display(description=_("status"), ordering="status")
    def status_progress(self, obj: ImportJob) -> str:
        if obj.status in RUNNING:
            return format_html("{}<br>{}", obj.get_status_display(), progress_html(obj.progress))
        return obj.get_status_display()

    @admin.display(description=_("rows"))
    def outcome(self, obj: ImportJob) -> str:
        return _("%(rows)d: %(new)d new, %(updated)d updated, %(unchanged)d unchanged") % {
            "rows": obj.total_rows,
            "new": obj.new,
            "updated": obj.updated,
            "unchanged": obj.unchanged,
        }

    @admin.display(description=_("progress"))
    def progress_bar(self, obj: ImportJob) -> str:
        return progress_html(obj.progress)

    @admin.display(description=_("bad rows"))
    def problems(self, obj: ImportJob) -> str:
        if not obj.errors:
            return "—"
        url = reverse("admin:campaigns_importjob_report", args=[obj.pk])
        items = format_html_join(
            "",
            "<li>{}</li>",
            (
                (_("row %(n)s") % {"n": e["line"]} if e.get("line") else _("file"), e["message"])
                for e in obj.errors[:200]
            ),
        )
        return format_html(
            '<p><a class="button" href="{}">{}</a></p><ul>{}</ul>',
            url,
            _("Download the bad-row report (XLSX)"),
            items,
        )

    @admin.display(description=_("confirm"))
    def confirm_button(self, obj: ImportJob) -> str:
        """A previewed job's "Confirm import": submits the page's own form (and its CSRF
        token) to the confirm URL; a form inside the form would be invalid HTML."""
        if obj.status != ImportJob.Status.PREVIEWED:
            return "—"
        return format_html(
            '<button type="submit" class="button default" formaction="{}" formmethod="post" '
            'data-testid="confirm-import">{}</button>',
            reverse("admin:campaigns_importjob_confirm", args=[obj.pk]),
            _("Confirm import"),
        )

    def get_urls(self):
        return [
            path(
                "<int:object_id>/report/",
                self.admin_site.admin_view(self.report_view),
                name="campaigns_importjob_report",
            ),
            path(
                "<int:object_id>/confirm/",
                self.admin_site.admin_view(require_POST(self.confirm_view)),
                name="campaigns_importjob_confirm",
            ),
            *super().get_urls(),
        ]

    def confirm_view(self, request, object_id: int):
        from django.core.exceptions import PermissionDenied

        job = self.get_queryset(request).filter(pk=object_id).first()
        if job is None or not self.has_view_permission(request, job):
            raise PermissionDenied
        if import_job_confirm(job_id=job.pk, user=request.user):
            self.message_user(request, _("The import is queued."), messages.SUCCESS)
        else:
            self.message_user(
                request,
                _("Only a checked preview you started can be confirmed, once."),
                messages.ERROR,
            )
        return HttpResponseRedirect(reverse("admin:campaigns_importjob_change", args=[job.pk]))

    def report_view(self, request, object_id: int):
        job = self.get_queryset(request).filter(pk=object_id).first()
        if job is None or not self.has_view_permission(request, job):
            raise PermissionDenied
        problems = [Problem(e.get("line"), e["message"], e.get("values") or []) for e in job.errors]
        response = HttpResponse(problems_workbook(problems, job.headers), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-problems.xlsx"'
        return response
