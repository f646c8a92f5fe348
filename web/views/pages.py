"""The reading pages: open campaigns, a campaign, an entry, the leaderboard.

Each reads through the API's selectors (``voting/selectors/public.py``) and counts as
a visit like the API's reads.
"""

from datetime import datetime

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from campaigns.models import Campaign, Round
from core.errors import NotFound
from core.public_cache import EVERY_CAMPAIGN, public_cached
from voting.selectors.public import (
    campaign_id_for_slug,
    campaign_list_open,
    campaign_public_cached,
    entry_get_public,
    entry_list_public,
    leaderboard_for_round,
    round_by_number,
    round_current,
    vote_counts_latest,
)
from voting.services.photos import share_url
from web.forms import RoundQueryForm
from web.selectors import (
    entry_own_for_voter,
    entry_votes_for_viewer,
    image_url,
    snapshot_votes_latest,
    submissions_open,
    votes_remaining_today,
    voting_phase,
)
from web.session import SESSION_VOTE_RESULT, session_voter_id
from web.views.common import friendly_not_found, page, page_public, page_public_visited, visit

ENTRIES_PER_PAGE = 24


@require_GET
def home(request):
    def build() -> tuple[str, dict, None]:
        return "home.html", {"campaigns": list(campaign_list_open())}, None

    # Kept under EVERY_CAMPAIGN's version: a campaign saved or closed shows at once.
    return page_public(request, build, campaign_id=EVERY_CAMPAIGN)


def _round_of_request(request, campaign):
    form = RoundQueryForm(request.GET)
    number = form.cleaned_data.get("round") if form.is_valid() else None
    if number is not None:
        return round_by_number(campaign=campaign, number=number)
    round_ = round_current(campaign=campaign)
    if round_ is None:
        raise NotFound()
    return round_


def _with_entry_counts(campaign: Campaign) -> Campaign:
    # Approved entries per round number, for the pager: one query, kept with the campaign.
    rows = (
        entry_list_public(campaign=campaign)
        .order_by()
        .values_list("round__number")
        .annotate(n=Count("id"))
    )
    campaign.public_entry_counts = dict(rows)
    return campaign


def _campaign(slug: str) -> tuple[int, Campaign]:
    """The public campaign with its school, rounds, prizes and approved entries per
    round, from the shared cache."""
    return campaign_public_cached(
        slug=slug,
        parts=("site", "campaign"),
        build=_with_entry_counts,
        prefetch=("rounds", "prizes"),
    )


