"""Burst throttles of the API, in the default cache (shared Redis when CACHE_URL is set).

They only slow down bursts and SMS spend: DRF throttles race under concurrency and a
local-memory cache is per process, so no limit that matters relies on them — the vote
limits are database constraints and the per-phone code cap is counted in the database.

Rates (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``) are read at request time, so tests
and settings overrides take effect without re-importing this module.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from core.phones import InvalidPhone, phone_normalize
from voting.api.authentication import VoterPrincipal
from voting.api.support import client_ip


class _Throttle(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"

    def _key(self, ident: str) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


class _IpThrottle(_Throttle):
    def get_cache_key(self, request, view):
        return self._key(self.get_ident(request))


class _PhoneThrottle(_Throttle):
    """Keyed by the normalised phone of the body, so spellings of one number share a
    bucket. An invalid phone is not throttled here: validation rejects it anyway."""

    def get_cache_key(self, request, view):
        # A body that does not parse raises here, before the view: DRF keeps an empty
        # body after a failed parse, so swallowing the error would answer "phone is
        # required" to malformed JSON.
        data = request.data
        try:
            phone = phone_normalize(data.get("phone") if hasattr(data, "get") else None)
        except InvalidPhone:
            return None
        return self._key(phone)


class _VoterThrottle(_Throttle):
    def get_cache_key(self, request, view):
        if not isinstance(request.user, VoterPrincipal):
            return None
        return self._key(str(request.user.pk))


class OtpPhoneThrottle(_PhoneThrottle):
    scope = "otp_phone"


class OtpIpThrottle(_IpThrottle):
    scope = "otp_ip"


class VerifyPhoneThrottle(_PhoneThrottle):
    scope = "verify_phone"


class VerifyIpThrottle(_IpThrottle):
    scope = "verify_ip"


class VoteVoterThrottle(_VoterThrottle):
    scope = "vote_voter"


class VoteIpThrottle(_IpThrottle):
    scope = "vote_ip"


class SubmitVoterThrottle(_VoterThrottle):
    scope = "submit_voter"
