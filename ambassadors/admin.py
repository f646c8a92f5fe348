from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Value
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ambassadors.models import Ambassador, WorkLog
from ambassadors.services import (
    PAY_FIELDS,
    ambassador_save,
    worklog_delete,
    worklog_save,
    worklogs_approve,
)
from ambassadors.share_kit import referral_poster_jpeg, referral_url
from campaigns.rosters.admin import RosterImportExportMixin
from campaigns.rules import is_ops
from campaigns.scoping import SchoolScopedAdmin
from core.privacy import mask_phone

RelatedOnly = admin.RelatedOnlyFieldListFilter


@admin.register(Ambassador)
class AmbassadorAdmin(RosterImportExportMixin, SchoolScopedAdmin):
    import_kind = "ambassadors"
    # Fits a 1366 px laptop beside the filters: name over student id, pay in one cell,
    # the referral code as the text of its link.
    list_display = ["who", "school", "role", "phone", "pay", "active", "recruited", "share_kit"]
    list_display_links = ["who"]
    list_filter = ["active", "role", ("school", RelatedOnly)]
    list_select_related = ["school"]
    search_fields = ["name", "student_id", "referral_code", "email"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(n_recruited=Count("recruited_voters"))
        # Whose share kit this user may have: anyone's for operations staff, else only
        # the intern's own (share_kit_allowed); read by the share_kit column.
        own = Value(True) if is_ops(request.user) else Q(user_id=request.user.pk)
        return queryset.annotate(kit_allowed=ExpressionWrapper(own, output_field=BooleanField()))

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
            "share_kit",
        ]
        if not is_ops(request.user):
            # Interns manage their team's roster, not logins, and see phones masked.
            fields.remove("user")
            fields[fields.index("phone")] = "masked_phone"
        return fields

    def get_readonly_fields(self, request, obj=None):
        readonly = ["referral_code", "share_kit"]
        # Pay is set by operations staff (ambassadors/services.py: ambassador_save).
        return readonly if is_ops(request.user) else [*readonly, "masked_phone", *PAY_FIELDS]

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if not is_ops(request.user):
            # Full phone numbers for operations staff only.
            columns[columns.index("phone")] = "masked_phone"
        return columns

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Ambassador) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("name"), ordering="name")
    def who(self, obj: Ambassador) -> str:
        return format_html('{}<br><span class="quiet">{}</span>', obj.name, obj.student_id)

    @admin.display(description=_("pay (CNY)"), ordering="hourly_rate")
    def pay(self, obj: Ambassador) -> str:
        hourly = _("%(rate)s/h") % {"rate": obj.hourly_rate}
        if obj.stipend:
            return format_html("{}<br>+ {}", hourly, obj.stipend)
        return hourly

    @admin.display(description=_("voters recruited"), ordering="n_recruited")
    def recruited(self, obj: Ambassador) -> int:
        return obj.n_recruited

    # --- Share kit: the referral link and its poster --------------------------------

    def share_kit_allowed(self, request, obj: Ambassador) -> bool:
        """Operations staff for anyone; an intern for their own ambassador record only
        (the queryset already stops at their school)."""
        return is_ops(request.user) or (obj.user_id is not None and obj.user_id == request.user.pk)

    @admin.display(description=_("share kit"))
    def share_kit(self, obj: Ambassador):
        if not obj.pk or not obj.referral_code or not getattr(obj, "kit_allowed", False):
            return "-"
        poster = reverse("admin:ambassadors_ambassador_share_poster", args=[obj.pk])
        return format_html(
            '<a href="{}" title="{}">{}</a> · <a href="{}">{}</a>',
            referral_url(obj),
            _("referral link"),
            obj.referral_code,
            poster,
            _("poster"),
        )

    def get_urls(self):
        poster = path(
            "<path:object_id>/share-poster/",
            self.admin_site.admin_view(self.share_poster_view),
            name="ambassadors_ambassador_share_poster",
        )
        return [poster, *super().get_urls()]

    def share_poster_view(self, request, object_id):
        ambassador = self.get_object(request, object_id)  # school-scoped; 403 out of scope
        if ambassador is None:
            raise Http404
        if not self.share_kit_allowed(request, ambassador):
            raise PermissionDenied
        response = HttpResponse(referral_poster_jpeg(ambassador), content_type="image/jpeg")
        filename = f"poster-{ambassador.referral_code}.jpg"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def save_model(self, request, obj, form, change):
        ambassador_save(ambassador=obj, actor=request.user)


@admin.register(WorkLog)
class WorkLogAdmin(RosterImportExportMixin, SchoolScopedAdmin):
    import_kind = "worklogs"
    list_display = ["date", "ambassador", "hours", "task_short", "approved"]
    list_filter = ["approved", ("ambassador__school", RelatedOnly), ("ambassador", RelatedOnly)]
    list_select_related = ["ambassador__school"]
    search_fields = ["task", "ambassador__name"]
    date_hierarchy = "date"
    actions = ["approve"]
    # A search box, not a <select> of every ambassador (one option per row of a 50,000-
    # row roster). The search runs AmbassadorAdmin's school-scoped queryset, and the
    # posted id is checked against the scoped form field.
    autocomplete_fields = ["ambassador"]

    @admin.display(description=_("task"), ordering="task")
    def task_short(self, obj: WorkLog) -> str:
        # Clipped to fit a laptop's list; the whole task in the title.
        return format_html('<span class="cell-clip" title="{}">{}</span>', obj.task, obj.task)

    def get_readonly_fields(self, request, obj=None):
        # Interns log hours; operations staff approve them. An approved log is read-only
        # for an intern (campaigns/rules.py), and the service refuses it whatever is sent.
        return [] if is_ops(request.user) else ["approved"]

    def save_model(self, request, obj, form, change):
        worklog_save(worklog=obj, actor=request.user)

    def delete_model(self, request, obj):
        worklog_delete(worklog=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        # Row by row through the service: approved hours stay an intern's refusal.
        for worklog in queryset.select_related("ambassador"):
            worklog_delete(worklog=worklog, actor=request.user)

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
