"""Spreadsheets of the voting app: contestants in (entries of a campaign), and exports of
entries, voters (phones masked unless operations staff), votes and leaderboards."""

from __future__ import annotations

import io
import posixpath
import zipfile
from typing import Any

import tablib
from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from campaigns.rosters.matching import round_for, rounds_listing
from campaigns.rosters.pipeline import RosterResource
from campaigns.rules import is_ops
from core.codes import new_code
from core.errors import InvalidImage
from core.images import DecodeBudget, photo_ingest
from core.privacy import mask_phone
from core.spreadsheets.cleaners import clean_key, clean_student_id, clean_text
from core.spreadsheets.headers import column
from core.spreadsheets.sheet import CellError, SpreadsheetError
from voting.models import Entry, LeaderboardSnapshot, Vote, Voter
from voting.services.entries import entry_build, entry_edit_needs_moderation
from voting.services.entry_files import entry_files_sync_on_commit
from voting.tasks.photos import entry_media_check_campaign

MAX_PHOTOS = 2000


class PhotoArchive:
    """The zip of photos uploaded with a contestant list, looked up by file name
    (case-insensitive, folders ignored). Sizes are checked before anything is inflated."""

    def __init__(self, data: bytes) -> None:
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            members = [m for m in self.zip.infolist() if not m.is_dir()]
        except zipfile.BadZipFile as exc:
            raise SpreadsheetError(_("The photos file is not a zip archive.")) from exc
        if len(members) > MAX_PHOTOS:
            raise SpreadsheetError(_("The zip holds more than %(n)d files.") % {"n": MAX_PHOTOS})
        # Sizes as the zip declares them (zipfile never inflates a member past its
        # declared size): a few MB of zip cannot make us inflate gigabytes.
        inflated = sum(m.file_size for m in members)
        if inflated > settings.PHOTO_ZIP_MAX_BYTES:
            raise SpreadsheetError(
                _("The zip's photos add up to %(size)d MB, more than %(mb)d MB: upload fewer.")
                % {"size": inflated >> 20, "mb": settings.PHOTO_ZIP_MAX_BYTES >> 20}
            )
        # What decoding all of its photos may cost, charged from each photo's header.
        self.budget = DecodeBudget(settings.PHOTO_ZIP_MAX_DECODED_BYTES)
        self.by_name: dict[str, zipfile.ZipInfo] = {}
        for member in members:
            self.by_name.setdefault(posixpath.basename(member.filename).casefold(), member)

    def open(self, name: str) -> io.BytesIO:
        member = self.by_name.get(posixpath.basename(name.replace("\\", "/")).casefold())
        if member is None:
            raise CellError(_('"%(name)s" is not in the zip of photos') % {"name": name})
        if member.file_size > settings.PHOTO_MAX_BYTES:
            raise CellError(
                _("the photo is larger than %(mb)d MB") % {"mb": settings.PHOTO_MAX_BYTES >> 20}
            )
        upload = io.BytesIO(self.zip.read(member))
        upload.size = member.file_size
        return upload


