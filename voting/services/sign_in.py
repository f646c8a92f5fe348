"""Writes of phone sign-in: one-time codes, voters on first sign-in, bearer tokens.

A voter is a verified phone number, never a Django user. Codes and tokens are stored
hashed; every "use once" and "at most N tries" rule is a conditional ``UPDATE ... WHERE``
so that concurrent requests cannot both pass it.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.models import Ambassador
from campaigns.audit import audit_record
from campaigns.models import School
from core.phones import phone_normalize
from core.sms import sms_send
from voting import errors
from voting.models import Entry, OneTimeCode, ServiceToken, SignInPhone, Voter, VoterToken
from voting.services.sign_in_risk import otp_risk_check, phone_range

# ---------------------------------------------------------------------------------------
# One-time codes


def _code_hash(*, phone: str, code: str) -> str:
    # Keyed with SECRET_KEY: there are only 10^6 codes, so a plain hash of a leaked row
    # would give the code away at once.
    message = f"{phone}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def otp_request(
    *,
    phone: str,
    ip: str | None = None,
    captcha: dict | None = None,
    at: datetime | None = None,
) -> None:
    """Send a new 6-digit code to ``phone`` (any accepted spelling; normalised here).

    The newest code of a phone is the only one that verifies, so asking again voids the
    previous code. Raises ``CaptchaRequired`` when the request looks like SMS pumping
    and ``captcha`` does not solve a challenge (voting/services/sign_in_risk.py), and
    ``TooManyCodes`` past the hourly cap per phone. The SMS goes out from a worker
    after commit: the request does not wait for the gateway.
    """
    phone = phone_normalize(phone)
    at = at or timezone.now()
    otp_risk_check(phone=phone, ip=ip, captcha=captcha, at=at)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        # The cap is counted under a lock on the phone's own row: the UPDATE holds it
        # until commit, so concurrent requests for one phone count and insert one at a
        # time and cannot all see "under the cap" and all insert (count-then-insert
        # alone let 5 of 24 concurrent requests past a cap of 3 on PostgreSQL). SQLite's
        # IMMEDIATE transactions serialise writers anyway.
        SignInPhone.objects.get_or_create(phone=phone, defaults={"last_code_at": at})
        SignInPhone.objects.filter(phone=phone).update(last_code_at=at)
        recent = OneTimeCode.objects.filter(phone=phone, created_at__gt=at - timedelta(hours=1))
        if recent.count() >= settings.OTP_MAX_PER_PHONE_PER_HOUR:
            raise errors.TooManyCodes()
        OneTimeCode.objects.create(
            phone=phone,
            code_hash=_code_hash(phone=phone, code=code),
            created_at=at,
            expires_at=at + timedelta(seconds=settings.OTP_TTL_SECONDS),
            ip=ip,
            phone_prefix=phone_range(phone),
        )
    minutes = settings.OTP_TTL_SECONDS // 60
    text = _("Your campus vote sign-in code is %(code)s, valid for %(minutes)d minutes.") % {
        "code": code,
        "minutes": minutes,
    }
    otp_sms_send_later(to=phone, code=code, text=text)


def otp_sms_deliver(*, to: str, code: str, text: str) -> None:
    """Send the SMS now, through the configured gateway (the worker's side)."""
    sms_send(to=to, code=code, text=text)


def otp_sms_send_later(*, to: str, code: str, text: str) -> None:
    """Hand the SMS to a worker once the code is committed. The message expires with the
    code: a worker that picks it up later sends nothing."""
    from voting.tasks.sign_in import otp_sms_send  # tasks import this module at top level

    transaction.on_commit(
        lambda: otp_sms_send.apply_async(
            kwargs={"to": to, "code": code, "text": text}, expires=settings.OTP_TTL_SECONDS
        )
    )


def _otp_consume(*, phone: str, code: str, at: datetime) -> None:
    """Spend one try of the phone's newest code and mark it used if ``code`` matches.

    Raises ``InvalidCode`` for a wrong, expired, used or exhausted code.
    """
    otp = OneTimeCode.objects.filter(phone=phone).order_by("-created_at", "-id").first()
    if otp is None or otp.used_at is not None or otp.expires_at <= at:
        raise errors.InvalidCode()
    # Count the try first, conditionally: concurrent guesses cannot exceed the limit
    # because each must win this UPDATE, and the 6th try fails even with the right code.
    tried = OneTimeCode.objects.filter(
        pk=otp.pk, used_at__isnull=True, attempts__lt=settings.OTP_MAX_ATTEMPTS
    ).update(attempts=F("attempts") + 1)
    if not tried:
        raise errors.InvalidCode()
    if not hmac.compare_digest(otp.code_hash, _code_hash(phone=phone, code=code)):
        raise errors.InvalidCode()
    # Single use: of two concurrent requests with the right code only one marks it used.
    if not OneTimeCode.objects.filter(pk=otp.pk, used_at__isnull=True).update(used_at=at):
        raise errors.InvalidCode()


# ---------------------------------------------------------------------------------------
# Voters


@dataclass(frozen=True)
class Attribution:
    channel: str = Voter.Channel.DIRECT
    entry: Entry | None = None
    ambassador: Ambassador | None = None
    campaign_id: int | None = None


def _is_ambassador_phone(phone: str) -> bool:
    # Every ambassador phone is stored as E.164 (core/phones.py PhoneField), like ``phone``.
    return Ambassador.objects.filter(phone=phone).exists()


def attribution_for_ref(*, phone: str, ref: str) -> Attribution:
    """Who brought a new voter: an entry's share code or an ambassador's referral code.

    An unknown code, or an ambassador signing up themselves, is a direct sign-up: an
    ambassador earns no credit for their own phone.
    """
    ref = (ref or "").strip().upper()
    if not ref or _is_ambassador_phone(phone):
        return Attribution()
    entry = Entry.objects.filter(share_code=ref).only("id", "campaign_id").first()
    if entry is not None:
        return Attribution(channel=Voter.Channel.SHARE, entry=entry, campaign_id=entry.campaign_id)
    ambassador = Ambassador.objects.filter(referral_code=ref).only("id").first()
    if ambassador is not None:
        return Attribution(channel=Voter.Channel.AMBASSADOR, ambassador=ambassador)
    return Attribution()


def _voter_get_or_create(
    *, phone: str, school: School | None, ref: str, at: datetime
) -> tuple[Voter, bool]:
    voter = Voter.objects.filter(phone=phone).first()
    created = False
    if voter is None:
        attribution = attribution_for_ref(phone=phone, ref=ref)
        # get_or_create: two first sign-ins of one phone at once make one voter (the
        # phone is unique); the loser reads the winner's row and its attribution.
        voter, created = Voter.objects.get_or_create(
            phone=phone,
            defaults={
                "school": school,
                "verified_at": at,
                "channel": attribution.channel,
                "attributed_entry": attribution.entry,
                "attributed_ambassador": attribution.ambassador,
                "attributed_campaign_id": attribution.campaign_id,
            },
        )
    if not created:
        # An existing voter's attribution never changes. A school is only filled in when
        # missing: changing it later would let a voter hop into school-only campaigns.
        updates = {}
        if voter.verified_at is None:
            updates["verified_at"] = at
        if school is not None and voter.school_id is None:
            updates["school"] = school
        if updates:
            Voter.objects.filter(pk=voter.pk).update(**updates)
            for name, value in updates.items():
                setattr(voter, name, value)
    return voter, created


@dataclass(frozen=True)
class VerifyResult:
    voter: Voter
    token: str
    created: bool


def otp_verify(
    *,
    phone: str,
    code: str,
    school: School | None = None,
    ref: str = "",
    at: datetime | None = None,
) -> VerifyResult:
    """Check the code, create the voter on first sign-in (with attribution from ``ref``)
    and issue a bearer token. Raises ``InvalidCode``."""
    phone = phone_normalize(phone)
    at = at or timezone.now()
    _otp_consume(phone=phone, code=str(code), at=at)
    with transaction.atomic():
        voter, created = _voter_get_or_create(phone=phone, school=school, ref=ref, at=at)
        token = voter_token_issue(voter=voter)
    return VerifyResult(voter=voter, token=token, created=created)


# ---------------------------------------------------------------------------------------
# Bearer tokens


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenIdentity:
    """Whom an active bearer token speaks for: all that authenticating a request needs."""

    token_id: int
    voter_id: int


# last_used_at is informative; writing it on every request would turn each read into a
# write, so it is refreshed at most this often.
_TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)

