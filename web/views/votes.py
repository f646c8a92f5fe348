"""Voting from the entry page: the API's one-statement vote (``vote_cast_by_id``), by a
plain form POST (no JavaScript: redirect back with the outcome) or by the page's script
(JSON). A student not signed in yet is sent to sign in, and the vote they tapped is
cast once they are (``web/views/sign_in.py``)."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError, NotFound
from voting.api.support import client_ip, header_text, visitor_id
from voting.services.votes import vote_cast_by_id
from web.session import (
    SESSION_PENDING_VOTE,
    SESSION_VOTE_RESULT,
    request_ref,
    session_voter_id,
)
from web.throttles import vote_allowed
from web.views.common import (
    friendly_not_found,
    json_result,
    refusal_sentence,
    throttled_sentence,
    wants_json,
)


def cast_vote(request, *, voter_id: int, slug: str, entry_id: int) -> dict:
    """Cast the vote and say how it went, as a dict a page or the script shows.
    ``NotFound`` (an unknown campaign or entry) is left to the caller."""
    outcome = {"entry_id": entry_id}
    if not vote_allowed(request, voter_id=voter_id):
        return {**outcome, "ok": False, "code": "throttled", "message": throttled_sentence()}
    vid, new = visitor_id(request)
    try:
        result = vote_cast_by_id(
            voter_id=voter_id,
            slug=slug,
            entry_id=entry_id,
            ip=client_ip(request),
            user_agent=header_text(request, "HTTP_USER_AGENT", 300),
            # The site's visitor cookie is its device id: many voters signing in on one
            # browser is what the fraud detectors look for (voting/services/fraud_*.py).
            device_id="" if new else vid,
        )
    except NotFound:
        raise
    except DomainError as error:
        return {**outcome, "ok": False, "code": error.code, "message": refusal_sentence(error)}
    return {
        **outcome,
        "ok": True,
        "code": "voted",
        "message": _("Your vote is in. Thank you!"),
        "remaining_today": result.remaining_today,
    }


def sign_in_url(*, next_url: str, ref: str = "") -> str:
    query = {"next": next_url, **({"ref": ref} if ref else {})}
    return f"{reverse('web:login')}?{urlencode(query)}"


_STATUS = {"voted": 201, "throttled": 429, "school_not_eligible": 403, "not_authenticated": 401}


@require_POST
@friendly_not_found
def vote(request, slug: str, entry_id: int):
    entry_url = reverse("web:entry", args=[slug, entry_id])
    voter_id = session_voter_id(request)
    if voter_id is None:
        request.session[SESSION_PENDING_VOTE] = {"slug": slug, "entry_id": entry_id}
        login = sign_in_url(next_url=entry_url, ref=request_ref(request))
        if wants_json(request):
            message = _("Sign in with your mobile number to vote.")
            return json_result(ok=False, message=message, status=401, login_url=login)
        return redirect(login)
    outcome = cast_vote(request, voter_id=voter_id, slug=slug, entry_id=entry_id)
    if wants_json(request):
        return json_result(**outcome, status=_STATUS.get(outcome["code"], 409))
    request.session[SESSION_VOTE_RESULT] = outcome
    return redirect(entry_url + "#vote")
