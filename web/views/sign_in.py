"""Sign-in by phone and one-time code (the API's ``otp_request`` and ``otp_verify``),
sign-out, and the signed-in student's votes.

The ``ref`` of the share link the student arrived by (``?ref=``, or the cookie that
kept it) goes to ``otp_verify``, so a new voter is attributed exactly as through the
API.
"""

from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError, NotFound
from core.privacy import mask_phone
from voting.selectors.public import campaign_get_public, vote_list_for_voter
from voting.services.sign_in import otp_request, otp_verify
from web.forms import SignInForm, safe_next
from web.session import (
    SESSION_PENDING_VOTE,
    SESSION_VOTE_RESULT,
    request_ref,
    session_sign_in,
    session_sign_out,
    session_voter_id,
)
from web.throttles import otp_request_allowed, verify_allowed
from web.views.common import page, throttled_sentence
from web.views.votes import cast_vote, sign_in_url


@require_http_methods(["GET", "POST"])
def sign_in(request):
    home = reverse("web:home")
    sent_to = None
    if request.method == "GET":
        next_url = safe_next(request.GET.get("next"), request, home)
        form = SignInForm(initial={"next": next_url, "ref": request_ref(request)})
        return page(request, "sign_in.html", _context(request, form, sent_to=None))

    form = SignInForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        phone = data["phone"]
        school = _school_asked(request, data["next"])
        if data["action"] != SignInForm.VERIFY:
            if not otp_request_allowed(request, phone=phone):
                form.add_error(None, throttled_sentence())
            else:
                try:
                    otp_request(phone=phone)
                except DomainError as error:
                    form.add_error(None, error.message)
                else:
                    sent_to = mask_phone(phone).removeprefix("+86")
        elif not verify_allowed(request, phone=phone):
            form.add_error(None, throttled_sentence())
        else:
            try:
                result = otp_verify(
                    phone=phone,
                    code=data["code"],
                    ref=data["ref"] or request_ref(request),
                    school=school if school is not None and data["at_school"] else None,
                )
            except DomainError as error:
                form.add_error("code", error.message)
            else:
                session_sign_in(request, result)
                return redirect(_after_sign_in(request, safe_next(data["next"], request, home)))
    return page(request, "sign_in.html", _context(request, form, sent_to=sent_to))


def _context(request, form, *, sent_to: str | None) -> dict:
    pending = SESSION_PENDING_VOTE in request.session
    next_url = form.data.get("next") if form.is_bound else form.initial.get("next")
    return {
        "form": form,
        "sent_to": sent_to,
        "vote_pending": pending,
        "school": _school_asked(request, next_url),
    }


def _school_asked(request, next_url: str | None):
    """The school of the campaign the student is signing in for, when only its students
    may vote there: the campaign of the vote tapped before signing in, else the one the
    page after sign-in belongs to. ``None`` when there is none or it is open to all."""
    pending = request.session.get(SESSION_PENDING_VOTE)
    slug = pending["slug"] if pending else None
    if slug is None and next_url:
        try:
            match = resolve(next_url.split("?", 1)[0])
        except Resolver404:
            match = None
        if match is not None and match.namespace == "web":
            slug = match.kwargs.get("slug")
    if not slug:
        return None
    try:
        campaign = campaign_get_public(slug=slug)
    except NotFound:
        return None
    return campaign.pilot.school if campaign.school_voters_only else None


def _after_sign_in(request, next_url: str) -> str:
    """Cast the vote tapped before signing in, if any; where to go then."""
    pending = request.session.pop(SESSION_PENDING_VOTE, None)
    if not pending:
        return next_url
    slug, entry_id = pending["slug"], pending["entry_id"]
    try:
        outcome = cast_vote(
            request, voter_id=session_voter_id(request), slug=slug, entry_id=entry_id
        )
    except NotFound:
        return next_url
    request.session[SESSION_VOTE_RESULT] = outcome
    return reverse("web:entry", args=[slug, entry_id]) + "#vote"


@require_POST
def sign_out(request):
    session_sign_out(request)
    return redirect("web:home")


@require_GET
def my_votes(request):
    voter_id = session_voter_id(request)
    if voter_id is None:
        return redirect(sign_in_url(next_url=reverse("web:my-votes")))
    votes = Paginator(vote_list_for_voter(voter_id=voter_id), 50).get_page(request.GET.get("page"))
    return page(request, "my_votes.html", {"votes": votes})
