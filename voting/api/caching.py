"""Public API reads served from the shared cache, with an ETag and ``Cache-Control``
(docs/caching.md).

A cached read is its rendered JSON body and that body's ETag, kept under the
campaign's cache version (``core.public_cache``), so the body is built once per change
of the campaign and not once per request. A request whose ``If-None-Match`` names the
current ETag is answered 304 without a body.

Reads that count a visit are ``private`` (the visit counts the reader: a shared proxy
answering for them would lose visitors); the others are ``public``. Either may be kept
``PUBLIC_CACHE_MAX_AGE`` seconds, then revalidated by the ETag.
"""

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import get_language
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from campaigns.models import Campaign
from core.errors import DomainError
from core.public_cache import (
    EVERY_CAMPAIGN,
    OnHit,
    public_cache_peek,
    public_cached,
)
from voting.api.support import client_ip, visitor_cookie_set, visitor_id
from voting.selectors.public import campaign_public_cached, campaign_public_peek
from voting.services.traffic import visit_pending

# The headers django.utils.cache.get_conditional_response reads; without any of them it
# returns the response as it is.
_CONDITIONAL = frozenset(
    ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE")
)


class ReadVisit:
    """The visit a cached read counts, recorded in the read's own Redis round trip
    (``on_hit``); ``cookie()`` then gives a new visitor their id."""

    def __init__(self, request, *, entry_id: int | None = None):
        self.request, self.entry_id = request, entry_id
        self.vid, self.new = visitor_id(request)

    def __call__(self, campaign_id: int) -> OnHit | None:
        return visit_pending(
            visitor_id=self.vid,
            campaign_id=campaign_id,
            entry_id=self.entry_id,
            ip=client_ip(self.request),
        )

    def cookie(self, response):
        if self.new:
            visitor_cookie_set(response, self.vid)
        return response


@dataclass(frozen=True)
class CachedRead:
    """Which cached body a GET reads: the campaign's slug (None: a read across campaigns,
    kept under ``EVERY_CAMPAIGN``'s version), what else the body depends on (page,
    round, entry), whether shared caches may keep it, the visit it counts."""

    slug: str | None
    parts: tuple
    shared: bool
    visit: ReadVisit | None = None


def _render(data) -> tuple[bytes, str]:
    body = JSONRenderer().render(data)
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _key(request, parts: tuple) -> tuple:
    # The host of the body's absolute URLs and the language of its texts.
    return (request.scheme, request.get_host(), get_language(), *parts)


def _response(request, body: bytes, etag: str, *, shared: bool) -> HttpResponse:
    scope = "public" if shared else "private"
    response = HttpResponse(
        body,
        content_type="application/json",
        headers={
            "ETag": etag,
            "Cache-Control": f"{scope}, max-age={settings.PUBLIC_CACHE_MAX_AGE}",
        },
    )
    if not _CONDITIONAL.intersection(request.META):  # most reads: nothing to compare
        return response
    return get_conditional_response(request, etag=etag, response=response)


def cached_json_response(
    request,
    read: CachedRead,
    *,
    build: Callable[[Campaign], object],
    prefetch: tuple[str, ...] = (),
) -> tuple[int, HttpResponse]:
    """``(campaign id, response)`` of a public read: ``build(campaign)`` is the JSON
    data (``build(None)`` for a read across campaigns), built on a cache miss only;
    ``read.visit`` is counted in the same round trip (``campaign_public_cached``'s
    ``on_hit``) and its cookie set."""
    if read.slug is None:
        key = _key(request, read.parts)
        campaign_id = EVERY_CAMPAIGN
        body, etag = public_cached(campaign_id, key, lambda: _render(build(None)))
    else:
        campaign_id, (body, etag) = campaign_public_cached(
            slug=read.slug,
            parts=_key(request, read.parts),
            build=lambda campaign: _render(build(campaign)),
            prefetch=prefetch,
            on_hit=read.visit,
        )
    response = _response(request, body, etag, shared=read.shared)
    return campaign_id, read.visit.cookie(response) if read.visit else response


@functools.lru_cache(maxsize=256)
def _negotiated(view_class, accept: str | None) -> bool:
    """DRF's negotiation of ``Accept`` for the view (NotAcceptable when it refuses),
    once per header value: clients send a few, each the same on every request."""
    view = view_class()
    meta = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = HttpRequest()
    request.META = meta
    view.get_content_negotiator().select_renderer(Request(request), view.get_renderers())
    return True


class CachedReadView:
    """A public read that the shared cache can answer is answered before DRF's
    dispatch, as Django's ``cache_page`` answers before the view: the request wrapping,
    content negotiation, authentication and throttle checks are most of what such a
    read would cost (docs/caching.md). ``cached_response(request, **kwargs)`` gives the
    response from the cache, or None; a miss, a refused ``Accept`` or any error goes
    through DRF as before, which builds, keeps and answers it. Same status, body,
    headers and visit either way."""

    def cached_response(self, request, **kwargs) -> HttpResponse | None:
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET":
            try:
                # What DRF's dispatch would refuse (an Accept it cannot meet) it refuses.
                _negotiated(type(self), request.META.get("HTTP_ACCEPT"))
                response = self.cached_response(request, **kwargs)
            except (APIException, DomainError, Http404):
                response = None  # DRF answers it, with its error
            if response is not None:
                headers = self.default_response_headers  # what finalize_response adds
                if "Vary" in headers:
                    patch_vary_headers(response, [headers.pop("Vary")])
                for name, value in headers.items():
                    response[name] = value
                return response
        return super().dispatch(request, *args, **kwargs)


class CachedJsonReadView(CachedReadView):
    """``CachedReadView`` of a JSON body kept by ``cached_json_response``:
    ``cached_read(request, **kwargs)`` names it (None: this query is not cached)."""

    def cached_read(self, request, **kwargs) -> CachedRead | None:
        raise NotImplementedError

    def cached_response(self, request, **kwargs) -> HttpResponse | None:
        read = self.cached_read(request, **kwargs)
        if read is None:
            return None
        if read.slug is None:
            kept = public_cache_peek(EVERY_CAMPAIGN, _key(request, read.parts))
        else:
            kept = campaign_public_peek(
                slug=read.slug, parts=_key(request, read.parts), on_hit=read.visit
            )
        if kept is None:
            return None
        body, etag = kept
        response = _response(request, body, etag, shared=read.shared)
        return read.visit.cookie(response) if read.visit else response
