"""Reads of the public API: what students may see of campaigns, entries and standings.

Every list here is built in a fixed number of queries (pinned by tests), whatever the
page size.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Round
from core.errors import NotFound
from core.public_cache import OnHit, public_cache_peek, public_cached
from voting.models import Entry, LeaderboardSnapshot, Vote
from voting.selectors.contest import round_standings

T = TypeVar("T")

# Drafts are not public; closed campaigns stay readable for their final standings.
PUBLIC_STATUSES = (Campaign.Status.OPEN, Campaign.Status.CLOSED)


_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")
_SHARE_CODE = re.compile(r"[A-Za-z0-9]{1,16}")
_MAX_ID = 2**63 - 1


def checked_slug(slug: str) -> str:
    # URLs take any text here so that every unknown value is a JSON not_found (and a NUL
    # byte never reaches PostgreSQL).
    if not _SLUG.fullmatch(slug):
        raise NotFound(_("No such campaign."))
    return slug


def checked_id(pk: int) -> int:
    # Past a 64-bit key the databases raise instead of finding nothing.
    if not 0 < pk <= _MAX_ID:
        raise NotFound(_("Not found."))
    return pk


def campaign_list_open() -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(status=Campaign.Status.OPEN)
        .select_related("pilot__school")
        .order_by("-voting_starts_at", "id")
    )


def campaign_get_public(*, slug: str, prefetch: tuple[str, ...] = ()) -> Campaign:
    """A campaign students may see, or ``NotFound``; ``prefetch`` names the relations
    the caller reads (``rounds``, ``prizes``), one query each."""
    queryset = Campaign.objects.filter(
        slug=checked_slug(slug), status__in=PUBLIC_STATUSES
    ).select_related("pilot__school")
    if prefetch:
        queryset = queryset.prefetch_related(*prefetch)
    campaign = queryset.first()
    if campaign is None:
        raise NotFound(_("No such campaign."))
    return campaign


def _round_contains(round_: Round, at: datetime) -> bool:
    return (round_.voting_starts_at is None or round_.voting_starts_at <= at) and (
        round_.voting_ends_at is None or at < round_.voting_ends_at
    )


def round_current(*, campaign: Campaign, at: datetime | None = None) -> Round | None:
    """The round being voted on: the one whose window contains ``at``, else the latest
    that has started, else the first. A contest has a single round."""
    at = at or timezone.now()
    rounds = sorted(campaign.rounds.all(), key=lambda r: r.number)
    if not rounds:
        return None
    for round_ in rounds:
        if _round_contains(round_, at):
            return round_
    started = [r for r in rounds if r.voting_starts_at is not None and r.voting_starts_at <= at]
    return started[-1] if started else rounds[0]


def round_for_submission(*, campaign: Campaign, at: datetime | None = None) -> Round | None:
    """The round a new entry joins: the current one, else the next to open, else the
    last (entries of a daily topic are submitted for today's or the coming topic)."""
    at = at or timezone.now()
    rounds = sorted(campaign.rounds.all(), key=lambda r: r.number)
    if not rounds:
        return None
    for round_ in rounds:
        if _round_contains(round_, at):
            return round_
    upcoming = [r for r in rounds if r.voting_starts_at is not None and r.voting_starts_at > at]
    return upcoming[0] if upcoming else rounds[-1]


def round_by_number(*, campaign: Campaign, number: int) -> Round:
    round_ = next((r for r in campaign.rounds.all() if r.number == number), None)
    if round_ is None:
        raise NotFound(_("No such round."))
    return round_


def entry_list_public(*, campaign: Campaign, round_number: int | None = None) -> QuerySet[Entry]:
    queryset = (
        Entry.objects.filter(campaign=campaign, status=Entry.Status.APPROVED)
        .select_related("round")
        .order_by("round__number", "id")
    )
    if round_number is not None:
        queryset = queryset.filter(round__number=round_number)
    return queryset


def entry_get_public(*, campaign: Campaign, entry_id: int) -> Entry:
    entry = (
        Entry.objects.filter(
            campaign=campaign, pk=checked_id(entry_id), status=Entry.Status.APPROVED
        )
        .select_related("round")
        .first()
    )
    if entry is None:
        raise NotFound(_("No such entry."))
    return entry


def entry_get_for_vote(*, slug: str, entry_id: int) -> Entry:
    """Any entry of a public campaign, in one query (the vote service says why a
    pending one is not votable), with what the policy checks need joined in."""
    # get(), not first(): the model's default ordering (campaign, round, id) would add
    # an ORDER BY through the joined tables to a lookup of one primary key.
    try:
        return Entry.objects.select_related("campaign__pilot", "round").get(
            pk=checked_id(entry_id),
            campaign__slug=checked_slug(slug),
            campaign__status__in=PUBLIC_STATUSES,
        )
    except Entry.DoesNotExist:
        raise NotFound(_("No such entry.")) from None


def entry_get_by_share_code(*, share_code: str) -> Entry:
    if not _SHARE_CODE.fullmatch(share_code):
        raise NotFound(_("No such share link."))
    entry = (
        Entry.objects.filter(share_code=share_code.upper())
        .exclude(status=Entry.Status.REJECTED)
        .select_related("campaign")
        .first()
    )
    if entry is None or entry.campaign.status not in PUBLIC_STATUSES:
        raise NotFound(_("No such share link."))
    return entry


def vote_counts_latest(*, campaign_id: int, round_id: int | None = None) -> dict[int, int]:
    """Entry id → votes in the latest leaderboard snapshot of each round, in one query.

    Public counts come from snapshots, not live counts: they are what the leaderboard
    shows, and reading them costs nothing under a voting rush.
    """
    rounds = Round.objects.filter(campaign_id=campaign_id)
    if round_id is not None:
        rounds = rounds.filter(pk=round_id)
    latest = rounds.annotate(
        latest_id=Subquery(
            LeaderboardSnapshot.objects.filter(round=OuterRef("pk"))
            .order_by("-computed_at", "-id")
            .values("pk")[:1]
        )
    ).values("latest_id")
    counts: dict[int, int] = {}
    for standings in LeaderboardSnapshot.objects.filter(pk__in=latest).values_list(
        "standings", flat=True
    ):
        for row in standings:
            counts[row["entry_id"]] = row["votes"]
    return counts


@dataclass(frozen=True)
class Leaderboard:
    campaign: Campaign
    round: Round
    computed_at: datetime
    is_final: bool
    entries: list[dict]


def leaderboard_for_round(*, campaign: Campaign, round_: Round) -> Leaderboard:
    """The round's latest snapshot; before the first snapshot exists, the live standing
    (one query, not stored: snapshots are the job's)."""
    snapshot = (
        LeaderboardSnapshot.objects.filter(round=round_).order_by("-computed_at", "-id").first()
    )
    if snapshot is None:
        return Leaderboard(
            campaign=campaign,
            round=round_,
            computed_at=timezone.now(),
            is_final=False,
            entries=round_standings(round_id=round_.pk),
        )
    return Leaderboard(
        campaign=campaign,
        round=round_,
        computed_at=snapshot.computed_at,
        is_final=snapshot.is_final,
        entries=snapshot.standings,
    )


def vote_list_for_voter(*, voter_id: int) -> QuerySet[Vote]:
    return (
        Vote.objects.filter(voter_id=voter_id)
        .select_related("entry", "campaign")
        .order_by("-cast_at", "-id")
    )


# --- Cached public reads (docs/caching.md) ----------------------------------------------

_SLUG_KEY = "pubcache:slug:{}"
# Each process also remembers a slug's campaign id a few seconds: only the key of the
# version is read from it, and a slug given to another campaign is caught on the next
# build (``_SlugMoved``), so at worst the old campaign's cached page shows that long.
_SLUG_MEMO_SECONDS = 5
_slug_memo: dict[str, tuple[int, float]] = {}


class _SlugMoved(Exception):
    """The slug now names another campaign than the one cached for it."""


def campaign_id_for_slug(*, slug: str) -> int:
    """The id of the public campaign ``slug`` names, from the shared cache (it keys the
    campaign's cache version), or ``NotFound``. Unknown slugs are not cached."""
    key = _SLUG_KEY.format(checked_slug(slug))
    memo = _slug_memo.get(slug)
    if memo is not None and memo[1] > time.monotonic():
        return memo[0]
    pk = cache.get(key)
    if pk is None:
        pk = (
            Campaign.objects.filter(slug=slug, status__in=PUBLIC_STATUSES)
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            raise NotFound(_("No such campaign."))
        cache.set(key, pk, timeout=settings.PUBLIC_CACHE_SECONDS)
    if len(_slug_memo) > 1000:  # only real slugs get here; a bound all the same
        _slug_memo.clear()
    _slug_memo[slug] = (pk, time.monotonic() + _SLUG_MEMO_SECONDS)
    return pk


def campaign_public_peek(
    *, slug: str, parts: tuple, on_hit: Callable[[int], OnHit | None] | None = None
) -> object | None:
    """``campaign_public_cached``'s value when the shared cache holds it (``on_hit``
    then runs, in the same round trip), else None: nothing is built, and an unknown slug
    is None too (the read that builds says it is not found)."""
    try:
        campaign_id = campaign_id_for_slug(slug=slug)
    except NotFound:
        return None
    hit = on_hit(campaign_id) if on_hit is not None else None
    return public_cache_peek(campaign_id, ("campaign", slug, *parts), on_hit=hit)


def campaign_public_cached(
    *,
    slug: str,
    parts: tuple,
    build: Callable[[Campaign], T],
    prefetch: tuple[str, ...] = (),
    on_hit: Callable[[int], OnHit | None] | None = None,
) -> tuple[int, T]:
    """``(campaign id, build(campaign))``, the value from the shared cache under the
    campaign's current version (``core.public_cache``), built from
    ``campaign_get_public`` on a miss. ``parts`` name the read (and everything it
    depends on besides the campaign's data: page, language, host). ``on_hit(campaign
    id)``: what to do once the value is there (``public_cached``'s ``on_hit``)."""
    campaign_id = campaign_id_for_slug(slug=slug)

    def make() -> T:
        campaign = campaign_get_public(slug=slug, prefetch=prefetch)
        if campaign.pk != campaign_id:
            raise _SlugMoved
        return build(campaign)

    hit = on_hit(campaign_id) if on_hit is not None else None
    try:
        return campaign_id, public_cached(campaign_id, ("campaign", slug, *parts), make, on_hit=hit)
    except _SlugMoved:
        # A campaign renamed, and another took its slug: forget the old id, read afresh.
        cache.delete(_SLUG_KEY.format(slug))
        _slug_memo.pop(slug, None)
        return campaign_public_cached(
            slug=slug, parts=parts, build=build, prefetch=prefetch, on_hit=on_hit
        )


@dataclass(frozen=True)
class ShareTarget:
    campaign_id: int
    campaign_slug: str
    entry_id: int
    share_code: str


# A share code -> (campaign id, entry id): what the visit of a share click needs, known
# before the target is read, so that the read records the click in its own round trip.
_SHARE_KEY = "pubcache:share-ids:{}"
# Remembered a few seconds in each process too, as slugs are: a code's entry and campaign
# do not change, and a target that is gone or moved is caught on the next build.
_share_memo: dict[str, tuple[tuple[int, int], float]] = {}


class _ShareMoved(Exception):
    """The share code's entry is no longer in the campaign remembered for it."""


def _share_ids(code: str) -> tuple[int, int] | None:
    memo = _share_memo.get(code)
    if memo is not None and memo[1] > time.monotonic():
        return memo[0]
    ids = cache.get(_SHARE_KEY.format(code))
    if ids is not None:
        _share_remember(code, tuple(ids))
    return ids


def _share_remember(code: str, ids: tuple[int, int]) -> None:
    if len(_share_memo) > 10_000:  # a bound: codes are many
        _share_memo.clear()
    _share_memo[code] = (ids, time.monotonic() + _SLUG_MEMO_SECONDS)


def share_target_peek(
    *, share_code: str, on_hit: Callable[[int, int], OnHit | None] | None = None
) -> ShareTarget | None:
    """``share_target_cached``'s target when the shared cache holds it (``on_hit``
    then runs, in the same round trip), else None: nothing is looked up."""
    if not _SHARE_CODE.fullmatch(share_code):
        return None
    code = share_code.upper()
    ids = _share_ids(code)
    if ids is None:
        return None
    hit = on_hit(*ids) if on_hit is not None else None
    return public_cache_peek(ids[0], ("share", code), on_hit=hit)


def share_target_cached(
    *, share_code: str, on_hit: Callable[[int, int], OnHit | None] | None = None
) -> ShareTarget:
    """Where a share link leads (``entry_get_by_share_code``), from the shared cache
    under the entry's campaign version, so a moderation shows at once. ``on_hit
    (campaign id, entry id)``: what to do once the target is known (the share click,
    recorded in the same round trip as a cached target is read)."""
    if not _SHARE_CODE.fullmatch(share_code):
        raise NotFound(_("No such share link."))
    code = share_code.upper()
    key = _SHARE_KEY.format(code)

    def lookup() -> ShareTarget:
        entry = entry_get_by_share_code(share_code=code)
        return ShareTarget(entry.campaign_id, entry.campaign.slug, entry.pk, entry.share_code)

    def found(target: ShareTarget) -> ShareTarget:
        ids = (target.campaign_id, target.entry_id)
        cache.set(key, ids, timeout=settings.PUBLIC_CACHE_SECONDS)
        _share_remember(code, ids)
        hit = on_hit(*ids) if on_hit is not None else None
        if hit is not None:
            hit.run()
        return target

    ids = _share_ids(code)
    if ids is None:
        return found(lookup())

    def build() -> ShareTarget:
        target = lookup()  # a gone link raises NotFound: not cached, nothing recorded
        if (target.campaign_id, target.entry_id) != ids:
            raise _ShareMoved
        return target

    hit = on_hit(*ids) if on_hit is not None else None
    try:
        return public_cached(ids[0], ("share", code), build, on_hit=hit)
    except NotFound:  # gone: rejected, or its campaign closed to the public
        cache.delete(key)
        _share_memo.pop(code, None)
        raise
    except _ShareMoved:  # moved to another campaign
        cache.delete(key)
        _share_memo.pop(code, None)
        return found(lookup())
