"""Admin of prize awards: operations staff record that a winner was contacted, got the
prize, or forfeited it (which passes it to the next alternate). Awards are created from
the final standing by ``voting.services.awards``, never added or deleted by hand."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campaigns.rules import is_ops
from campaigns.scoping import OpsOnlyAdmin
from core.errors import DomainError
from voting.admin.cells import LIST_CSS, short_time, truncated
from voting.models import PrizeAward
from voting.services.awards import prize_award_mark

State = PrizeAward.State


class ForfeitForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept with the award and in the audit log."),
    )


@admin.register(PrizeAward)
class PrizeAwardAdmin(OpsOnlyAdmin):
    # Fits a 1366 px laptop beside the filters (voting/admin/cells.py).
    list_display = ["where", "rank", "entry_short", "prize_short", "cost", "state", "progress"]
    list_filter = ["state", ("campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["campaign", "round__campaign", "entry", "prize", "replaces__entry"]
    search_fields = ["entry__name", "prize__name", "campaign__title", "campaign__slug"]
    ordering = ["campaign", "round", "rank", "pk"]
    fields = [
        "campaign",
        "round",
        "standing",
        "entry",
        "prize",
        "rank",
        "unit_cost",
        "quantity",
        "state",
        "replaces",
        "awarded_at",
        "notified_at",
        "contacted_at",
        "contacted_by",
        "handed_out_at",
        "handed_out_by",
        "closed_at",
        "closed_by",
        "note",
    ]
    readonly_fields = fields
    actions = ["mark_contacted", "mark_handed_out", "forfeit"]

    # Operations staff only: awards name winners and lead to their phones.
    def has_mark_permission(self, request) -> bool:
        return is_ops(request.user)

    class Media:
        css = LIST_CSS

    @admin.display(description=_("round"), ordering="campaign")
    def where(self, obj: PrizeAward) -> str:
        return truncated(obj.round)

    @admin.display(description=_("entry"), ordering="entry__name")
    def entry_short(self, obj: PrizeAward) -> str:
        return truncated(obj.entry.name, width="s")

    @admin.display(description=_("prize"), ordering="prize__name")
    def prize_short(self, obj: PrizeAward) -> str:
        return truncated(obj.prize.name, width="s")

    @admin.display(description=_("progress"))
    def progress(self, obj: PrizeAward) -> str:
        """When the winner was texted, contacted, given the prize; whom it replaces."""
        steps = [
            (_("texted"), obj.notified_at),
            (_("contacted"), obj.contacted_at),
            (_("handed out"), obj.handed_out_at),
        ]
        lines = [f"{label} {short_time(at)}" for label, at in steps if at]
        if obj.replaces_id:
            lines.append(_("replaces %(award)s") % {"award": obj.replaces})
        return truncated(" · ".join(str(line) for line in lines), width="l") if lines else "—"

    @admin.display(description=_("cost (CNY)"))
    def cost(self, obj: PrizeAward) -> str:
        return f"{obj.cost:.2f}"

    def _mark(self, request, queryset, state: str, note: str = "") -> None:
        done = 0
        for award_id in queryset.values_list("pk", flat=True):
            try:
                prize_award_mark(award_id=award_id, state=state, actor=request.user, note=note)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                continue
            done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(n)d prize award updated.", "%(n)d prize awards updated.", done)
                % {"n": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Mark winner contacted"), permissions=["mark"])
    def mark_contacted(self, request, queryset):
        self._mark(request, queryset, State.CONTACTED)

    @admin.action(description=_("Mark prize handed out"), permissions=["mark"])
    def mark_handed_out(self, request, queryset):
        self._mark(request, queryset, State.HANDED_OUT)

    @admin.action(description=_("Forfeit and pass to the next alternate…"), permissions=["mark"])
    def forfeit(self, request, queryset):
        form = ForfeitForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._mark(request, queryset, State.FORFEITED, note=form.cleaned_data["reason"])
            return None
        return TemplateResponse(
            request,
            "admin/voting/prizeaward/forfeit.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Forfeit prizes"),
                "opts": self.model._meta,
                "form": form,
                "awards": queryset.select_related("entry", "prize", "campaign")[:100],
                "count": queryset.count(),
                "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "select_across": request.POST.get("select_across", "0"),
            },
        )
