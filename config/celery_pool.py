"""Celery's prefork pool, with children that survive a sibling's SIGKILL on any broker.

``CELERY_WORKER_POOL`` names this class. It is Celery's own prefork ``TaskPool`` in every
respect but one, which only matters on brokers without an event loop (kombu's
filesystem transport, the embedded stack): there Celery runs billiard's *blocking* pool,
whose idle children wait for a job inside ``SimpleQueue.get_payload()`` while holding
the job queue's process-shared read lock. A child killed while idle (the OOM killer, a
hard time limit, ``kill -9``) dies holding that lock, and every other child, and each
replacement, blocks on it for ever: the worker still receives tasks and never runs
them. Reproduced here with one child (tests/config/test_celery_pool.py); the same deadlock
after a hard time limit is celery/billiard#457
(https://github.com/celery/billiard/pull/457).

The child below waits for a job *outside* the lock (``poll``), and takes the lock only to
read a job that is already in the pipe, so an idle child holds nothing. A child killed
in the microseconds it spends reading a job still takes the lock with it; the sweepers
of unfinished work (docs/workers.md) recover what that worker then fails to run.

With Redis or RabbitMQ Celery uses its asynchronous pool instead (one pipe per child, no
shared lock), which this class leaves untouched.
"""

from __future__ import annotations

from billiard.common import pickle_loads
from billiard.pool import Pool as BilliardPool
from billiard.pool import Worker as BilliardWorker
from celery.concurrency.prefork import TaskPool as PreforkTaskPool


class KillSafeWorker(BilliardWorker):
    """A pool child that holds the job queue's lock only while reading a waiting job."""

    def _make_recv_method(self, conn):
        if conn is not self.inq or not hasattr(conn, "_rlock"):
            return super()._make_recv_method(conn)
        reader, lock = conn._reader, conn._rlock

        def _recv(timeout, loads=pickle_loads):
            if not reader.poll(timeout):
                return False, None
            # Siblings that saw the same job race for the lock; the losers find the pipe
            # empty again and go back to waiting, without the lock.
            if not lock.acquire(timeout=timeout):
                return False, None
            try:
                if not reader.poll(0):
                    return False, None
                payload = reader.recv_bytes()
            finally:
                lock.release()
            return True, loads(payload)

        return _recv


class KillSafeBlockingPool(BilliardPool):
    Worker = KillSafeWorker


class TaskPool(PreforkTaskPool):
    """``celery worker --pool config.celery_pool:TaskPool`` (the default here)."""

    BlockingPool = KillSafeBlockingPool
