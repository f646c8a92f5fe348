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

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.translation import get_language
from rest_framework.renderers import JSONRenderer

from campaigns.models import Campaign
from core.public_cache import OnHit
from voting.selectors.public import campaign_public_cached

# The headers django.utils.cache.get_conditional_response reads; without any of them it
# returns the response as it is.
_CONDITIONAL = frozenset(
    ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE")
)


def _render(data) -> tuple[bytes, str]:
    body = JSONRenderer().render(data)
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def cached_json_response(
    request,
    *,
    slug: str,
    parts: tuple,
    build: Callable[[Campaign], object],
    prefetch: tuple[str, ...] = (),
    shared: bool,
    on_hit: Callable[[int], OnHit | None] | None = None,
) -> tuple[int, HttpResponse]:
    """``(campaign id, response)`` of a public read: ``build(campaign)`` is the JSON
    data, built on a cache miss only. ``parts`` say what else the body depends on
    (page, round, entry); the host of its absolute URLs and the language are added
    here. ``shared``: the response may be kept by shared caches (a CDN). ``on_hit``:
    ``campaign_public_cached``'s (the visit a read counts, in the same round trip)."""
    key = (request.scheme, request.get_host(), get_language(), *parts)
    campaign_id, (body, etag) = campaign_public_cached(
        slug=slug,
        parts=key,
        build=lambda campaign: _render(build(campaign)),
        prefetch=prefetch,
        on_hit=on_hit,
    )
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
        return campaign_id, response
    conditional = get_conditional_response(request, etag=etag, response=response)
    return campaign_id, conditional
