"""``python manage.py import_roster KIND FILE --school SLUG [--dry-run]`` (docs/contract.md).

The same resources and checks as the admin import, so the command line and the admin
accept exactly the same files. Exit status 0 when the file was imported (or, with
``--dry-run``, would be); otherwise 1 after printing ``row N: reason`` for every bad row,
with nothing written. It speaks ``--language`` (default: the site's ``LANGUAGE_CODE``);
the options a file may hold (roles, categories, yes/no, rounds) match in every language.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from campaigns.models import Campaign, School
from campaigns.rosters.pipeline import KINDS, import_scope_build
from campaigns.rosters.service import roster_import_file
from core.errors import DomainError


class Command(BaseCommand):
    help = "Import a roster spreadsheet (XLSX, XLS or CSV) into one school."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--school", required=True, help="slug of the school")
        parser.add_argument(
            "--campaign", help="slug of the campaign the contestants enter (contestants only)"
        )
        parser.add_argument("--photos", type=Path, help="zip of contestants' photos")
        parser.add_argument(
            "--user",
            help="import on behalf of this user (their scope applies and the audit log "
            "names them); default: the operator, with operations rights",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=None,
            help=f"language of the messages (default: LANGUAGE_CODE, {settings.LANGUAGE_CODE})",
        )

    def handle(self, *args, language=None, **options):
        with translation.override(language or settings.LANGUAGE_CODE):
            return self._handle(**options)

    def _handle(self, *, kind, file, school, campaign, photos, user, dry_run, **options):
        school_obj = School.objects.filter(slug=school).first()
        if school_obj is None:
            raise CommandError(f"no school with slug {school!r}", returncode=1)
        campaign_obj = None
        if kind == "contestants":
            if not campaign:
                raise CommandError("contestants need --campaign SLUG", returncode=1)
            campaign_obj = Campaign.objects.select_related("pilot").filter(slug=campaign).first()
            if campaign_obj is None:
                raise CommandError(f"no campaign with slug {campaign!r}", returncode=1)
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {user!r}", returncode=1)
        try:
            data = file.read_bytes()
            photo_bytes = photos.read_bytes() if photos else None
        except OSError as exc:
            raise CommandError(f"cannot read {exc.filename}: {exc.strerror}", returncode=1) from exc
        try:
            scope = import_scope_build(
                user=actor, school=school_obj, campaign=campaign_obj, photos=photo_bytes
            )
        except DomainError as exc:
            raise CommandError(exc.message, returncode=1) from exc

        report = roster_import_file(
            kind=kind, data=data, file_name=file.name, scope=scope, dry_run=dry_run
        )
        # The file as named in the last line: with the sheet read, for a workbook.
        where = file.name
        if report.sheet:
            where = _('%(file)s (sheet "%(sheet)s", header in row %(line)s)') % {
                "file": file.name,
                "sheet": report.sheet,
                "line": report.header_line,
            }
        if not report.ok:
            for problem in report.problems:
                self.stdout.write(str(problem))
            for note in report.notes:
                self.stdout.write(str(note))
            raise CommandError(
                _("%(file)s: %(n)d problem(s); nothing was imported.")
                % {"file": where, "n": len(report.problems)},
                returncode=1,
            )
        for note in report.notes:
            self.stdout.write(str(note))
        message = (
            _(
                "%(file)s: would import %(total)d rows: %(new)d new, %(updated)d updated, "
                "%(unchanged)d unchanged."
            )
            if dry_run
            else _(
                "%(file)s: imported %(total)d rows: %(new)d new, %(updated)d updated, "
                "%(unchanged)d unchanged."
            )
        )
        self.stdout.write(
            message
            % {
                "file": where,
                "total": report.total,
                "new": report.new,
                "updated": report.updated,
                "unchanged": report.unchanged,
            }
        )
