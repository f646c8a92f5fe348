"""The Redis client behind the shared cache (``CACHE_URL=redis://...``), for what
Django's cache API cannot do atomically: a list that several web processes append to
and one worker takes whole (the visit buffer, voting/services/traffic.py), and a cached
read that records its visit in the same round trip (core/public_cache.py)."""

from django.core.cache import caches
from redis.exceptions import ConnectionError, NoScriptError, TimeoutError


def redis_client():
    """The default cache's Redis client, or None when the cache is not Redis (the
    embedded defaults' local-memory cache)."""
    backend = caches["default"]
    try:
        from django_redis.cache import RedisCache as DjangoRedisCache
    except ImportError:  # pragma: no cover - django-redis is in requirements.txt
        DjangoRedisCache = ()  # noqa: N806
    if DjangoRedisCache and isinstance(backend, DjangoRedisCache):
        return backend.client.get_client(write=True)
    from django.core.cache.backends.redis import RedisCache

    if isinstance(backend, RedisCache):
        return backend._cache.get_client(write=True)
    return None


def script_call(client, script, keys: list, args: list):
    """What ``script(keys=keys, args=args, client=client)`` returns (``script`` from
    ``client.register_script``): one EVALSHA on a connection of the client's pool,
    without redis-py's layers around each command (retry policy, events, metrics),
    which cost a cached read more CPU than the round trip itself (docs/caching.md).
    Loads the script when the server does not know it (a restarted Redis), and tries a
    second connection once when the first one was dropped (as redis-py's default retry
    does)."""
    pool = client.connection_pool
    for attempt in (1, 2):
        connection = pool.get_connection()
        try:
            try:
                connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
                return connection.read_response()
            except NoScriptError:
                connection.send_command("EVAL", script.script, len(keys), *keys, *args)
                return connection.read_response()
        except (ConnectionError, TimeoutError):
            connection.disconnect()
            if attempt == 2:
                raise
        finally:
            pool.release(connection)
