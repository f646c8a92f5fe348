"""When the fraud detectors last ran, as the flags list shows it (the scan writes
``FraudScan`` rows: voting/services/fraud_scan.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from campaigns.models import Campaign


@dataclass(frozen=True)
class ScanLine:
    """One campaign's line of the flags list's scan box."""

    campaign: str
    state: str  # "never", "waiting", "running" or "done"
    finished_at: datetime | None
    requested_at: datetime | None
    flags_changed: int


def fraud_scan_lines(*, campaign_ids: Iterable[int]) -> list[ScanLine]:
    """When each campaign was last scanned, and whether a requested scan has run: one
    query (the campaigns beat scans come from ``fraud_scan_campaign_ids``)."""
    campaigns = Campaign.objects.filter(pk__in=list(campaign_ids)).select_related("fraud_scan")
    lines = []
    for campaign in campaigns.order_by("pk"):
        scan = getattr(campaign, "fraud_scan", None)
        lines.append(
            ScanLine(
                campaign=str(campaign),
                state=scan.state if scan and (scan.finished_at or scan.requested_at) else "never",
                finished_at=scan.finished_at if scan else None,
                requested_at=scan.requested_at if scan else None,
                flags_changed=scan.flags_changed if scan else 0,
            )
        )
    return lines
