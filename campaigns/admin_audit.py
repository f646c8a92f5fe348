"""The audit log as people read it: the action in words (campaigns/audit.py:
``AUDIT_ACTIONS``), the object as "its type: its name" linked to its page, and the
details as "label: value" lines instead of JSON. Read-only: services write the log.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.audit import AUDIT_ACTIONS, audit_action_label
from campaigns.models import AuditLog
from campaigns.rules import is_ops
from campaigns.scoping import ReadOnlyAdmin

# The keys services write into ``data``, in words.
DETAIL_LABELS: dict[str, Any] = {
    "fields": _("new values"),
    "previous": _("previous values"),
    "changes": _("changes"),
    "changed": _("fields changed"),
    "old": _("values before"),
    "added": _("added"),
    "prizes_changed": _("prizes changed"),
    "rounds_changed": _("rounds changed"),
    "file": _("file"),
    "kind": _("kind"),
    "rows": _("rows"),
    "new": _("new"),
    "updated": _("updated"),
    "unchanged": _("unchanged"),
    "errors": _("bad rows"),
    "job": _("import job"),
    "from_pilot": _("copied from pilot"),
    "shift_days": _("dates moved by (days)"),
    "work_logs": _("work logs"),
    "hours": _("hours"),
    "logs": _("work logs"),
    "id": _("id"),
    "rounds": _("rounds (revision)"),
    "snapshots": _("standings"),
    "round": _("round"),
    "standing_revision": _("standing revision"),
    "awarded": _("awards made"),
    "revoked": _("awards revoked"),
    "award": _("prize award"),
    "entry": _("entry"),
    "prize": _("prize"),
    "voters": _("voters"),
    "tokens": _("sign-ins ended"),
    "votes": _("votes"),
    "key": _("pattern"),
    "report": _("report"),
    "error": _("error"),
    "old_value": _("before"),
    "new_value": _("after"),
    "reason": _("reason"),
    "note": _("note"),
    "status_before": _("status before"),
    "titles": _("titles of the copies"),
}
# Keys whose value is the id of a row with an admin page (model labels: the apps above
# register them; a test resolves each one).
DETAIL_LINKS: dict[str, str] = {
    "entry": "voting.entry",
    "prize": "campaigns.prize",
    "award": "voting.prizeaward",
    "job": "campaigns.importjob",
    "report": "reports.report",
    "from_pilot": "campaigns.pilot",
}
LIST_SHOWN = 10  # ids shown of a long list, then "and N more"


def _admin_url(label: str, pk: Any) -> str | None:
    app_label, model = label.split(".")
    try:
        return reverse(f"admin:{app_label}_{model}_change", args=[pk])
    except NoReverseMatch:
        return None


def _field_label(model: type[Model] | None, name: str) -> str:
    if model is not None:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except Exception:  # not a field of the target: a key of the service's own
            pass
    return str(DETAIL_LABELS.get(name, name.replace("_", " ")))


def _plain(value: Any, model: type[Model] | None = None) -> str:
    """A value as one short line of text."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict):
        return "; ".join(
            f"{_field_label(model, str(k))}: {_plain(v, model)}" for k, v in value.items()
        )
    if isinstance(value, list):
        shown = [_plain(item, model) for item in value[:LIST_SHOWN]]
        more = len(value) - LIST_SHOWN
        if more > 0:
            shown.append(gettext("and %(n)d more") % {"n": more})
        return ", ".join(shown)
    return str(value)


def details_html(entry: AuditLog) -> str:
    data = entry.data if isinstance(entry.data, dict) else {"": entry.data}
    if not data:
        return "—"
    model = entry.content_type.model_class() if entry.content_type_id else None
    lines = []
    for key, value in data.items():
        label = _field_label(None, key) if key else gettext("details")
        link = DETAIL_LINKS.get(key)
        url = _admin_url(link, value) if link and isinstance(value, int) else None
        if url:
            lines.append(format_html('{}: <a href="{}">{}</a>', label, url, value))
        else:
            lines.append(format_html("{}: {}", label, _plain(value, model)))
    return format_html(
        '<ul class="audit-details">{}</ul>',
        format_html_join("", "<li>{}</li>", ((line,) for line in lines)),
    )


class ActionFilter(admin.SimpleListFilter):
    """The actions in words, each code the log holds once."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        codes = (
            model_admin.get_queryset(request).order_by().values_list("action", flat=True).distinct()
        )
        return sorted(((code, audit_action_label(code)) for code in codes), key=lambda c: c[1])

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    """Read-only: the log is written by services and never edited."""

    list_display = ["when", "actor", "action_label", "object_link", "school", "reason_short"]
    list_display_links = ["when"]
    list_filter = [ActionFilter, ("school", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["actor", "school", "content_type"]
    search_fields = ["object_repr", "reason", "actor__username", "action"]
    date_hierarchy = "at"
    fields = ["at", "actor", "action_label", "object_link", "school", "reason", "details"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return is_ops(request.user)

    @admin.display(description=_("at"), ordering="at")
    def when(self, obj: AuditLog) -> str:
        # The short local form (2026-12-02 05:49): the list has a laptop's width to share.
        return dateformat.format(localtime(obj.at), "Y-m-d H:i")

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj: AuditLog) -> str:
        label = audit_action_label(obj.action)
        if obj.action in AUDIT_ACTIONS:
            return format_html('<span title="{}">{}</span>', obj.action, label)
        return label

    @admin.display(description=_("object"), ordering="object_repr")
    def object_link(self, obj: AuditLog) -> str:
        if not obj.content_type_id:
            return obj.object_repr or "—"
        model = obj.content_type.model_class()
        kind = str(model._meta.verbose_name) if model else obj.content_type.model
        url = _admin_url(obj.content_type.app_label + "." + obj.content_type.model, obj.object_id)
        name = obj.object_repr or obj.object_id
        if url and obj.object_id:
            return format_html(
                '<span class="quiet">{}</span> '
                '<a href="{}" class="cell-clip clip-narrow" title="{}">{}</a>',
                kind,
                url,
                name,
                name,
            )
        return format_html('<span class="quiet">{}</span> {}', kind, name)

    @admin.display(description=_("why"), ordering="reason")
    def reason_short(self, obj: AuditLog) -> str:
        if not obj.reason:
            return "—"
        return format_html(
            '<span class="cell-clip clip-narrow" title="{}">{}</span>', obj.reason, obj.reason
        )

    @admin.display(description=_("details"))
    def details(self, obj: AuditLog) -> str:
        return details_html(obj)
