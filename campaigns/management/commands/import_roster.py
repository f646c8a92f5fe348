"""``python manage.py import_roster KIND FILE --school SLUG [--dry-run]`` (docs/contract.md).

The same resources and checks as the admin import. Exit status 0 when the file was
imported (or, with ``--dry-run``, would be); otherwise 1 after printing ``row N: reason``
for every bad row, with nothing written.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, no_translations

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

    @no_translations  # `row N: reason` in English, like the rest of the output
    def handle(self, *args, kind, file, school, campaign, photos, user, dry_run, **options):
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
        if not report.ok:
            for problem in report.problems:
                where = f"row {problem.line}" if problem.line is not None else "file"
                self.stdout.write(f"{where}: {problem.message}")
            raise CommandError(
                f"{file.name}: {len(report.problems)} problem(s); nothing was imported.",
                returncode=1,
            )
        verb = "would import" if dry_run else "imported"
        self.stdout.write(
            f"{file.name}: {verb} {report.total} rows: {report.new} new, "
            f"{report.updated} updated, {report.unchanged} unchanged."
        )
