"""Admin of voters, votes, visits, app activity and leaderboard snapshots: read-only
lists, exports, and invalidating votes with a reason.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campaigns.rosters.admin import SafeExportMixin
from campaigns.rules import is_ops
from campaigns.scoping import ReadOnlyAdmin, SchoolScopedAdmin
from core.errors import DomainError
from voting.admin.cells import LIST_CSS, short_time, truncated
from voting.models import Activity, LeaderboardSnapshot, Visit, Vote, Voter
from voting.resources import LeaderboardResource, VoteResource, VoterResource
from voting.selectors.contest import round_winners
from voting.services.sign_in import voter_tokens_revoke_all
from voting.services.votes import vote_invalidate

RelatedOnly = admin.RelatedOnlyFieldListFilter


@admin.register(Voter)
class VoterAdmin(SafeExportMixin, SchoolScopedAdmin):
    export_resource_class = VoterResource
    # Fits a 1366 px laptop beside the filters (voting/admin/cells.py).
    list_display = ["phone", "school_short", "channel", "acquired_by", "first_seen", "vote_count"]
    list_filter = ["channel", ("school", RelatedOnly), ("attributed_campaign", RelatedOnly)]
    list_select_related = [
        "school",
        "attributed_campaign",
        "attributed_entry",
        "attributed_ambassador",
    ]
    search_fields = ["phone", "app_user_id"]
    date_hierarchy = "first_seen_at"
    readonly_fields = [
        "phone",
        "first_seen_at",
        "verified_at",
        "attributed_campaign",
        "channel",
        "attributed_entry",
        "attributed_ambassador",
    ]
    fields = [*readonly_fields, "school", "app_user_id"]

    class Media:
        css = LIST_CSS

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_votes=Count("votes"))

    @admin.display(description=_("school"), ordering="school")
    def school_short(self, obj: Voter) -> str:
        return truncated(obj.school, width="s")

    @admin.display(description=_("acquired by"))
    def acquired_by(self, obj: Voter) -> str:
        parts = [obj.attributed_campaign, obj.attributed_entry, obj.attributed_ambassador]
        return truncated(" · ".join(str(p) for p in parts if p), width="l")

    @admin.display(description=_("first seen at"), ordering="first_seen_at")
    def first_seen(self, obj: Voter) -> str:
        return short_time(obj.first_seen_at)

    @admin.display(description=_("votes"), ordering="n_votes")
    def vote_count(self, obj: Voter) -> int:
        return obj.n_votes

    def has_add_permission(self, request):
        return False  # voters sign in through the API

    actions = ["sign_out_everywhere"]

    def has_sign_out_permission(self, request) -> bool:
        return is_ops(request.user)

    @admin.action(description=_("Sign selected voters out everywhere"), permissions=["sign_out"])
    def sign_out_everywhere(self, request, queryset):
        n = voter_tokens_revoke_all(
            voter_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        self.message_user(
            request,
            ngettext("%(n)d sign-in revoked.", "%(n)d sign-ins revoked.", n) % {"n": n},
            messages.SUCCESS,
        )


class InvalidateVotesForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Recorded with each vote and in the audit log."),
    )


@admin.register(Vote)
class VoteAdmin(SafeExportMixin, ReadOnlyAdmin):
    export_resource_class = VoteResource
    # Fits a 1366 px laptop beside the filters (voting/admin/cells.py): the campaign is a
    # filter, the day is in the time.
    list_display = ["cast", "voter", "entry_short", "status", "fingerprint", "reason_short"]
    list_filter = ["status", ("campaign", RelatedOnly), "day"]
    list_select_related = ["voter", "entry", "campaign"]
    search_fields = ["voter__phone", "ip", "device_id", "entry__name"]
    date_hierarchy = "cast_at"
    actions = ["invalidate"]
    show_full_result_count = False  # votes are the largest table

    class Media:
        css = LIST_CSS

    @admin.display(description=_("cast at"), ordering="cast_at")
    def cast(self, obj: Vote) -> str:
        return short_time(obj.cast_at)

    @admin.display(description=_("entry"), ordering="entry__name")
    def entry_short(self, obj: Vote) -> str:
        return truncated(obj.entry.name, width="s")

    @admin.display(description=_("IP address and device"))
    def fingerprint(self, obj: Vote) -> str:
        return truncated(" · ".join(p for p in [obj.ip or "", obj.device_id] if p))

    @admin.display(description=_("invalidation reason"))
    def reason_short(self, obj: Vote) -> str:
        return truncated(obj.invalidated_reason, width="s") if obj.invalidated_reason else ""

    def has_invalidate_permission(self, request) -> bool:
        return is_ops(request.user)

    @admin.action(description=_("Invalidate selected votes…"), permissions=["invalidate"])
    def invalidate(self, request, queryset):
        """Ask for a reason first; votes are never deleted, only invalidated."""
        form = InvalidateVotesForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                n = vote_invalidate(
                    vote_ids=queryset.values_list("pk", flat=True),
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                return None
            self.message_user(
                request,
                ngettext(
                    "%(n)d vote invalidated; leaderboards are being recomputed.",
                    "%(n)d votes invalidated; leaderboards are being recomputed.",
                    n,
                )
                % {"n": n},
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/voting/vote/invalidate.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Invalidate votes"),
                "opts": self.model._meta,
                "form": form,
                "votes": queryset.select_related("voter", "entry")[:200],
                "count": queryset.count(),
                "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "select_across": request.POST.get("select_across", "0"),
            },
        )


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "visitor_id", "campaign", "entry"]
    list_filter = ["kind", ("campaign", RelatedOnly)]
    list_select_related = ["campaign", "entry"]
    search_fields = ["visitor_id"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["day", "phone", "kind", "received_at"]
    list_filter = ["kind"]
    search_fields = ["phone"]
    date_hierarchy = "day"
    show_full_result_count = False


@admin.register(LeaderboardSnapshot)
class LeaderboardSnapshotAdmin(SafeExportMixin, ReadOnlyAdmin):
    export_resource_class = LeaderboardResource
    list_display = [
        "computed_at",
        "campaign",
        "round",
        "total_votes",
        "is_final",
        "revision",
        "leader",
    ]
    list_filter = ["is_final", ("campaign", RelatedOnly)]
    list_select_related = ["campaign", "round__campaign"]
    date_hierarchy = "computed_at"
    fields = [
        "campaign",
        "round",
        "computed_at",
        "total_votes",
        "is_final",
        "revision",
        "revised_by",
        "revision_reason",
        "winners_table",
        "standings_table",
    ]
    readonly_fields = fields

    @admin.display(description=_("winners and alternates"))
    def winners_table(self, obj: LeaderboardSnapshot) -> str:
        """Prizes by rank, with entries disqualified since replaced by the alternates."""
        result = round_winners(round_id=obj.round_id)
        winners = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((w["rank"], w["name"], w["votes"], w["prize"]) for w in result["winners"]),
        )
        alternates = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((a["rank"], a["name"], a["votes"], _("alternate")) for a in result["alternates"]),
        )
        return format_html(
            '<table id="winners"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>'
            "</thead><tbody>{}{}</tbody></table>",
            _("rank"),
            _("entry"),
            _("votes"),
            _("prize"),
            winners,
            alternates,
        )

    @admin.display(description=_("leader"))
    def leader(self, obj: LeaderboardSnapshot) -> str:
        if not obj.standings:
            return "—"
        top = obj.standings[0]
        return f"{top['name']} ({top['votes']})"

    @admin.display(description=_("standings"))
    def standings_table(self, obj: LeaderboardSnapshot) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((row["rank"], row["name"], row["votes"]) for row in obj.standings),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("rank"),
            _("entry"),
            _("votes"),
            rows,
        )
