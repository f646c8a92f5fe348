"""Sign-in on the site: the API's otp_request/otp_verify, their refusals as sentences,
the share's ref carried through to attribution, and a session that stays until the
voter's token is revoked (admin sessions untouched)."""

import pytest
from django.test import Client

from core import sms
from tests.factories import AmbassadorFactory, SchoolFactory, UserFactory, VoterFactory
from tests.web.helpers import entry_url, sign_in_as
from voting.models import Voter, VoterToken
from voting.services.sign_in import voter_tokens_revoke_all
from web.session import session_voter_id

pytestmark = pytest.mark.django_db

PHONE = "+8613912345678"


def send(client, phone="139 1234 5678", **extra):
    return client.post("/login/", {"phone": phone, "action": "send", **extra})


def verify(client, code, phone="139 1234 5678", **extra):
    return client.post("/login/", {"phone": phone, "code": code, "action": "verify", **extra})


def last_code() -> str:
    return sms.outbox[-1].code


def signed_in_voter(client):
    request = type("R", (), {"session": client.session})()
    return session_voter_id(request)


def test_sign_in_page_has_the_contract_hooks(client):
    body = client.get("/login/").content.decode()
    for hook in ("phone-input", "send-code", "code-input", "sign-in-button"):
        assert f'data-testid="{hook}"' in body
    assert 'type="tel"' in body and "csrfmiddlewaretoken" in body


def test_send_code_then_sign_in(client):
    response = send(client)
    assert response.status_code == 200
    assert "验证码已发送至 139****5678" in response.content.decode()
    assert sms.outbox[-1].to == PHONE
    response = verify(client, last_code(), next="/me/votes/")
    assert response.status_code == 302 and response["Location"] == "/me/votes/"
    voter = Voter.objects.get(phone=PHONE)
    assert signed_in_voter(client) == voter.pk
    assert client.get("/me/votes/").status_code == 200  # stays signed in


def test_bad_phone_is_refused_with_a_sentence(client):
    response = send(client, phone="12345")
    assert "请输入中国大陆手机号。" in response.content.decode()
    assert sms.outbox == []


def test_wrong_code_is_refused_and_nobody_signs_in(client):
    send(client)
    wrong = "000000" if last_code() != "000000" else "111111"
    response = verify(client, wrong)
    assert response.status_code == 200
    assert "验证码错误、已过期或已使用，请重新获取。" in response.content.decode()
    assert signed_in_voter(client) is None and not Voter.objects.exists()


def test_empty_code_asks_for_it(client):
    response = verify(client, "")
    assert "请输入短信收到的验证码。" in response.content.decode()


def test_too_many_codes_is_refused(client, settings):
    settings.OTP_MAX_PER_PHONE_PER_HOUR = 1
    send(client)
    response = send(client)
    assert "该手机号获取验证码过于频繁，请稍后再试。" in response.content.decode()
    assert len(sms.outbox) == 1


