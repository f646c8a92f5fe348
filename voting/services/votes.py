"""Writes of the voting app: casting and invalidating votes, leaderboard snapshots.

Every entry point (API, admin, seed data, tests, benchmarks) casts votes through
``vote_cast``; the limits it enforces are backed by database constraints on ``Vote``.
"""

from collections import Counter
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from campaigns.audit import audit_record
from campaigns.models import Campaign
from voting import errors
from voting.models import Entry, Vote, Voter
from voting.selectors.public import checked_id, checked_slug, entry_get_for_vote
from voting.services.leaderboards import campaign_final_revise, leaderboards_refresh_request


@dataclass(frozen=True)
class VoteResult:
    vote_id: int
    remaining_today: int


def _first_free(taken: set[int], limit: int) -> int | None:
    return next((slot for slot in range(1, limit + 1) if slot not in taken), None)


def _check_votable(*, voter: Voter, entry: Entry, at: datetime) -> None:
    campaign = entry.campaign
    round_ = entry.round
    voting_open = (
        campaign.status == Campaign.Status.OPEN
        and campaign.voting_starts_at <= at < campaign.voting_ends_at
        and (round_.voting_starts_at is None or round_.voting_starts_at <= at)
        and (round_.voting_ends_at is None or at < round_.voting_ends_at)
    )
    if not voting_open:
        raise errors.CampaignClosed()
    if entry.status != Entry.Status.APPROVED:
        raise errors.EntryNotVotable()
    if voter.verified_at is None:
        raise errors.VoterNotVerified()
    if campaign.school_voters_only and voter.school_id != campaign.pilot.school_id:
        raise errors.SchoolNotEligible()


def _vote_write(*, attribute: bool) -> AbstractContextManager:
    """The transaction of one attempt to store a vote.

    A lone INSERT is atomic by itself in autocommit mode, so a vote that attributes
    nobody skips BEGIN and COMMIT (two round trips of the hot path). The INSERT with the
    attribution UPDATE is one transaction; inside a caller's transaction a savepoint, so
    that a losing INSERT (IntegrityError) does not break the caller's transaction.
    """
    if attribute or transaction.get_connection().in_atomic_block:
        return transaction.atomic()
    return nullcontext()


def vote_cast(
    *,
    voter: Voter,
    entry: Entry,
    at: datetime | None = None,
    ip: str | None = None,
    user_agent: str = "",
    device_id: str = "",
) -> VoteResult:
    """Cast one vote within the campaign's policy, or raise a ``DomainError``.

    ``at`` exists for seed data and tests that replay history; the API never passes it.
    """
    at = at or timezone.now()
    _check_votable(voter=voter, entry=entry, at=at)
    campaign = entry.campaign
    day = timezone.localdate(at)
    per_day, per_entry = campaign.votes_per_day, campaign.votes_per_entry_per_day
    # Attribution of a voter who arrived without a referral: the campaign of their first
    # vote. Set once and never cleared, so a voter loaded as attributed needs no UPDATE.
    attribute = voter.attributed_campaign_id is None

    # Each attempt reads the slots in use and claims the first free ones. Two requests
    # that read the same state both try the same slot; the partial unique constraints
    # let exactly one of them commit and the other retries with a fresh read. Every
    # retry follows somebody else's committed vote, so attempts are bounded by the limit.
    for _attempt in range(per_day + 3):
        today = (
            Vote.objects.filter(voter=voter, campaign=campaign, day=day, status=Vote.Status.VALID)
            .order_by()
            .values_list("day_slot", "entry_slot", "entry_id")
        )
        day_slots = {d for d, _, _ in today}
        entry_slots = {e for _, e, entry_id in today if entry_id == entry.pk}
        day_slot = _first_free(day_slots, per_day)
        if day_slot is None:
            raise errors.DailyLimitReached()
        entry_slot = _first_free(entry_slots, per_entry)
        if entry_slot is None:
            raise errors.EntryLimitReached()
        try:
            with _vote_write(attribute=attribute):
                vote = Vote.objects.create(
                    voter=voter,
                    entry=entry,
                    campaign=campaign,
                    day=day,
                    cast_at=at,
                    day_slot=day_slot,
                    entry_slot=entry_slot,
                    ip=ip,
                    user_agent=user_agent[:300],
                    device_id=device_id[:100],
                )
                if attribute:
                    # Conditional, so concurrent first votes cannot both win.
                    Voter.objects.filter(pk=voter.pk, attributed_campaign__isnull=True).update(
                        attributed_campaign=campaign
                    )
        except IntegrityError:
            continue
        return VoteResult(vote_id=vote.pk, remaining_today=per_day - len(day_slots) - 1)
    raise errors.VoteContention()


