"""A worker whose idle pool child is killed keeps running tasks (config/celery_pool.py).

On the filesystem broker Celery runs billiard's blocking pool, whose idle child waits for
a job holding the job queue's shared lock: killed there, it took the lock with it and the
worker received every later task and never ran one. With the kill-safe pool of the
settings the next child runs them. Redis runs Celery's asynchronous pool (a pipe per
child, no shared lock); the same test holds there too.
"""

import time

import pytest
from django.conf import settings

from tests.celery_worker import broker_clear, celery_workers  # noqa: F401
from voting.tasks.leaderboards import leaderboard_refresh

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _runs_a_task(worker, timeout: float) -> bool:
    """Whether a task sent now completes within ``timeout`` seconds."""
    result = leaderboard_refresh.apply_async((0,), ignore_result=False)  # campaign 0: no-op
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result.ready():
            return result.successful()
        assert worker.alive, worker.output()
        time.sleep(0.1)
    return False


def _kill_idle_child(worker) -> None:
    killed = worker.kill_pool_child()
    worker.wait_for_pool_child(other_than=[killed])  # the parent started a new one
    time.sleep(0.5)  # and it reached its wait for work


def test_killing_the_idle_pool_child_does_not_wedge_the_worker(celery_workers):  # noqa: F811
    broker_clear()
    worker = celery_workers()
    worker.wait_ready()
    assert _runs_a_task(worker, timeout=30)
    for _ in range(3):
        _kill_idle_child(worker)
        assert _runs_a_task(worker, timeout=20), worker.output()
    assert worker.output().count("signal 9 (SIGKILL)") == 3


@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("filesystem://"),
    reason="the blocking pool runs only on brokers without an event loop",
)
def test_celerys_own_prefork_pool_still_wedges(celery_workers):  # noqa: F811
    """The defect config/celery_pool.py works around, kept as a test: when a Celery or
    billiard release fixes it, this fails and the workaround can go."""
    broker_clear()
    # "processes": Celery's alias of its prefork pool ("prefork" on the command line
    # means the settings' pool when one is configured).
    worker = celery_workers(pool="processes")
    worker.wait_ready()
    assert _runs_a_task(worker, timeout=30)
    _kill_idle_child(worker)
    assert not _runs_a_task(worker, timeout=8), worker.output()
    assert "received" in worker.output().splitlines()[-1]  # received, never started
    broker_clear()
