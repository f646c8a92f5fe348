from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campaigns.admin_spreadsheets import RosterImportExportMixin, SafeExportMixin
from campaigns.codes import new_code
from campaigns.errors import DomainError
from campaigns.rules import is_ops
from campaigns.scoping import ReadOnlyAdmin, SchoolScopedAdmin

from .errors import InvalidImage
from .models import Activity, Entry, LeaderboardSnapshot, Visit, Vote, Voter
from .photos import photo_ingest
from .resources import LeaderboardResource, VoteResource, VoterResource
from .selectors import round_winners
from .services import vote_invalidate
from .services_entries import entry_media_after_edit, entry_moderate
from .services_photos import derivative_name, entry_poster_ensure

RelatedOnly = admin.RelatedOnlyFieldListFilter


class EntryAdminForm(forms.ModelForm):
    """The Entry form with the photo checked by content and re-encoded (voting/photos.py)
    before anything is stored: Django's ImageField would accept ~70 formats after a
    ``verify()`` that decodes nothing, and store the upload as sent, metadata and all."""

    photo = forms.FileField(
        label=_("photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP. Stored upright, without location or other metadata."),
    )

    class Meta:
        model = Entry
        fields = ["campaign", "round", "name", "student_id", "caption", "photo", "status"]
        fields += ["submitted_by"]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if not isinstance(photo, UploadedFile):
            return photo  # unchanged (the stored file), or cleared (False)
        campaign = self.cleaned_data.get("campaign")
        stem = f"c{campaign.pk if campaign else 0}-{new_code(10).lower()}"
        try:
            return photo_ingest(photo, stem=stem)
        except InvalidImage as exc:
            raise forms.ValidationError(exc.message, code="invalid_image") from exc


@admin.register(Entry)
class EntryAdmin(RosterImportExportMixin, SchoolScopedAdmin):
    import_kind = "contestants"
    form = EntryAdminForm
    list_display = [
        "thumb",
        "name",
        "campaign",
        "round",
        "status",
        "valid_votes",
        "share_code",
        "poster_link",
        "submitted_by",
        "created_at",
    ]
    list_display_links = ["thumb", "name"]
    list_filter = ["status", ("campaign", RelatedOnly), ("campaign__pilot__school", RelatedOnly)]
    list_select_related = ["campaign", "round__campaign", "submitted_by__school"]
    search_fields = ["name", "student_id", "share_code", "caption"]
    readonly_fields = ["share_code", "valid_votes", "thumb", "poster_link"]
    fields = [
        "campaign",
        "round",
        "name",
        "student_id",
        "caption",
        "photo",
        "thumb",
        "status",
        "submitted_by",
        "share_code",
        "poster_link",
        "valid_votes",
    ]
    actions = ["approve", "reject", "disqualify"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_valid=Count("votes", filter=Q(votes__status=Vote.Status.VALID)))
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(self.readonly_fields)
        # Moderation is for operations staff; interns submit contestants.
        return readonly if is_ops(request.user) else [*readonly, "status"]

    @admin.display(description=_("valid votes"), ordering="n_valid")
    def valid_votes(self, obj: Entry) -> int:
        return getattr(obj, "n_valid", 0)

    @admin.display(description=_("photo"))
    def thumb(self, obj: Entry) -> str:
        # The list thumbnail once drawn (the photo until then: never a broken image).
        current = obj.thumbnail and obj.thumbnail.name == derivative_name(obj, "thumbnail")
        image = obj.thumbnail if current else obj.photo
        if not image:
            return "—"
        return format_html('<img src="{}" alt="" style="height:48px;border-radius:4px">', image.url)

    @admin.display(description=_("share poster"))
    def poster_link(self, obj: Entry) -> str:
        if obj.pk is None or obj.status != Entry.Status.APPROVED:
            return "—"
        url = reverse("admin:voting_entry_poster", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def get_urls(self):
        poster = path(
            "<path:object_id>/poster/",
            self.admin_site.admin_view(self.poster_view),
            name="voting_entry_poster",
        )
        return [poster, *super().get_urls()]

    def poster_view(self, request, object_id: str):
        """Download the entry's share poster, drawn now if it is missing or stale."""
        entry = self.get_object(request, object_id)
        if entry is None or not self.has_view_permission(request, entry):
            raise Http404
        try:
            name = entry_poster_ensure(entry)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:voting_entry_change", entry.pk)
        return FileResponse(
            entry.poster.storage.open(name, "rb"),
            content_type="image/jpeg",
            as_attachment=True,
            filename=f"poster-{entry.share_code}.jpg",
        )

    def save_model(self, request, obj, form, change):
        if not obj.share_code:
            obj.share_code = new_code()
        super().save_model(request, obj, form, change)
        entry_media_after_edit(entry=obj, changed=form.changed_data if change else ["photo"])

    def has_moderate_permission(self, request) -> bool:
        return is_ops(request.user)

    def _moderate(self, request, queryset, status: str) -> None:
        n = entry_moderate(entry_ids=queryset.values_list("pk", flat=True), status=status)
        self.message_user(
            request,
            ngettext("%(n)d entry updated.", "%(n)d entries updated.", n) % {"n": n},
            messages.SUCCESS,
        )

    @admin.action(description=_("Approve selected entries"), permissions=["moderate"])
    def approve(self, request, queryset):
        self._moderate(request, queryset, Entry.Status.APPROVED)

    @admin.action(description=_("Reject selected entries"), permissions=["moderate"])
    def reject(self, request, queryset):
        self._moderate(request, queryset, Entry.Status.REJECTED)

    @admin.action(description=_("Disqualify selected entries"), permissions=["moderate"])
    def disqualify(self, request, queryset):
        self._moderate(request, queryset, Entry.Status.DISQUALIFIED)


@admin.register(Voter)
class VoterAdmin(SafeExportMixin, SchoolScopedAdmin):
    export_resource_class = VoterResource
    list_display = [
        "phone",
        "school",
        "channel",
        "attributed_campaign",
        "attributed_entry",
        "attributed_ambassador",
        "first_seen_at",
        "verified_at",
        "vote_count",
    ]
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

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_votes=Count("votes"))

    @admin.display(description=_("votes"), ordering="n_votes")
    def vote_count(self, obj: Voter) -> int:
        return obj.n_votes

    def has_add_permission(self, request):
        return False  # voters sign in through the API


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
    list_display = [
        "cast_at",
        "voter",
        "entry",
        "campaign",
        "day",
        "status",
        "ip",
        "device_id",
        "invalidated_reason",
    ]
    list_filter = ["status", ("campaign", RelatedOnly), "day"]
    list_select_related = ["voter", "entry", "campaign"]
    search_fields = ["voter__phone", "ip", "device_id", "entry__name"]
    date_hierarchy = "cast_at"
    actions = ["invalidate"]
    show_full_result_count = False  # votes are the largest table

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
    list_display = ["computed_at", "campaign", "round", "total_votes", "is_final", "leader"]
    list_filter = ["is_final", ("campaign", RelatedOnly)]
    list_select_related = ["campaign", "round__campaign"]
    date_hierarchy = "computed_at"
    fields = [
        "campaign",
        "round",
        "computed_at",
        "total_votes",
        "is_final",
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


from . import admin_fraud  # noqa: E402,F401
