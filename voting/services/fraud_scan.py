"""Fraud signals: detectors that turn suspicious patterns of votes into ``FraudFlag`` rows,
and the two ways staff close a flag (confirm → votes invalidated, or dismiss).

Six signals, each a function ``detect_*(campaign_id=, now=)``
returning the flags it created or changed:

(a) ``device_cluster``: many voters on one device id within minutes;
(b) ``user_agent_cluster``: one exact user agent from one IP, voters voting within minutes
    of each other with accounts created within minutes of each other;
(c) ``fast_new_account``: accounts voting seconds after creation, clustered on one entry;
(d) ``entry_burst``: a window of an entry far above its own ordinary rate;
(e) ``never_active``: an entry's new voters who never used the app afterwards, far more
    often than the campaign's other new voters;
(f) ``share_ring``: accounts signed up through one entry's share link within minutes,
    voting for that entry and nothing else.

Design rules, and why:

- **Never on IP alone.** A campus dorm (or a campus NAT) puts hundreds of honest students
  behind one public IP, so an IP is only ever used to *narrow* another signal (b). Every
  signal is chosen so that 200 honest students on one IP, with their own phones, voting at
  their own times and using the app afterwards, raise nothing (tests/voting/services/test_fraud.py).
- **Flags, not verdicts.** Several signals have honest look-alikes (a class group posting a
  share link at once makes a burst and a ring). Detectors raise a flag with its evidence
  and a severity; only a person confirming it invalidates votes.
- **SQL narrows, Python confirms.** Each detector first aggregates in the database
  (``values().annotate(Count(...))``, GROUP BY) to find the candidates that could possibly
  fire (devices with enough voters, entries with enough fast votes, windows with enough
  votes) and only then reads the rows of those candidates to check the exact sliding
  window.
  Honest traffic produces few candidates, so a scan reads little.
- **Patterns over all votes, flags for valid ones.** Windows count every vote cast, valid
  or not, so invalidating part of a farm does not hide the rest of it; a flag is created
  or reopened only for valid suspect votes, since invalidated ones need no review.
- **Idempotent.** A flag is keyed by (campaign, kind, key) with a deterministic key and a
  unique constraint: a rescan updates the evidence of an open flag, leaves a reviewed flag
  alone, and reopens it only when *new* valid suspect votes appear under its key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import Campaign
from voting.models import FraudFlag, FraudScan
from voting.services.fraud_detectors import (
    detect_device_clusters,
    detect_entry_bursts,
    detect_fast_new_accounts,
    detect_never_active,
    detect_share_rings,
    detect_user_agent_clusters,
)
from voting.services.fraud_signals import fraud_setting

logger = logging.getLogger(__name__)


# --- The scan -----------------------------------------------------------------------------

DETECTORS = (
    detect_device_clusters,
    detect_user_agent_clusters,
    detect_fast_new_accounts,
    detect_entry_bursts,
    detect_never_active,
    detect_share_rings,
)


def fraud_scan_campaign(*, campaign_id: int, now: datetime | None = None) -> list[FraudFlag]:
    """Run every detector on one campaign; returns the flags created or changed.

    Safe to run twice or concurrently (see ``fraud_flag_record``); each detector commits
    its own flags, so a scan killed halfway keeps what it found and the next one finishes.
    """
    now = now or timezone.now()
    _scan_state_set(campaign_id=campaign_id, started_at=timezone.now())
    changed: list[FraudFlag] = []
    for detector in DETECTORS:
        found = detector(campaign_id=campaign_id, now=now)
        if found:
            logger.info(
                "fraud scan: campaign %s %s: %d flags", campaign_id, detector.__name__, len(found)
            )
        changed.extend(found)
    _scan_state_set(campaign_id=campaign_id, finished_at=timezone.now(), flags_changed=len(changed))
    return changed


def _scan_state_set(*, campaign_id: int, **fields: Any) -> None:
    """Write the campaign's ``FraudScan`` row (created on first use). Plain UPDATEs, so
    two scans at once cannot lose each other's row; the insert race ends on the
    one-to-one's unique index and falls back to the update."""
    if FraudScan.objects.filter(campaign_id=campaign_id).update(**fields):
        return
    try:
        with transaction.atomic():
            FraudScan.objects.create(campaign_id=campaign_id, **fields)
    except IntegrityError:
        FraudScan.objects.filter(campaign_id=campaign_id).update(**fields)


def fraud_scan_request(*, actor: Any, campaign_ids: Iterable[int] | None = None) -> list[int]:
    """Staff's "Scan now": a scan task per campaign (by default every campaign beat scans),
    sent once this commits; the request is recorded so the flags list can say the scan is
    waiting for a worker, running, or done. Returns the campaigns asked for."""
    # Imported here: the tasks import this module at their top (docs/architecture.md).
    from voting.tasks.fraud import fraud_scan_campaign as fraud_scan_campaign_task

    ids = sorted(set(campaign_ids) if campaign_ids is not None else fraud_scan_campaign_ids())
    ids = list(Campaign.objects.filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    user = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        for campaign_id in ids:
            _scan_state_set(campaign_id=campaign_id, requested_at=timezone.now(), requested_by=user)
            transaction.on_commit(lambda pk=campaign_id: fraud_scan_campaign_task.delay(pk))
    return ids


def fraud_scan_campaign_ids(*, now: datetime | None = None) -> list[int]:
    """Campaigns worth scanning: voting has started and ended at most a few days ago, so
    the never-active signal still sees the last days' voters once they are old enough."""
    now = now or timezone.now()
    settle = timedelta(days=fraud_setting("inactive_after_days") + 1)
    return list(
        Campaign.objects.filter(
            status__in=[Campaign.Status.OPEN, Campaign.Status.CLOSED],
            voting_starts_at__lte=now,
            voting_ends_at__gte=now - settle,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
