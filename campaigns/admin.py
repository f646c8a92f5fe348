from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaigns import admin_audit  # noqa: F401  (registers the audit log's admin)
from campaigns.forms import (
    CampaignAdminForm,
    PilotReplicateForm,
    PrizeAdminForm,
    PrizeFormSet,
    PrizeInlineForm,
    RoundAdminForm,
    RoundFormSet,
    RoundInlineForm,
    round_label,
)
from campaigns.models import (
    Campaign,
    Expense,
    Pilot,
    Prize,
    Round,
    School,
    StaffPhone,
)
from campaigns.rosters import admin_jobs  # noqa: F401  (registers the import jobs' admin)
from campaigns.rosters.admin import RosterImportExportMixin
from campaigns.rules import is_ops
from campaigns.scoping import SchoolScopedAdmin, ScopedInlineMixin
from campaigns.services import (
    campaign_first_round_ensure,
    campaign_policy_frozen,
    campaign_record_frozen_change,
    pilot_replicate,
)
from core.public_cache import public_cache_bump
from core.receipts import InvalidReceipt, receipt_ingest
from core.storage import PrivateFileWidget, private_file_url

admin.site.site_header = _("Campus campaign manager")
admin.site.site_title = _("Campus campaigns")
admin.site.index_title = _("Operations")


RelatedOnly = admin.RelatedOnlyFieldListFilter
# Characters of a title a change list shows; the whole title is its tooltip.
TITLE_CHARS = 20


SHORT_KINDS = {
    Campaign.Kind.CONTEST: pgettext_lazy("campaign kind", "contest"),
    Campaign.Kind.DAILY_TOPIC: pgettext_lazy("campaign kind", "daily topic"),
}