# Every authenticated request runs this lookup, so it is written out: compiling the same
# query through the ORM costs three times as much CPU as running it (bench/bench_votes.py).
# An index scan on the unique hash; revocation is the revoked_at test, so it takes effect
# on the next request.
_TOKEN_LOOKUP_SQL = """
SELECT id, voter_id, (last_used_at IS NULL OR last_used_at < %s) AS stale
FROM voting_votertoken
WHERE key_hash = %s AND revoked_at IS NULL
"""


def voter_token_issue(*, voter: Voter) -> str:
    """A new bearer token for ``voter``; only its hash is stored, so this is the only
    time the token exists in clear."""
    token = secrets.token_urlsafe(32)
    # Issued is used: the first request with it has nothing to write.
    VoterToken.objects.create(voter=voter, key_hash=token_hash(token), last_used_at=timezone.now())
    return token


def voter_token_revoke(*, token_id: int, at: datetime | None = None) -> bool:
    """Revoke one token (sign-out); True if it was active."""
    at = at or timezone.now()
    return bool(
        VoterToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=at)
    )


def voter_tokens_revoke_all(
    *, voter_ids: Iterable[int], actor: Any = None, at: datetime | None = None
) -> int:
    """Sign voters out everywhere (staff action on a compromised or fake account);
    returns how many tokens were revoked. Takes effect on their next request."""
    at = at or timezone.now()
    ids = list(voter_ids)
    revoked = VoterToken.objects.filter(voter_id__in=ids, revoked_at__isnull=True).update(
        revoked_at=at
    )
    if actor is not None and ids:
        audit_record(actor=actor, action="voters.sign_out", data={"voters": ids, "tokens": revoked})
    return revoked