def test_burst_throttle_is_the_apis_and_shares_its_bucket(client, api, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "otp_phone": "1/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    assert api.post("/api/v1/auth/otp/", {"phone": PHONE}, format="json").status_code == 202
    response = send(client)
    assert "操作太频繁了，请等一分钟再试。" in response.content.decode()
    assert len(sms.outbox) == 1


def test_verify_is_throttled_too(client, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "verify_phone": "1/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    send(client)
    verify(client, "000001")
    response = verify(client, last_code())
    assert "操作太频繁了" in response.content.decode() and signed_in_voter(client) is None


def test_share_ref_travels_through_sign_in(client, entry):
    client.get(f"{entry_url(entry)}?ref={entry.share_code}")  # the /s/ redirect's target
    client.get("/")  # browsing on: the ref is kept in a cookie
    send(client)
    verify(client, last_code())
    voter = Voter.objects.get(phone=PHONE)
    assert voter.channel == Voter.Channel.SHARE
    assert voter.attributed_entry == entry and voter.attributed_campaign == entry.campaign


def test_ambassador_ref_travels_through_sign_in(client):
    ambassador = AmbassadorFactory()
    client.get(f"/?ref={ambassador.referral_code}")  # the intern's referral link
    body = client.get("/login/").content.decode()
    assert f'value="{ambassador.referral_code}"' in body  # and in the form itself
    send(client)
    verify(client, last_code())
    voter = Voter.objects.get(phone=PHONE)
    assert voter.channel == Voter.Channel.AMBASSADOR
    assert voter.attributed_ambassador == ambassador


def test_ref_in_the_form_works_without_the_cookie(client, entry):
    send(client)
    verify(client, last_code(), ref=entry.share_code.lower())
    assert Voter.objects.get(phone=PHONE).attributed_entry == entry


def test_an_existing_voter_keeps_their_attribution(client, entry):
    VoterFactory(phone=PHONE)
    client.get(f"{entry_url(entry)}?ref={entry.share_code}")
    send(client)
    verify(client, last_code())
    assert Voter.objects.get(phone=PHONE).channel == Voter.Channel.DIRECT


def test_next_never_leaves_the_site(client):
    send(client)
    response = verify(client, last_code(), next="https://evil.example/")
    assert response["Location"] == "/"


def test_sign_out_revokes_the_token(client, voter):
    token_id = sign_in_as(client, voter)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert VoterToken.objects.get(pk=token_id).revoked_at is not None
    assert client.get("/me/votes/").status_code == 302  # back to sign-in


def test_revoking_the_voters_tokens_signs_the_site_out(client, voter):
    sign_in_as(client, voter)
    assert client.get("/me/votes/").status_code == 200
    voter_tokens_revoke_all(voter_ids=[voter.pk])
    response = client.get("/me/votes/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_admin_session_is_separate(client, voter):
    staff = UserFactory(username="ops-web", role="staff")
    client.force_login(staff)
    send(client)
    verify(client, last_code())
    assert client.get("/admin/").status_code == 200  # still the admin
    client.post("/logout/")
    assert client.get("/admin/").status_code == 200  # signing the voter out keeps it


def test_csrf_is_enforced_on_every_post(entry):
    strict = Client(enforce_csrf_checks=True)
    for url in (
        "/login/",
        "/logout/",
        f"{entry_url(entry)}vote/",
        f"/c/{entry.campaign.slug}/submit/",
    ):
        response = strict.post(url, {"phone": PHONE, "action": "send"})
        assert response.status_code == 403, url
        assert "请重试" in response.content.decode()
    assert sms.outbox == []
    # With the token of the form, the same post goes through.
    strict.get("/login/")
    token = strict.cookies["csrftoken"].value
    response = strict.post(
        "/login/", {"phone": PHONE, "action": "send", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 200 and len(sms.outbox) == 1


def test_session_cookie_is_httponly(client):
    send(client)
    response = verify(client, last_code())
    assert response.cookies["sessionid"]["httponly"] is True


# A campaign for one school's students: the site asks a new voter whether they study there.


@pytest.fixture
def school_only(entry):
    campaign = entry.campaign
    campaign.school_voters_only = True
    campaign.save(update_fields=["school_voters_only"])
    return campaign


def test_the_school_is_asked_only_for_a_school_only_campaign(client, entry, school_only):
    school = school_only.pilot.school
    body = client.get(f"/login/?next={entry_url(entry)}").content.decode()
    assert 'data-testid="at-school"' in body and f"我在{school.name}就读" in body
    school_only.school_voters_only = False
    school_only.save(update_fields=["school_voters_only"])
    body = client.get(f"/login/?next={entry_url(entry)}").content.decode()
    assert 'data-testid="at-school"' not in body
    assert 'data-testid="at-school"' not in client.get("/login/").content.decode()


def test_a_new_voter_who_studies_there_gets_the_school_and_can_vote(client, entry, school_only):
    next_url = entry_url(entry)
    send(client, next=next_url)
    verify(client, last_code(), next=next_url, at_school="on")
    voter = Voter.objects.get(phone=PHONE)
    assert voter.school == school_only.pilot.school
    response = client.post(f"{entry_url(entry)}vote/")
    assert response.status_code in (201, 302)
    assert entry.votes.filter(voter=voter).count() == 1


def test_without_the_tick_the_voter_has_no_school_and_is_refused(client, entry, school_only):
    send(client, next=entry_url(entry))
    verify(client, last_code(), next=entry_url(entry))
    voter = Voter.objects.get(phone=PHONE)
    assert voter.school is None
    client.post(f"{entry_url(entry)}vote/")
    assert not entry.votes.filter(voter=voter).exists()


def test_the_tick_never_gives_a_school_the_page_did_not_ask_about(client, entry):
    # Not a school-only campaign (and no campaign at all): a forged tick sets nothing.
    send(client, next=entry_url(entry))
    verify(client, last_code(), next=entry_url(entry), at_school="on")
    assert Voter.objects.get(phone=PHONE).school is None


def test_the_tick_never_changes_a_school_on_record(client, entry, school_only):
    other = SchoolFactory()
    VoterFactory(phone=PHONE, school=other)
    send(client, next=entry_url(entry))
    verify(client, last_code(), next=entry_url(entry), at_school="on")
    assert Voter.objects.get(phone=PHONE).school == other


@pytest.mark.parametrize(
    "next_url", ["/c/no-such-campaign/", "/c/%00/", "/admin/", "https://evil.example/c/x/"]
)
def test_an_odd_next_asks_nothing_and_signs_in(client, next_url):
    send(client, next=next_url)
    response = verify(client, last_code(), next=next_url, at_school="on")
    assert response.status_code == 302
    assert Voter.objects.get(phone=PHONE).school is None