def truncated(text: str, chars: int) -> str:
    """``text`` cut to ``chars`` characters (with …), the whole of it on hover."""
    return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(chars))


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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Its name shows on its campaigns' public pages and in the list of open ones.
        for campaign_id in Campaign.objects.filter(pilot__school=obj).values_list("pk", flat=True):
            public_cache_bump(campaign_id=campaign_id, listing=True)


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
        if form.is_valid() and not form.titles_ready():
            # Second step: the copied campaigns' titles, filled in for the chosen school.
            if form.asks_titles:
                self.message_user(
                    request,
                    _("The school changed: the titles were filled in again, check them."),
                    messages.WARNING,
                )
            form = PilotReplicateForm(form.data_with_titles(), pilot=pilot)
        elif form.is_valid():
            copy = pilot_replicate(
                pilot=pilot,
                actor=request.user,
                school=form.cleaned_data["school"],
                starts_on=form.cleaned_data["starts_on"],
                name=form.cleaned_data["name"],
                titles=form.titles(),
            )
            self.message_user(
                request,
                _("Replicated as “%(pilot)s”: its campaigns are drafts to review.")
                % {"pilot": copy},
                messages.SUCCESS,
            )
            for title in form.titles_naming_old_school():
                self.message_user(
                    request,
                    _("“%(title)s” still names %(school)s.")
                    % {"title": title, "school": pilot.school},
                    messages.WARNING,
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


class RoundInline(ScopedInlineMixin, admin.TabularInline):
    model = Round
    form = RoundInlineForm
    formset = RoundFormSet
    extra = 0
    fields = ["number", "topic", "voting_starts_at", "voting_ends_at"]


class PrizeInline(ScopedInlineMixin, admin.TabularInline):
    model = Prize
    form = PrizeInlineForm
    formset = PrizeFormSet
    extra = 0
    fields = ["round", "name", "rank_from", "rank_to", "unit_cost", "quantity"]


@admin.register(Campaign)
class CampaignAdmin(SchoolScopedAdmin):
    form = CampaignAdminForm
    # Fits a 1366 px laptop (tests/browser/test_campaign_form.py): one column per
    # question a manager asks of the list, long titles cut with the whole one on hover.
    list_display = [
        "short_title",
        "school",
        "kind_short",
        "status",
        "voting_window",
        "vote_limits",
        "entry_count",
    ]
    list_filter = ["status", "kind", ("pilot__school", RelatedOnly)]
    list_select_related = ["pilot__school"]
    search_fields = ["title", "slug", "pilot__name", "pilot__school__name"]
    # No prepopulated slug: the admin's script drops Chinese; a blank slug is made from
    # the title on save, in pinyin (campaigns/forms.py).
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

    class Media:
        css = {"all": ["admin/css/campaign-form.css"]}

    def get_fieldsets(self, request, obj=None):
        # The reason for a frozen change only once voting has opened (the form drops
        # the field otherwise: campaigns/forms.py).
        if obj is not None and campaign_policy_frozen(campaign=obj):
            return self.fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "change_reason"]})
            for name, options in self.fieldsets
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_entries=Count("entries"))

    @admin.display(description=_("title"), ordering="title")
    def short_title(self, obj: Campaign) -> str:
        return truncated(obj.title, TITLE_CHARS)

    @admin.display(description=_("school"), ordering="pilot__school__name")
    def school(self, obj: Campaign) -> str:
        return truncated(obj.pilot.school.name, 8)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_short(self, obj: Campaign) -> str:
        return SHORT_KINDS.get(obj.kind) or obj.get_kind_display()

    @admin.display(description=_("voting (Asia/Shanghai)"), ordering="voting_starts_at")
    def voting_window(self, obj: Campaign) -> str:
        # Days in the list, the times on hover: two short lines instead of four long ones.
        starts, ends = localtime(obj.voting_starts_at), localtime(obj.voting_ends_at)
        return format_html(
            '<span class="cf-nowrap" title="{} – {}">{}<br>– {}</span>',
            date_format(starts, "SHORT_DATETIME_FORMAT"),
            date_format(ends, "SHORT_DATETIME_FORMAT"),
            starts.date().isoformat(),
            ends.date().isoformat(),
        )

    @admin.display(description=_("votes a day (per entry)"))
    def vote_limits(self, obj: Campaign) -> str:
        return f"{obj.votes_per_day} ({obj.votes_per_entry_per_day})"

    @admin.display(description=_("entries"), ordering="n_entries")
    def entry_count(self, obj: Campaign) -> int:
        return obj.n_entries

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for warning in form.window_warnings():
            self.message_user(request, warning, messages.WARNING)

    def save_related(self, request, form, formsets, change):
        frozen = campaign_policy_frozen(campaign=form.instance)
        prizes_changed = frozen and any(fs.has_changed() for fs in formsets if fs.model is Prize)
        rounds_changed = frozen and any(fs.has_changed() for fs in formsets if fs.model is Round)
        changes = form.audited_changes()
        super().save_related(request, form, formsets, change)
        campaign_first_round_ensure(campaign=form.instance)
        # Its public pages show the change, and the list of open campaigns.
        public_cache_bump(campaign_id=form.instance.pk, listing=True)
        if changes["fields"] or prizes_changed or rounds_changed:
            campaign_record_frozen_change(
                campaign=form.instance,
                actor=request.user,
                reason=form.cleaned_data["change_reason"].strip(),
                changes={
                    **changes,
                    "prizes_changed": prizes_changed,
                    "rounds_changed": rounds_changed,
                },
            )


class FrozenChildAdmin(SchoolScopedAdmin):
    audit_action = ""

    class Media:
        css = {"all": ["admin/css/campaign-form.css"]}

    def save_model(self, request, obj, form, change):
        campaign = form.frozen_campaign() if form.has_changed() else None
        super().save_model(request, obj, form, change)
        public_cache_bump(campaign_id=obj.campaign_id)
        if campaign is not None:
            campaign_record_frozen_change(
                campaign=campaign,
                actor=request.user,
                reason=form.cleaned_data["change_reason"].strip(),
                action=self.audit_action,
                target=obj,
                changes={
                    "fields": {
                        name: str(form.cleaned_data.get(name))
                        for name in form.changed_data
                        if name != "change_reason"
                    },
                    "previous": {
                        name: str(form.initial.get(name))
                        for name in form.changed_data
                        if name != "change_reason"
                    },
                    "added": not change,
                },
            )

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        public_cache_bump(campaign_id=obj.campaign_id)

    def delete_queryset(self, request, queryset):
        campaign_ids = set(queryset.values_list("campaign_id", flat=True))
        super().delete_queryset(request, queryset)
        for campaign_id in campaign_ids:
            public_cache_bump(campaign_id=campaign_id)  # its public pages show the change

    def has_delete_permission(self, request, obj=None):
        # Deleting leaves no reason: a frozen campaign's rounds and prizes are changed,
        # with a reason, never deleted.
        if obj is not None and campaign_policy_frozen(campaign=obj.campaign):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Round)
