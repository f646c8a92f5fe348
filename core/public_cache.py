"""The shared cache of public reads (docs/caching.md): what students read of a campaign
(its detail, entry pages, the leaderboard) is kept under keys that carry a per-campaign
version, and every event that changes what they read bumps that version.

Below every app, so that the services which change a campaign (a new leaderboard
snapshot, a moderation, a campaign, round or prize edit) call ``public_cache_bump``
without importing the readers. Old entries are never deleted: under a new version no
key reaches them, and they expire (``PUBLIC_CACHE_SECONDS``).

A version starts at the current time in microseconds, not at 1: should the cache evict
a version key, the version drawn again is larger than any before it (bumps, one per
committed change, come far less often than microseconds pass), so no stale entry comes
back.

With Redis as the cache (``core.redis_cache``), a read is one round trip: a script
reads the version and the entry under it together; values are pickled by us under keys
of our own. Otherwise Django's cache API does the same in two calls.
"""

import hashlib
import pickle
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.redis_cache import redis_client

T = TypeVar("T")

_VERSION = "pubcache:v:{}"
_MISSING = object()

# KEYS[1]: the version key; ARGV[1], ARGV[2]: the entry key before and after the version.
_READ = """
local v = redis.call('GET', KEYS[1])
if not v then return {false, false} end
return {v, redis.call('GET', ARGV[1] .. v .. ARGV[2])}
"""


def _version_key(campaign_id: int) -> str:
    return _VERSION.format(int(campaign_id))


def _fresh_version() -> int:
    return int(time.time() * 1_000_000)


def public_cache_version(campaign_id: int) -> int:
    key = _version_key(campaign_id)
    client = redis_client()
    if client is not None:
        client.set(key, _fresh_version(), nx=True)
        return int(client.get(key))
    version = cache.get(key)
    if version is None:
        cache.add(key, _fresh_version(), timeout=None)
        version = cache.get(key)
    return int(version)


def _bump_now(campaign_id: int) -> None:
    key = _version_key(campaign_id)
    client = redis_client()
    if client is not None:
        if not client.set(key, _fresh_version(), nx=True):  # none yet: fresh is newer
            client.incr(key)
        return
    try:
        cache.incr(key)
    except ValueError:  # no version yet (or evicted): a fresh one is newer than any
        cache.add(key, _fresh_version(), timeout=None)


def public_cache_bump(*, campaign_id: int) -> None:
    """What students read of this campaign changed: readers build it again once the
    change commits (bumped before the commit, a reader could cache the old rows under
    the new version)."""
    transaction.on_commit(lambda: _bump_now(campaign_id))


def _digest(parts: tuple) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def public_cache_key(campaign_id: int, *parts: Any) -> str:
    """A key for one public read of the campaign, under its current version; ``parts``
    say which read (its name, the page, the host of absolute URLs, the language)."""
    version = public_cache_version(campaign_id)
    return f"pubcache:{int(campaign_id)}:{version}:{_digest(parts)}"


def public_cached(campaign_id: int, parts: tuple, build: Callable[[], T]) -> T:
    """``build()``'s value from the shared cache, or built now and kept for
    ``PUBLIC_CACHE_SECONDS``. Exceptions (a not-found) are not cached."""
    client = redis_client()
    if client is not None:
        return _redis_cached(client, int(campaign_id), parts, build)
    key = public_cache_key(campaign_id, *parts)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = build()
        cache.set(key, value, timeout=settings.PUBLIC_CACHE_SECONDS)
    return value


_scripts: dict[int, Any] = {}


def public_cache_store(campaign_id: int, parts: tuple, value: Any) -> None:
    """Keep ``value`` as ``public_cached`` would, replacing what is kept."""
    client = redis_client()
    if client is None:
        cache.set(
            public_cache_key(campaign_id, *parts), value, timeout=settings.PUBLIC_CACHE_SECONDS
        )
        return
    version = public_cache_version(campaign_id)
    client.set(
        f"pubcache:{int(campaign_id)}:{version}:{_digest(parts)}",
        pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL),
        ex=settings.PUBLIC_CACHE_SECONDS,
    )


def _redis_cached(client, campaign_id: int, parts: tuple, build: Callable[[], T]) -> T:
    head, tail = f"pubcache:{campaign_id}:", f":{_digest(parts)}"
    # EVALSHA of the script, loaded once per client (register_script sends EVAL only
    # when the server does not know it yet).
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_READ)
    version, raw = script(keys=[_version_key(campaign_id)], args=[head, tail], client=client)
    if raw is not None:
        return pickle.loads(raw)
    version = public_cache_version(campaign_id) if version is None else int(version)
    value = build()
    client.set(
        f"{head}{version}{tail}",
        pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL),
        ex=settings.PUBLIC_CACHE_SECONDS,
    )
    return value
