"""Entry submission from the phone: the API's entry_submit, refused with the API's own
messages outside the window or for a bad photo."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from campaigns.models import Campaign
from tests.factories import CampaignFactory
from tests.voting.fixtures_api import bearer, image_bytes
from voting.models import Entry

pytestmark = pytest.mark.django_db


def photo(data: bytes | None = None, name: str = "me.jpg"):
    return SimpleUploadedFile(name, data if data is not None else image_bytes(), "image/jpeg")


def submit(client, campaign, **fields):
    data = {"name": "李雷", "caption": "清晨六点的操场", "photo": photo(), **fields}
    return client.post(f"/c/{campaign.slug}/submit/", data)


def api_message(api, voter, campaign, upload) -> str:
    url = f"/api/v1/campaigns/{campaign.slug}/entries/"
    response = api.post(url, {"name": "李雷", "photo": upload}, format="multipart", **bearer(voter))
    return response.json()["error"]["message"]


def test_submission_needs_sign_in(client, campaign):
    response = client.get(f"/c/{campaign.slug}/submit/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=%2Fc%2F{campaign.slug}%2Fsubmit%2F"


def test_form_takes_a_photo_from_camera_or_album(student, campaign):
    body = student.get(f"/c/{campaign.slug}/submit/").content.decode()
    assert 'type="file"' in body and 'accept="image/jpeg,image/png,image/webp"' in body
    assert 'enctype="multipart/form-data"' in body


def test_a_submitted_entry_waits_for_moderation(student, voter, campaign, eager_tasks):
    response = submit(student, campaign)
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert (entry.name, entry.status, entry.voter) == ("李雷", Entry.Status.PENDING, voter)
    assert entry.photo.name.endswith(".jpg")
    body = student.get(f"/c/{campaign.slug}/submit/").content.decode()
    assert "谢谢你，李雷！照片正在等待审核" in body


def test_bad_image_is_refused_with_the_apis_message(student, voter, campaign, api):
    bad = b"<html>not a photo</html>"
    body = submit(student, campaign, photo=photo(bad)).content.decode()
    expected = api_message(api, voter, campaign, photo(bad))
    assert expected and expected in body
    empty = api_message(api, voter, campaign, photo(b""))
    assert empty in submit(student, campaign, photo=photo(b"")).content.decode()
    assert not Entry.objects.exists()


def test_outside_the_window_is_refused_with_the_apis_message(student, voter, api):
    now = timezone.now()
    campaign = CampaignFactory(
        submission_starts_at=now - timedelta(days=5), submission_ends_at=now - timedelta(days=1)
    )
    expected = api_message(api, voter, campaign, photo())
    assert expected == "本活动当前不接受作品提交。"
    assert expected in student.get(f"/c/{campaign.slug}/submit/").content.decode()
    assert expected in submit(student, campaign).content.decode()
    assert not Entry.objects.exists()


def test_closed_campaign_takes_no_entries(student, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    assert "本活动当前不接受作品提交。" in submit(student, campaign).content.decode()
    assert not Entry.objects.exists()


def test_missing_photo_is_asked_for(student, campaign):
    response = student.post(f"/c/{campaign.slug}/submit/", {"name": "李雷"})
    assert "请拍照或从相册选择一张照片。" in response.content.decode()


def test_submission_burst_is_throttled(student, campaign, settings, eager_tasks):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "submit_voter": "1/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    submit(student, campaign)
    assert "操作太频繁了" in submit(student, campaign).content.decode()
    assert Entry.objects.count() == 1


def test_unknown_campaign_is_the_friendly_404(student):
    assert student.get("/c/nope/submit/").status_code == 404
