"""A real Celery worker for tests: a ``celery worker`` subprocess, not eager mode.

Eager mode runs a task inline, inside the test's transaction, with none of the
serialisation, broker, acknowledgement or separate-connection behaviour of production
(docs/library-traps.md "Celery"). This worker is the real thing: it takes messages from the
same broker
as the test process (the filesystem folder or Redis of the settings) and reads and writes
the same *test* database through its own connection.

So tests that use it must commit what the worker should see: mark them
``@pytest.mark.django_db(transaction=True)`` (``transactional_db``), and wait for a task's
effect with :func:`wait_until` or read its result with ``apply_async(ignore_result=False)``
(results go to the django-db backend, i.e. the test database).

Usage (the fixture is registered for ``tests/voting`` in its ``conftest.py``)::

    @pytest.mark.worker
    @pytest.mark.django_db(transaction=True)
    def test_something(celery_worker):
        some_task.delay(obj.pk)
        wait_until(lambda: Thing.objects.exists(), worker=celery_worker)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parent.parent
# Generous: a cold worker on a loaded CI machine takes a few seconds to start.
DEFAULT_TIMEOUT = 60.0


class CeleryWorker:
    """A running ``celery -A config worker`` subprocess and its log."""

    def __init__(
        self,
        log_path: Path,
        env: dict[str, str],
        name: str = "test-worker",
        pool: str | None = None,
    ) -> None:
        self.log_path = log_path
        self.env = env
        self.name = name
        # None: the settings' pool (CELERY_WORKER_POOL), as in production.
        self.pool = pool
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            *(["--pool", self.pool] if self.pool else []),
            "--concurrency",
            "1",
            "--loglevel",
            "info",
            "--hostname",
            f"{self.name}-{os.getpid()}@%h",
            # Nothing to synchronise with: skip the start-up round trips to other workers.
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]
        log = self.log_path.open("ab")
        # A session of its own, so teardown can stop the pool children with the parent:
        # an orphaned child would keep a connection open and block DROP DATABASE.
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pgid = os.getpgid(self.process.pid)
        # Warm shutdown: the worker finishes its current task and stops its pool.
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=timeout)
        # Pool children that outlived their parent (the session id is the worker's pid).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the parent and its pool children at once: nothing is acknowledged or
        rejected, as when a machine dies."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(os.getpgid(self.process.pid), signal.SIGKILL)
        self.process.wait(timeout=15)

    def pool_children(self) -> list[int]:
        """The pids of the worker's pool children (read from /proc)."""
        if self.process is None:
            return []
        parent = str(self.process.pid)
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # "pid (comm) state ppid ...": comm may hold spaces, so split after ")".
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[1] == parent:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def wait_for_pool_child(self, timeout: float = DEFAULT_TIMEOUT, other_than=()) -> int:
        """The pid of a pool child (one not in ``other_than``), once there is one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            children = [pid for pid in self.pool_children() if pid not in other_than]
            if children:
                return children[0]
            if not self.alive:
                break
            time.sleep(0.1)
        pytest.fail(f"No pool child appeared:\n{self.output()}")

    def kill_pool_child(self) -> int:
        """SIGKILL the worker's (only) pool child, as the OOM killer would; the parent
        lives on and starts another. Returns the killed pid."""
        pid = self.wait_for_pool_child()
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_ready(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Until the worker logs that it consumes (its pool child started)."""
        deadline = time.monotonic() + timeout
        while "ready." not in self.output(last_lines=400):
            if not self.alive or time.monotonic() > deadline:
                pytest.fail(f"The worker did not get ready:\n{self.output()}")
            time.sleep(0.1)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self, last_lines: int = 200) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no worker output)"
        return "\n".join(lines[-last_lines:])


