"""What a contestant import's zip of photos may cost: the sizes its members declare, and
the decoded pixels of all its photos together (voting/resources.py, core/images.py)."""

import time

import pytest
from django.utils import translation

from tests.core.test_image_decode_cost import grey_png, rgb_png
from tests.factories import CampaignFactory
from tests.spreadsheet_files import csv_bytes, roster_snapshot, run_import
from tests.voting.test_contestant_import import write, zip_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def campaign(school_a):
    return CampaignFactory(pilot__school=school_a, slug="run-a")


def _import(tmp_path, rows, archive, *extra):
    return run_import(
        "contestants",
        write(tmp_path, "c.csv", csv_bytes(rows)),
        "--school",
        "fudan",
        "--campaign",
        "run-a",
        "--photos",
        write(tmp_path, "p.zip", archive),
        *extra,
    )


def test_ten_40_megapixel_pngs_cost_little_and_the_zip_total_is_capped(
    tmp_path, campaign, settings
):
    """The issue's case: a small zip of ten 40-megapixel PNGs took 25 s of preview CPU.
    RGB ones are refused from their headers; grey ones decode within the zip's total."""
    settings.PHOTO_ZIP_MAX_DECODED_BYTES = 100 * 1024 * 1024
    files = {f"rgb{n}.png": rgb_png() for n in range(5)}
    files |= {f"grey{n}.png": grey_png() for n in range(5)}
    rows = [["姓名", "学号", "照片"]]
    rows += [[f"人{n}", f"{n:04}", name] for n, name in enumerate(files)]
    archive = zip_of(files)
    before = roster_snapshot()
    started = time.process_time()
    code, out, _err = _import(tmp_path, rows, archive, "--dry-run")
    cpu = time.process_time() - started
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 5 + 3, out  # five too costly, then all but two greys over the total
    assert all("more than 64 MB: save it as a JPEG" in line for line in lines[:5])
    assert all("together need more than 100 MB" in line for line in lines[5:])
    assert roster_snapshot() == before
    assert cpu < 5, cpu


def test_a_zip_declaring_too_many_bytes_is_refused_before_inflating(tmp_path, campaign, settings):
    settings.PHOTO_ZIP_MAX_BYTES = 1024 * 1024
    archive = zip_of({f"z{n}.jpg": b"\0" * 400_000 for n in range(3)})
    code, out, err = _import(tmp_path, [["姓名", "学号", "照片"], ["甲", "1", "z0.jpg"]], archive)
    assert code == 1
    assert "The zip's photos add up to 1 MB, more than 1 MB: upload fewer." in out + err
