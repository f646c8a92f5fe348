"""Move receipts, import jobs' parsed sheets and import previews out of the public media
folder into the private one (docs/files.md). Receipts get names nobody can guess.

Receipts stored before uploads were checked keep their bytes: the file view sends
anything but a JPEG as an attachment, never sniffed, in a sandbox. Files already moved
(a re-run) or gone are skipped; the reverse puts them back under MEDIA_ROOT.
"""

import posixpath
import secrets
import shutil
from pathlib import Path

from django.conf import settings
from django.db import migrations

PREVIEWS = "django-import-export"
RECEIPT_EXTENSIONS = {".jpg", ".jpeg", ".pdf"}


def _move(name: str, source: Path, target: Path, new_name: str | None = None) -> bool:
    new_name = new_name or name
    src, dst = source / name, target / new_name
    if not src.is_file():
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(src), str(dst))
    return True


def _token_name(name: str) -> str:
    folder = posixpath.dirname(name)
    extension = posixpath.splitext(name)[1].lower()
    if extension not in RECEIPT_EXTENSIONS:
        extension = ".bin"
    return posixpath.join(folder, secrets.token_urlsafe(24) + extension)


def _move_tree(folder: str, source: Path, target: Path) -> None:
    root = source / folder
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file():
            _move(str(path.relative_to(source)), source, target)


def to_private(apps, schema_editor):
    public, private = Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)
    Expense = apps.get_model("campaigns", "Expense")
    for expense in Expense.objects.exclude(receipt="").only("id", "receipt"):
        new_name = _token_name(expense.receipt.name)
        if _move(expense.receipt.name, public, private, new_name):
            Expense.objects.filter(pk=expense.pk).update(receipt=new_name)
    ImportJob = apps.get_model("campaigns", "ImportJob")
    for name in ImportJob.objects.exclude(file="").values_list("file", flat=True):
        _move(name, public, private)
    _move_tree(PREVIEWS, public, private)


def to_public(apps, schema_editor):
    public, private = Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)
    for name in apps.get_model("campaigns", "Expense").objects.exclude(receipt="").values_list(
        "receipt", flat=True
    ):
        _move(name, private, public)
    for name in apps.get_model("campaigns", "ImportJob").objects.exclude(file="").values_list(
        "file", flat=True
    ):
        _move(name, private, public)
    _move_tree(PREVIEWS, private, public)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0006_private_storage_for_receipts_and_import_jobs")]

    operations = [migrations.RunPython(to_private, to_public)]
