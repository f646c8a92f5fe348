"""The shared cache of public reads (docs/caching.md): what students read of a campaign
(its detail, entry pages, the leaderboard) is kept under keys that carry a per-campaign
version, and every event that changes what they read bumps that version.

Below every app, so that the services which change a campaign (a new leaderboard
snapshot, a moderation, a campaign, round or prize edit) call ``public_cache_bump``
without importing the readers. Old entries are never deleted: under a new version no
key reaches them, and they expire (``PUBLIC_CACHE_SECONDS``).

A version starts at the current time in microseconds, not at 1: should the cache evict
a version key, the version drawn again is larger than any before it, so no stale entry
comes back.
"""

import hashlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

_VERSION = "pubcache:v:{}"
_MISSING = object()


def _version_key(campaign_id: int) -> str:
    return _VERSION.format(int(campaign_id))


def public_cache_version(campaign_id: int) -> int:
    key = _version_key(campaign_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, int(time.time() * 1_000_000), timeout=None)
        version = cache.get(key)
    return int(version)


def _bump_now(campaign_id: int) -> None:
    key = _version_key(campaign_id)
    try:
        cache.incr(key)
    except ValueError:  # no version yet (or evicted): a fresh one is newer than any
        cache.add(key, int(time.time() * 1_000_000), timeout=None)


def public_cache_bump(*, campaign_id: int) -> None:
    """What students read of this campaign changed: readers build it again once the
    change commits (bumped before the commit, a reader could cache the old rows under
    the new version)."""
    transaction.on_commit(lambda: _bump_now(campaign_id))


def public_cache_key(campaign_id: int, *parts: Any) -> str:
    """A key for one public read of the campaign, under its current version; ``parts``
    say which read (its name, the page, the host of absolute URLs, the language)."""
    version = public_cache_version(campaign_id)
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:24]
    return f"pubcache:{int(campaign_id)}:{version}:{digest}"


def public_cached(campaign_id: int, parts: tuple, build: Callable[[], T]) -> T:
    """``build()``'s value from the shared cache, or built now and kept for
    ``PUBLIC_CACHE_SECONDS``. Exceptions (a not-found) are not cached."""
    key = public_cache_key(campaign_id, *parts)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = build()
        cache.set(key, value, timeout=settings.PUBLIC_CACHE_SECONDS)
    return value
