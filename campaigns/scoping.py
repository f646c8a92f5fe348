"""Scoping every admin queryset, form choice and URL to an ambassador's own school."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.utils.html import format_html
from rules.contrib.admin import ObjectPermissionsModelAdminMixin

from campaigns.rules import is_ops, user_school_id

# From each model to the school that owns its rows (a lookup for .filter()).
SCHOOL_PATHS: dict[str, str] = {
    "campaigns.school": "pk",
    "campaigns.pilot": "school",
    "campaigns.campaign": "pilot__school",
    "campaigns.round": "campaign__pilot__school",
    "campaigns.prize": "campaign__pilot__school",
    "campaigns.expense": "pilot__school",
    "campaigns.auditlog": "school",
    "ambassadors.ambassador": "school",
    "ambassadors.worklog": "ambassador__school",
    "voting.entry": "campaign__pilot__school",
    "voting.voter": "school",
    "voting.vote": "campaign__pilot__school",
    "voting.visit": "campaign__pilot__school",
    "voting.leaderboardsnapshot": "campaign__pilot__school",
    "reports.report": "campaign__pilot__school",
}


def scope_queryset(qs: QuerySet, user) -> QuerySet:
    """All rows for operations staff; an ambassador's own school's rows; else none."""
    if is_ops(user):
        return qs
    school_id = user_school_id(user)
    path = SCHOOL_PATHS.get(qs.model._meta.label_lower)
    if school_id is None or path is None:
        return qs.none()
    return qs.filter(**{path: school_id})


# Fields shown masked to everyone but operations staff (core/privacy.py): no lookup or
# search may name them, or ``?phone__startswith=138`` would recover a number digit by
# digit from which rows a list keeps.
MASKED_FIELDS = frozenset({"phone"})


def _names_masked_field(lookup: str) -> bool:
    return bool(MASKED_FIELDS & set(lookup.lstrip("^=@").split("__")))


class SchoolScopedAdmin(ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
    """ModelAdmin whose lists, choices and object URLs stop at the user's school, and
    whose lists cannot be filtered, searched or sorted on masked fields but by staff."""

    def lookup_allowed(self, lookup, value, request=None):
        # Django allows any lookup on a local field by default; a refusal here answers
        # 400 (DisallowedModelAdminLookup) instead of a filtered list.
        if request is not None and not is_ops(request.user) and _names_masked_field(lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if is_ops(request.user):
            return fields
        return [field for field in fields if not _names_masked_field(field)]

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user)

    def get_object(self, request, object_id, from_field=None) -> Model | None:
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not is_ops(request.user):
            # Out of scope, not missing: say so rather than "doesn't exist".
            field = self.model._meta.get_field(from_field) if from_field else self.model._meta.pk
            try:
                exists = self.model._default_manager.filter(
                    **{field.name: field.to_python(object_id)}
                ).exists()
            except Exception:  # malformed id: same answer as Django's
                exists = False
            if exists:
                raise PermissionDenied
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_queryset(field.queryset, request.user)
        return field


class ReadOnlyAdmin(SchoolScopedAdmin):
    """Rows written by the system (votes, visits, snapshots, the audit log): look, don't
    touch."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OpsOnlyAdmin(admin.ModelAdmin):
    """A list for operations staff only, whatever the groups' permissions say (fraud
    evidence, prize winners' phones), and written only through its actions."""

    def has_module_permission(self, request) -> bool:
        return is_ops(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_ops(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def progress_html(percent: int) -> str:
    """A progress bar for long jobs (imports, reports) in admin lists and pages."""
    return format_html(
        '<progress max="100" value="{}" title="{}%"></progress> {}%', percent, percent, percent
    )


class ScopedInlineMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_queryset(field.queryset, request.user)
        return field
