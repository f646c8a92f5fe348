"""Move every entry's photo, thumbnails and poster into the private media folder; an
approved entry keeps a public copy under the same name (docs/files.md). Files already
moved (a re-run) or gone are skipped; the reverse puts them back under MEDIA_ROOT.
"""

import shutil
from pathlib import Path

from django.conf import settings
from django.db import migrations

FIELDS = ("photo", "thumbnail", "preview", "poster")


def to_private(apps, schema_editor):
    public, private = Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)
    Entry = apps.get_model("voting", "Entry")
    for entry in Entry.objects.only("id", "status", *FIELDS).iterator(chunk_size=500):
        for field in FIELDS:
            name = getattr(entry, field).name
            src, dst = public / name, private / name
            if not name or not src.is_file():
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            if entry.status == "approved":
                shutil.copy2(src, dst)
            else:
                shutil.move(str(src), str(dst))


def to_public(apps, schema_editor):
    public, private = Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)
    Entry = apps.get_model("voting", "Entry")
    for entry in Entry.objects.only("id", *FIELDS).iterator(chunk_size=500):
        for field in FIELDS:
            name = getattr(entry, field).name
            src, dst = private / name, public / name
            if not name or not src.is_file():
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(src), str(dst))


class Migration(migrations.Migration):
    dependencies = [("voting", "0011_entry_files_private_storage")]

    operations = [migrations.RunPython(to_private, to_public)]
