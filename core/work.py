"""Background work that is never lost: attempts, heartbeats and the sweep of stuck rows.

A row of long background work (a roster import job, a report) carries ``status``,
``attempts`` and ``heartbeat_at``. The worker running it counts an attempt when it
starts (:func:`work_attempt_begin`) and beats the heartbeat with every progress update
(:func:`work_heartbeat`). The sweep (:func:`work_sweep`, run by beat) finds rows still
unfinished whose heartbeat is older than ``WORK_STALE_AFTER_SECONDS`` — a worker killed
with its message (the filesystem broker loses it), a message lost between commit and
enqueue, a hard time limit — and sends them again; a row started ``WORK_MAX_ATTEMPTS``
times without finishing is marked failed with the reason instead, so one job that kills
its worker every time cannot do it for ever (``reject_on_worker_lost`` would redeliver it
without end). docs/workers.md says how the pieces fit.

Every step is a conditional ``UPDATE ... WHERE``: two sweeps, or a sweep and a worker,
cannot both act on one row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkKind:
    """How one model of background work spells its states."""

    model: type[models.Model]
    unfinished: tuple[str, ...]  # statuses of work not yet done or failed
    failed: str
    created_field: str  # when the row was made: the heartbeat of a row never started
    # The fields that record a failure's reason (e.g. ``{"error": text}``).
    failure_fields: Callable[[str], dict]
    finished_field: str | None = None  # set to now when failed, where the model has one


@dataclass
class SweepResult:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _max_attempts() -> int:
    return max(1, int(settings.WORK_MAX_ATTEMPTS))


def _failure_updates(kind: WorkKind, reason: str, now: datetime) -> dict:
    updates = {"status": kind.failed, **kind.failure_fields(reason)}
    if kind.finished_field:
        updates[kind.finished_field] = now
    return updates


def work_attempt_begin(kind: WorkKind, pk: int) -> bool:
    """Count a worker starting ``pk``; False when it must not run (gone, finished,
    or out of attempts — then it is marked failed with that reason)."""
    now = timezone.now()
    started = kind.model.objects.filter(
        pk=pk, status__in=kind.unfinished, attempts__lt=_max_attempts()
    ).update(attempts=F("attempts") + 1, heartbeat_at=now)
    if started:
        return True
    row = kind.model.objects.filter(pk=pk).values("status", "attempts").first()
    if row is not None and row["status"] in kind.unfinished:
        work_fail(kind, pk, reason=_exhausted_reason(row["attempts"]))
    return False


def _exhausted_reason(attempts: int) -> str:
    # Stored and shown in admin: the reader's language at display time is unknown, so the
    # reason is plain English like the rest of the stored error texts.
    return (
        f"A worker started this {attempts} time(s) and stopped each time before finishing "
        "(killed, out of memory or over its time limit). Retry it once the cause is fixed."
    )


def work_heartbeat(kind: WorkKind, pk: int, **updates) -> bool:
    """Progress, and the proof of life the sweep looks for, in one UPDATE. Finished work
    stays finished: a late second delivery cannot move it back (False then)."""
    return bool(
        kind.model.objects.filter(pk=pk, status__in=kind.unfinished).update(
            heartbeat_at=timezone.now(), **updates
        )
    )


def work_fail(kind: WorkKind, pk: int, *, reason: str) -> bool:
    """Mark unfinished work failed with ``reason``; False if it had already finished."""
    now = timezone.now()
    return bool(
        kind.model.objects.filter(pk=pk, status__in=kind.unfinished).update(
            **_failure_updates(kind, reason, now)
        )
    )


def _stale_q(kind: WorkKind, cutoff: datetime) -> Q:
    # A row never started has no heartbeat: its creation time stands in for one.
    return Q(status__in=kind.unfinished) & (
        Q(heartbeat_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, **{f"{kind.created_field}__lt": cutoff})
    )


def work_stale(kind: WorkKind, *, now: datetime | None = None) -> models.QuerySet:
    """Unfinished rows with no heartbeat for ``WORK_STALE_AFTER_SECONDS``."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.WORK_STALE_AFTER_SECONDS)
    return kind.model.objects.filter(_stale_q(kind, cutoff))


def work_sweep(
    kind: WorkKind, *, send: Callable[[int], None], now: datetime | None = None
) -> SweepResult:
    """Send stale work again (``send(pk)`` after commit), or fail it when it has used up
    its attempts."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.WORK_STALE_AFTER_SECONDS)
    result = SweepResult()
    for pk, attempts in work_stale(kind, now=now).values_list("pk", "attempts"):
        # The same condition again in the UPDATE: a worker that beat in between, or a
        # concurrent sweep, wins and this one leaves the row alone.
        still_stale = kind.model.objects.filter(_stale_q(kind, cutoff), pk=pk)
        if attempts >= _max_attempts():
            if still_stale.update(**_failure_updates(kind, _exhausted_reason(attempts), now)):
                result.failed.append(pk)
                logger.warning("%s %s failed after %s attempts", kind.model.__name__, pk, attempts)
            continue
        # The new heartbeat gives the resent message a full timeout to be picked up.
        if still_stale.update(heartbeat_at=now):
            result.requeued.append(pk)
            transaction.on_commit(lambda pk=pk: send(pk))
            logger.warning("%s %s had no heartbeat: sent again", kind.model.__name__, pk)
    return result
