"""Receipts uploaded through the admin's expense form (core/receipts.py): photos
re-encoded without metadata, PDFs checked by content, everything else refused; stored
privately under names nobody can guess."""

from __future__ import annotations

import re
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from campaigns.models import Expense
from tests.factories import PilotFactory
from tests.voting import image_corpus as corpus

pytestmark = pytest.mark.django_db

ADD = reverse("admin:campaigns_expense_add")


@pytest.fixture(autouse=True)
def isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.SENDFILE_ROOT = str(settings.PRIVATE_MEDIA_ROOT)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def pilot(school_a):
    return PilotFactory(school=school_a)


def pdf(*objects: bytes) -> bytes:
    """A small, well-formed-enough PDF with these extra objects."""
    body = [
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj",
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj",
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj",
        *objects,
    ]
    return b"%PDF-1.7\n" + b"\n".join(body) + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def flate_stream(content: bytes) -> bytes:
    data = zlib.compress(content)
    return (
        b"9 0 obj << /Type /ObjStm /Filter /FlateDecode /Length %d >>\nstream\n" % len(data)
        + data
        + b"\nendstream endobj"
    )


JS = b"4 0 obj << /Type /Action /S /JavaScript /JS (app.alert(1)) >> endobj"
LAUNCH = b"4 0 obj << /Type /Action /S /Launch /F (cmd.exe) >> endobj"
ESCAPED_JS = b"4 0 obj << /S /J#61vaScript /J#53 (app.alert(1)) >> endobj"
EMBEDDED = b"4 0 obj << /Type /EmbeddedFile /Length 3 >> stream\nabc\nendstream endobj"
THIRTY_MB = b"\x7fELF" + b"\0" * (30 * 1024 * 1024)

REFUSED = [
    # (case, bytes, file name, message fragment)
    ("HTML", corpus.HTML, "receipt.html", "must be a photo"),
    ("HTML named .pdf", corpus.HTML, "receipt.pdf", "must be a photo"),
    ("SVG with a script", corpus.SVG, "receipt.svg", "must be a photo"),
    ("SVG named .jpg", corpus.SVG, "receipt.jpg", "must be a photo"),
    ("30 MB binary", THIRTY_MB, "receipt.bin", "larger than 10 MB"),
    ("shell script", corpus.SCRIPT, "receipt.jpg", "must be a photo"),
    ("empty file", b"", "receipt.pdf", "submitted file is empty"),
    ("TIFF", corpus.tiff(), "receipt.tif", "must be a photo"),
    ("PDF with JavaScript", pdf(JS), "r.pdf", "contains scripts"),
    ("PDF with a launch action", pdf(LAUNCH), "r.pdf", "contains scripts"),
    ("PDF with escaped names", pdf(ESCAPED_JS), "r.pdf", "contains scripts"),
    ("PDF with JS in an object stream", pdf(flate_stream(JS)), "r.pdf", "contains scripts"),
    ("PDF with an embedded file", pdf(EMBEDDED), "r.pdf", "contains scripts"),
    ("PDF Flate bomb", pdf(flate_stream(b"\0" * (60 * 1024 * 1024))), "r.pdf", "too complex"),
    ("truncated JPEG", corpus.truncated_jpeg(), "r.jpg", "damaged"),
    ("PNG bomb", corpus.bomb_png(20000), "r.png", "too many pixels"),
]


def post(client, pilot, data: bytes, name: str):
    return client.post(
        ADD,
        {
            "pilot": pilot.pk,
            "category": Expense.Category.PRINTING,
            "amount": "12.50",
            "spent_on": "2026-03-01",
            "note": "海报",
            "receipt": SimpleUploadedFile(name, data, content_type="image/jpeg"),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )


def stored_files(settings) -> list:
    roots = [settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT]
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    "data, name, message", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_a_refused_receipt_is_a_form_error_and_nothing_is_written(
    ambassador_client, pilot, settings, data, name, message
):
    response = post(ambassador_client, pilot, data, name)
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["receipt"])
    assert message in errors
    assert not Expense.objects.exists()
    assert stored_files(settings) == []


TOKEN_NAME = re.compile(r"receipts/\d{4}/\d{2}/[A-Za-z0-9_-]{32}\.(jpg|pdf)")


def test_a_jpeg_receipt_is_re_encoded_without_gps_and_stored_privately(
    ambassador_client, pilot, settings
):
    response = post(ambassador_client, pilot, corpus.jpeg_with_gps(), "IMG_0001.jpg")
    assert response.status_code == 302, response.context["adminform"].form.errors
    receipt = Expense.objects.get().receipt
    assert TOKEN_NAME.fullmatch(receipt.name), receipt.name  # not the uploader's name
    assert (settings.PRIVATE_MEDIA_ROOT / receipt.name).is_file()
    assert not (settings.MEDIA_ROOT / receipt.name).exists()
    with receipt.open("rb") as fp:
        corpus.assert_clean(fp.read())  # no EXIF (GPS), XMP or ICC


@pytest.mark.parametrize(
    "data, name",
    [
        (corpus.png_with_html_appended(), "scan.png"),
        (corpus.encode(corpus.noisy(), "WEBP"), "scan.webp"),
    ],
    ids=["PNG with HTML appended", "WebP"],
)
def test_png_and_webp_receipts_become_clean_jpegs(ambassador_client, pilot, data, name):
    assert post(ambassador_client, pilot, data, name).status_code == 302
    receipt = Expense.objects.get().receipt
    assert receipt.name.endswith(".jpg")
    with receipt.open("rb") as fp:
        stored = fp.read()
    assert b"<script>" not in stored
    corpus.assert_clean(stored)


def test_a_plain_pdf_is_stored_as_uploaded(ambassador_client, pilot):
    data = pdf(flate_stream(b"BT /F1 12 Tf (Invoice 42) Tj ET"))
    assert post(ambassador_client, pilot, data, "invoice.PDF").status_code == 302
    receipt = Expense.objects.get().receipt
    assert TOKEN_NAME.fullmatch(receipt.name)
    with receipt.open("rb") as fp:
        assert fp.read() == data


def test_the_size_cap_is_a_setting(ambassador_client, pilot, settings):
    settings.RECEIPT_MAX_BYTES = 1024 * 1024
    big = pdf(b"%" + b"x" * (1024 * 1024))
    response = post(ambassador_client, pilot, big, "big.pdf")
    assert "larger than 1 MB" in " ".join(response.context["adminform"].form.errors["receipt"])


def test_the_message_is_translated(ambassador_client, pilot):
    with translation.override("zh-hans"):
        response = ambassador_client.post(
            ADD,
            {
                "pilot": pilot.pk,
                "category": Expense.Category.PRINTING,
                "amount": "1",
                "spent_on": "2026-03-01",
                "receipt": SimpleUploadedFile("x.html", corpus.HTML),
            },
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    errors = " ".join(response.context["adminform"].form.errors["receipt"])
    assert "PDF" in errors and "照片" in errors


def test_the_change_form_links_the_receipt_through_the_file_view(ambassador_client, pilot):
    post(ambassador_client, pilot, pdf(), "r.pdf")
    expense = Expense.objects.get()
    page = ambassador_client.get(reverse("admin:campaigns_expense_change", args=[expense.pk]))
    assert page.status_code == 200
    assert f'href="/files/campaigns.expense/{expense.pk}/receipt/' in page.content.decode()
    assert "/media/" not in page.content.decode()
