"""Fraud signals: detectors that turn suspicious patterns of votes into ``FraudFlag`` rows,
and the two ways staff close a flag (confirm → votes invalidated, or dismiss).

Six signals (SPEC "Celery jobs", issue 5), each a function ``detect_*(campaign_id=, now=)``
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
  their own times and using the app afterwards, raise nothing (tests/voting/test_fraud.py).
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

import hashlib
import logging
import math
import statistics
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import ExtractMinute, Floor, TruncHour
from django.utils import timezone
from django.utils.translation import gettext

from campaigns.audit import audit_record
from campaigns.errors import DomainError
from campaigns.models import Campaign

from .models import Activity, FraudFlag, Visit, Vote, Voter
from .services import vote_invalidate

logger = logging.getLogger(__name__)

Kind = FraudFlag.Kind
Severity = FraudFlag.Severity


def _t(name: str) -> Any:
    """One threshold of ``settings.FRAUD_THRESHOLDS`` (documented in config/settings/base.py)."""
    return settings.FRAUD_THRESHOLDS[name]


# --- Helpers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    """One vote as the sliding windows see it."""

    at: datetime
    voter_id: int
    vote_id: int
    entry_id: int
    created_at: datetime | None = None  # the voter's first_seen_at, where a signal needs it


def _largest_created_group(
    voter_ids: Iterable[int], created: dict[int, datetime], within: timedelta
) -> set[int]:
    """The largest set of voters whose accounts were created within ``within`` of each other."""
    ordered = sorted(voter_ids, key=lambda v: created[v])
    best: tuple[int, int] = (0, 0)
    left = 0
    for right in range(len(ordered)):
        while created[ordered[right]] - created[ordered[left]] > within:
            left += 1
        if right + 1 - left > best[1] - best[0]:
            best = (left, right + 1)
    return set(ordered[best[0] : best[1]])


def _dense_events(
    events: Sequence[_Event],
    *,
    window: timedelta,
    min_voters: int,
    created_within: timedelta | None = None,
) -> tuple[list[_Event], int]:
    """The events lying in some window ``[t, t + window)`` that holds votes of at least
    ``min_voters`` distinct voters, and the most distinct voters any such window held.

    With ``created_within``, only voters whose accounts were created within that span of
    each other count towards a window (and only their votes are returned).

    ``events`` are one candidate's (a device's, an entry's) sorted by time: this is the
    exact check after SQL has narrowed the candidates, quadratic only in the size of a
    window, which is small by construction.
    """
    suspect: dict[int, _Event] = {}
    best = 0
    right = 0
    n = len(events)
    for left in range(n):
        while right < n and events[right].at - events[left].at < window:
            right += 1
        if right - left < min_voters:
            continue
        in_window = events[left:right]
        voters = {e.voter_id for e in in_window}
        if created_within is not None and len(voters) >= min_voters:
            created = {e.voter_id: e.created_at for e in in_window}
            voters = _largest_created_group(voters, created, created_within)
        if len(voters) < min_voters:
            continue
        best = max(best, len(voters))
        for event in in_window:
            if event.voter_id in voters:
                suspect[event.vote_id] = event
    return sorted(suspect.values(), key=lambda e: (e.at, e.vote_id)), best


def _runs(events: Sequence[_Event], *, gap: timedelta) -> list[list[_Event]]:
    """Split time-sorted events where consecutive ones are ``gap`` or more apart."""
    runs: list[list[_Event]] = []
    for event in events:
        if runs and event.at - runs[-1][-1].at < gap:
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


@dataclass(frozen=True)
class _HotWindow:
    """A stretch of two adjacent fixed windows that may hold an unusual window of votes."""

    start: datetime
    end: datetime
    ordinary: float  # the group's median votes per window elsewhere
    threshold: int  # the votes (distinct voters) a window here needs to be unusual


def _noise_ceiling(rate: float, p: float) -> int:
    """The smallest count ``k`` that Poisson noise at ``rate`` per window reaches with a
    probability below ``p`` (P(X >= k) < p): a count honest arrivals at that rate do not
    produce by chance, however many windows are looked at."""
    if rate <= 0:
        return 1
    if rate > 500:  # exp(-rate) underflows; the normal approximation is good here
        return math.ceil(rate + 5 * math.sqrt(rate))
    pmf = cdf = math.exp(-rate)
    k = 0
    while 1 - cdf >= p:
        k += 1
        pmf *= rate / k
        cdf += pmf
    return k + 1


def _hot_windows(
    votes: QuerySet[Vote], group: Sequence[str], *, minutes: int, minimum: int, factor: float
) -> dict[tuple, list[_HotWindow]]:
    """Per group of ``votes`` (an entry; a user agent on an IP), the stretches of time that
    may hold a window of ``minutes`` with an unusual number of votes, counted in SQL.

    Votes are counted per group and fixed window of the local clock in one GROUP BY. Any
    window of ``minutes`` lies within two adjacent fixed windows, so each pair adding up
    to ``minimum`` is judged against the group's ordinary rate, the larger of

    - the median of its other non-empty windows (its history), and
    - its mean rate in the hours around (its rate at this time of day: evenings are busy),

    both leaving out the pair and one window on each side, so what is judged never raises
    its own baseline and a group with nothing else only has to reach ``minimum``. A pair is
    unusual when it reaches ``minimum``, more than ``factor`` times the ordinary rate, and a
    count that honest arrivals at that rate reach by chance with probability below
    ``noise_probability`` (a busy campus NAT sees many windows; chance must not fire).
    Only the unusual pairs are returned, to be checked exactly on their rows.
    """
    if 60 % minutes:
        raise ValueError("fraud signal windows must divide an hour")
    window = timedelta(minutes=minutes)
    around = range(-(120 // minutes), 120 // minutes + 2)  # two hours either side
    rows = (
        votes.annotate(hour=TruncHour("cast_at"), slot=Floor(ExtractMinute("cast_at") / minutes))
        .values(*group, "hour", "slot")
        .annotate(n=Count("id"))
        .values_list(*group, "hour", "slot", "n")
    )
    counts: dict[tuple, dict[datetime, int]] = defaultdict(dict)
    for *key, hour, slot, n in rows:
        counts[tuple(key)][hour + timedelta(minutes=int(slot) * minutes)] = n
    hot: dict[tuple, list[_HotWindow]] = {}
    for key, buckets in counts.items():
        for start in sorted(buckets):
            pair = buckets[start] + buckets.get(start + window, 0)
            if pair < minimum:
                continue  # cheap exit: most windows of honest traffic end here
            near = {start + k * window for k in (-1, 0, 1, 2)}
            others = [n for b, n in buckets.items() if b not in near]
            local = [buckets.get(start + k * window, 0) for k in around if k not in (-1, 0, 1, 2)]
            ordinary = max(statistics.median(others) if others else 0, sum(local) / len(local))
            threshold = max(
                minimum,
                math.floor(factor * ordinary) + 1,
                _noise_ceiling(ordinary, _t("noise_probability")),
            )
            if pair >= threshold:
                hot.setdefault(key, []).append(
                    _HotWindow(start, start + 2 * window, round(ordinary, 2), threshold)
                )
    return hot


def _unusual_events(
    qs: QuerySet[Vote],
    hot: Sequence[_HotWindow],
    *,
    window: timedelta,
    created_within: timedelta | None = None,
) -> list[tuple[_HotWindow, list[_Event]]]:
    """Read the rows of a group's hot stretches (one query) and check each exactly: the
    hot windows that hold a window reaching their threshold, with the votes in it."""
    ranges = Q()
    for where in hot:
        ranges |= Q(cast_at__gte=where.start, cast_at__lt=where.end)
    events = _events(qs.filter(ranges), with_created=True)
    times = [e.at for e in events]
    fired = []
    for where in hot:
        inside = events[bisect_left(times, where.start) : bisect_left(times, where.end)]
        suspect, _best = _dense_events(
            inside, window=window, min_voters=where.threshold, created_within=created_within
        )
        if suspect:
            fired.append((where, suspect))
    return fired


def _merge_fired(fired: Sequence[tuple[_HotWindow, list[_Event]]]) -> list[_Event]:
    merged = {e.vote_id: e for _where, events in fired for e in events}
    return sorted(merged.values(), key=lambda e: (e.at, e.vote_id))


def _most_voters_in_window(events: Sequence[_Event], window: timedelta) -> int:
    best, right, n = 0, 0, len(events)
    for left in range(n):
        while right < n and events[right].at - events[left].at < window:
            right += 1
        best = max(best, len({e.voter_id for e in events[left:right]}))
    return best


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _common_evidence(events: Sequence[_Event]) -> dict[str, Any]:
    """What every flag's evidence shows: how many voters and votes, when, for which
    entries, and a sample of ids to look up in admin."""
    size = _t("sample_size")
    voter_ids = sorted({e.voter_id for e in events})
    per_entry = Counter(e.entry_id for e in events)
    return {
        "voters": len(voter_ids),
        "votes": len(events),
        "first_vote_at": _iso(min(e.at for e in events)),
        "last_vote_at": _iso(max(e.at for e in events)),
        # JSON object keys are strings; keep them so a rescan compares equal.
        "votes_per_entry": {str(k): v for k, v in sorted(per_entry.items())},
        "sample_voter_ids": voter_ids[:size],
        "sample_vote_ids": sorted(e.vote_id for e in events)[:size],
    }


def _scan_votes(campaign_id: int, now: datetime) -> QuerySet[Vote]:
    """Every vote of the campaign cast up to ``now``, valid or not (see module docstring)."""
    return Vote.objects.filter(campaign_id=campaign_id, cast_at__lte=now)


def _events(qs: QuerySet[Vote], *, with_created: bool = False) -> list[_Event]:
    fields = ["cast_at", "voter_id", "id", "entry_id"]
    if with_created:
        fields.append("voter__first_seen_at")
    return [_Event(*row) for row in qs.order_by("cast_at", "id").values_list(*fields)]


# --- Recording flags ----------------------------------------------------------------------


def fraud_flag_record(
    *,
    campaign_id: int,
    kind: str,
    key: str,
    vote_ids: Iterable[int],
    evidence: dict[str, Any],
    severity: int,
    entry_id: int | None = None,
) -> FraudFlag | None:
    """Create or update the flag of one pattern; ``None`` when nothing changed.

    - a new pattern with at least one valid vote → a new open flag;
    - an open flag → takes the fresh evidence, votes and severity as they are now;
    - a reviewed (confirmed or dismissed) flag → left exactly as reviewed, so a dismissal is
      not undone by the same evidence; only new suspect votes that are still valid reopen
      it, with the earlier review kept in ``review_history``.
    """
    vote_ids = set(vote_ids)
    if not vote_ids:
        return None
    lookup = {"campaign_id": campaign_id, "kind": kind, "key": key}
    with transaction.atomic():
        # Locked so two scans of one campaign (beat and a redelivered task) serialise here.
        flag = FraudFlag.objects.select_for_update().filter(**lookup).first()
        if flag is None:
            if not Vote.objects.filter(pk__in=vote_ids, status=Vote.Status.VALID).exists():
                return None
            try:
                with transaction.atomic():
                    flag = FraudFlag.objects.create(
                        **lookup, entry_id=entry_id, severity=severity, evidence=evidence
                    )
            except IntegrityError:
                # The other scan inserted it between our read and our insert: update theirs.
                flag = FraudFlag.objects.select_for_update().get(**lookup)
            else:
                flag.votes.add(*vote_ids)
                return flag
        known = set(flag.votes.values_list("pk", flat=True))
        new, gone = vote_ids - known, known - vote_ids
        if flag.status == FraudFlag.Status.OPEN:
            # An open flag follows the evidence both ways: votes join as a pattern grows
            # and leave when they no longer fit it (a voter's app activity arrived late).
            if not new and not gone and flag.evidence == evidence and flag.severity == severity:
                return None
            flag.votes.add(*new)
            flag.votes.remove(*gone)
            flag.evidence, flag.severity = evidence, severity
            flag.save(update_fields=["evidence", "severity", "updated_at"])
            return flag
        # Reviewed: left exactly as reviewed unless new, still valid suspect votes appear.
        if not Vote.objects.filter(pk__in=new, status=Vote.Status.VALID).exists():
            return None
        flag.votes.add(*new)
        flag.review_history = [
            *flag.review_history,
            {
                "status": flag.status,
                "by": flag.reviewed_by_id,
                "at": _iso(flag.reviewed_at),
                "note": flag.review_note,
                "votes_then": len(known),
            },
        ]
        flag.evidence, flag.severity = evidence, severity
        flag.status = FraudFlag.Status.OPEN
        flag.reviewed_by = None
        flag.reviewed_at = None
        flag.review_note = ""
        flag.save()
        return flag


def _record(
    campaign_id: int,
    kind: str,
    key: str,
    events: Sequence[_Event],
    evidence: dict[str, Any],
    severity: int,
    entry_id: int | None = None,
) -> FraudFlag | None:
    return fraud_flag_record(
        campaign_id=campaign_id,
        kind=kind,
        key=key,
        vote_ids=[e.vote_id for e in events],
        evidence={**_common_evidence(events), **evidence},
        severity=severity,
        entry_id=entry_id,
    )


def _severity(size: int, minimum: int, *, base: int = Severity.MEDIUM) -> int:
    """One level up when a cluster is at least twice the size that fires it."""
    return min(base + 10, Severity.HIGH) if size >= 2 * minimum else base


# --- (a) Many voters on one device --------------------------------------------------------


def detect_device_clusters(*, campaign_id: int, now: datetime) -> list[FraudFlag]:
    """At least ``device_min_voters`` distinct voters on one device id within
    ``device_window_minutes``.

    A device id is one phone or browser install. Two or three people sharing a phone
    (a couple, roommates) is ordinary; four different accounts on one device within ten
    minutes is somebody signing in again and again to vote. Blank device ids are no
    device and never cluster.
    """
    minimum, window = _t("device_min_voters"), timedelta(minutes=_t("device_window_minutes"))
    votes = _scan_votes(campaign_id, now).exclude(device_id="")
    candidates = list(
        votes.values("device_id")
        .annotate(n_voters=Count("voter", distinct=True))
        .filter(n_voters__gte=minimum)
        .values_list("device_id", flat=True)
    )
    by_device: dict[str, list[_Event]] = defaultdict(list)
    rows = votes.filter(device_id__in=candidates).order_by("cast_at", "id")
    for device_id, *event in rows.values_list("device_id", "cast_at", "voter_id", "id", "entry_id"):
        by_device[device_id].append(_Event(*event))
    flags = []
    for device_id, events in sorted(by_device.items()):
        suspect, best = _dense_events(events, window=window, min_voters=minimum)
        if not suspect:
            continue
        evidence = {
            "device_id": device_id,
            "max_voters_in_window": best,
            "window_minutes": _t("device_window_minutes"),
            "min_voters": minimum,
        }
        flags.append(
            _record(
                campaign_id,
                Kind.DEVICE_CLUSTER,
                f"device:{device_id}",
                suspect,
                evidence,
                _severity(best, minimum),
            )
        )
    return [f for f in flags if f]


# --- (b) One user agent from one IP, new accounts together --------------------------------


def detect_user_agent_clusters(*, campaign_id: int, now: datetime) -> list[FraudFlag]:
    """Voters with one exact user agent from one IP within ``ua_window_minutes``, whose
    accounts were created within ``ua_created_within_minutes`` of each other: at least
    ``ua_min_voters`` of them, and more than ``ua_factor`` times that user agent's ordinary
    rate from that IP.

    A script rotating device ids still sends one user agent. Each condition alone is
    honest: a dorm shares an IP, a popular phone model shares a user agent, a class group
    signs up together. Only all at once fire, so a dorm IP never does. The rate condition
    is for a big campus NAT at its busiest hour, where dozens of honest new students with
    the most common phone arrive from one IP within minutes: that is their normal, and a
    farm must stand out against it.
    """
    minimum, factor = _t("ua_min_voters"), _t("ua_factor")
    window = timedelta(minutes=_t("ua_window_minutes"))
    within = timedelta(minutes=_t("ua_created_within_minutes"))
    votes = _scan_votes(campaign_id, now).exclude(user_agent="").filter(ip__isnull=False)
    hot = _hot_windows(
        votes,
        ["user_agent", "ip"],
        minutes=_t("ua_window_minutes"),
        minimum=minimum,
        factor=factor,
    )
    flags = []
    for (user_agent, ip), stretches in sorted(hot.items()):
        fired = _unusual_events(
            votes.filter(user_agent=user_agent, ip=ip),
            stretches,
            window=window,
            created_within=within,
        )
        if not fired:
            continue
        suspect = _merge_fired(fired)
        where = min((w for w, _events in fired), key=lambda w: w.threshold)
        best = _most_voters_in_window(suspect, window)
        created = [e.created_at for e in suspect]
        digest = hashlib.sha256(user_agent.encode()).hexdigest()[:16]
        evidence = {
            "user_agent": user_agent,
            "ip": ip,
            "max_voters_in_window": best,
            "ordinary_votes_per_window": where.ordinary,
            "threshold": where.threshold,
            "accounts_created_from": _iso(min(created)),
            "accounts_created_to": _iso(max(created)),
            "window_minutes": _t("ua_window_minutes"),
            "created_within_minutes": _t("ua_created_within_minutes"),
            "min_voters": minimum,
            "factor": factor,
        }
        flags.append(
            _record(
                campaign_id,
                Kind.USER_AGENT_CLUSTER,
                f"ua:{digest}:{ip}",
                suspect,
                evidence,
                _severity(best, where.threshold),
            )
        )
    return [f for f in flags if f]


# --- (c) Accounts voting seconds after creation -------------------------------------------


def detect_fast_new_accounts(*, campaign_id: int, now: datetime) -> list[FraudFlag]:
    """At least ``fast_min_voters`` accounts that voted for one entry within
    ``fast_vote_seconds`` of being created, within ``fast_window_minutes`` of each other.

    Signing in with an SMS code and then voting takes a person some time; a script takes
    none. But a quick honest voter can manage it, so a single fast account is never
    flagged: only a cluster of them on one entry, which is what a farm produces.
    """
    minimum = _t("fast_min_voters")
    window = timedelta(minutes=_t("fast_window_minutes"))
    # A vote "before" its account existed is replayed or seeded history, not a fast vote.
    fast = _scan_votes(campaign_id, now).filter(
        cast_at__gte=F("voter__first_seen_at"),
        cast_at__lte=F("voter__first_seen_at") + timedelta(seconds=_t("fast_vote_seconds")),
    )
    candidates = list(
        fast.values("entry")
        .annotate(n_voters=Count("voter", distinct=True))
        .filter(n_voters__gte=minimum)
        .values_list("entry", flat=True)
    )
    flags = []
    for entry_id in sorted(candidates):
        events = _events(fast.filter(entry_id=entry_id), with_created=True)
        suspect, best = _dense_events(events, window=window, min_voters=minimum)
        if not suspect:
            continue
        lags = [(e.at - e.created_at).total_seconds() for e in suspect]
        evidence = {
            "entry_id": entry_id,
            "max_voters_in_window": best,
            "seconds_from_sign_up_max": round(max(lags), 1),
            "seconds_from_sign_up_median": round(statistics.median(lags), 1),
            "fast_vote_seconds": _t("fast_vote_seconds"),
            "window_minutes": _t("fast_window_minutes"),
            "min_voters": minimum,
        }
        flags.append(
            _record(
                campaign_id,
                Kind.FAST_NEW_ACCOUNT,
                f"fast:{entry_id}",
                suspect,
                evidence,
                _severity(best, minimum),
                entry_id=entry_id,
            )
        )
    return [f for f in flags if f]


# --- (d) Bursts on one entry against its own history --------------------------------------


def detect_entry_bursts(*, campaign_id: int, now: datetime) -> list[FraudFlag]:
    """A window of ``burst_window_minutes`` in which an entry got at least
    ``burst_min_votes`` votes and more than ``burst_factor`` times its ordinary rate.

    The ordinary rate is the median of the entry's other non-empty windows (see
    ``_hot_windows``), so a popular entry is compared with its own busy normal and the
    burst does not raise its own baseline. The absolute minimum keeps small entries
    (median 1) from firing on a handful of friends. A class group voting at once is an
    honest burst too, so a burst alone is low severity; it rises when most of the burst's
    voters signed up just before.
    """
    minutes = _t("burst_window_minutes")
    window = timedelta(minutes=minutes)
    minimum, factor = _t("burst_min_votes"), _t("burst_factor")
    votes = _scan_votes(campaign_id, now)
    hot = _hot_windows(votes, ["entry"], minutes=minutes, minimum=minimum, factor=factor)
    flags = []
    for (entry_id,), stretches in sorted(hot.items()):
        fired = _unusual_events(votes.filter(entry_id=entry_id), stretches, window=window)
        if not fired:
            continue
        suspect = _merge_fired(fired)
        existing = {
            flag.key: flag.evidence
            for flag in FraudFlag.objects.filter(
                campaign_id=campaign_id, kind=Kind.ENTRY_BURST, entry_id=entry_id
            )
        }
        for run in _runs(suspect, gap=window):
            fresh = sum(1 for e in run if timedelta(0) <= e.at - e.created_at <= timedelta(hours=1))
            best = _most_voters_in_window(run, window)
            in_run = {e.vote_id for e in run}
            where = min(
                (w for w, events in fired if in_run.intersection(e.vote_id for e in events)),
                key=lambda w: w.threshold,
            )
            severity = Severity.LOW
            if fresh * 2 >= len(run):
                severity += 10
            if best >= 2 * where.threshold:
                severity += 10
            evidence = {
                "entry_id": entry_id,
                "window_start": _iso(run[0].at),
                "window_end": _iso(run[-1].at),
                "max_votes_in_window": best,
                "ordinary_votes_per_window": where.ordinary,
                "threshold": where.threshold,
                "voters_signed_up_within_hour": fresh,
                "window_minutes": minutes,
                "factor": factor,
                "min_votes": minimum,
            }
            key = _burst_key(entry_id, run, existing, window)
            flags.append(
                _record(
                    campaign_id,
                    Kind.ENTRY_BURST,
                    key,
                    run,
                    evidence,
                    min(severity, Severity.HIGH),
                    entry_id=entry_id,
                )
            )
    return [f for f in flags if f]


def _burst_key(
    entry_id: int, run: list[_Event], existing: dict[str, dict], window: timedelta
) -> str:
    """A burst found again by a later scan keeps its flag even if it grew to start earlier
    or end later: reuse the key of a known burst of the entry that overlaps this one."""
    start, end = run[0].at, run[-1].at
    for key, evidence in existing.items():
        try:
            known_start = datetime.fromisoformat(evidence["window_start"])
            known_end = datetime.fromisoformat(evidence["window_end"])
        except (KeyError, TypeError, ValueError):
            continue
        if known_start - window < end and start < known_end + window:
            return key
    local = timezone.localtime(start)
    bucket = local.replace(minute=local.minute - local.minute % (window.seconds // 60), second=0)
    return f"burst:{entry_id}:{bucket:%Y%m%dT%H%M}"


# --- (e) New voters never active in the app afterwards ------------------------------------


def detect_never_active(*, campaign_id: int, now: datetime) -> list[FraudFlag]:
    """An entry whose new voters, ``inactive_after_days`` after voting, never used the app
    (no activity on or after the day they voted): at least ``inactive_min_voters`` of them,
    a share of at least ``inactive_min_share`` and ``inactive_margin`` above the share among
    all the campaign's new voters.

    Many honest sign-ups never come back either, which is why the signal compares an entry
    with the campaign: a sockpuppet farm is all inactive and all on one entry. New voters
    are those verified from the opening of entries on (SPEC "new users"); a vote younger
    than the waiting period is not judged yet, as the app reports activity in batches.
    """
    campaign = Campaign.objects.get(pk=campaign_id)
    minimum = _t("inactive_min_voters")
    judged_through: date = timezone.localdate(now) - timedelta(days=_t("inactive_after_days"))
    active_after = Activity.objects.filter(phone=OuterRef("voter__phone"), day__gte=OuterRef("day"))
    votes = (
        _scan_votes(campaign_id, now)
        .filter(day__lte=judged_through, voter__verified_at__gte=campaign.submission_starts_at)
        .annotate(active=Exists(active_after))
    )
    inactive = Q(active=False)
    overall = votes.aggregate(
        n=Count("voter", distinct=True), n_inactive=Count("voter", distinct=True, filter=inactive)
    )
    if not overall["n"]:
        return []
    per_entry = (
        votes.values("entry")
        .annotate(
            n=Count("voter", distinct=True),
            n_inactive=Count("voter", distinct=True, filter=inactive),
        )
        .filter(n_inactive__gte=minimum)
        .values_list("entry", "n", "n_inactive")
    )
    flags = []
    for entry_id, n, n_inactive in sorted(per_entry):
        share = n_inactive / n
        # The baseline without this entry, so one large farm cannot lift it out of reach.
        rest_n, rest_inactive = overall["n"] - n, overall["n_inactive"] - n_inactive
        baseline = rest_inactive / rest_n if rest_n > 0 else 0.0
        if share < _t("inactive_min_share") or share < baseline + _t("inactive_margin"):
            continue
        events = _events(votes.filter(inactive, entry_id=entry_id))
        evidence = {
            "entry_id": entry_id,
            "new_voters": n,
            "never_active": n_inactive,
            "share": round(share, 3),
            "campaign_share_elsewhere": round(baseline, 3),
            "judged_votes_through": judged_through.isoformat(),
            "after_days": _t("inactive_after_days"),
            "min_voters": minimum,
            "min_share": _t("inactive_min_share"),
            "margin": _t("inactive_margin"),
        }
        severity = _severity(n_inactive, minimum) if share >= 0.99 else Severity.MEDIUM
        flags.append(
            _record(
                campaign_id,
                Kind.NEVER_ACTIVE,
                f"inactive:{entry_id}",
                events,
                evidence,
                severity,
                entry_id=entry_id,
            )
        )
    return [f for f in flags if f]


# --- (f) Share-link sign-up rings ---------------------------------------------------------


def detect_share_rings(*, campaign_id: int, now: datetime) -> list[FraudFlag]:
    """At least ``ring_min_voters`` accounts signed up through one entry's share link
    within ``ring_window_minutes`` of each other, each voting for that entry and for
    nothing else in the campaign.

    An honest share brings classmates who vote for their friend and often for others too,
    and they arrive over hours as the link travels. Low severity alone (a class group can
    look like this); the evidence compares sign-ups with clicks on the share link in the
    same minutes, since scripted sign-ups need no click.
    """
    minimum, window = _t("ring_min_voters"), timedelta(minutes=_t("ring_window_minutes"))
    shared = Voter.objects.filter(
        channel=Voter.Channel.SHARE,
        attributed_entry__campaign_id=campaign_id,
        first_seen_at__lte=now,
    )
    candidates = list(
        shared.values("attributed_entry")
        .annotate(n=Count("id"))
        .filter(n__gte=minimum)
        .values_list("attributed_entry", flat=True)
    )
    if not candidates:
        return []
    in_campaign = Q(votes__campaign_id=campaign_id, votes__cast_at__lte=now)
    loyal = (
        shared.filter(attributed_entry__in=candidates)
        .annotate(
            n_all=Count("votes", filter=in_campaign),
            n_own=Count("votes", filter=in_campaign & Q(votes__entry=F("attributed_entry"))),
        )
        .filter(n_all__gt=0, n_all=F("n_own"))
        .values_list("attributed_entry", "first_seen_at", "id")
    )
    members: dict[int, list[_Event]] = defaultdict(list)
    for entry_id, first_seen_at, voter_id in loyal:
        # Sign-ups are the events here (the window is over account creation times), one
        # per voter, so the voter id stands in for the vote id.
        members[entry_id].append(_Event(first_seen_at, voter_id, voter_id, entry_id))
    flags = []
    for entry_id, signups in sorted(members.items()):
        signups.sort(key=lambda e: (e.at, e.voter_id))
        ring, best = _dense_events(signups, window=window, min_voters=minimum)
        if not ring:
            continue
        voter_ids = [e.voter_id for e in ring]
        events = _events(_scan_votes(campaign_id, now).filter(voter_id__in=voter_ids))
        start, end = ring[0].at, ring[-1].at
        clicks = Visit.objects.filter(
            kind=Visit.Kind.SHARE_CLICK, entry_id=entry_id, at__gte=start - window, at__lte=end
        ).aggregate(n=Count("visitor_id", distinct=True))["n"]
        evidence = {
            "entry_id": entry_id,
            "ring_accounts": len(voter_ids),
            "max_sign_ups_in_window": best,
            "accounts_created_from": _iso(start),
            "accounts_created_to": _iso(end),
            "share_link_visitors_then": clicks,
            "window_minutes": _t("ring_window_minutes"),
            "min_voters": minimum,
        }
        # More sign-ups than people who even opened the link: nobody clicked, a script did.
        base = Severity.MEDIUM if clicks < len(voter_ids) else Severity.LOW
        flags.append(
            _record(
                campaign_id,
                Kind.SHARE_RING,
                f"ring:{entry_id}",
                events,
                evidence,
                _severity(best, minimum, base=base),
                entry_id=entry_id,
            )
        )
    return [f for f in flags if f]


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
    changed: list[FraudFlag] = []
    for detector in DETECTORS:
        found = detector(campaign_id=campaign_id, now=now)
        if found:
            logger.info(
                "fraud scan: campaign %s %s: %d flags", campaign_id, detector.__name__, len(found)
            )
        changed.extend(found)
    return changed


def fraud_scan_campaign_ids(*, now: datetime | None = None) -> list[int]:
    """Campaigns worth scanning: voting has started and ended at most a few days ago, so
    the never-active signal still sees the last days' voters once they are old enough."""
    now = now or timezone.now()
    settle = timedelta(days=_t("inactive_after_days") + 1)
    return list(
        Campaign.objects.filter(
            status__in=[Campaign.Status.OPEN, Campaign.Status.CLOSED],
            voting_starts_at__lte=now,
            voting_ends_at__gte=now - settle,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- Review -------------------------------------------------------------------------------


def fraud_flag_confirm(*, flag_id: int, actor: Any, reason: str) -> int:
    """Confirm a flag: invalidate its still-valid suspect votes with ``reason`` (through
    ``vote_invalidate``, which writes the audit log and recomputes the leaderboard after
    commit) and record who confirmed it. Returns how many votes were invalidated."""
    reason = reason.strip()
    if not reason:
        raise DomainError("A reason is required to confirm a fraud flag.")
    with transaction.atomic():
        flag = FraudFlag.objects.select_for_update().get(pk=flag_id)
        vote_ids = list(flag.votes.filter(status=Vote.Status.VALID).values_list("pk", flat=True))
        n = vote_invalidate(
            vote_ids=vote_ids, actor=actor, reason=f"{reason} (fraud flag #{flag.pk})"
        )
        flag.status = FraudFlag.Status.CONFIRMED
        flag.reviewed_by = actor if getattr(actor, "pk", None) else None
        flag.reviewed_at = timezone.now()
        flag.review_note = reason
        flag.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        # One farm raises several flags over the same votes (its phone, its script's
        # user agent). An open flag left without a valid suspect vote has nothing more
        # to review: it is confirmed with this one. One with valid votes left stays open.
        covered = list(
            FraudFlag.objects.filter(status=FraudFlag.Status.OPEN, votes__in=vote_ids)
            .exclude(votes__status=Vote.Status.VALID)
            .values_list("pk", flat=True)
            .distinct()
        )
        FraudFlag.objects.filter(pk__in=covered, status=FraudFlag.Status.OPEN).update(
            status=FraudFlag.Status.CONFIRMED,
            reviewed_by=flag.reviewed_by,
            reviewed_at=flag.reviewed_at,
            review_note=gettext("Confirmed with fraud flag #%(flag)s: %(reason)s")
            % {"flag": flag.pk, "reason": reason},
        )
    return n


def fraud_flag_dismiss(*, flag_id: int, actor: Any, note: str) -> None:
    """Dismiss a flag as honest, saying why; a rescan leaves it dismissed unless new
    suspect votes appear under the same pattern."""
    note = note.strip()
    if not note:
        raise DomainError("Say why the flag is dismissed.")
    with transaction.atomic():
        flag = FraudFlag.objects.select_for_update().get(pk=flag_id)
        if flag.status == FraudFlag.Status.CONFIRMED:
            # Its votes are invalidated; restoring votes is not what dismissing means.
            raise DomainError("This flag is confirmed and its votes invalidated.")
        flag.status = FraudFlag.Status.DISMISSED
        flag.reviewed_by = actor if getattr(actor, "pk", None) else None
        flag.reviewed_at = timezone.now()
        flag.review_note = note
        flag.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        audit_record(
            actor=actor,
            action="fraud_flag.dismiss",
            target=flag,
            reason=note,
            data={"kind": flag.kind, "key": flag.key, "votes": flag.votes.count()},
        )
