from django import forms
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campaigns.rosters.admin import RosterImportExportMixin
from campaigns.rules import is_ops
from campaigns.scoping import SchoolScopedAdmin
from core.codes import new_code
from core.errors import DomainError, InvalidImage
from core.images import photo_ingest
from core.storage import PrivateFileWidget, private_file_url
from core.text import validate_single_line, validate_text_block
from voting.admin.moderation import EntryModerationMixin, ModerationStatusFilter
from voting.models import Entry, Vote
from voting.services.entries import entry_create, entry_moderate, entry_update
from voting.services.entry_files import entry_file_names
from voting.services.photos import derivative_name, entry_poster_ensure

RelatedOnly = admin.RelatedOnlyFieldListFilter


class EntryAdminForm(forms.ModelForm):
    """The Entry form with the photo checked by content and re-encoded (core/images.py)
    before anything is stored: Django's ImageField would accept ~70 formats after a
    ``verify()`` that decodes nothing, and store the upload as sent, metadata and all."""

    photo = forms.FileField(
        label=_("photo"),
        required=False,
        widget=PrivateFileWidget(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP. Stored upright, without location or other metadata."),
    )

    class Meta:
        model = Entry
        fields = ["campaign", "round", "name", "student_id", "caption", "photo", "status"]
        fields += ["submitted_by"]

    def clean_name(self):
        # Printed on the share poster: one line (core/text.py).
        name = self.cleaned_data.get("name", "")
        validate_single_line(name)
        return name

    def clean_caption(self):
        caption = self.cleaned_data.get("caption", "")
        validate_text_block(caption)
        return caption

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
class EntryAdmin(EntryModerationMixin, RosterImportExportMixin, SchoolScopedAdmin):
    import_kind = "contestants"
    form = EntryAdminForm
    # Fits a 1366 px laptop beside the filters (tests/browser/test_moderation.py): the
    # share code, poster and submitter are on the entry's page.
    list_display = ["thumb", "entry_text", "status_and_time", "valid_votes", "moderation"]
    list_display_links = ["thumb", "entry_text"]
    list_filter = [
        ModerationStatusFilter,
        ("campaign", RelatedOnly),
        ("campaign__pilot__school", RelatedOnly),
    ]
    change_list_template = "admin/voting/entry/change_list.html"
    list_select_related = ["campaign", "round__campaign", "submitted_by__school"]
    search_fields = ["name", "student_id", "share_code", "caption"]
    readonly_fields = [
        "share_code",
        "valid_votes",
        "thumb",
        "poster_link",
        # Moderation writes them, from the list (entry_reject / entry_approve).
        "rejection_reason",
        "rejection_note",
        "rejection_notified_at",
    ]
    fields = [
        "campaign",
        "round",
        "name",
        "student_id",
        "caption",
        "photo",
        "thumb",
        "status",
        "rejection_reason",
        "rejection_note",
        "rejection_notified_at",
        "submitted_by",
        "share_code",
        "poster_link",
        "valid_votes",
    ]
    # No bulk "reject": each rejection carries the reason its contestant is told, given
    # in the entry's row (moderation column).
    actions = ["approve", "disqualify"]

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
        # Through the file view: a pending entry's files are private (docs/files.md).
        return format_html(
            '<img src="{}" alt="" class="entry-thumb" width="96" height="96" loading="lazy"'
            ' decoding="async">',
            private_file_url(image),
        )

    @admin.display(description=_("entry"), ordering="name")
    def entry_text(self, obj: Entry) -> str:
        """Name, campaign and round, caption: one cell, so the list fits a laptop."""
        where = str(obj.round if obj.round_id else obj.campaign)  # "campaign · round"
        caption = obj.caption or ""
        return format_html(
            '<span class="entry-name">{}</span>'
            '<span class="entry-where cell-truncate" title="{}">{}</span>'
            '<span class="entry-caption" title="{}">{}</span>',
            obj.name,
            where,
            where,
            caption,
            caption or "—",
        )

    @admin.display(description=_("moderation status"), ordering="status")
    def status_and_time(self, obj: Entry) -> str:
        submitted = f"{timezone.localtime(obj.created_at):%m-%d %H:%M}" if obj.created_at else ""
        return format_html(
            '{}<span class="entry-submitted" title="{}">{}</span>',
            obj.get_status_display(),
            _("submitted"),
            submitted,
        )

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
        if change:
            before = Entry.objects.filter(pk=obj.pk).first()
            entry_update(
                entry=obj,
                changed=form.changed_data,
                actor=request.user,
                previous_files=entry_file_names(before) - entry_file_names(obj) if before else (),
            )
        else:
            entry_create(entry=obj)

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

    @admin.action(description=_("Disqualify selected entries"), permissions=["moderate"])
    def disqualify(self, request, queryset):
        self._moderate(request, queryset, Entry.Status.DISQUALIFIED)