class RoundAdmin(FrozenChildAdmin):
    form = RoundAdminForm
    audit_action = "round.change_after_opening"
    list_display = [
        "round_name",
        "campaign_title",
        "number",
        "voting_starts_at",
        "voting_ends_at",
    ]
    list_filter = [("campaign", RelatedOnly)]
    list_select_related = ["campaign"]
    search_fields = ["topic", "campaign__title"]

    @admin.display(description=_("round"), ordering="number")
    def round_name(self, obj: Round) -> str:
        return truncated(round_label(obj), TITLE_CHARS)

    @admin.display(description=_("campaign"), ordering="campaign__title")
    def campaign_title(self, obj: Round) -> str:
        return truncated(obj.campaign.title, TITLE_CHARS)


@admin.register(Prize)
class PrizeAdmin(FrozenChildAdmin):
    form = PrizeAdminForm
    audit_action = "prize.change_after_opening"
    list_display = [
        "short_name",
        "campaign_title",
        "round_name",
        "ranks",
        "unit_cost",
        "quantity",
    ]
    list_filter = [("campaign", RelatedOnly)]
    list_select_related = ["campaign", "round"]
    search_fields = ["name", "campaign__title"]

    @admin.display(description=pgettext_lazy("thing", "name"), ordering="name")
    def short_name(self, obj: Prize) -> str:
        return truncated(obj.name, TITLE_CHARS)

    @admin.display(description=_("campaign"), ordering="campaign__title")
    def campaign_title(self, obj: Prize) -> str:
        return truncated(obj.campaign.title, TITLE_CHARS)

    @admin.display(description=_("round"), ordering="round__number")
    def round_name(self, obj: Prize) -> str:
        return truncated(round_label(obj.round), 16) if obj.round else _("every round")

    @admin.display(description=_("ranks"), ordering="rank_from")
    def ranks(self, obj: Prize) -> str:
        return f"{obj.rank_from}–{obj.rank_to}"


class ExpenseAdminForm(forms.ModelForm):
    """The receipt checked by content and stored under a random name (core/receipts.py)
    before anything is saved: a photo re-encoded without metadata, or a PDF without
    active content; an HTML or SVG file never reaches the storage."""

    class Meta:
        model = Expense
        fields = ["pilot", "campaign", "category", "amount", "spent_on", "note", "receipt"]
        widgets = {"receipt": PrivateFileWidget}
        help_texts = {
            "receipt": _("A photo (JPEG, PNG or WebP) or a PDF, at most %(mb)d MB.")
            % {"mb": settings.RECEIPT_MAX_BYTES >> 20}
        }

    def clean_receipt(self):
        receipt = self.cleaned_data.get("receipt")
        if not isinstance(receipt, UploadedFile):
            return receipt  # unchanged (the stored file), or cleared (False)
        try:
            return receipt_ingest(receipt)
        except InvalidReceipt as exc:
            raise ValidationError(exc.message, code=exc.code) from exc


@admin.register(Expense)
class ExpenseAdmin(RosterImportExportMixin, SchoolScopedAdmin):
    import_kind = "expenses"
    form = ExpenseAdminForm
    list_display = ["spent_on", "category", "amount", "pilot", "campaign", "note", "receipt_link"]
    list_filter = ["category", ("pilot__school", RelatedOnly), ("pilot", RelatedOnly)]
    list_select_related = ["pilot__school", "campaign"]
    search_fields = ["note", "pilot__name"]
    date_hierarchy = "spent_on"

    @admin.display(description=_("receipt"))
    def receipt_link(self, obj: Expense) -> str:
        if not obj.receipt:
            return "—"
        return format_html('<a href="{}">{}</a>', private_file_url(obj.receipt), _("Open"))


@admin.register(StaffPhone)
class StaffPhoneAdmin(admin.ModelAdmin):
    """Operations staff only (the ambassador role has no permission on it)."""

    list_display = ["phone", "label", "user"]
    search_fields = ["phone", "label"]
    raw_id_fields = ["user"]
