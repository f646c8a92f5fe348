"""The API's burst throttles, applied to the site's forms.

The same classes, rates and cache buckets as ``voting/api/throttles.py``: a phone asking
for codes on the site and through the API spends one allowance. They only slow bursts
(PITFALLS "DRF"); the limits that matter are in the database and the services.
"""

from dataclasses import dataclass, field

from voting.api.authentication import VoterPrincipal
from voting.api.throttles import (
    OtpIpThrottle,
    OtpPhoneThrottle,
    SubmitVoterThrottle,
    VerifyIpThrottle,
    VerifyPhoneThrottle,
    VoteIpThrottle,
    VoteVoterThrottle,
)
from voting.services.sign_in import TokenIdentity


@dataclass
class _ThrottledRequest:
    """What the throttles read of a DRF request: META (client IP), data (the phone) and
    user (the voter)."""

    META: dict
    data: dict = field(default_factory=dict)
    user: object = None


def _allowed(request, classes, *, phone: str = "", voter_id: int | None = None) -> bool:
    user = VoterPrincipal(TokenIdentity(token_id=0, voter_id=voter_id)) if voter_id else None
    shim = _ThrottledRequest(META=request.META, data={"phone": phone} if phone else {}, user=user)
    # Every throttle counts the request, as DRF's check_throttles does.
    results = [cls().allow_request(shim, None) for cls in classes]
    return all(results)


def otp_request_allowed(request, *, phone: str) -> bool:
    return _allowed(request, (OtpIpThrottle, OtpPhoneThrottle), phone=phone)


def verify_allowed(request, *, phone: str) -> bool:
    return _allowed(request, (VerifyIpThrottle, VerifyPhoneThrottle), phone=phone)


def vote_allowed(request, *, voter_id: int) -> bool:
    return _allowed(request, (VoteVoterThrottle, VoteIpThrottle), voter_id=voter_id)


def submit_allowed(request, *, voter_id: int) -> bool:
    return _allowed(request, (SubmitVoterThrottle,), voter_id=voter_id)
