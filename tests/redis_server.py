"""A throw-away Redis server for tests that need one whatever the stack: the visit
buffer (voting/services/traffic.py) lives in Redis. Debian's redis-server (installed by
.ci/run); the tests using it skip without it unless ``BROWSER_TESTS_REQUIRED``-style
``REDIS_TESTS_REQUIRED`` is set."""

import os
import shutil
import socket
import subprocess
import time

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    server = shutil.which("redis-server")
    if not server:
        if os.environ.get("REDIS_TESTS_REQUIRED"):
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        pytest.skip("redis-server is not installed")
    import redis

    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_cache(settings, redis_url):
    """The default cache on that Redis (django-redis, as ``CACHE_URL=redis://`` gives),
    emptied before and after the test."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url}
    }
    cache.clear()
    yield cache
    cache.clear()