# The vote of a voting rush in one statement: the voter is verified, the entry, its
# campaign, round and pilot pass every rule of ``_check_votable``, the voter's valid votes
# today leave room under both limits, and the row takes the next slots. A vote that breaks
# a rule, or loses a race for its slot to a concurrent vote (ON CONFLICT DO NOTHING on the
# slot constraints), or meets a slot freed by an invalidation, inserts nothing;
# ``vote_cast`` then decides the same vote the long way and says why it was refused. So
# this statement may only ever be stricter than the policy, never looser:
# tests/voting/services/test_votes_fast_path.py holds it to that, rule by rule.
_VOTE_INSERT_SQL = """
INSERT INTO voting_vote (voter_id, entry_id, campaign_id, day, cast_at, day_slot, entry_slot,
                         ip, user_agent, device_id, status, invalidated_reason)
SELECT %(voter)s, target.entry_id, target.campaign_id, %(day)s, %(at)s,
       target.day_used + 1, target.entry_used + 1,
       {ip}, %(user_agent)s, %(device_id)s, 'valid', ''
FROM (
    SELECT e.id AS entry_id, e.campaign_id, c.votes_per_day, c.votes_per_entry_per_day,
           (SELECT COUNT(*) FROM voting_vote v
             WHERE v.voter_id = %(voter)s AND v.campaign_id = e.campaign_id
               AND v.day = %(day)s AND v.status = 'valid') AS day_used,
           (SELECT COUNT(*) FROM voting_vote v
             WHERE v.voter_id = %(voter)s AND v.entry_id = e.id
               AND v.day = %(day)s AND v.status = 'valid') AS entry_used
    FROM voting_entry e
    JOIN campaigns_campaign c ON c.id = e.campaign_id
    JOIN campaigns_round r ON r.id = e.round_id
    JOIN campaigns_pilot p ON p.id = c.pilot_id
    JOIN voting_voter vr ON vr.id = %(voter)s
    WHERE e.id = %(entry)s AND c.slug = %(slug)s AND e.status = 'approved'
      AND c.status = 'open' AND c.voting_starts_at <= %(at)s AND %(at)s < c.voting_ends_at
      AND (r.voting_starts_at IS NULL OR r.voting_starts_at <= %(at)s)
      AND (r.voting_ends_at IS NULL OR %(at)s < r.voting_ends_at)
      AND vr.verified_at IS NOT NULL
      AND (NOT c.school_voters_only OR p.school_id = vr.school_id)
) AS target
WHERE target.day_used < target.votes_per_day
  AND target.entry_used < target.votes_per_entry_per_day
ON CONFLICT DO NOTHING
RETURNING id, campaign_id,
          (SELECT c.votes_per_day FROM campaigns_campaign c WHERE c.id = campaign_id) - day_slot,
          (SELECT vr.attributed_campaign_id IS NULL FROM voting_voter vr WHERE vr.id = voter_id)
"""

_VOTER_ATTRIBUTE_SQL = """
UPDATE voting_voter SET attributed_campaign_id = %s
WHERE id = %s AND attributed_campaign_id IS NULL
"""