def database_url_for_worker() -> str:
    """The URL of the database this test process uses *now*: the test database.

    Read at fixture time, after pytest-django created the test database, so ``NAME`` is
    already ``test_...`` (PostgreSQL) or the file of ``TEST["NAME"]`` (SQLite).
    """
    db = connection.settings_dict
    engine = db["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name.startswith(":memory:") or "mode=memory" in name:
            pytest.fail("A worker cannot share an in-memory SQLite database.")
        # sqlite:////abs/path: three slashes, then the absolute path with its own.
        return f"sqlite:///{Path(name).resolve()}"
    if engine == "django.db.backends.postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = quote(db.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = db.get("HOST") or ""
        if host.startswith("/"):
            # A unix socket directory: django-environ reads it from a %2F-quoted host.
            host = quote(host, safe="")
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"
    pytest.fail(f"No worker database URL for engine {engine}")


def worker_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    env["DATABASE_URL"] = database_url_for_worker()
    env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
    env["CELERY_TASK_ALWAYS_EAGER"] = "0"
    transport = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    if "data_folder_in" in transport:
        # The filesystem broker: the very folder this process writes messages to.
        env["CELERY_FS_BROKER_DIR"] = str(Path(transport["data_folder_in"]).parent)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def broker_clear() -> None:
    """Empty the queues, and on Redis the unacknowledged messages of killed workers,
    which would otherwise come back into a later test."""
    from config.celery import app

    app.control.purge()
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        with app.connection_for_write() as conn:
            qos = conn.default_channel.qos
            conn.default_channel.client.delete(qos.unacked_key, qos.unacked_index_key)


def wait_until(
    predicate: Callable[[], T],
    *,
    worker: CeleryWorker,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 0.2,
    what: str = "the task's effect",
) -> T:
    """Poll ``predicate`` until it returns something truthy; fail with the worker's log."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if not worker.alive:
            pytest.fail(f"The Celery worker exited while waiting for {what}:\n{worker.output()}")
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:.0f}s waiting for {what}:\n{worker.output()}")
        time.sleep(interval)


def wait_for_result(async_result, *, worker: CeleryWorker, timeout: float = DEFAULT_TIMEOUT):
    """The return value of a task sent with ``apply_async(..., ignore_result=False)``."""
    wait_until(async_result.ready, worker=worker, timeout=timeout, what="a task result")
    if async_result.failed():
        pytest.fail(f"The task failed: {async_result.result!r}\n{worker.output()}")
    return async_result.result


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, tmp_path_factory) -> Iterator[CeleryWorker]:
    """A Celery worker process on the test database and the test broker.

    Module-scoped: one start-up (a few seconds) per test module, stopped before
    pytest-django drops the test database (PostgreSQL refuses while it is connected).
    Its log goes to ``$CELERY_WORKER_LOG_DIR`` when set (CI keeps it), else a temp dir.
    """
    from config.celery import app

    # Messages left by earlier tests or runs (a `.delay()` in a rolled-back test) name
    # rows that do not exist; the worker would only be slower to reach ours.
    app.control.purge()

    log_dir = os.environ.get("CELERY_WORKER_LOG_DIR")
    if log_dir:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        log_path = Path(log_dir) / f"celery-worker-{connection.vendor}.log"
    else:
        log_path = tmp_path_factory.mktemp("celery-worker") / "worker.log"
    worker = CeleryWorker(log_path=log_path, env=worker_environment())
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def celery_workers(django_db_setup, tmp_path) -> Iterator[Callable[..., CeleryWorker]]:
    """Starts workers on demand, each with extra environment variables; stops them all.

    For tests that kill one worker and start another: ``start(pool=None, **env)`` returns
    a started :class:`CeleryWorker`. Nothing is purged: the caller decides what the queue holds.
    """
    started: list[CeleryWorker] = []

    def start(pool: str | None = None, **extra_env: str) -> CeleryWorker:
        n = len(started) + 1
        worker = CeleryWorker(
            log_path=tmp_path / f"worker-{n}.log",
            env={**worker_environment(), **extra_env},
            name=f"test-worker{n}",
            pool=pool,
        )
        started.append(worker)
        worker.start()
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
