"""What every page of the site shares: rendering with the signed-in voter, counting a
view as a visit, the friendly not-found page, and refusals as sentences."""

from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, NotFound
from voting import errors
from voting.api.support import visitor_cookie_set, visitor_id
from voting.services.traffic import visit_record
from web.selectors import next_local_midnight
from web.session import ref_remember, request_ref, session_voter_id


def page(request: HttpRequest, template: str, context: dict, *, status: int = 200):
    voter_id = session_voter_id(request)
    context = {"signed_in": voter_id is not None, "ref": request_ref(request), **context}
    return ref_remember(request, render(request, f"web/{template}", context, status=status))


def visit(request: HttpRequest, response: HttpResponse, *, campaign_id: int, entry_id=None):
    """A page view counts as a visit, exactly as the API's reads do (same visitor id
    cookie ``vid``, same de-duplication)."""
    vid, new = visitor_id(request)
    visit_record(visitor_id=vid, campaign_id=campaign_id, entry_id=entry_id)
    if new:
        visitor_cookie_set(response, vid)
    return response


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return page(request, "not_found.html", {}, status=404)


def friendly_not_found(view):
    """An unknown campaign, entry or round answers the site's 404 page (in the reader's
    language, in debug mode too), never Django's."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return not_found(request)

    return wrapped


def wants_json(request: HttpRequest) -> bool:
    """The site's own script asks for JSON; a plain form POST gets a page."""
    return "application/json" in request.headers.get("Accept", "")


def throttled_sentence() -> str:
    return _("Too many requests. Please wait a minute and try again.")


def refusal_sentence(error: DomainError) -> str:
    """The service's message in the reader's language, and for a daily limit when the
    votes come back (the next midnight, Beijing time)."""
    message = str(error.message)
    if isinstance(error, errors.DailyLimitReached | errors.EntryLimitReached):
        midnight = timezone.localtime(next_local_midnight())
        when = formats.date_format(midnight, "MONTH_DAY_FORMAT") + "\u00a000:00"
        message = _("%(refusal)s You can vote again from %(time)s (Beijing time).") % {
            "refusal": message,
            "time": when,
        }
    return message


def json_result(*, ok: bool, message: str, status: int = 200, **extra) -> JsonResponse:
    return JsonResponse({"ok": ok, "message": message, **extra}, status=status)
