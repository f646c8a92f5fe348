from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from campaigns.models import (
    AuditLog,
    Campaign,
    Expense,
    ImportJob,
    Pilot,
    Prize,
    Round,
    School,
    StaffPhone,
)
from campaigns.rosters.admin import XLSX_TYPE, RosterImportExportMixin
from campaigns.rosters.service import import_job_retry
from campaigns.rules import is_ops, user_school_id
from campaigns.scoping import ReadOnlyAdmin, SchoolScopedAdmin, ScopedInlineMixin, progress_html
from campaigns.services import (
    POLICY_FIELDS,
    campaign_first_round_ensure,
    campaign_policy_frozen,
    campaign_record_frozen_change,
    pilot_replicate,
)

admin.site.site_header = _("Campus campaign manager")
admin.site.site_title = _("Campus campaigns")
admin.site.index_title = _("Operations")

RelatedOnly = admin.RelatedOnlyFieldListFilter


@admin.register(School)
class SchoolAdmin(SchoolScopedAdmin):
    list_display = ["name", "slug", "city", "province", "student_population", "pilot_count"]
    list_filter = ["province"]
    search_fields = ["name", "slug", "city"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_pilots=Count("pilots"))

    @admin.display(description=_("pilots"), ordering="n_pilots")
    def pilot_count(self, obj: School) -> int:
        return obj.n_pilots


@admin.register(Pilot)
class PilotAdmin(SchoolScopedAdmin):
    list_display = [
        "name",
        "school",
        "status",
        "starts_on",
        "ends_on",
        "budget",
        "owner",
        "replicated_from",
    ]
    list_filter = ["status", ("school", RelatedOnly)]
    list_select_related = ["school", "owner", "replicated_from__school"]
    search_fields = ["name", "school__name"]
    date_hierarchy = "starts_on"
    autocomplete_fields = ["school"]
    raw_id_fields = ["replicated_from"]
    actions = ["replicate"]

    def has_replicate_permission(self, request) -> bool:
        return is_ops(request.user)

    @admin.action(description=_("Replicate to another school…"), permissions=["replicate"])
    def replicate(self, request, queryset):
        """Ask for the school and start date, then copy the one selected pilot."""
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one pilot to replicate."), messages.ERROR)
            return None
        pilot = queryset.get()
        form = PilotReplicateForm(
            request.POST if "apply" in request.POST else None,
            initial={"name": pilot.name, "starts_on": pilot.starts_on},
            pilot=pilot,
        )
        if form.is_valid():
            copy = pilot_replicate(pilot=pilot, actor=request.user, **form.cleaned_data)
            self.message_user(
                request,
                _("Replicated as “%(pilot)s”: its campaigns are drafts to review.")
                % {"pilot": copy},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:campaigns_pilot_change", args=[copy.pk]))
        return TemplateResponse(
            request,
            "admin/campaigns/pilot/replicate.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Replicate pilot"),
                "opts": self.model._meta,
                "pilot": pilot,
                "form": form,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )


class PilotReplicateForm(forms.Form):
    school = forms.ModelChoiceField(School.objects.all(), label=_("school"))
    starts_on = forms.DateField(
        label=_("starts on"), help_text=_("Every date of the plan shifts by the same days.")
    )
    name = forms.CharField(label=_("name"), max_length=120)

    def __init__(self, *args, pilot: Pilot, **kwargs):
        super().__init__(*args, **kwargs)
        self.pilot = pilot
        self.fields["school"].queryset = School.objects.exclude(pk=pilot.school_id)

    def clean(self):
        cleaned = super().clean()
        school, name = cleaned.get("school"), cleaned.get("name")
        if school and name and Pilot.objects.filter(school=school, name=name).exists():
            raise ValidationError(_("This school already has a pilot with this name."))
        return cleaned


class RoundInline(ScopedInlineMixin, admin.TabularInline):
    model = Round
    extra = 0
    fields = ["number", "topic", "voting_starts_at", "voting_ends_at"]


class PrizeFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        # The reason is a field of the parent form, which a formset cannot see; read it
        # from the same POST so a frozen prize list never changes without one.
        if (
            self.has_changed()
            and campaign_policy_frozen(campaign=self.instance)
            and not self.data.get("change_reason", "").strip()
        ):
            raise ValidationError(_("Voting has opened: prize changes need a reason."))


class PrizeInline(ScopedInlineMixin, admin.TabularInline):
    model = Prize
    formset = PrizeFormSet
    extra = 0
    fields = ["round", "name", "rank_from", "rank_to", "unit_cost", "quantity"]


