"""The student flow through the generated Python client, as an app developer writes it.

``.ci/api-clients`` generates ``campus_api`` from the live ``/api/schema/`` with
openapi-python-client (clients/python/config.yaml), puts it on ``PYTHONPATH`` as
generated, and runs this against the same server. Environment:

- ``API_URL``: the server, e.g. ``http://127.0.0.1:8000``;
- ``SMS_DIR``: the folder of ``SMS_BACKEND=file``, where the one-time codes land;
- ``SERVICE_TOKEN``: from ``manage.py create_service_token``;
- ``PHOTO``: a JPEG to submit as an entry.

Every answer is checked as the client parses it (typed models, typed error codes); any
mismatch with the schema fails here. Exits non-zero on the first surprise.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from campus_api import AuthenticatedClient, Client
from campus_api.api.auth import auth_otp_request, auth_verify
from campus_api.api.campaigns import campaign_leaderboard, campaign_list, campaign_retrieve
from campus_api.api.entries import entry_list, entry_poster, entry_submit, vote_cast
from campus_api.api.ingest import ingest_activity
from campus_api.api.me import me_retrieve, me_votes_list
from campus_api.models import (
    ActivityBatchRequest,
    ActivityEventRequest,
    AuthOtpRequestErrorCodeEnum,
    AuthOtpRequestErrorResponse,
    AuthVerifyErrorCodeEnum,
    AuthVerifyErrorResponse,
    CampaignDetail,
    ChannelEnum,
    EntryListPageType1,
    EntryStatusEnum,
    EntrySubmitErrorCodeEnum,
    EntrySubmitErrorResponse,
    EntrySubmitRequest,
    EntrySubmitted,
    IngestActivityErrorCodeEnum,
    IngestActivityErrorResponse,
    IngestResult,
    KindEnum,
    Leaderboard,
    Me,
    OtpRequestRequest,
    OtpSent,
    PaginatedCampaignListList,
    PaginatedEntryList,
    PaginatedMyVoteList,
    Verified,
    VerifyRequest,
    VoteCast,
    VoteCastErrorCodeEnum,
    VoteCastErrorResponse,
)
from campus_api.types import File

API_URL = os.environ["API_URL"]
SMS_DIR = Path(os.environ["SMS_DIR"])
SERVICE_TOKEN = os.environ["SERVICE_TOKEN"]
PHOTO = Path(os.environ["PHOTO"])
SHANGHAI = ZoneInfo("Asia/Shanghai")


def check(condition: bool, what: str) -> None:
    if not condition:
        sys.exit(f"python flow: {what}")
    print(f"  ok  {what}")


def sms_code(phone_e164: str, timeout: float = 30) -> str:
    """The newest code sent to the phone, as SMS_BACKEND=file wrote it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = []
        for path in SMS_DIR.glob("*.json"):
            message = json.loads(path.read_text())
            if message["to"] == phone_e164:
                found.append((path.stat().st_mtime_ns, message["code"]))
        if found:
            return max(found)[1]
        time.sleep(0.2)
    sys.exit(f"python flow: no code for {phone_e164} in {SMS_DIR}")


