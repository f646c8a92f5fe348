"""Writes of traffic: anonymous visits and share-link clicks (the funnel's top), and the
batch ingest of app activity from the app's backend (the input of retention).

Reports count *unique* visitors, so a visit is stored once per visitor, target and
kind: its first view (a unique constraint; later views add nothing). Reads must not
write, so a first view is not written in the request: with Redis as the shared cache it
is appended to a list there (the buffer) and the periodic task ``voting.visits_flush``
writes the buffer in batches, ignoring rows already stored (``visits_flush``: an atomic
claim of the whole list, so nothing is lost when a worker dies mid-batch and nothing is
doubled when a batch is written twice). Without Redis (the embedded defaults: one
machine, SQLite) the row is written at once, the same way. A cache key per visitor and
target skips the repeats before they reach the buffer (docs/caching.md).

Visitor ids come from the client (``X-Visitor-Id``, the ``vid`` cookie), so one client
sending a fresh id with every request would inflate "unique visitors", the denominator
of the participation rate. Each client IP therefore brings at most
``VISITORS_MAX_NEW_PER_IP_PER_HOUR`` visitor ids an hour; visits of further ids from that
IP are not recorded (a campus NAT shares one IP, hence a generous default; see
docs/metrics.md). The count is kept in the shared cache (``CACHE_URL``) with atomic
``add``/``incr``, so concurrent requests and web processes share it.
"""

import hashlib
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from core.phones import InvalidPhone, phone_normalize
from core.redis_cache import redis_client, script_call
from voting.models import Activity, Entry, Visit

# A visitor's repeat views within this long do not reach the buffer (only the first
# view is stored anyway: this only spares the buffer).
_DEDUP_SECONDS = 6 * 60 * 60
_BUFFER = "campus:visits:buffer"
_CLAIMS = "campus:visits:claims"  # sorted set: claim list name -> claimed at
_CLAIM_PREFIX = "campus:visits:claim:"
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


@dataclass(frozen=True)
class PendingVisit:
    """A view to record (``visit_record``), prepared so that a cached read can record it
    in the same Redis round trip as it reads its body (``core.public_cache``'s
    ``on_hit``): ``lua`` defines ``on_hit(K, A)``, run with ``keys`` and ``args``;
    ``run()`` records it on its own (a cache miss, no Redis)."""

    visitor_id: str
    campaign_id: int
    entry_id: int | None
    kind: str
    ip: str | None
    key: str
    row: dict
    keys: tuple = ()
    args: tuple = ()
    lua: str = ""

    def run(self) -> bool:
        client = redis_client()
        if client is not None:
            return _buffer_first_view(client, self)
        if cache.get(self.key):
            return False
        if not visitor_admitted(visitor_id=self.visitor_id, ip=self.ip):
            return False
        if not cache.add(self.key, 1, timeout=_DEDUP_SECONDS):
            return False
        visits_write([self.row], checked=True)  # its campaign and entry were just read
        return True


