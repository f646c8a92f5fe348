"""What every page of the site shares: rendering with the signed-in voter, counting a
view as a visit, the friendly not-found page, and refusals as sentences."""

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.errors import DomainError, NotFound
from core.public_cache import OnHit, public_cache_store, public_cached
from voting import errors
from voting.api.support import client_ip, visitor_cookie_set, visitor_id
from voting.services.traffic import visit_pending, visit_record
from web.selectors import next_local_midnight
from web.session import clean_ref, ref_remember, request_ref, session_voter_id


def page(request: HttpRequest, template: str, context: dict, *, status: int = 200):
    voter_id = session_voter_id(request)
    context = {"signed_in": voter_id is not None, "ref": request_ref(request), **context}
    return ref_remember(request, render(request, f"web/{template}", context, status=status))


# What an anonymous reader's page may carry in its query string to be kept whole.
_KEPT_QUERY = frozenset({"round", "page", "ref"})
_CSRF_SLOT = "csrf-token-slot-5f0c2e9b"


def page_public(
    request: HttpRequest,
    build: Callable[[], tuple[str, dict, datetime | None]],
    *,
    campaign_id: int,
    on_hit: OnHit | None = None,
) -> HttpResponse:
    """A public page: ``build()`` gives its template, its context and when what it says
    with the clock next changes. For a reader who is not signed in, the whole page comes
    from the shared cache, under the campaign's version, until that moment
    (docs/caching.md). Nothing of the reader is in it: their CSRF token is put in per
    request, their ``ref`` cookie is not shown, and a signed-in reader's page (their
    votes, their limits) is rendered anew. ``on_hit`` (the visit the page counts,
    ``visit_pending``) runs once the page is there: from the cache, in the same Redis
    round trip (``public_cached``)."""
    if (
        session_voter_id(request) is not None
        or not set(request.GET) <= _KEPT_QUERY
        or settings.WECHAT_APP_ID  # its share-card signature is per request
    ):
        template, context, _until = build()
        response = page(request, template, context)
        if on_hit is not None:
            on_hit.run()
        return response

    def render_whole() -> dict:
        template, context, until = build()
        # The ref of the link (part of the key), never the one this reader's cookie holds.
        shared = {**context, "csrf_token": _CSRF_SLOT, "ref": clean_ref(request.GET.get("ref"))}
        built = page(request, template, shared)
        # Kept as the bytes around the token's slot: a read joins them with its token,
        # no decoding, replacing or encoding of the page per request.
        return {"chunks": tuple(built.content.split(_CSRF_SLOT.encode())), "until": until}

    parts = ("page-chunks", request.scheme, request.get_host(), request.get_full_path())
    kept = public_cached(campaign_id, (*parts, get_language()), render_whole, on_hit=on_hit)
    if kept["until"] is not None and kept["until"] <= timezone.now():
        kept = render_whole()  # the clock moved past what it says; kept anew below
        public_cache_store(campaign_id, (*parts, get_language()), kept)
    response = HttpResponse(get_token(request).encode().join(kept["chunks"]))
    return ref_remember(request, response)


def visit(request: HttpRequest, response: HttpResponse, *, campaign_id: int, entry_id=None):
    """A page view counts as a visit, exactly as the API's reads do (same visitor id
    cookie ``vid``, same de-duplication, same cap on the new ids one address brings)."""
    vid, new = visitor_id(request)
    visit_record(visitor_id=vid, campaign_id=campaign_id, entry_id=entry_id, ip=client_ip(request))
    if new:
        visitor_cookie_set(response, vid)
    return response


def page_public_visited(
    request: HttpRequest,
    build: Callable[[], tuple[str, dict, datetime | None]],
    *,
    campaign_id: int,
    entry_id: int | None = None,
) -> HttpResponse:
    """``page_public`` counting the view as ``visit`` does, recorded in the page's own
    Redis round trip when it comes from the cache; not counted when ``build`` raises."""
    vid, new = visitor_id(request)
    pending = visit_pending(
        visitor_id=vid, campaign_id=campaign_id, entry_id=entry_id, ip=client_ip(request)
    )
    response = page_public(request, build, campaign_id=campaign_id, on_hit=pending)
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
