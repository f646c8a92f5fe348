"""Voters and how they sign in: one-time codes, voter tokens, the app backend's tokens."""

from django.db import models
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.privacy import mask_phone


class Voter(models.Model):
    class Channel(models.TextChoices):
        SHARE = "share", _("share")
        AMBASSADOR = "ambassador", _("ambassador")
        DIRECT = "direct", _("direct")

    phone = models.CharField(_("phone (E.164)"), max_length=20, unique=True)
    school = models.ForeignKey(
        "campaigns.School",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="voters",
        verbose_name=_("school"),
    )
    first_seen_at = models.DateTimeField(_("first seen at"), auto_now_add=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    app_user_id = models.CharField(_("app user id"), max_length=64, blank=True)
    # Acquisition attribution: set once, for new voters only (docs/contract.md "Privacy").
    attributed_campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attributed_voters",
        verbose_name=_("acquired by campaign"),
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.DIRECT
    )
    attributed_entry = models.ForeignKey(
        "voting.Entry",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recruited_voters",
        verbose_name=_("referred by entry"),
    )
    attributed_ambassador = models.ForeignKey(
        "ambassadors.Ambassador",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recruited_voters",
        verbose_name=_("referred by ambassador"),
    )

    class Meta:
        verbose_name = _("voter")
        verbose_name_plural = _("voters")
        ordering = ["-first_seen_at"]
        indexes = [
            models.Index(fields=["attributed_campaign", "channel"], name="voter_attribution_idx")
        ]

    def __str__(self) -> str:
        return self.masked_phone

    @property
    def masked_phone(self) -> str:
        """The phone as anyone but staff may see it: +86138****8000."""
        return mask_phone(self.phone)


class OneTimeCode(models.Model):
    """A sign-in code sent by SMS: 6 digits, valid for minutes, single use, void after
    too many wrong tries. Only a keyed hash of the code is stored, so a database dump
    cannot be used to sign in (and 10^6 codes cannot be brute-forced offline without the
    secret key)."""

    phone = models.CharField(_("phone (E.164)"), max_length=20)
    code_hash = models.CharField(_("code hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    # Who asked, for the SMS-pumping signals (voting/services/sign_in_risk.py): the
    # client IP, and the number's range (its first OTP_RISK_PREFIX_LENGTH characters).
    ip = models.GenericIPAddressField(_("requested from"), null=True, blank=True)
    phone_prefix = models.CharField(_("number range"), max_length=20, blank=True, default="")

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        ordering = ["-created_at"]
        # Verification reads a phone's latest code; the per-phone hourly cap counts them;
        # the risk signals count them per IP and per number range.
        indexes = [
            models.Index(fields=["phone", "-created_at"], name="otp_phone_latest_idx"),
            models.Index(fields=["ip", "created_at"], name="otp_ip_recent_idx"),
            models.Index(fields=["phone_prefix", "created_at"], name="otp_prefix_recent_idx"),
        ]

    def __str__(self) -> str:
        when = localtime(self.created_at)
        return f"{Voter(phone=self.phone).masked_phone} @ {when:%Y-%m-%d %H:%M}"


class SignInPhone(models.Model):
    """A phone that asked for a sign-in code: the row each code request locks, so that
    concurrent requests for one phone count its recent codes one at a time and the
    hourly cap holds (voting/services/sign_in.py: otp_request)."""

    phone = models.CharField(_("phone (E.164)"), max_length=20, unique=True)
    last_code_at = models.DateTimeField(_("last code at"))

    class Meta:
        verbose_name = _("sign-in phone")
        verbose_name_plural = _("sign-in phones")

    def __str__(self) -> str:
        return Voter(phone=self.phone).masked_phone


class VoterToken(models.Model):
    """A voter's bearer token. Only its SHA-256 is stored: the token is a random 256-bit
    secret, so a plain hash suffices (nothing to brute-force) and a leaked table signs
    nobody in. Revoked tokens stay for the record."""

    voter = models.ForeignKey(
        Voter, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("voter")
    )
    key_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("voter token")
        verbose_name_plural = _("voter tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.voter} ({localtime(self.created_at):%Y-%m-%d})"


class ServiceToken(models.Model):
    """A bearer token of a trusted backend (the app's), e.g. for activity ingest.
    Stored as SHA-256 like voter tokens; deactivate rather than delete."""

    name = models.CharField(pgettext_lazy("thing", "name"), max_length=60, unique=True)
    key_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service token")
        verbose_name_plural = _("service tokens")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
