"""The reading pages: open campaigns, a campaign, an entry, the leaderboard.

Each reads through the API's selectors (``voting/selectors/public.py``) and counts as
a visit like the API's reads.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from core.errors import NotFound
from voting.selectors.public import (
    campaign_get_public,
    campaign_list_open,
    entry_get_public,
    entry_list_public,
    leaderboard_for_round,
    round_by_number,
    round_current,
    vote_counts_latest,
)
from voting.services.photos import entry_media_requeue_stale, share_url
from web.forms import RoundQueryForm
from web.selectors import (
    entry_own_for_voter,
    entry_votes_for_viewer,
    image_url,
    submissions_open,
    votes_remaining_today,
    voting_phase,
)
from web.session import SESSION_VOTE_RESULT, session_voter_id
from web.views.common import friendly_not_found, page, visit

ENTRIES_PER_PAGE = 24


@require_GET
def home(request):
    campaigns = list(campaign_list_open())
    return page(request, "home.html", {"campaigns": campaigns})


def _round_of_request(request, campaign):
    form = RoundQueryForm(request.GET)
    number = form.cleaned_data.get("round") if form.is_valid() else None
    if number is not None:
        return round_by_number(campaign=campaign, number=number)
    round_ = round_current(campaign=campaign)
    if round_ is None:
        raise NotFound()
    return round_


@require_GET
@friendly_not_found
def campaign_detail(request, slug: str):
    campaign = campaign_get_public(slug=slug, prefetch=("rounds", "prizes"))
    round_ = _round_of_request(request, campaign)
    entries = entry_list_public(campaign=campaign, round_number=round_.number)
    paginator = Paginator(entries, ENTRIES_PER_PAGE)
    entries_page = paginator.get_page(request.GET.get("page"))
    entry_media_requeue_stale(entries_page)
    counts = vote_counts_latest(campaign_id=campaign.pk, round_id=round_.pk)
    cards = [(e, image_url(e, "thumbnail"), counts.get(e.pk, 0)) for e in entries_page]
    context = {
        "campaign": campaign,
        "round": round_,
        "round_is_current": round_ == round_current(campaign=campaign),
        "rounds": sorted(campaign.rounds.all(), key=lambda r: r.number),
        "prizes": list(campaign.prizes.all()),
        "cards": cards,
        "entries_page": entries_page,
        "phase": voting_phase(campaign=campaign, round_=round_),
        "submissions_open": submissions_open(campaign=campaign),
        "og_image": cards[0][1] if cards else None,
    }
    response = page(request, "campaign.html", context)
    return visit(request, response, campaign_id=campaign.pk)


@require_GET
@friendly_not_found
def entry_detail(request, slug: str, entry_id: int):
    campaign = campaign_get_public(slug=slug, prefetch=("rounds",))
    try:
        entry = entry_get_public(campaign=campaign, entry_id=entry_id)
    except NotFound:
        return _own_entry(request, campaign=campaign, entry_id=entry_id)
    entry.campaign = campaign
    entry_media_requeue_stale([entry])
    voter_id = session_voter_id(request)
    result = request.session.pop(SESSION_VOTE_RESULT, None) if voter_id else None
    if result and result.get("entry_id") != entry.pk:
        result = None
    context = {
        "campaign": campaign,
        "entry": entry,
        "photo_url": image_url(entry, "preview"),
        "votes": entry_votes_for_viewer(entry=entry, voter_id=voter_id),
        "remaining": (
            votes_remaining_today(campaign=campaign, voter_id=voter_id) if voter_id else None
        ),
        "result": result,
        "phase": voting_phase(campaign=campaign, round_=entry.round),
        "share_url": share_url(entry.share_code),
        "poster_url": reverse(
            "api-v1:entry-poster", kwargs={"slug": campaign.slug, "entry_id": entry.pk}
        ),
        "og_image": image_url(entry, "thumbnail"),
        "wechat": _wechat_share(request),
    }
    response = page(request, "entry.html", context)
    return visit(request, response, campaign_id=campaign.pk, entry_id=entry.pk)


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
    campaign = campaign_get_public(slug=slug, prefetch=("rounds",))
    round_ = _round_of_request(request, campaign)
    board = leaderboard_for_round(campaign=campaign, round_=round_)
    context = {
        "campaign": campaign,
        "round": round_,
        "rounds": sorted(campaign.rounds.all(), key=lambda r: r.number),
        "board": board,
    }
    response = page(request, "leaderboard.html", context)
    return visit(request, response, campaign_id=campaign.pk)
