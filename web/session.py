"""Who a request of the student site speaks for, and the referral it carries.

A student signs in with ``otp_verify`` like the API, which issues a voter bearer token.
The site keeps that token's *id* in Django's session (a server-side row behind the
HttpOnly ``sessionid`` cookie), never the token itself: the API stores tokens only
hashed, and the session table must not undo that. Each request checks the token is
still active, so revoking a voter's tokens (sign-out, or staff closing a fake account
with ``voter_tokens_revoke_all``) signs the site out too.

The keys are the site's own: an admin login in the same browser (Django's auth keys)
is neither read nor cleared here.
"""

import re

from django.http import HttpRequest, HttpResponse

from voting.models import VoterToken
from voting.services.sign_in import VerifyResult, voter_token_authenticate, voter_token_revoke

SESSION_TOKEN_ID = "web_voter_token_id"
SESSION_VOTER_ID = "web_voter_id"
# A vote tapped before signing in, cast once sign-in succeeds.
SESSION_PENDING_VOTE = "web_pending_vote"
# The outcome of a vote cast by a plain form POST, shown once by the page it redirects to.
SESSION_VOTE_RESULT = "web_vote_result"

REF_COOKIE = "ref"
REF_COOKIE_AGE = 7 * 24 * 3600
# An entry's share code or an ambassador's referral code (core/codes.py: 8 characters;
# the API accepts up to 32).
_REF = re.compile(r"[A-Za-z0-9]{4,32}")


def session_sign_in(request: HttpRequest, result: VerifyResult) -> None:
    """Bind the session to the voter ``otp_verify`` just signed in."""
    identity = voter_token_authenticate(token=result.token)
    # A new session key on every sign-in: a key planted before it (session fixation)
    # never becomes a signed-in one. cycle_key keeps the session's other data.
    request.session.cycle_key()
    request.session[SESSION_TOKEN_ID] = identity.token_id
    request.session[SESSION_VOTER_ID] = identity.voter_id
    request._web_voter_id = identity.voter_id


def session_sign_out(request: HttpRequest) -> None:
    token_id = request.session.get(SESSION_TOKEN_ID)
    if token_id is not None:
        voter_token_revoke(token_id=token_id)
    for key in (SESSION_TOKEN_ID, SESSION_VOTER_ID, SESSION_PENDING_VOTE, SESSION_VOTE_RESULT):
        request.session.pop(key, None)
    request._web_voter_id = None


def session_voter_id(request: HttpRequest) -> int | None:
    """The signed-in voter's id, or None. One query per request, remembered on it."""
    if hasattr(request, "_web_voter_id"):
        return request._web_voter_id
    voter_id = None
    token_id = request.session.get(SESSION_TOKEN_ID)
    if token_id is not None:
        active = (
            VoterToken.objects.filter(pk=token_id, revoked_at__isnull=True)
            .values_list("voter_id", flat=True)
            .first()
        )
        if active is not None and active == request.session.get(SESSION_VOTER_ID):
            voter_id = active
        else:
            request.session.pop(SESSION_TOKEN_ID, None)
            request.session.pop(SESSION_VOTER_ID, None)
    request._web_voter_id = voter_id
    return voter_id


def clean_ref(value: str | None) -> str:
    value = (value or "").strip()
    return value.upper() if _REF.fullmatch(value) else ""


def request_ref(request: HttpRequest) -> str:
    """The referral of this visit: ``?ref=`` of the link, else the one remembered."""
    return clean_ref(request.GET.get("ref")) or clean_ref(request.COOKIES.get(REF_COOKIE))


def ref_remember(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Keep the ``?ref=`` of a share link until sign-in, in a first-party cookie (no
    session row for every anonymous visitor). The latest link followed wins, as it
    would through the API, where the client sends the ref it holds."""
    ref = clean_ref(request.GET.get("ref"))
    if ref and ref != clean_ref(request.COOKIES.get(REF_COOKIE)):
        response.set_cookie(REF_COOKIE, ref, max_age=REF_COOKIE_AGE, httponly=True, samesite="Lax")
    return response
