"""The six fraud signals, one ``detect_*(campaign_id=, now=)`` each (see
``voting.services.fraud_scan`` for the design rules they follow).
"""

from __future__ import annotations

import hashlib
import logging
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from campaigns.models import Campaign
from voting.models import Activity, FraudFlag, Visit, Voter
from voting.services.fraud_signals import (
    Kind,
    Severity,
    VoteEvent,
    dense_events,
    flag_record_events,
    fraud_setting,
    hot_windows,
    iso,
    merge_fired,
    most_voters_in_window,
    runs,
    scan_votes,
    severity_for,
    unusual_events,
    vote_events,
)

logger = logging.getLogger(__name__)


# --- (a) Many voters on one device --------------------------------------------------------


def detect_device_clusters(*, campaign_id: int, now: datetime) -> list[FraudFlag]:
    """At least ``device_min_voters`` distinct voters on one device id within
    ``device_window_minutes``.

    A device id is one phone or browser install. Two or three people sharing a phone
    (a couple, roommates) is ordinary; four different accounts on one device within ten
    minutes is somebody signing in again and again to vote. Blank device ids are no
    device and never cluster.
    """
    minimum, window = (
        fraud_setting("device_min_voters"),
        timedelta(minutes=fraud_setting("device_window_minutes")),
    )
    votes = scan_votes(campaign_id, now).exclude(device_id="")
    candidates = list(
        votes.values("device_id")
        .annotate(n_voters=Count("voter", distinct=True))
        .filter(n_voters__gte=minimum)
        .values_list("device_id", flat=True)
    )
    by_device: dict[str, list[VoteEvent]] = defaultdict(list)
    rows = votes.filter(device_id__in=candidates).order_by("cast_at", "id")
    for device_id, *event in rows.values_list("device_id", "cast_at", "voter_id", "id", "entry_id"):
        by_device[device_id].append(VoteEvent(*event))
    flags = []
    for device_id, events in sorted(by_device.items()):
        suspect, best = dense_events(events, window=window, min_voters=minimum)
        if not suspect:
            continue
        evidence = {
            "device_id": device_id,
            "max_voters_in_window": best,
            "window_minutes": fraud_setting("device_window_minutes"),
            "min_voters": minimum,
        }
        flags.append(
            flag_record_events(
                campaign_id,
                Kind.DEVICE_CLUSTER,
                f"device:{device_id}",
                suspect,
                evidence,
                severity_for(best, minimum),
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
    minimum, factor = fraud_setting("ua_min_voters"), fraud_setting("ua_factor")
    window = timedelta(minutes=fraud_setting("ua_window_minutes"))
    within = timedelta(minutes=fraud_setting("ua_created_within_minutes"))
    votes = scan_votes(campaign_id, now).exclude(user_agent="").filter(ip__isnull=False)
    hot = hot_windows(
        votes,
        ["user_agent", "ip"],
        minutes=fraud_setting("ua_window_minutes"),
        minimum=minimum,
        factor=factor,
    )
    flags = []
    for (user_agent, ip), stretches in sorted(hot.items()):
        fired = unusual_events(
            votes.filter(user_agent=user_agent, ip=ip),
            stretches,
            window=window,
            created_within=within,
        )
        if not fired:
            continue
        suspect = merge_fired(fired)
        where = min((w for w, _events in fired), key=lambda w: w.threshold)
        best = most_voters_in_window(suspect, window)
        created = [e.created_at for e in suspect]
        digest = hashlib.sha256(user_agent.encode()).hexdigest()[:16]
        evidence = {
            "user_agent": user_agent,
            "ip": ip,
            "max_voters_in_window": best,
            "ordinary_votes_per_window": where.ordinary,
            "threshold": where.threshold,
            "accounts_created_from": iso(min(created)),
            "accounts_created_to": iso(max(created)),
            "window_minutes": fraud_setting("ua_window_minutes"),
            "created_within_minutes": fraud_setting("ua_created_within_minutes"),
            "min_voters": minimum,
            "factor": factor,
        }
        flags.append(
            flag_record_events(
                campaign_id,
                Kind.USER_AGENT_CLUSTER,
                f"ua:{digest}:{ip}",
                suspect,
                evidence,
                severity_for(best, where.threshold),
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
    minimum = fraud_setting("fast_min_voters")
    window = timedelta(minutes=fraud_setting("fast_window_minutes"))
    # A vote "before" its account existed is replayed or seeded history, not a fast vote.
    fast = scan_votes(campaign_id, now).filter(
        cast_at__gte=F("voter__first_seen_at"),
        cast_at__lte=F("voter__first_seen_at")
        + timedelta(seconds=fraud_setting("fast_vote_seconds")),
    )
    candidates = list(
        fast.values("entry")
        .annotate(n_voters=Count("voter", distinct=True))
        .filter(n_voters__gte=minimum)
        .values_list("entry", flat=True)
    )
    flags = []
    for entry_id in sorted(candidates):
        events = vote_events(fast.filter(entry_id=entry_id), with_created=True)
        suspect, best = dense_events(events, window=window, min_voters=minimum)
        if not suspect:
            continue
        lags = [(e.at - e.created_at).total_seconds() for e in suspect]
        evidence = {
            "entry_id": entry_id,
            "max_voters_in_window": best,
            "seconds_from_sign_up_max": round(max(lags), 1),
            "seconds_from_sign_up_median": round(statistics.median(lags), 1),
            "fast_vote_seconds": fraud_setting("fast_vote_seconds"),
            "window_minutes": fraud_setting("fast_window_minutes"),
            "min_voters": minimum,
        }
        flags.append(
            flag_record_events(
                campaign_id,
                Kind.FAST_NEW_ACCOUNT,
                f"fast:{entry_id}",
                suspect,
                evidence,
                severity_for(best, minimum),
                entry_id=entry_id,
            )
        )
    return [f for f in flags if f]


# --- (d) Bursts on one entry against its own history --------------------------------------


def detect_entry_bursts(*, campaign_id: int, now: datetime) -> list[FraudFlag]:
    """A window of ``burst_window_minutes`` in which an entry got at least
    ``burst_min_votes`` votes and more than ``burst_factor`` times its ordinary rate.

    The ordinary rate is the median of the entry's other non-empty windows (see
    ``hot_windows``), so a popular entry is compared with its own busy normal and the
    burst does not raise its own baseline. The absolute minimum keeps small entries
    (median 1) from firing on a handful of friends. A class group voting at once is an
    honest burst too, so a burst alone is low severity; it rises when most of the burst's
    voters signed up just before.
    """
    minutes = fraud_setting("burst_window_minutes")
    window = timedelta(minutes=minutes)
    minimum, factor = fraud_setting("burst_min_votes"), fraud_setting("burst_factor")
    votes = scan_votes(campaign_id, now)
    hot = hot_windows(votes, ["entry"], minutes=minutes, minimum=minimum, factor=factor)
    flags = []
    for (entry_id,), stretches in sorted(hot.items()):
        fired = unusual_events(votes.filter(entry_id=entry_id), stretches, window=window)
        if not fired:
            continue
        suspect = merge_fired(fired)
        existing = {
            flag.key: flag.evidence
            for flag in FraudFlag.objects.filter(
                campaign_id=campaign_id, kind=Kind.ENTRY_BURST, entry_id=entry_id
            )
        }
        for run in runs(suspect, gap=window):
            fresh = sum(1 for e in run if timedelta(0) <= e.at - e.created_at <= timedelta(hours=1))
            best = most_voters_in_window(run, window)
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
                "window_start": iso(run[0].at),
                "window_end": iso(run[-1].at),
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
                flag_record_events(
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
    entry_id: int, run: list[VoteEvent], existing: dict[str, dict], window: timedelta
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
    are those verified from the opening of entries on (docs/metrics.md "New users"); a vote younger
    than the waiting period is not judged yet, as the app reports activity in batches.
    """
    campaign = Campaign.objects.get(pk=campaign_id)
    minimum = fraud_setting("inactive_min_voters")
    judged_through: date = timezone.localdate(now) - timedelta(
        days=fraud_setting("inactive_after_days")
    )
    active_after = Activity.objects.filter(phone=OuterRef("voter__phone"), day__gte=OuterRef("day"))
    votes = (
        scan_votes(campaign_id, now)
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
        if share < fraud_setting("inactive_min_share") or share < baseline + fraud_setting(
            "inactive_margin"
        ):
            continue
        events = vote_events(votes.filter(inactive, entry_id=entry_id))
        evidence = {
            "entry_id": entry_id,
            "new_voters": n,
            "never_active": n_inactive,
            "share": round(share, 3),
            "campaign_share_elsewhere": round(baseline, 3),
            "judged_votes_through": judged_through.isoformat(),
            "after_days": fraud_setting("inactive_after_days"),
            "min_voters": minimum,
            "min_share": fraud_setting("inactive_min_share"),
            "margin": fraud_setting("inactive_margin"),
        }
        severity = severity_for(n_inactive, minimum) if share >= 0.99 else Severity.MEDIUM
        flags.append(
            flag_record_events(
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
    minimum, window = (
        fraud_setting("ring_min_voters"),
        timedelta(minutes=fraud_setting("ring_window_minutes")),
    )
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
    members: dict[int, list[VoteEvent]] = defaultdict(list)
    for entry_id, first_seen_at, voter_id in loyal:
        # Sign-ups are the events here (the window is over account creation times), one
        # per voter, so the voter id stands in for the vote id.
        members[entry_id].append(VoteEvent(first_seen_at, voter_id, voter_id, entry_id))
    flags = []
    for entry_id, signups in sorted(members.items()):
        signups.sort(key=lambda e: (e.at, e.voter_id))
        ring, best = dense_events(signups, window=window, min_voters=minimum)
        if not ring:
            continue
        voter_ids = [e.voter_id for e in ring]
        events = vote_events(scan_votes(campaign_id, now).filter(voter_id__in=voter_ids))
        start, end = ring[0].at, ring[-1].at
        clicks = Visit.objects.filter(
            kind=Visit.Kind.SHARE_CLICK, entry_id=entry_id, at__gte=start - window, at__lte=end
        ).aggregate(n=Count("visitor_id", distinct=True))["n"]
        evidence = {
            "entry_id": entry_id,
            "ring_accounts": len(voter_ids),
            "max_sign_ups_in_window": best,
            "accounts_created_from": iso(start),
            "accounts_created_to": iso(end),
            "share_link_visitors_then": clicks,
            "window_minutes": fraud_setting("ring_window_minutes"),
            "min_voters": minimum,
        }
        # More sign-ups than people who even opened the link: nobody clicked, a script did.
        base = Severity.MEDIUM if clicks < len(voter_ids) else Severity.LOW
        flags.append(
            flag_record_events(
                campaign_id,
                Kind.SHARE_RING,
                f"ring:{entry_id}",
                events,
                evidence,
                severity_for(best, minimum, base=base),
                entry_id=entry_id,
            )
        )
    return [f for f in flags if f]
