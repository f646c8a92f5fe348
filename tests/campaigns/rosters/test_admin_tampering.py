"""A tampered confirm form (the hidden names of the stashed upload and the photo zip)
answers with a form error, never a 500 or a file outside the preview folder."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ambassadors.models import Ambassador
from tests.campaigns.rosters.test_admin import CONFIRM_URL, confirm_data, upload
from tests.helpers import page_says
from tests.spreadsheet_files import ambassador_rows, roster_snapshot, xlsx

pytestmark = pytest.mark.django_db

REPORT_URL = reverse("admin:ambassadors_ambassador_import_report")

TAMPERED_NAMES = [
    "0" * 32,  # well formed, no such preview
    "../../../../etc/passwd",
    "/etc/passwd",
    "..",
    "django-import-export/../secret_key",
    "a" * 300,
    "x\x00y",
    "",
]


@pytest.mark.parametrize("name", TAMPERED_NAMES)
@pytest.mark.parametrize("url", [CONFIRM_URL, REPORT_URL])
def test_tampered_import_file_name_is_a_form_error(ambassador_client, school_a, name, url):
    preview = upload(ambassador_client, xlsx(ambassador_rows(2, pay=False)), school_a)
    data = {**confirm_data(preview), "import_file_name": name}
    before = roster_snapshot()
    response = ambassador_client.post(url, data)
    assert roster_snapshot() == before
    if url == REPORT_URL:
        assert response.status_code == 403  # a download: refused, not a 500
        return
    assert response.status_code == 200
    assert "import_file_name" in response.context["confirm_form"].errors
    if name and "\x00" not in name:  # blank and NUL: refused by the field, its own words
        assert page_says(
            response, "This preview has expired or is not yours: upload the file again."
        )


def test_tampered_photos_file_name_is_a_form_error(
    ambassador_client, school_a, campaign_of_school_a
):
    url = reverse("admin:voting_entry_import")
    preview = ambassador_client.post(
        url,
        {
            "format": "0",
            "resource": "0",
            "campaign": campaign_of_school_a.pk,
            "import_file": SimpleUploadedFile("c.csv", "姓名,学号,照片\n李四,2024001,\n".encode()),
        },
    )
    assert preview.status_code == 200
    data = {**confirm_data(preview), "photos_file_name": "../../secret_key"}
    response = ambassador_client.post(reverse("admin:voting_entry_process_import"), data)
    assert response.status_code == 200
    assert "photos_file_name" in response.context["confirm_form"].errors


def test_the_untampered_confirm_still_imports(ambassador_client, school_a):
    preview = upload(ambassador_client, xlsx(ambassador_rows(2, pay=False)), school_a)
    response = ambassador_client.post(CONFIRM_URL, confirm_data(preview))
    assert response.status_code == 302
    assert Ambassador.objects.filter(school=school_a).count() == 3


@pytest.fixture
def campaign_of_school_a(school_a):
    from tests.factories import CampaignFactory, PilotFactory

    return CampaignFactory(pilot=PilotFactory(school=school_a))
