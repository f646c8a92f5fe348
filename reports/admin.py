from django.contrib import admin

from campaigns.scoping import SchoolScopedAdmin

from .models import Report

RelatedOnly = admin.RelatedOnlyFieldListFilter


@admin.register(Report)
class ReportAdmin(SchoolScopedAdmin):
    list_display = ["requested_at", "campaign", "pilot", "status", "progress", "generated_at"]
    list_filter = ["status", ("campaign", RelatedOnly)]
    list_select_related = ["campaign", "pilot__school"]
    readonly_fields = ["status", "progress", "requested_at", "generated_at", "data", "error"]

    def has_add_permission(self, request):
        return False  # reports are computed, not typed in

    def has_change_permission(self, request, obj=None):
        return False
