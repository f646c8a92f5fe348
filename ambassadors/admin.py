from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ambassadors.models import Ambassador, WorkLog
from ambassadors.services import ambassador_referral_code_assign, worklogs_approve
from campaigns.rosters.admin import RosterImportExportMixin
from campaigns.rules import is_ops
from campaigns.scoping import SchoolScopedAdmin
from core.privacy import mask_phone

RelatedOnly = admin.RelatedOnlyFieldListFilter


@admin.register(Ambassador)
class AmbassadorAdmin(RosterImportExportMixin, SchoolScopedAdmin):
    import_kind = "ambassadors"
    list_display = [
        "name",
        "school",
        "student_id",
        "role",
        "phone",
        "hourly_rate",
        "stipend",
        "active",
        "referral_code",
        "recruited",
    ]
    list_filter = ["active", "role", ("school", RelatedOnly)]
    list_select_related = ["school"]
    search_fields = ["name", "student_id", "referral_code", "email"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_recruited=Count("recruited_voters"))

    def get_fields(self, request, obj=None):
        fields = [
            "school",
            "name",
            "student_id",
            "phone",
            "email",
            "role",
            "hourly_rate",
            "stipend",
            "active",
            "user",
            "referral_code",
        ]
        if not is_ops(request.user):
            # Interns manage their team's roster, not logins, and see phones masked.
            fields.remove("user")
            fields[fields.index("phone")] = "masked_phone"
        return fields

    def get_readonly_fields(self, request, obj=None):
        readonly = ["referral_code"]
        return readonly if is_ops(request.user) else [*readonly, "masked_phone"]

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if not is_ops(request.user):
            # Full phone numbers for operations staff only.
            columns[columns.index("phone")] = "masked_phone"
        return columns

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Ambassador) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("voters recruited"), ordering="n_recruited")
    def recruited(self, obj: Ambassador) -> int:
        return obj.n_recruited

    def save_model(self, request, obj, form, change):
        ambassador_referral_code_assign(ambassador=obj)
        super().save_model(request, obj, form, change)


@admin.register(WorkLog)
class WorkLogAdmin(RosterImportExportMixin, SchoolScopedAdmin):
    import_kind = "worklogs"
    list_display = ["date", "ambassador", "hours", "task", "approved"]
    list_filter = ["approved", ("ambassador__school", RelatedOnly), ("ambassador", RelatedOnly)]
    list_select_related = ["ambassador__school"]
    search_fields = ["task", "ambassador__name"]
    date_hierarchy = "date"
    actions = ["approve"]
    # A search box, not a <select> of every ambassador (one option per row of a 50,000-
    # row roster). The search runs AmbassadorAdmin's school-scoped queryset, and the
    # posted id is checked against the scoped form field.
    autocomplete_fields = ["ambassador"]

    def get_readonly_fields(self, request, obj=None):
        # Interns log hours; operations staff approve them.
        return [] if is_ops(request.user) else ["approved"]

    def has_approve_permission(self, request) -> bool:
        return is_ops(request.user)

    @admin.action(description=_("Approve selected hours"), permissions=["approve"])
    def approve(self, request, queryset):
        n = worklogs_approve(worklog_ids=queryset.values_list("pk", flat=True), actor=request.user)
        self.message_user(
            request,
            ngettext("%(n)d work log approved.", "%(n)d work logs approved.", n) % {"n": n},
            messages.SUCCESS,
        )
