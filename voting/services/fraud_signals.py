"""Building blocks of the fraud detectors: thresholds, vote events and their sliding
windows, and recording a flag idempotently (see ``voting.services.fraud_scan``).
"""

from __future__ import annotations

import logging
import math
import statistics
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractMinute, Floor, TruncHour
from django.utils import timezone

from voting.models import FraudFlag, Vote

logger = logging.getLogger(__name__)


Kind = FraudFlag.Kind
Severity = FraudFlag.Severity


def fraud_setting(name: str) -> Any:
    """One threshold of ``settings.FRAUD_THRESHOLDS`` (documented in config/settings/base.py)."""
    return settings.FRAUD_THRESHOLDS[name]


# --- Helpers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteEvent:
    """One vote as the sliding windows see it."""

    at: datetime
    voter_id: int
    vote_id: int
    entry_id: int
    created_at: datetime | None = None  # the voter's first_seen_at, where a signal needs it


def largest_created_group(
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


def dense_events(
    events: Sequence[VoteEvent],
    *,
    window: timedelta,
    min_voters: int,
    created_within: timedelta | None = None,
) -> tuple[list[VoteEvent], int]:
    """The events lying in some window ``[t, t + window)`` that holds votes of at least
    ``min_voters`` distinct voters, and the most distinct voters any such window held.

    With ``created_within``, only voters whose accounts were created within that span of
    each other count towards a window (and only their votes are returned).

    ``events`` are one candidate's (a device's, an entry's) sorted by time: this is the
    exact check after SQL has narrowed the candidates, quadratic only in the size of a
    window, which is small by construction.
    """
    suspect: dict[int, VoteEvent] = {}
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
            voters = largest_created_group(voters, created, created_within)
        if len(voters) < min_voters:
            continue
        best = max(best, len(voters))
        for event in in_window:
            if event.voter_id in voters:
                suspect[event.vote_id] = event
    return sorted(suspect.values(), key=lambda e: (e.at, e.vote_id)), best


def runs(events: Sequence[VoteEvent], *, gap: timedelta) -> list[list[VoteEvent]]:
    """Split time-sorted events where consecutive ones are ``gap`` or more apart."""
    runs: list[list[VoteEvent]] = []
    for event in events:
        if runs and event.at - runs[-1][-1].at < gap:
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


@dataclass(frozen=True)
class HotWindow:
    """A stretch of two adjacent fixed windows that may hold an unusual window of votes."""

    start: datetime
    end: datetime
    ordinary: float  # the group's median votes per window elsewhere
    threshold: int  # the votes (distinct voters) a window here needs to be unusual


def noise_ceiling(rate: float, p: float) -> int:
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


def hot_windows(
    votes: QuerySet[Vote], group: Sequence[str], *, minutes: int, minimum: int, factor: float
) -> dict[tuple, list[HotWindow]]:
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
    hot: dict[tuple, list[HotWindow]] = {}
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
                noise_ceiling(ordinary, fraud_setting("noise_probability")),
            )
            if pair >= threshold:
                hot.setdefault(key, []).append(
                    HotWindow(start, start + 2 * window, round(ordinary, 2), threshold)
                )
    return hot


def unusual_events(
    qs: QuerySet[Vote],
    hot: Sequence[HotWindow],
    *,
    window: timedelta,
    created_within: timedelta | None = None,
) -> list[tuple[HotWindow, list[VoteEvent]]]:
    """Read the rows of a group's hot stretches (one query) and check each exactly: the
    hot windows that hold a window reaching their threshold, with the votes in it."""
    ranges = Q()
    for where in hot:
        ranges |= Q(cast_at__gte=where.start, cast_at__lt=where.end)
    events = vote_events(qs.filter(ranges), with_created=True)
    times = [e.at for e in events]
    fired = []
    for where in hot:
        inside = events[bisect_left(times, where.start) : bisect_left(times, where.end)]
        suspect, _best = dense_events(
            inside, window=window, min_voters=where.threshold, created_within=created_within
        )
        if suspect:
            fired.append((where, suspect))
    return fired


def merge_fired(fired: Sequence[tuple[HotWindow, list[VoteEvent]]]) -> list[VoteEvent]:
    merged = {e.vote_id: e for _where, events in fired for e in events}
    return sorted(merged.values(), key=lambda e: (e.at, e.vote_id))


def most_voters_in_window(events: Sequence[VoteEvent], window: timedelta) -> int:
    best, right, n = 0, 0, len(events)
    for left in range(n):
        while right < n and events[right].at - events[left].at < window:
            right += 1
        best = max(best, len({e.voter_id for e in events[left:right]}))
    return best


def iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def common_evidence(events: Sequence[VoteEvent]) -> dict[str, Any]:
    """What every flag's evidence shows: how many voters and votes, when, for which
    entries, and a sample of ids to look up in admin."""
    size = fraud_setting("sample_size")
    voter_ids = sorted({e.voter_id for e in events})
    per_entry = Counter(e.entry_id for e in events)
    return {
        "voters": len(voter_ids),
        "votes": len(events),
        "first_vote_at": iso(min(e.at for e in events)),
        "last_vote_at": iso(max(e.at for e in events)),
        # JSON object keys are strings; keep them so a rescan compares equal.
        "votes_per_entry": {str(k): v for k, v in sorted(per_entry.items())},
        "sample_voter_ids": voter_ids[:size],
        "sample_vote_ids": sorted(e.vote_id for e in events)[:size],
    }


def scan_votes(campaign_id: int, now: datetime) -> QuerySet[Vote]:
    """Every vote of the campaign cast up to ``now``, valid or not (see module docstring)."""
    return Vote.objects.filter(campaign_id=campaign_id, cast_at__lte=now)


def vote_events(qs: QuerySet[Vote], *, with_created: bool = False) -> list[VoteEvent]:
    fields = ["cast_at", "voter_id", "id", "entry_id"]
    if with_created:
        fields.append("voter__first_seen_at")
    return [VoteEvent(*row) for row in qs.order_by("cast_at", "id").values_list(*fields)]


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
                "at": iso(flag.reviewed_at),
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


def flag_record_events(
    campaign_id: int,
    kind: str,
    key: str,
    events: Sequence[VoteEvent],
    evidence: dict[str, Any],
    severity: int,
    entry_id: int | None = None,
) -> FraudFlag | None:
    return fraud_flag_record(
        campaign_id=campaign_id,
        kind=kind,
        key=key,
        vote_ids=[e.vote_id for e in events],
        evidence={**common_evidence(events), **evidence},
        severity=severity,
        entry_id=entry_id,
    )


def severity_for(size: int, minimum: int, *, base: int = Severity.MEDIUM) -> int:
    """One level up when a cluster is at least twice the size that fires it."""
    return min(base + 10, Severity.HIGH) if size >= 2 * minimum else base
