"""SMS pumping: when a code request looks like it, the client must solve a CAPTCHA.

SMS pumping (toll fraud, "SMS bombing") makes us pay for codes nobody enters, sent in
bulk to ranges of numbers or from one client. Tencent Cloud's SMS FAQ recommends a
picture challenge before sending in exactly these cases
(https://cloud.tencent.com/document/product/382/40636). The signals, each counted in
the database (so every web process sees the same counts, whatever the cache):

- ``ip``: many codes requested from one client IP in the last hour;
- ``range``: many codes for one number range (the first ``OTP_RISK_PREFIX_LENGTH``
  characters of the E.164 number) in the last hour;
- ``unentered``: codes of this IP or this phone that expired in the last day without a
  single try.

None of them refuses anyone: a campus NAT is one IP (docs/library-traps.md), so a signal
only asks for a CAPTCHA (django-simple-captcha: its challenges in the database, its
image served by the app at ``/captcha/image/<id>/``). An answer is good once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from captcha.models import CaptchaStore
from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from voting import errors
from voting.models import OneTimeCode


def phone_range(phone: str) -> str:
    """The number range a normalised phone belongs to."""
    return phone[: settings.OTP_RISK_PREFIX_LENGTH]


def otp_risk_signals(*, phone: str, ip: str | None, at: datetime) -> list[str]:
    """The pumping signals a code request for ``phone`` from ``ip`` raises now."""
    hour, day = at - timedelta(hours=1), at - timedelta(days=1)
    recent = OneTimeCode.objects.filter(created_at__gt=hour, created_at__lte=at)
    signals = []
    if ip and recent.filter(ip=ip).count() >= settings.OTP_RISK_PER_IP_PER_HOUR:
        signals.append("ip")
    per_range = recent.filter(phone_prefix=phone_range(phone)).count()
    if per_range >= settings.OTP_RISK_PER_PREFIX_PER_HOUR:
        signals.append("range")
    unentered = OneTimeCode.objects.filter(
        Q(phone=phone) | Q(ip=ip) if ip else Q(phone=phone),
        created_at__gt=day,
        expires_at__lte=at,
        attempts=0,
        used_at__isnull=True,
    ).count()
    if unentered >= settings.OTP_RISK_UNENTERED_PER_DAY:
        signals.append("unentered")
    return signals


def captcha_challenge_new() -> dict[str, str]:
    """A new picture challenge: ``{id, image_url}`` (the contract's shape)."""
    CaptchaStore.remove_expired()
    key = CaptchaStore.generate_key()
    return {"id": key, "image_url": reverse("captcha-image", kwargs={"key": key})}


def captcha_solve(*, challenge_id: str, answer: str) -> bool:
    """Whether ``answer`` solves the challenge; a challenge is spent by its first good
    answer (one conditional DELETE, so two requests cannot both use it)."""
    deleted, _ = CaptchaStore.objects.filter(
        hashkey=challenge_id,
        response=(answer or "").strip().lower(),
        expiration__gt=timezone.now(),
    ).delete()
    return deleted > 0


def otp_risk_check(*, phone: str, ip: str | None, captcha: dict | None, at: datetime) -> list[str]:
    """Raise ``CaptchaRequired`` (with a new challenge) when the request raises a
    pumping signal and carries no solved CAPTCHA; returns the signals it raised."""
    signals = otp_risk_signals(phone=phone, ip=ip, at=at)
    if not signals:
        return []
    if captcha and captcha_solve(challenge_id=captcha["id"], answer=captcha["answer"]):
        return signals
    message = None
    if captcha:
        message = errors.CaptchaRequired.wrong_answer_message
    raise errors.CaptchaRequired(challenge=captcha_challenge_new(), message=message)