def _page_number(raw: str | None, count: int) -> int:
    # As Paginator.get_page: not a number is the first page, past the end the last.
    pages = max(1, -(-count // ENTRIES_PER_PAGE))
    if not raw or not raw.isascii() or not raw.isdigit():
        return 1
    return min(max(int(raw), 1), pages)


def _campaign_content(campaign: Campaign, round_: Round, number: int, flags: dict) -> dict:
    """The campaign page's body (rules, prizes, one page of contestants), rendered once
    per change of the campaign: nothing in it is the reader's."""
    entries = entry_list_public(campaign=campaign, round_number=round_.number)
    entries_page = Paginator(entries, ENTRIES_PER_PAGE).get_page(number)
    counts = vote_counts_latest(campaign_id=campaign.pk, round_id=round_.pk)
    cards = [(e, image_url(e, "thumbnail"), counts.get(e.pk, 0)) for e in entries_page]
    context = {
        "campaign": campaign,
        "round": round_,
        "rounds": sorted(campaign.rounds.all(), key=lambda r: r.number),
        "prizes": list(campaign.prizes.all()),
        "cards": cards,
        "entries_page": entries_page,
        **flags,
    }
    return {
        "html": render_to_string("web/_campaign_content.html", context),
        "og_image": cards[0][1] if cards else None,
    }


def _next_change(campaign: Campaign) -> datetime | None:
    """When what the pages say with the clock (voting open or not, entries open, the
    current round) next changes: a page kept whole is kept until then at most."""
    now = timezone.now()
    moments = [
        campaign.voting_starts_at,
        campaign.voting_ends_at,
        campaign.submission_starts_at,
        campaign.submission_ends_at,
    ]
    for round_ in campaign.rounds.all():
        moments += [round_.voting_starts_at, round_.voting_ends_at]
    return min((m for m in moments if m is not None and m > now), default=None)


@require_GET
@friendly_not_found
def campaign_detail(request, slug: str):
    def build() -> tuple[str, dict, datetime | None]:
        _id, campaign = _campaign(slug)
        round_ = _round_of_request(request, campaign)
        count = campaign.public_entry_counts.get(round_.number, 0)
        number = _page_number(request.GET.get("page"), count)
        # What of the body moves with the clock, not with the data: part of the key.
        flags = {
            "phase": voting_phase(campaign=campaign, round_=round_),
            "submissions_open": submissions_open(campaign=campaign),
            "round_is_current": round_ == round_current(campaign=campaign),
        }
        parts = ("site", "campaign-body", get_language(), round_.number, number, flags)
        body = public_cached(
            campaign.pk, parts, lambda: _campaign_content(campaign, round_, number, flags)
        )
        context = {
            "campaign": campaign,
            "content": mark_safe(body["html"]),  # rendered by our template, escaped there
            "og_image": body["og_image"],
        }
        return "campaign.html", context, _next_change(campaign)

    campaign_id = campaign_id_for_slug(slug=slug)
    return page_public_visited(request, build, campaign_id=campaign_id)


def _entry_public(campaign: Campaign, entry_id: int) -> dict:
    """What every reader sees of an entry, kept once per change of the campaign."""
    entry = entry_get_public(campaign=campaign, entry_id=entry_id)
    entry.campaign = campaign
    snapshot = snapshot_votes_latest(entry=entry)
    return {
        "entry": entry,
        "snapshot": snapshot,
        "photo_url": image_url(entry, "preview"),
        "share_url": share_url(entry.share_code),
        "poster_url": reverse(
            "api-v1:entry-poster", kwargs={"slug": campaign.slug, "entry_id": entry.pk}
        ),
        "og_image": image_url(entry, "thumbnail"),
    }


@require_GET
@friendly_not_found
def entry_detail(request, slug: str, entry_id: int):
    voter_id = session_voter_id(request)

    def build() -> tuple[str, dict, datetime | None]:
        _id, campaign = _campaign(slug)
        public = public_cached(
            campaign.pk, ("site", "entry", entry_id), lambda: _entry_public(campaign, entry_id)
        )
        entry = public["entry"]
        result = request.session.pop(SESSION_VOTE_RESULT, None) if voter_id else None
        if result and result.get("entry_id") != entry.pk:
            result = None
        context = {
            **public,
            "campaign": campaign,
            # The reader's own parts, never in a shared entry: their votes since the
            # snapshot, and what they have left today (page_public renders a signed-in
            # reader's page anew).
            "votes": entry_votes_for_viewer(
                entry=entry, voter_id=voter_id, snapshot=public["snapshot"]
            ),
            "remaining": (
                votes_remaining_today(campaign=campaign, voter_id=voter_id) if voter_id else None
            ),
            "result": result,
            "phase": voting_phase(campaign=campaign, round_=entry.round),
            "wechat": _wechat_share(request),
        }
        return "entry.html", context, _next_change(campaign)

    campaign_id = campaign_id_for_slug(slug=slug)
    try:
        return page_public_visited(request, build, campaign_id=campaign_id, entry_id=entry_id)
    except NotFound:
        if voter_id is None:
            raise
        # Not shown to everybody: perhaps the reader's own entry, pending or rejected.
        _id, campaign = _campaign(slug)
        return _own_entry(request, campaign=campaign, entry_id=entry_id)


def _own_entry(request, *, campaign, entry_id: int):
    """A contestant opening their own entry before it is approved (or once rejected)
    reads its status and the rejection reason (docs/moderation.md); anybody else gets the
    not-found page, as for an entry that does not exist."""
    own = entry_own_for_voter(
        campaign=campaign, entry_id=entry_id, voter_id=session_voter_id(request)
    )
    if own is None:
        raise NotFound()
    context = {
        "campaign": campaign,
        "entry": own,
        "submissions_open": submissions_open(campaign=campaign),
    }
    response = page(request, "entry_own.html", context)
    # Personal: never kept by a shared cache or the browser's back-forward cache.
    patch_cache_control(response, private=True, no_store=True)
    return response


def _wechat_share(request) -> dict | None:
    if not settings.WECHAT_APP_ID:
        return None
    from web.wechat import jssdk_config  # only with an app id configured

    return jssdk_config(url=request.build_absolute_uri())


@require_GET
@friendly_not_found
def leaderboard(request, slug: str):
    _id, campaign = _campaign(slug)
    round_ = _round_of_request(request, campaign)
    board = public_cached(
        campaign.pk,
        ("site", "leaderboard", round_.number),
        lambda: leaderboard_for_round(campaign=campaign, round_=round_),
    )
    context = {
        "campaign": campaign,
        "round": round_,
        "rounds": sorted(campaign.rounds.all(), key=lambda r: r.number),
        "board": board,
    }
    response = page(request, "leaderboard.html", context)
    return visit(request, response, campaign_id=campaign.pk)