def main() -> None:
    anonymous = Client(base_url=API_URL, raise_on_unexpected_status=True)
    english = anonymous.with_headers({"Accept-Language": "en"})
    now = datetime.now(SHANGHAI)

    # --- Browse
    campaigns = campaign_list.sync(client=anonymous)
    check(isinstance(campaigns, PaginatedCampaignListList), "campaign list")
    contest = next(
        c
        for c in campaigns.results
        if c.kind == KindEnum.CONTEST
        and c.voting_starts_at <= now < c.voting_ends_at
        and c.submission_starts_at <= now < c.submission_ends_at
    )
    detail = campaign_retrieve.sync(contest.slug, client=anonymous)
    check(isinstance(detail, CampaignDetail), f"campaign {contest.slug}")
    votes_per_day = detail.policy.votes_per_day
    entries = entry_list.sync(contest.slug, client=anonymous, page_size=100)
    check(
        isinstance(entries, PaginatedEntryList) and len(entries.results) > votes_per_day,
        f"{len(entries.results)} entries, {votes_per_day} votes a day",
    )
    last = entry_list.sync(
        contest.slug, client=anonymous, page=EntryListPageType1.LAST, page_size=3
    )
    check(isinstance(last, PaginatedEntryList) and last.next_ is None, "page=last")

    # --- Sign in with a share code as ref
    phone = "139" + "".join(secrets.choice("0123456789") for _ in range(8))
    bad = auth_otp_request.sync(client=english, body=OtpRequestRequest(phone="+1 202 555 0123"))
    check(
        isinstance(bad, AuthOtpRequestErrorResponse)
        and bad.error.code == AuthOtpRequestErrorCodeEnum.INVALID
        and "phone" in bad.error.fields,
        "a foreign phone is invalid, naming the field",
    )
    sent = auth_otp_request.sync(client=anonymous, body=OtpRequestRequest(phone=phone))
    check(isinstance(sent, OtpSent) and sent.sent, "one-time code requested")
    code = sms_code("+86" + phone)
    wrong = auth_verify.sync(
        client=anonymous,
        body=VerifyRequest(phone=phone, code="000000" if code != "000000" else "111111"),
    )
    check(
        isinstance(wrong, AuthVerifyErrorResponse)
        and wrong.error.code == AuthVerifyErrorCodeEnum.INVALID_CODE,
        "a wrong code is invalid_code",
    )
    ref = entries.results[0].share_code
    verified = auth_verify.sync(
        client=anonymous,
        body=VerifyRequest(phone=phone, code=code, ref=ref, school=contest.school.slug),
    )
    check(isinstance(verified, Verified) and verified.created, "signed in, a new voter")
    voter = AuthenticatedClient(
        base_url=API_URL, token=verified.token, raise_on_unexpected_status=True
    )

    # --- Vote to the limit
    first = entries.results[0]
    cast = vote_cast.sync(contest.slug, first.id, client=voter, x_device_id="python-flow")
    check(isinstance(cast, VoteCast), f"voted for {first.id}")
    again = vote_cast.sync_detailed(contest.slug, first.id, client=voter)
    check(
        again.status_code == 409
        and isinstance(again.parsed, VoteCastErrorResponse)
        and again.parsed.error.code == VoteCastErrorCodeEnum.ENTRY_LIMIT_REACHED,
        "a second vote for it is entry_limit_reached",
    )
    votes = 1
    for entry in entries.results[1:]:
        result = vote_cast.sync(contest.slug, entry.id, client=voter)
        if isinstance(result, VoteCastErrorResponse):
            check(
                result.error.code == VoteCastErrorCodeEnum.DAILY_LIMIT_REACHED
                and votes == votes_per_day,
                f"vote {votes + 1} is daily_limit_reached: {result.error.message}",
            )
            break
        check(
            isinstance(result, VoteCast) and result.remaining_today == votes_per_day - votes - 1,
            f"voted, {result.remaining_today} left today",
        )
        votes += 1
    else:
        sys.exit("python flow: never reached the daily limit")

    # --- Leaderboard, me
    board = campaign_leaderboard.sync(contest.slug, client=anonymous)
    check(isinstance(board, Leaderboard) and board.campaign == contest.slug, "leaderboard")
    me = me_retrieve.sync(client=voter)
    check(
        isinstance(me, Me) and me.channel == ChannelEnum.SHARE and me.voter_id == verified.voter_id,
        "me: attributed to the share",
    )
    mine = me_votes_list.sync(client=voter)
    check(isinstance(mine, PaginatedMyVoteList) and mine.count == votes, f"my {votes} votes")

    # --- Submit an entry (multipart)
    submitted = entry_submit.sync(
        contest.slug,
        client=voter,
        body=EntrySubmitRequest(
            name="Python 客户端",
            caption="openapi-python-client",
            photo=File(payload=PHOTO.open("rb"), file_name="photo.jpg", mime_type="image/jpeg"),
        ),
    )
    check(
        isinstance(submitted, EntrySubmitted) and submitted.status == EntryStatusEnum.PENDING,
        f"entry {getattr(submitted, 'id', '?')} submitted, pending",
    )
    not_a_photo = entry_submit.sync(
        contest.slug,
        client=voter,
        body=EntrySubmitRequest(
            name="x", photo=File(payload=io.BytesIO(b"not an image"), file_name="x.jpg")
        ),
    )
    check(
        isinstance(not_a_photo, EntrySubmitErrorResponse)
        and not_a_photo.error.code == EntrySubmitErrorCodeEnum.INVALID_IMAGE,
        "a file that is not a photo is invalid_image",
    )

    poster = entry_poster.sync_detailed(contest.slug, first.id, client=anonymous)
    check(poster.status_code == 200 and poster.content[:2] == b"\xff\xd8", "share poster")

    # --- Ingest activity with the service token
    service = AuthenticatedClient(base_url=API_URL, token=SERVICE_TOKEN)
    batch = ActivityBatchRequest(
        events=[ActivityEventRequest(phone=phone, day=now.date(), kind="workout")]
    )
    ingested = ingest_activity.sync(client=service, body=batch)
    check(
        isinstance(ingested, IngestResult) and ingested.accepted == 1 and not ingested.rejected,
        "activity ingested",
    )
    repeated = ingest_activity.sync(client=service, body=batch)
    check(isinstance(repeated, IngestResult) and repeated.duplicate == 1, "again: a duplicate")
    refused = ingest_activity.sync(client=voter, body=batch)
    check(
        isinstance(refused, IngestActivityErrorResponse)
        and refused.error.code == IngestActivityErrorCodeEnum.NOT_AUTHENTICATED,
        "a voter token cannot ingest",
    )
    print("python flow: passed")


if __name__ == "__main__":
    main()
