"""Writes of the funnel's top: anonymous visits and share-link clicks.

Reports count *unique* visitors, so a visitor reloading a page adds nothing. Rows are
therefore written at most once per visitor, target and kind per window (a cache key),
which keeps the hottest read endpoints from writing on every request. Losing a row when
the cache is cleared only means one extra row later: counts are distinct visitor ids.
"""

import hashlib
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from .models import Visit

_DEDUP_SECONDS = 30 * 60


def visit_record(
    *,
    visitor_id: str,
    campaign_id: int,
    entry_id: int | None = None,
    kind: str = Visit.Kind.VISIT,
    at: datetime | None = None,
) -> bool:
    """Record that ``visitor_id`` saw a campaign (or one of its entries); True if a row
    was written, False if this visitor was recorded here within the window."""
    if not visitor_id:
        return False
    raw = f"{kind}:{campaign_id}:{entry_id or 0}:{visitor_id}"
    key = "visit:" + hashlib.sha256(raw.encode()).hexdigest()[:32]
    if not cache.add(key, 1, timeout=_DEDUP_SECONDS):
        return False
    Visit.objects.create(
        visitor_id=visitor_id[:64],
        kind=kind,
        campaign_id=campaign_id,
        entry_id=entry_id,
        at=at or timezone.now(),
    )
    return True


def share_click_record(
    *, visitor_id: str, campaign_id: int, entry_id: int, at: datetime | None = None
) -> bool:
    """A click on an entry's share link: the denominator of share conversion."""
    return visit_record(
        visitor_id=visitor_id,
        campaign_id=campaign_id,
        entry_id=entry_id,
        kind=Visit.Kind.SHARE_CLICK,
        at=at,
    )