def _vote_insert(
    *, voter_id: int, slug: str, entry_id: int, at: datetime, ip, user_agent, device_id
) -> VoteResult | None:
    """The vote in one INSERT when it is plainly allowed; None when it is not that simple."""
    ops = connection.ops
    # PostgreSQL types a bare parameter in a SELECT list as text, which an inet column
    # does not take without a cast; SQLite stores the text as it is.
    ip_sql = "CAST(%(ip)s AS inet)" if connection.vendor == "postgresql" else "%(ip)s"
    params = {
        "voter": voter_id,
        "entry": entry_id,
        "slug": slug,
        "day": ops.adapt_datefield_value(timezone.localdate(at)),
        "at": ops.adapt_datetimefield_value(at),
        "ip": ip,
        "user_agent": user_agent[:300],
        "device_id": device_id[:100],
    }
    # One statement in autocommit: no BEGIN and COMMIT round trips on the hot path.
    with connection.cursor() as cursor:
        cursor.execute(_VOTE_INSERT_SQL.format(ip=ip_sql), params)
        row = cursor.fetchone()
    if row is None:
        return None
    vote_id, campaign_id, remaining, unattributed = row
    if unattributed:
        # The voter's first vote attributes them (see vote_cast), right after it rather
        # than in one transaction with it: should the process die in between, the vote
        # stands and the voter's next vote attributes them. Written out like the INSERT:
        # through the ORM this UPDATE cost more CPU than the vote.
        with connection.cursor() as cursor:
            cursor.execute(_VOTER_ATTRIBUTE_SQL, [campaign_id, voter_id])
    return VoteResult(vote_id=vote_id, remaining_today=remaining)


def vote_cast_by_id(
    *, voter_id: int, slug: str, entry_id: int, ip: str | None, user_agent: str, device_id: str
) -> VoteResult:
    """The API's vote for entry ``entry_id`` of campaign ``slug``: ``vote_cast``'s rules
    and answers, in one statement when the vote is plainly allowed (the common case)."""
    at = timezone.now()
    fingerprint = {"ip": ip, "user_agent": user_agent, "device_id": device_id}
    fast = _vote_insert(
        voter_id=voter_id,
        slug=checked_slug(slug),
        entry_id=checked_id(entry_id),
        at=at,
        **fingerprint,
    )
    if fast is not None:
        return fast
    entry = entry_get_for_vote(slug=slug, entry_id=entry_id)
    return vote_cast(voter=Voter.objects.get(pk=voter_id), entry=entry, at=at, **fingerprint)


def vote_invalidate(*, vote_ids: Iterable[int], actor, reason: str) -> int:
    """Invalidate valid votes with a reason; returns how many changed.

    Invalidated votes stay stored and leave every count. The audit log records who, when
    and why; the leaderboards of the affected campaigns are recomputed after commit, and
    a closed campaign gets a revised final standing and its prizes re-awarded at once
    (``campaign_final_revise``).
    """
    reason = reason.strip()
    if not reason:
        raise errors.DomainError("A reason is required to invalidate votes.")
    ids = list(vote_ids)
    now = timezone.now()
    with transaction.atomic():
        # Lock the rows first so two staff members invalidating the same votes at once
        # count and audit each vote once.
        locked = list(
            Vote.objects.select_for_update()
            .filter(pk__in=ids, status=Vote.Status.VALID)
            .values_list("pk", "campaign_id")
        )
        changed = Vote.objects.filter(pk__in=[pk for pk, _ in locked]).update(
            status=Vote.Status.INVALIDATED,
            invalidated_reason=reason[:255],
            invalidated_by=actor if getattr(actor, "pk", None) else None,
            invalidated_at=now,
        )
        per_campaign = Counter(campaign_id for _, campaign_id in locked)
        affected = [{"campaign_id": c, "n": n} for c, n in sorted(per_campaign.items())]
        for row in affected:
            campaign = Campaign.objects.select_related("pilot").get(pk=row["campaign_id"])
            audit_record(
                actor=actor,
                action="votes.invalidate",
                target=campaign,
                reason=reason,
                data={"votes": row["n"]},
            )
        leaderboards_refresh_request(campaign_ids=[row["campaign_id"] for row in affected])
        # A campaign already closed has frozen final standings: fraud found after the
        # close writes revised ones beside them and re-awards the prizes, now.
        for row in affected:
            campaign_final_revise(campaign_id=row["campaign_id"], actor=actor, reason=reason)
    return changed
