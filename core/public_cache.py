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
of our own. Otherwise Django's cache API does the same in two calls. What a read does
once it is served (``on_hit``: a visit to record, voting/services/traffic.py) runs in
the same script when the entry is found, so a cached read that counts a visit is still
one round trip; on a miss it runs after the build, and not when the build raises.
"""

import hashlib
import pickle
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.redis_cache import redis_client, script_call

T = TypeVar("T")

_VERSION = "pubcache:v:{}"
_MISSING = object()


class OnHit(Protocol):
    """Work a read does once served: ``lua`` defines ``on_hit(K, A)``, which the read's
    script calls with ``keys`` and ``args`` when the entry is found; ``run()`` does the
    same on its own."""

    keys: tuple
    args: tuple
    lua: str

    def run(self) -> Any: ...


# KEYS[1]: the version key; ARGV[1], ARGV[2]: the entry key before and after the
# version. With an on_hit function defined before it, KEYS[2..] and ARGV[3..] are its
# own, and it runs when the entry is found.
_READ = """
local v = redis.call('GET', KEYS[1])
if not v then return {false, false} end
local raw = redis.call('GET', ARGV[1] .. v .. ARGV[2])
if raw and on_hit then
  local K, A = {}, {}
  for i = 2, #KEYS do K[i - 1] = KEYS[i] end
  for i = 3, #ARGV do A[i - 2] = ARGV[i] end
  on_hit(K, A)
end
return {v, raw}
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


# The version of what is read across campaigns (the list of open campaigns): moved by
# the changes that list shows (a campaign's own fields, its school), not by snapshots or
# moderations, which come every minute and leave it as it was.
EVERY_CAMPAIGN = 0


def _bump_now(*campaign_ids: int) -> None:
    client = redis_client()
    for key in dict.fromkeys(_version_key(campaign_id) for campaign_id in campaign_ids):
        if client is not None:
            if not client.set(key, _fresh_version(), nx=True):  # none yet: fresh is newer
                client.incr(key)
            continue
        try:
            cache.incr(key)
        except ValueError:  # no version yet (or evicted): a fresh one is newer than any
            cache.add(key, _fresh_version(), timeout=None)


def public_cache_bump(*, campaign_id: int, listing: bool = False) -> None:
    """What students read of this campaign changed: readers build it again once the
    change commits (bumped before the commit, a reader could cache the old rows under
    the new version). ``listing``: what the list of open campaigns shows of it changed
    too (its title, windows, status or school), so reads across campaigns
    (``EVERY_CAMPAIGN``) are built again as well."""
    ids = (campaign_id, EVERY_CAMPAIGN) if listing else (campaign_id,)
    transaction.on_commit(lambda: _bump_now(*ids))


def _digest(parts: tuple) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def public_cache_key(campaign_id: int, *parts: Any) -> str:
    """A key for one public read of the campaign, under its current version; ``parts``
    say which read (its name, the page, the host of absolute URLs, the language)."""
    version = public_cache_version(campaign_id)
    return f"pubcache:{int(campaign_id)}:{version}:{_digest(parts)}"


def public_cached(
    campaign_id: int, parts: tuple, build: Callable[[], T], *, on_hit: OnHit | None = None
) -> T:
    """``build()``'s value from the shared cache, or built now and kept for
    ``PUBLIC_CACHE_SECONDS``. Exceptions (a not-found) are not cached. ``on_hit`` runs
    once the value is there (in the same round trip when it is cached), not when
    ``build()`` raises."""
    client = redis_client()
    if client is not None:
        return _redis_cached(client, int(campaign_id), parts, build, on_hit)
    key = public_cache_key(campaign_id, *parts)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = build()
        cache.set(key, value, timeout=settings.PUBLIC_CACHE_SECONDS)
    if on_hit is not None:
        on_hit.run()
    return value


# Registered scripts per (client, on_hit source): EVALSHA, loaded once.
_scripts: dict[tuple[int, str], Any] = {}


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


def _redis_lookup(client, campaign_id: int, parts: tuple, on_hit: OnHit | None):
    """``(version, pickled value or None, key head, key tail)``, in one script call
    that runs ``on_hit`` when the value is there."""
    head, tail = f"pubcache:{campaign_id}:", f":{_digest(parts)}"
    lua = on_hit.lua if on_hit is not None else "local on_hit = nil\n"
    script = _scripts.get((id(client), lua))
    if script is None:
        if len(_scripts) > 100:  # a handful of sources in practice; a bound all the same
            _scripts.clear()
        script = _scripts[(id(client), lua)] = client.register_script(lua + _READ)
    keys, args = [_version_key(campaign_id)], [head, tail]
    if on_hit is not None:
        keys += on_hit.keys
        args += on_hit.args
    version, raw = script_call(client, script, keys, args)
    return version, raw, head, tail


def public_cache_peek(campaign_id: int, parts: tuple, *, on_hit: OnHit | None = None) -> Any:
    """``public_cached``'s value when it is kept (``on_hit`` then runs, in the same round
    trip with Redis), else None (and ``on_hit`` does not run; no read keeps None): for a
    read answered from the cache before the work a build needs (voting/api/caching.py)."""
    client = redis_client()
    if client is not None:
        _version, raw, _head, _tail = _redis_lookup(client, int(campaign_id), parts, on_hit)
        return None if raw is None else pickle.loads(raw)
    value = cache.get(public_cache_key(campaign_id, *parts))
    if value is not None and on_hit is not None:
        on_hit.run()
    return value


def _redis_cached(
    client, campaign_id: int, parts: tuple, build: Callable[[], T], on_hit: OnHit | None
) -> T:
    version, raw, head, tail = _redis_lookup(client, campaign_id, parts, on_hit)
    if raw is not None:
        return pickle.loads(raw)
    version = public_cache_version(campaign_id) if version is None else int(version)
    value = build()
    client.set(
        f"{head}{version}{tail}",
        pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL),
        ex=settings.PUBLIC_CACHE_SECONDS,
    )
    if on_hit is not None:
        on_hit.run()
    return value
