"""The Redis client behind the shared cache (``CACHE_URL=redis://...``), for what
Django's cache API cannot do atomically: a list that several web processes append to
and one worker takes whole (the visit buffer, voting/services/traffic.py)."""

from django.core.cache import caches


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
