"""Moderating entries from their list: the queue opens on pending entries, and each row
approves or rejects its entry (with the reason its contestant is told) through
``EntryModerationMixin.moderate_view`` and the services of voting/services/moderation.py.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from voting.models import Entry
from voting.services.moderation import Moderated, entry_approve, entry_reject


class ModerationStatusFilter(admin.SimpleListFilter):
    """The status filter, opening on *pending* (the moderation queue); "all" shows every
    status. Same parameter as Django's field filter, so ``?status__exact=approved`` links
    keep working."""

    title = _("moderation status")
    parameter_name = "status__exact"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*Entry.Status.choices, (self.ALL, _("All"))]

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        # Only the list opens on the queue; an export (django-import-export builds its
        # own change list) takes every status unless one is chosen.
        match = getattr(request, "resolver_match", None)
        self.default = (
            Entry.Status.PENDING
            if match is None or match.url_name == "voting_entry_changelist"
            else self.ALL
        )

    def value(self):
        value = super().value()
        return value if value in {*Entry.Status.values, self.ALL} else self.default

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        return queryset if value == self.ALL else queryset.filter(status=value)


class EntryModerationMixin:
    """For ``EntryAdmin``: the moderation column, and the view its buttons post to."""

    def has_moderate_permission(self, request) -> bool:
        raise NotImplementedError

    def get_urls(self):
        moderate = path(
            "<path:object_id>/moderate/",
            self.admin_site.admin_view(require_POST(self.moderate_view)),
            name="voting_entry_moderate",
        )
        return [moderate, *super().get_urls()]

    @admin.display(description=_("moderation"))
    def moderation(self, obj: Entry) -> str:
        """The rejection reason, and for staff the buttons of the decision, posted to
        ``moderate_view`` through the row's own form (templates/admin/voting/entry/
        change_list.html renders them outside the change list's form)."""
        reason = obj.rejection_text()
        shown = (
            format_html('<span class="rejection-reason" title="{}">{}</span>', reason, reason)
            if reason
            else ""
        )
        if not getattr(obj, "can_moderate", False):
            return shown or "—"
        form = f"moderate-{obj.pk}"
        approve = (
            format_html(
                '<button type="submit" class="button moderate-approve" form="{}" name="decision"'
                ' value="approve">{}</button>',
                form,
                _("Approve"),
            )
            if obj.status != Entry.Status.APPROVED
            else ""
        )
        reject = ""
        if obj.status != Entry.Status.REJECTED:
            options = format_html_join(
                "",
                '<option value="{}">{}</option>',
                Entry.RejectionReason.choices,
            )
            reject = format_html(
                '<details class="moderate-reject"><summary>{}</summary>'
                '<select form="{}" name="reason" aria-label="{}">'
                '<option value="">{}</option>{}</select>'
                '<input form="{}" name="note" maxlength="200" placeholder="{}" aria-label="{}">'
                '<button type="submit" class="button" form="{}" name="decision" value="reject">'
                "{}</button></details>",
                _("Reject…"),
                form,
                _("rejection reason"),
                _("Choose a reason"),
                options,
                form,
                _("Note to the contestant"),
                _("Note to the contestant"),
                form,
                _("Reject"),
            )
        return format_html('{}<div class="moderate">{}{}</div>', shown, approve, reject)

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        can_moderate = self.has_moderate_permission(request)

        class ModerationChangeList(changelist):
            def get_results(self, request):
                super().get_results(request)
                for entry in self.result_list:
                    entry.can_moderate = can_moderate

        return ModerationChangeList

    def moderate_view(self, request, object_id: str):
        """Approve or reject one entry from its row in the list (POST, CSRF-checked by
        the middleware; staff only; the entry within the user's scope)."""
        if not self.has_moderate_permission(request):
            raise PermissionDenied
        entry = self.get_object(request, object_id)
        if entry is None:
            raise Http404
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("admin:voting_entry_changelist")
        decision = request.POST.get("decision")
        try:
            if decision == "approve":
                done = entry_approve(entry_id=entry.pk, actor=request.user)
            elif decision == "reject":
                done = entry_reject(
                    entry_id=entry.pk,
                    actor=request.user,
                    reason=request.POST.get("reason", ""),
                    note=request.POST.get("note", ""),
                )
            else:
                raise DomainError(_("Choose approve or reject."))
        except DomainError as error:
            self.message_user(request, f"{entry.name}: {error.message}", messages.ERROR)
            return redirect(back)
        self._moderated_message(request, done)
        return redirect(back)

    def _moderated_message(self, request, done: Moderated) -> None:
        entry = done.entry
        if not done.changed:
            self.message_user(
                request, _("“%(entry)s” was already so: nothing changed.") % {"entry": entry.name}
            )
        elif entry.status == Entry.Status.APPROVED:
            self.message_user(
                request, _("“%(entry)s” approved.") % {"entry": entry.name}, messages.SUCCESS
            )
        elif done.contestant_texted:
            self.message_user(
                request,
                _("“%(entry)s” rejected: %(reason)s. The contestant is told by SMS.")
                % {"entry": entry.name, "reason": entry.rejection_text()},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _(
                    "“%(entry)s” rejected: %(reason)s. The contestant has no phone on "
                    "record (entered by an ambassador): tell them yourself."
                )
                % {"entry": entry.name, "reason": entry.rejection_text()},
                messages.WARNING,
            )