class ContestantResource(RosterResource):
    """Contestants of one campaign. Natural key: round + student id. New entries wait
    for moderation; a photo column names a file in the zip uploaded alongside."""

    kind = "contestants"
    columns = (
        column("name", required=True),
        column("student_id", required=True),
        column("caption"),
        column("photo"),
        column("round"),
        column("school"),
    )
    update_fields = ("name", "caption", "photo", "status")
    preview_fields = ("round", "student_id", "name", "caption", "photo")
    template_example = {
        "name": "李四",
        "student_id": "2025000002",
        "caption": "每天5公里，坚持第100天！",
        "photo": "lisi.jpg",
        "round": 1,
    }

    campaign = fields.Field(attribute="campaign__slug", column_name="活动", readonly=True)
    round = fields.Field(attribute="round__number", column_name="轮次", readonly=True)
    name = fields.Field(attribute="name", column_name="姓名")
    student_id = fields.Field(attribute="student_id", column_name="学号")
    caption = fields.Field(attribute="caption", column_name="配文")
    status = fields.Field(attribute="status", column_name="状态", readonly=True)
    share_code = fields.Field(attribute="share_code", column_name="分享码", readonly=True)
    valid_votes = fields.Field(
        attribute="n_valid", column_name="有效票数", readonly=True, widget=widgets.IntegerWidget()
    )

    class Meta:
        model = Entry
        fields = (
            "campaign",
            "round",
            "name",
            "student_id",
            "caption",
            "status",
            "share_code",
            "valid_votes",
        )
        export_order = fields

    def prepare_dataset(self, dataset):
        dataset = super().prepare_dataset(dataset)
        campaign = self.scope.campaign
        if campaign is None:
            raise SpreadsheetError(_("Choose the campaign the contestants enter."))
        self._rounds = list(campaign.rounds.order_by("number"))
        if not self._rounds:
            raise SpreadsheetError(_("The campaign has no round yet."))
        self._photos = PhotoArchive(self.scope.photos) if self.scope.photos else None
        return dataset

    def import_data(self, dataset, dry_run=False, *args, **kwargs):
        self._dry_run = dry_run
        self._stored: list[str] = []
        self._republish: list[tuple[int, str]] = []
        try:
            result = super().import_data(dataset, dry_run, *args, **kwargs)
        except BaseException:
            self._discard_stored()
            raise
        if result.problems:
            # Any bad row rolls every row back: the photos stored for the good ones must
            # go too, or they stay on disk with no entry pointing at them.
            self._discard_stored()
        elif self._stored:
            # Thumbnails of the new photos: one check of the campaign asks for those that
            # are missing (rows are bulk-written, so their ids are not known row by row).
            entry_media_check_campaign.delay_on_commit(self.scope.campaign.pk)
            entry_files_sync_on_commit(
                entry_ids=[pk for pk, _old in self._republish],
                stale=[old for _pk, old in self._republish],
            )
        return result

    def _round(self, text: str, errors):
        if not text:
            if len(self._rounds) == 1:
                return self._rounds[0]
            errors.setdefault(self.column_header("round"), []).append(
                _("required: this campaign has %(n)d rounds") % {"n": len(self._rounds)}
            )
            return None
        found = round_for(self._rounds, text)
        if found is None:
            errors.setdefault(self.column_header("round"), []).append(
                _("the campaign has no round %(round)s; its rounds: %(rounds)s")
                % {"round": text, "rounds": rounds_listing(self._rounds)}
            )
        return found

    def _photo(self, name: str, errors, stem: str):
        if not name:
            return None
        header = self.column_header("photo")
        if self._photos is None:
            errors.setdefault(header, []).append(
                _("%(name)s: upload the zip of photos with the list") % {"name": name}
            )
            return None
        try:
            # The same gate as every other path: content, not name; re-encoded, no EXIF.
            return photo_ingest(self._photos.open(name), stem=stem, budget=self._photos.budget)
        except CellError as exc:
            errors.setdefault(header, []).append(str(exc))
        except InvalidImage as exc:
            errors.setdefault(header, []).append(f"{name}: {exc.message}")
        return None

    def clean_row(self, raw, errors):
        values: dict[str, Any] = {
            "name": self.cell(raw, "name", lambda v: clean_key(v, max_length=60), errors),
            "student_id": self.cell(raw, "student_id", clean_student_id, errors),
            "caption": self.cell(raw, "caption", lambda v: clean_text(v, max_length=280), errors)
            or "",
        }
        if not values["name"] and self.column_header("name") not in errors:
            errors.setdefault(self.column_header("name"), []).append(_("required"))
        values["round"] = self._round(self.cell(raw, "round", clean_key, errors) or "", errors)
        photo_name = self.cell(raw, "photo", clean_text, errors) or ""
        stem = f"c{self.scope.campaign.pk}-{new_code(10).lower()}"
        values["photo"] = self._photo(photo_name, errors, stem)
        return values

    def row_key(self, values):
        return (values["round"].pk, values["student_id"])

    def key_label(self, values):
        return _("student id %(id)s") % {"id": values["student_id"]}

    def instance_key(self, instance):
        return (instance.round_id, instance.student_id)

    def existing_rows(self):
        return Entry.objects.filter(campaign=self.scope.campaign).exclude(student_id="")

    def _store_photo(self, entry: Entry, photo) -> None:
        # Files are written only by the confirmed import: a preview stores nothing.
        # Thumbnails follow from a task (their names no longer match the new photo).
        if photo is None or self._dry_run:
            return
        entry.photo.save(photo.name, photo, save=False)
        self._stored.append(entry.photo.name)

    def _discard_stored(self) -> None:
        storage = Entry._meta.get_field("photo").storage
        for name in self._stored:
            storage.delete(name)
        self._stored = []

    def new_instance(self, values):
        entry = entry_build(
            campaign=self.scope.campaign,
            round_=values["round"],
            name=values["name"],
            student_id=values["student_id"],
            caption=values["caption"],
            submitted_by=self.scope.ambassador,
        )
        self._store_photo(entry, values["photo"])
        return entry

    def apply(self, instance, values):
        changed = False
        for name in ("name", "caption"):
            if values[name] and getattr(instance, name) != values[name]:
                setattr(instance, name, values[name])
                changed = True
        if values["photo"] is not None:
            if instance.status == Entry.Status.APPROVED and not self._dry_run:
                # Its public copies follow once the import commits (the old photo's go).
                self._republish.append((instance.pk, instance.photo.name))
            self._store_photo(instance, values["photo"])
            changed = True
        # An intern's new name, caption or photo of an approved entry is moderated again.
        shown = ["name", "caption", "photo"] if changed else []
        if entry_edit_needs_moderation(status=instance.status, changed=shown, actor=self.user):
            instance.status = Entry.Status.PENDING
        return changed

    def dehydrate_status(self, entry: Entry) -> str:
        return str(entry.get_status_display())

    def dehydrate_valid_votes(self, entry: Entry) -> int:
        n_valid = getattr(entry, "n_valid", None)
        if n_valid is None:
            n_valid = entry.votes.filter(status=Vote.Status.VALID).count()
        return n_valid

    def get_queryset(self):
        return Entry.objects.select_related("campaign", "round").annotate(
            n_valid=Count("votes", filter=Q(votes__status=Vote.Status.VALID))
        )


