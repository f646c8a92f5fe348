"""An intern's share kit in the admin: their referral link (the site with ?ref=) and a
poster whose QR code decodes to it; an intern gets only their own."""

import io

import pytest
import zxingcpp
from PIL import Image

from ambassadors.models import Ambassador
from tests.factories import AmbassadorFactory, CampaignFactory, PilotFactory, UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://campaigns.example.cn"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE


def poster_url(ambassador) -> str:
    return f"/admin/ambassadors/ambassador/{ambassador.pk}/share-poster/"


def qr_texts(data: bytes) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))]


def test_staff_download_a_poster_whose_qr_is_the_referral_link(ops_client, school_a):
    CampaignFactory(pilot=PilotFactory(school=school_a), title="复旦校园跑步之星评选")
    ambassador = AmbassadorFactory(school=school_a, name="李欣怡")
    response = ops_client.get(poster_url(ambassador))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "attachment" in response["Content-Disposition"]
    link = f"{SITE}/?ref={ambassador.referral_code}"
    assert link in qr_texts(response.content)


def test_the_list_shows_the_kit_links(ops_client, school_a):
    ambassador = AmbassadorFactory(school=school_a)
    body = ops_client.get("/admin/ambassadors/ambassador/").content.decode()
    assert f"{SITE}/?ref={ambassador.referral_code}" in body and poster_url(ambassador) in body


def test_an_intern_gets_their_own_kit_only(client, ambassador_user, school_a, school_b):
    own = Ambassador.objects.get(user=ambassador_user)
    peer = AmbassadorFactory(school=school_a, user=UserFactory(role="ambassador"))
    stranger = AmbassadorFactory(school=school_b)
    client.force_login(ambassador_user)
    assert client.get(poster_url(own)).status_code == 200
    assert client.get(poster_url(peer)).status_code == 403
    assert client.get(poster_url(stranger)).status_code == 403
    body = client.get("/admin/ambassadors/ambassador/").content.decode()
    assert f"?ref={own.referral_code}" in body
    assert f"?ref={peer.referral_code}" not in body


def test_the_referral_link_opens_the_site(client, ambassador_user):
    own = Ambassador.objects.get(user=ambassador_user)
    response = client.get(f"/?ref={own.referral_code}")
    assert response.status_code == 200 and response.cookies["ref"].value == own.referral_code
