"""Writes of traffic: anonymous visits and share-link clicks (the funnel's top), and the
batch ingest of app activity from the app's backend (the input of retention).

Reports count *unique* visitors, so a visitor reloading a page adds nothing. Rows are
therefore written at most once per visitor, target and kind per window (a cache key),
which keeps the hottest read endpoints from writing on every request. Losing a row when
the cache is cleared only means one extra row later: counts are distinct visitor ids.

Visitor ids come from the client (``X-Visitor-Id``, the ``vid`` cookie), so one client
sending a fresh id with every request would inflate "unique visitors", the denominator
of the participation rate. Each client IP therefore brings at most
``VISITORS_MAX_NEW_PER_IP_PER_HOUR`` visitor ids an hour; visits of further ids from that
IP are not recorded (a campus NAT shares one IP, hence a generous default; see
docs/metrics.md). The count is kept in the shared cache (``CACHE_URL``) with atomic
``add``/``incr``, so concurrent requests and web processes share it.
"""

import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.phones import InvalidPhone, phone_normalize
from voting.models import Activity, Visit

_DEDUP_SECONDS = 30 * 60
_IP_WINDOW_SECONDS = 60 * 60


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def visitor_admitted(*, visitor_id: str, ip: str | None) -> bool:
    """Whether visits of ``visitor_id`` from ``ip`` count: the first
    ``VISITORS_MAX_NEW_PER_IP_PER_HOUR`` distinct ids an IP brings in an hour do (and go
    on counting for that hour), later ones do not. No IP (a call from inside, such as the
    seeder) or a limit of 0: no limit."""
    limit = settings.VISITORS_MAX_NEW_PER_IP_PER_HOUR
    if not ip or not limit:
        return True
    admitted_key = "visitor-ip:" + _digest(f"{ip}|{visitor_id}")
    if cache.get(admitted_key):
        return True
    # One counter per IP and clock hour; incr is atomic in Redis and in the local cache.
    window = int(time.time() // _IP_WINDOW_SECONDS)
    counter_key = f"visitor-ip-n:{_digest(ip)}:{window}"
    cache.add(counter_key, 0, timeout=_IP_WINDOW_SECONDS + 60)
    try:
        count = cache.incr(counter_key)
    except ValueError:  # expired between add and incr
        cache.add(counter_key, 1, timeout=_IP_WINDOW_SECONDS + 60)
        count = 1
    if count > limit:
        return False
    cache.set(admitted_key, 1, timeout=_IP_WINDOW_SECONDS)
    return True


def visit_record(
    *,
    visitor_id: str,
    campaign_id: int,
    entry_id: int | None = None,
    kind: str = Visit.Kind.VISIT,
    at: datetime | None = None,
    ip: str | None = None,
) -> bool:
    """Record that ``visitor_id`` saw a campaign (or one of its entries); True if a row
    was written, False if this visitor was recorded here within the window, or is one
    of more new visitor ids than ``ip`` may bring (``visitor_admitted``). Every page
    that counts visits passes the client's IP (``voting.api.support.client_ip``)."""
    if not visitor_id:
        return False
    raw = f"{kind}:{campaign_id}:{entry_id or 0}:{visitor_id}"
    key = "visit:" + _digest(raw)
    if cache.get(key):
        return False
    if not visitor_admitted(visitor_id=visitor_id, ip=ip):
        return False
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
    *,
    visitor_id: str,
    campaign_id: int,
    entry_id: int,
    at: datetime | None = None,
    ip: str | None = None,
) -> bool:
    """A click on an entry's share link: the denominator of share conversion."""
    return visit_record(
        visitor_id=visitor_id,
        campaign_id=campaign_id,
        entry_id=entry_id,
        kind=Visit.Kind.SHARE_CLICK,
        at=at,
        ip=ip,
    )


# --- App activity ---------------------------------------------------------------------

MAX_EVENTS = 1000
_KIND = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")
_CHUNK = 400  # rows per INSERT: 4 parameters each, far below SQLite's variable limit


@dataclass
class IngestResult:
    accepted: int = 0
    duplicate: int = 0
    rejected: list[dict] = field(default_factory=list)


def _parse_event(raw: object, today: date) -> tuple[str, date, str]:
    """One event → (phone, day, kind), or ValueError with the reason a client can act on."""
    if not isinstance(raw, dict):
        raise ValueError(_("An event is an object {phone, day, kind}."))
    missing = [key for key in ("phone", "day", "kind") if key not in raw]
    if missing:
        raise ValueError(_("Missing: %(fields)s.") % {"fields": ", ".join(missing)})
    try:
        phone = phone_normalize(raw["phone"])
    except InvalidPhone as error:
        raise ValueError(_("phone: %(error)s") % {"error": error}) from None
    if not isinstance(raw["day"], str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw["day"]):
        raise ValueError(_("day: use YYYY-MM-DD."))
    try:
        day = date.fromisoformat(raw["day"])
    except ValueError:
        raise ValueError(_("day: not a calendar date.")) from None
    if day > today:
        raise ValueError(_("day: in the future (local date, Asia/Shanghai)."))
    kind = raw["kind"]
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise ValueError(_("kind: 1-32 lowercase letters, digits, '_', '.' or '-'."))
    return phone, day, kind


def activity_ingest(*, events: list) -> IngestResult:
    """Store new (phone, day, kind) rows; count repeats as duplicates; reject bad events
    one by one with their index. Idempotent: sending a batch again accepts nothing.

    ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` tells exactly which rows were new,
    even when two batches with the same events arrive at once.
    """
    result = IngestResult()
    today = timezone.localdate()
    rows: dict[tuple[str, date, str], int] = {}
    for index, raw in enumerate(events):
        try:
            key = _parse_event(raw, today)
        except ValueError as error:
            result.rejected.append({"index": index, "reason": str(error)})
            continue
        if key in rows:
            result.duplicate += 1  # repeated within the batch
        else:
            rows[key] = index
    keys = list(rows)
    table = connection.ops.quote_name(Activity._meta.db_table)
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            params = [v for phone, day, kind in chunk for v in (phone, day, kind, now)]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (phone, day, kind, received_at) VALUES {values} "
                    "ON CONFLICT (phone, day, kind) DO NOTHING RETURNING id",
                    params,
                )
                inserted = len(cursor.fetchall())
            result.accepted += inserted
            result.duplicate += len(chunk) - inserted
    return result
