"""Admin of fraud flags: operations staff review what ``voting.services.fraud_scan`` found.

Staff only: flags name voters and hold the evidence against them, so the ambassador role
never sees them, whatever its model permissions say (every permission below is
``is_ops``). Flags are written by the scan and closed by the two review actions, never
edited or deleted by hand.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from campaigns.rules import is_ops
from campaigns.scoping import OpsOnlyAdmin
from core.errors import DomainError
from voting.admin.cells import LIST_CSS
from voting.models import FraudFlag, Vote
from voting.selectors.fraud_review import flag_names, flag_present
from voting.selectors.fraud_scan import fraud_scan_lines
from voting.services.fraud_review import fraud_flag_confirm, fraud_flag_dismiss
from voting.services.fraud_scan import fraud_scan_campaign_ids, fraud_scan_request

SHOWN_VOTES = 200  # the detail page lists this many suspect votes


class FlagReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Recorded with each invalidated vote and in the audit log."),
    )


class FlagDismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this honest?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept with the flag and in the audit log."),
    )


@admin.register(FraudFlag)
class FraudFlagAdmin(OpsOnlyAdmin):
    # A sentence per flag (voting/selectors/fraud_review.py); fits a 1366 px laptop
    # beside the filters (tests/browser/test_moderation.py).
    list_display = [
        "title",
        "severity",
        "campaign_short",
        "suspect_votes",
        "valid_suspect_votes",
        "status",
        "detected_at",
    ]
    list_display_links = ["title"]
    list_filter = [
        "status",
        "kind",
        "severity",
        ("campaign", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["campaign", "entry", "reviewed_by"]
    search_fields = ["key", "campaign__title", "campaign__slug", "entry__name"]
    date_hierarchy = "created_at"
    # Open flags first, the most severe first among them.
    ordering = [
        Case(When(status=FraudFlag.Status.OPEN, then=Value(0)), default=Value(1)).asc(),
        "-severity",
        "-updated_at",
    ]
    change_list_template = "admin/voting/fraudflag/change_list.html"
    fields = [
        "title",
        "campaign",
        "kind",
        "voted_entry",
        "severity",
        "status",
        "evidence_table",
        "suspect_votes_table",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "review_history",
        "key",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    actions = ["confirm_flags", "dismiss_flags"]
    change_form_template = "admin/voting/fraudflag/change_form.html"

    class Media:
        css = LIST_CSS

    # Operations staff only, independent of group permissions (see module docstring).
    def has_review_permission(self, request) -> bool:
        return is_ops(request.user)

    def get_queryset(self, request) -> QuerySet[FraudFlag]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_votes=Count("votes", distinct=True),
                n_valid=Count("votes", filter=Q(votes__status=Vote.Status.VALID), distinct=True),
            )
        )

    @admin.display(description=_("suspect votes"), ordering="n_votes")
    def suspect_votes(self, obj: FraudFlag) -> int:
        return obj.n_votes

    @admin.display(description=_("still valid"), ordering="n_valid")
    def valid_suspect_votes(self, obj: FraudFlag) -> int:
        return obj.n_valid

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)

        class FlagChangeList(changelist):
            def get_results(self, request):
                super().get_results(request)
                names = flag_names(self.result_list)  # one query for the page's entries
                for flag in self.result_list:
                    flag.names = names

        return FlagChangeList

    def _view(self, obj: FraudFlag):
        names = getattr(obj, "names", None) or flag_names([obj], voters=True)
        return flag_present(obj, names)

    @admin.display(description=_("what was found"))
    def title(self, obj: FraudFlag) -> str:
        text = self._view(obj).title
        return format_html('<span class="flag-title" title="{}">{}</span>', text, text)

    @admin.display(description=_("entry voted for"))
    def voted_entry(self, obj: FraudFlag) -> str:
        return self._view(obj).entry

    @admin.display(description=_("campaign"), ordering="campaign")
    def campaign_short(self, obj: FraudFlag) -> str:
        label = str(obj.campaign)
        return format_html('<span class="cell-truncate" title="{}">{}</span>', label, label)

    @admin.display(description=_("last detected at"), ordering="updated_at")
    def detected_at(self, obj: FraudFlag) -> str:
        return f"{timezone.localtime(obj.updated_at):%m-%d %H:%M}"

    @admin.display(description=_("evidence"))
    def evidence_table(self, obj: FraudFlag) -> str:
        rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", self._view(obj).rows)
        return format_html('<table class="evidence">{}</table>', rows)

    # --- Scans: when they last ran, and "Scan now" ------------------------------------

    def get_urls(self):
        scan = path(
            "scan/",
            self.admin_site.admin_view(require_POST(self.scan_view)),
            name="voting_fraudflag_scan",
        )
        return [scan, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        lines = fraud_scan_lines(campaign_ids=fraud_scan_campaign_ids())
        context = {
            "scan_lines": lines,
            "can_scan": self.has_review_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def scan_view(self, request):
        """Send a scan of every campaign beat scans to a worker now, and say so."""
        if not self.has_review_permission(request):
            raise PermissionDenied
        ids = fraud_scan_request(actor=request.user)
        if ids:
            self.message_user(
                request,
                ngettext(
                    "A scan of %(n)d campaign was sent to a worker; reload this page in a "
                    "minute to see new flags and when it finished.",
                    "Scans of %(n)d campaigns were sent to a worker; reload this page in a "
                    "minute to see new flags and when they finished.",
                    len(ids),
                )
                % {"n": len(ids)},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _("No campaign is being voted on: there is nothing to scan."),
                messages.WARNING,
            )
        return redirect("admin:voting_fraudflag_changelist")

    @admin.display(description=_("suspect votes"))
    def suspect_votes_table(self, obj: FraudFlag) -> str:
        votes = obj.votes.select_related("voter", "entry").order_by("cast_at", "pk")
        total = obj.votes.count()
        rows = format_html_join(
            "",
            "<tr><td><a href='{}'>{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    reverse("admin:voting_vote_change", args=[vote.pk]),
                    vote.pk,
                    # Local time (Asia/Shanghai), like every other time in admin.
                    f"{timezone.localtime(vote.cast_at):%Y-%m-%d %H:%M:%S}",
                    vote.voter.phone,  # staff see full phones (docs/contract.md "Privacy")
                    vote.entry.name,
                    vote.get_status_display(),
                    vote.ip or "",
                    vote.device_id,
                    vote.user_agent[:60],
                )
                for vote in votes[:SHOWN_VOTES]
            ),
        )
        more = (
            format_html("<p>{}</p>", _("… and %(n)d more.") % {"n": total - SHOWN_VOTES})
            if total > SHOWN_VOTES
            else ""
        )
        head = format_html_join(
            "",
            "<th>{}</th>",
            (
                (label,)
                for label in (
                    _("vote"),
                    _("cast at"),
                    _("voter"),
                    _("entry"),
                    _("status"),
                    _("IP address"),
                    _("device id"),
                    _("user agent"),
                )
            ),
        )
        return format_html(
            '<table class="suspect-votes"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}',
            head,
            rows,
            more,
        )

    def _ask(self, request, queryset, *, form, action: str, title, button) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/voting/fraudflag/review.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "form": form,
                "flags": queryset.select_related("campaign")[:100],
                "count": queryset.count(),
                "action": action,
                "button": button,
                "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "select_across": request.POST.get("select_across", "0"),
            },
        )

    @admin.action(description=_("Confirm and invalidate votes…"), permissions=["review"])
    def confirm_flags(self, request, queryset):
        """Ask for a reason, then invalidate each flag's still-valid votes (never delete)."""
        form = FlagReasonForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._ask(
                request,
                queryset,
                form=form,
                action="confirm_flags",
                title=_("Confirm fraud flags and invalidate their votes"),
                button=_("Invalidate votes"),
            )
        invalidated = flags = 0
        for flag_id in queryset.values_list("pk", flat=True):
            try:
                invalidated += fraud_flag_confirm(
                    flag_id=flag_id, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                return None
            flags += 1
        self.message_user(
            request,
            ngettext(
                "%(flags)d flag confirmed, %(n)d vote invalidated; "
                "leaderboards are being recomputed.",
                "%(flags)d flags confirmed, %(n)d votes invalidated; "
                "leaderboards are being recomputed.",
                invalidated,
            )
            % {"flags": flags, "n": invalidated},
            messages.SUCCESS,
        )
        return None

    @admin.action(description=_("Dismiss as honest…"), permissions=["review"])
    def dismiss_flags(self, request, queryset):
        form = FlagDismissForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._ask(
                request,
                queryset,
                form=form,
                action="dismiss_flags",
                title=_("Dismiss fraud flags"),
                button=_("Dismiss"),
            )
        dismissed = 0
        for flag_id in queryset.exclude(status=FraudFlag.Status.CONFIRMED).values_list(
            "pk", flat=True
        ):
            fraud_flag_dismiss(
                flag_id=flag_id, actor=request.user, note=form.cleaned_data["reason"]
            )
            dismissed += 1
        self.message_user(
            request,
            ngettext("%(n)d flag dismissed.", "%(n)d flags dismissed.", dismissed)
            % {"n": dismissed},
            messages.SUCCESS,
        )
        return None