class UserAwareResource(resources.ModelResource):
    """An export-only resource that knows who exports (for masking personal data)."""

    def __init__(self, user: Any = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.user = user

    @property
    def sees_phones(self) -> bool:
        return self.user is not None and is_ops(self.user)

    def phone(self, phone: str) -> str:
        return phone if self.sees_phones else mask_phone(phone)


class VoterResource(UserAwareResource):
    phone = fields.Field(attribute="phone", column_name="手机号")
    school = fields.Field(attribute="school__name", column_name="学校")
    channel = fields.Field(attribute="channel", column_name="渠道")
    campaign = fields.Field(attribute="attributed_campaign__slug", column_name="来源活动")
    entry = fields.Field(attribute="attributed_entry__name", column_name="来源选手")
    ambassador = fields.Field(attribute="attributed_ambassador__name", column_name="来源大使")
    first_seen_at = fields.Field(
        attribute="first_seen_at", column_name="首次访问", widget=widgets.DateTimeWidget()
    )
    verified_at = fields.Field(
        attribute="verified_at", column_name="验证时间", widget=widgets.DateTimeWidget()
    )

    class Meta:
        model = Voter
        fields = (
            "phone",
            "school",
            "channel",
            "campaign",
            "entry",
            "ambassador",
            "first_seen_at",
            "verified_at",
        )
        export_order = fields

    def dehydrate_phone(self, voter: Voter) -> str:
        return self.phone(voter.phone)

    def dehydrate_channel(self, voter: Voter) -> str:
        return str(voter.get_channel_display())

    def get_queryset(self):
        return Voter.objects.select_related(
            "school", "attributed_campaign", "attributed_entry", "attributed_ambassador"
        )


class VoteResource(UserAwareResource):
    cast_at = fields.Field(
        attribute="cast_at", column_name="投票时间", widget=widgets.DateTimeWidget()
    )
    day = fields.Field(attribute="day", column_name="日期", widget=widgets.DateWidget())
    campaign = fields.Field(attribute="campaign__slug", column_name="活动")
    entry = fields.Field(attribute="entry__name", column_name="选手")
    voter = fields.Field(attribute="voter__phone", column_name="选民")
    status = fields.Field(attribute="status", column_name="状态")
    reason = fields.Field(attribute="invalidated_reason", column_name="作废原因")
    ip = fields.Field(attribute="ip", column_name="IP")
    device_id = fields.Field(attribute="device_id", column_name="设备")

    class Meta:
        model = Vote
        fields = (
            "cast_at",
            "day",
            "campaign",
            "entry",
            "voter",
            "status",
            "reason",
            "ip",
            "device_id",
        )
        export_order = fields

    def dehydrate_voter(self, vote: Vote) -> str:
        return self.phone(vote.voter.phone)

    def dehydrate_status(self, vote: Vote) -> str:
        return str(vote.get_status_display())

    def get_queryset(self):
        return Vote.objects.select_related("voter", "entry", "campaign")


class LeaderboardResource(UserAwareResource):
    """One row per rank of each snapshot: the standings as a table."""

    campaign = fields.Field(column_name="活动")
    round = fields.Field(column_name="轮次")
    computed_at = fields.Field(column_name="计算时间")
    final = fields.Field(column_name="最终")
    rank = fields.Field(column_name="排名")
    entry_id = fields.Field(column_name="选手编号")
    name = fields.Field(column_name="选手")
    votes = fields.Field(column_name="票数")

    class Meta:
        model = LeaderboardSnapshot
        fields = ("campaign", "round", "computed_at", "final", "rank", "entry_id", "name", "votes")
        export_order = fields

    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = self.get_queryset()
        headers = self.get_export_headers(selected_fields=kwargs.get("export_fields"))
        dataset = tablib.Dataset(headers=self.get_export_headers())
        for snapshot in queryset.select_related("campaign", "round"):
            for row in snapshot.standings:
                dataset.append(
                    [
                        snapshot.campaign.slug,
                        snapshot.round.topic or snapshot.round.number,
                        snapshot.computed_at,
                        "是" if snapshot.is_final else "否",
                        row.get("rank"),
                        row.get("entry_id"),
                        row.get("name"),
                        row.get("votes"),
                    ]
                )
        if headers != dataset.headers:
            # Only some columns were chosen in the export form.
            dataset = dataset.subset(cols=headers)
        return dataset