def voter_token_authenticate(*, token: str) -> TokenIdentity | None:
    """Whom an active bearer token speaks for, or None (unknown or revoked)."""
    now = timezone.now()
    touched_before = connection.ops.adapt_datetimefield_value(now - _TOKEN_TOUCH_INTERVAL)
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_LOOKUP_SQL, [touched_before, token_hash(token)])
        row = cursor.fetchone()
    if row is None:
        return None
    token_id, voter_id, stale = row
    if stale:
        VoterToken.objects.filter(pk=token_id).update(last_used_at=now)
    return TokenIdentity(token_id=token_id, voter_id=voter_id)


def service_token_create(*, name: str) -> str:
    """A new service token for a trusted backend; printed once, stored hashed."""
    token = secrets.token_urlsafe(32)
    ServiceToken.objects.create(name=name, key_hash=token_hash(token))
    return token


def service_token_authenticate(*, token: str) -> ServiceToken | None:
    found = ServiceToken.objects.filter(key_hash=token_hash(token), active=True).first()
    if found is not None:
        now = timezone.now()
        if found.last_used_at is None or found.last_used_at < now - _TOKEN_TOUCH_INTERVAL:
            ServiceToken.objects.filter(pk=found.pk).update(last_used_at=now)
            found.last_used_at = now
    return found