def visit_pending(
    *,
    visitor_id: str,
    campaign_id: int,
    entry_id: int | None = None,
    kind: str = Visit.Kind.VISIT,
    at: datetime | None = None,
    ip: str | None = None,
) -> PendingVisit | None:
    """``visit_record``'s view, not recorded yet (None: no visitor id, nothing to record)."""
    if not visitor_id:
        return None
    raw = f"{kind}:{campaign_id}:{entry_id or 0}:{visitor_id}"
    key = "visit:" + _digest(raw)
    row = {
        "v": visitor_id[:64],
        "k": kind,
        "c": int(campaign_id),
        "e": int(entry_id) if entry_id else None,
        "at": (at or timezone.now()).isoformat(),
    }
    limit = (settings.VISITORS_MAX_NEW_PER_IP_PER_HOUR if ip else 0) or 0
    window = int(time.time() // _IP_WINDOW_SECONDS)
    keys = (
        f"campus:{key}",
        "campus:visitor-ip:" + _digest(f"{ip}|{visitor_id}"),
        f"campus:visitor-ip-n:{_digest(ip or '')}:{window}",
        _BUFFER,
    )
    args = (
        _DEDUP_SECONDS,
        limit,
        _IP_WINDOW_SECONDS + 60,
        _IP_WINDOW_SECONDS,
        json.dumps(row, separators=(",", ":")),
    )
    return PendingVisit(
        visitor_id, int(campaign_id), entry_id, kind, ip, key, row, keys, args, _RECORD_FN
    )


def visit_record(
    *,
    visitor_id: str,
    campaign_id: int,
    entry_id: int | None = None,
    kind: str = Visit.Kind.VISIT,
    at: datetime | None = None,
    ip: str | None = None,
) -> bool:
    """Record that ``visitor_id`` saw a campaign (or one of its entries); True if its
    first view was recorded now (buffered, or written without Redis), False if this
    visitor was seen here recently, or is one of more new visitor ids than ``ip`` may
    bring (``visitor_admitted``). Every page that counts visits passes the client's IP
    (``voting.api.support.client_ip``)."""
    pending = visit_pending(
        visitor_id=visitor_id,
        campaign_id=campaign_id,
        entry_id=entry_id,
        kind=kind,
        at=at,
        ip=ip,
    )
    return pending is not None and pending.run()


# visit_record with Redis, in one round trip: the same steps as without (seen recently?
# admitted from this IP? then mark it seen and append it to the buffer), atomic. K: the
# visit's key, the visitor's admitted-from-this-IP key, the IP's counter this hour, the
# buffer. A: seconds a visit is "recent", the IP limit (0: none), the counter's and the
# admission's lifetimes, the row. A function, so that a cached read runs it in its own
# script (core/public_cache.py).
_RECORD_FN = """
local function on_hit(K, A)
  if redis.call('EXISTS', K[1]) == 1 then return 0 end
  if tonumber(A[2]) > 0 and redis.call('EXISTS', K[2]) == 0 then
    local n = redis.call('INCR', K[3])
    if n == 1 then redis.call('EXPIRE', K[3], A[3]) end
    if n > tonumber(A[2]) then return -1 end
    redis.call('SET', K[2], 1, 'EX', A[4])
  end
  redis.call('SET', K[1], 1, 'EX', A[1])
  redis.call('RPUSH', K[4], A[5])
  return 1
end
"""
_RECORD = _RECORD_FN + "return on_hit(KEYS, ARGV)\n"
_record_scripts: dict[int, object] = {}


def _buffer_first_view(client, pending: PendingVisit) -> bool:
    script = _record_scripts.get(id(client))
    if script is None:
        script = _record_scripts[id(client)] = client.register_script(_RECORD)
    return script_call(client, script, list(pending.keys), list(pending.args)) == 1


def visits_write(rows: list[dict], *, checked: bool = False) -> int:
    """Store buffered visits (``visit_record``'s rows), ignoring those already stored
    (the unique first view) and, unless ``checked``, those whose campaign or entry was
    deleted since; returns how many rows were handed to the database."""
    campaigns = {r["c"] for r in rows}
    entries = {r["e"] for r in rows if r["e"]}
    if not checked:
        campaigns = set(Campaign.objects.filter(pk__in=campaigns).values_list("pk", flat=True))
        entries = set(Entry.objects.filter(pk__in=entries).values_list("pk", flat=True))
    visits = [
        Visit(
            visitor_id=r["v"],
            kind=r["k"],
            campaign_id=r["c"],
            entry_id=r["e"],
            at=datetime.fromisoformat(r["at"]),
        )
        for r in rows
        if r["c"] in campaigns and (not r["e"] or r["e"] in entries)
    ]
    # ON CONFLICT DO NOTHING (PostgreSQL) / INSERT OR IGNORE (SQLite) on the unique
    # first view: a batch written twice, or two first views at once, store one row.
    Visit.objects.bulk_create(visits, batch_size=1000, ignore_conflicts=True)
    return len(visits)


# Claim the whole buffer at once: RENAME is atomic, so a visit appended meanwhile goes
# to the next buffer, and the claim is listed (with the time) in the same script, so
# a worker dying after it leaves a claim the next flush finds.
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('ZADD', KEYS[3], ARGV[1], KEYS[2])
return 1
"""
_FLUSH_CHUNK = 5000


def visits_flush() -> int:
    """Write the buffered visits in batches; returns how many rows were written (0
    without Redis: visits are then written at once). Safe to run twice or at once with
    itself: rows already stored are ignored. Claims older than
    ``VISITS_RECLAIM_SECONDS`` are a dead worker's and are written again."""
    client = redis_client()
    if client is None:
        return 0
    now = time.time()
    mine = f"{_CLAIM_PREFIX}{uuid.uuid4().hex}"
    claimed = client.eval(_CLAIM, 3, _BUFFER, mine, _CLAIMS, now)
    stale = client.zrangebyscore(_CLAIMS, "-inf", now - settings.VISITS_RECLAIM_SECONDS)
    names = ([mine] if claimed else []) + [n.decode() if isinstance(n, bytes) else n for n in stale]
    written = 0
    for name in dict.fromkeys(names):
        start = 0
        while True:
            chunk = client.lrange(name, start, start + _FLUSH_CHUNK - 1)
            if not chunk:
                break
            with transaction.atomic():
                written += visits_write([json.loads(raw) for raw in chunk])
            start += len(chunk)
        # Only once written: a worker dying before this leaves the claim for the next.
        client.delete(name)
        client.zrem(_CLAIMS, name)
    return written


def visits_pending() -> int:
    """Visits in the buffer and in claims not yet written (0 without Redis)."""
    client = redis_client()
    if client is None:
        return 0
    names = [_BUFFER, *client.zrange(_CLAIMS, 0, -1)]
    return sum(client.llen(name) for name in names)


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