class CampaignAdminForm(forms.ModelForm):
    change_reason = forms.CharField(
        label=_("Reason for changing a frozen policy"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Voting has opened: the vote policy and prizes are frozen. Any change needs a "
            "reason, recorded in the audit log."
        ),
    )

    class Meta:
        model = Campaign
        fields = [
            "pilot",
            "kind",
            "title",
            "slug",
            "status",
            "rules",
            "submission_starts_at",
            "submission_ends_at",
            "voting_starts_at",
            "voting_ends_at",
            *POLICY_FIELDS,
        ]

    def frozen_changes(self) -> list[str]:
        if not campaign_policy_frozen(campaign=self.instance):
            return []
        return [name for name in self.changed_data if name in POLICY_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if self.frozen_changes() and not cleaned.get("change_reason", "").strip():
            raise ValidationError(
                _("Voting has opened: give a reason for changing %(fields)s.")
                % {"fields": ", ".join(self.frozen_changes())}
            )
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(SchoolScopedAdmin):
    form = CampaignAdminForm
    list_display = [
        "title",
        "slug",
        "pilot",
        "kind",
        "status",
        "voting_starts_at",
        "voting_ends_at",
        "votes_per_day",
        "votes_per_entry_per_day",
        "entry_count",
    ]
    list_filter = ["status", "kind", ("pilot__school", RelatedOnly)]
    list_select_related = ["pilot__school"]
    search_fields = ["title", "slug", "pilot__name", "pilot__school__name"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "voting_starts_at"
    inlines = [RoundInline, PrizeInline]
    # voting/admin/leaderboards.py adds "Refresh leaderboards now" (the voting app is above).
    actions: list = []
    fieldsets = [
        (None, {"fields": ["pilot", "kind", "title", "slug", "status", "rules"]}),
        (
            _("Windows (Asia/Shanghai)"),
            {
                "fields": [
                    ("submission_starts_at", "submission_ends_at"),
                    ("voting_starts_at", "voting_ends_at"),
                ]
            },
        ),
        (
            _("Vote policy"),
            {
                "fields": [
                    "votes_per_day",
                    "votes_per_entry_per_day",
                    "school_voters_only",
                    "change_reason",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_entries=Count("entries"))

    @admin.display(description=_("entries"), ordering="n_entries")
    def entry_count(self, obj: Campaign) -> int:
        return obj.n_entries

    def save_related(self, request, form, formsets, change):
        prizes_changed = any(
            fs.has_changed() for fs in formsets if fs.model is Prize
        ) and campaign_policy_frozen(campaign=form.instance)
        frozen = form.frozen_changes()
        super().save_related(request, form, formsets, change)
        campaign_first_round_ensure(campaign=form.instance)
        if frozen or prizes_changed:
            campaign_record_frozen_change(
                campaign=form.instance,
                actor=request.user,
                reason=form.cleaned_data["change_reason"].strip(),
                changes={
                    "fields": {name: str(form.cleaned_data[name]) for name in frozen},
                    "prizes_changed": prizes_changed,
                },
            )


@admin.register(Round)
class RoundAdmin(SchoolScopedAdmin):
    list_display = ["__str__", "campaign", "number", "topic", "voting_starts_at", "voting_ends_at"]
    list_filter = [("campaign", RelatedOnly)]
    list_select_related = ["campaign"]
    search_fields = ["topic", "campaign__title"]


@admin.register(Prize)
class PrizeAdmin(SchoolScopedAdmin):
    list_display = ["name", "campaign", "round", "rank_from", "rank_to", "unit_cost", "quantity"]
    list_filter = [("campaign", RelatedOnly)]
    list_select_related = ["campaign", "round__campaign"]
    search_fields = ["name", "campaign__title"]


@admin.register(Expense)
class ExpenseAdmin(RosterImportExportMixin, SchoolScopedAdmin):
    import_kind = "expenses"
    list_display = ["spent_on", "category", "amount", "pilot", "campaign", "note"]
    list_filter = ["category", ("pilot__school", RelatedOnly), ("pilot", RelatedOnly)]
    list_select_related = ["pilot__school", "campaign"]
    search_fields = ["note", "pilot__name"]
    date_hierarchy = "spent_on"


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    """Read-only: the log is written by services and never edited."""

    list_display = ["at", "actor", "action", "school", "object_repr", "reason"]
    list_filter = ["action", ("school", RelatedOnly)]
    list_select_related = ["actor", "school"]
    search_fields = ["object_repr", "reason", "actor__username"]
    date_hierarchy = "at"

    def has_view_permission(self, request, obj=None):
        return is_ops(request.user)


@admin.register(StaffPhone)
class StaffPhoneAdmin(admin.ModelAdmin):
    """Operations staff only (the ambassador role has no permission on it)."""

    list_display = ["phone", "label", "user"]
    search_fields = ["phone", "label"]
    raw_id_fields = ["user"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Background roster imports: progress while they run, the bad-row report after.
    Written by the import service only; an intern sees the jobs of their own school."""

    list_display = [
        "created_at",
        "kind",
        "school",
        "file_name",
        "status",
        "progress_bar",
        "total_rows",
        "new",
        "updated",
        "unchanged",
        "created_by",
        "failure",
    ]
    list_filter = ["status", "kind"]
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
            return whole_file[0][:200]
        return _("%(n)d bad row(s)") % {"n": len(obj.errors)}

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

    def get_urls(self):
        return [
            path(
                "<int:object_id>/report/",
                self.admin_site.admin_view(self.report_view),
                name="campaigns_importjob_report",
            ),
            *super().get_urls(),
        ]

    def report_view(self, request, object_id: int):
        from django.core.exceptions import PermissionDenied

        from core.spreadsheets.exports import Problem, problems_workbook

        job = self.get_queryset(request).filter(pk=object_id).first()
        if job is None or not self.has_view_permission(request, job):
            raise PermissionDenied
        problems = [Problem(e.get("line"), e["message"], e.get("values") or []) for e in job.errors]
        response = HttpResponse(problems_workbook(problems, job.headers), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-problems.xlsx"'
        return response
