"""REST API v1 for students and the app (docs/contract.md "REST API v1").

Views are thin: permission, input serializer, one service or selector call, output
serializer. Errors are raised as ``DomainError``/DRF exceptions and shaped by
``voting.api.support.exception_handler``.
"""

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidImage, NotFound
from voting import errors
from voting.api.authentication import IsVoter, VoterTokenAuthentication
from voting.api.caching import CachedJsonReadView, CachedRead, ReadVisit, cached_json_response
from voting.api.errors import InvalidInput, NotAcceptable
from voting.api.schema import (
    DEVICE_ID,
    ENTRY_ID,
    PAGE_PARAMS,
    PAGINATED,
    ROUND_PARAM,
    VISITOR_ID,
    raises,
    visitor_cookie,
)
from voting.api.serializers import (
    CampaignDetailSerializer,
    CampaignListSerializer,
    EntrySerializer,
    EntrySubmitSerializer,
    EntrySubmittedSerializer,
    LeaderboardSerializer,
    MeSerializer,
    MyVoteSerializer,
    RoundQuerySerializer,
    VoteCastSerializer,
)
from voting.api.support import (
    FirstRendererNegotiation,
    MultiPartParser,
    accepts,
    client_ip,
    header_text,
    path_id,
    visitor_cookie_set,
    visitor_id,
)
from voting.api.throttles import (
    SubmitVoterThrottle,
    VoteIpThrottle,
    VoteVoterThrottle,
)
from voting.selectors.public import (
    campaign_get_public,
    campaign_list_open,
    entry_get_public,
    entry_list_public,
    leaderboard_for_round,
    round_by_number,
    round_current,
    vote_counts_latest,
    vote_list_for_voter,
)
from voting.services.entries import entry_submit
from voting.services.photos import entry_poster_ensure
from voting.services.traffic import visit_record
from voting.services.votes import vote_cast_by_id

# Each view declares the domain errors it can raise (@raises, next to the code that
# raises them); voting/api/schema.py adds those its configuration implies (a body, a
# token, throttles) and documents each operation's codes as an enum.


class _PublicView:
    """Anonymous reads: no authentication (a stale token must not break browsing)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


def _record_visit(request, response, *, campaign_id: int, entry_id: int | None = None):
    vid, new = visitor_id(request)
    visit_record(visitor_id=vid, campaign_id=campaign_id, entry_id=entry_id, ip=client_ip(request))
    if new:
        visitor_cookie_set(response, vid)
    return response


_ENTRY_LIST_PARAMS = frozenset({"round", "page", "page_size"})


def _current_round_slot() -> str:
    # Rounds of a daily topic open and close on the hour at the finest: a cached
    # "current round" read lasts until the next hour at most (Asia/Shanghai).
    return timezone.localtime().strftime("current@%Y-%m-%dT%H")


def _round_query(request) -> int | None:
    # request.GET: a DRF request's query_params, and a Django request's (CachedReadView).
    if "round" not in request.GET:  # the common case, without a serializer
        return None
    query = RoundQuerySerializer(data=request.GET)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("round")


# --------------------------------------------------------------------------------------
# Campaigns


@extend_schema_view(
    get=extend_schema(
        operation_id="campaign_list",
        tags=["campaigns"],
        summary="Open campaigns",
        parameters=PAGE_PARAMS,
        responses={200: CampaignListSerializer(many=True)},
    )
)
@raises(*PAGINATED)
class CampaignListView(CachedJsonReadView, _PublicView, generics.ListAPIView):
    serializer_class = CampaignListSerializer

    def get_queryset(self):
        return campaign_list_open()

    def cached_read(self, request) -> CachedRead | None:
        # As the entries: the next/previous links repeat the query string.
        query = sorted(request.GET.lists())
        if not {name for name, _values in query} <= {"page", "page_size"}:
            return None
        return CachedRead(None, ("campaigns", query), shared=True)

    def list(self, request, *args, **kwargs):
        read = self.cached_read(request)
        if read is None:
            return super().list(request, *args, **kwargs)
        _every, response = cached_json_response(
            request, read, build=lambda _none: super(CampaignListView, self).list(request).data
        )
        return response


class CampaignDetailView(CachedJsonReadView, _PublicView, APIView):
    def cached_read(self, request, slug: str) -> CachedRead:
        return CachedRead(slug, ("detail",), shared=False, visit=ReadVisit(request))

    @extend_schema(
        operation_id="campaign_retrieve",
        tags=["campaigns"],
        summary="A campaign with its vote policy, windows, rounds and prizes",
        description="Records a visit of the anonymous visitor.",
        parameters=[VISITOR_ID, visitor_cookie()],
        responses={200: CampaignDetailSerializer},
    )
    @raises(NotFound)
    def get(self, request, slug: str):
        _campaign_id, response = cached_json_response(
            request,
            self.cached_read(request, slug),
            build=lambda campaign: CampaignDetailSerializer(campaign).data,
            prefetch=("rounds", "prizes"),
        )
        return response


class LeaderboardView(CachedJsonReadView, _PublicView, APIView):
    def cached_read(self, request, slug: str) -> CachedRead:
        number = _round_query(request)
        # The current round moves with the clock (a daily topic): part of the key.
        parts = ("leaderboard", number if number is not None else _current_round_slot())
        return CachedRead(slug, parts, shared=True)

    @extend_schema(
        operation_id="campaign_leaderboard",
        tags=["campaigns"],
        summary="Latest leaderboard snapshot of a round",
        description="The current round by default (a daily topic has one per day).",
        parameters=[ROUND_PARAM],
        responses={200: LeaderboardSerializer},
    )
    @raises(InvalidInput, NotFound)
    def get(self, request, slug: str):
        number = _round_query(request)

        def build(campaign):
            round_ = (
                round_by_number(campaign=campaign, number=number)
                if number is not None
                else round_current(campaign=campaign)
            )
            if round_ is None:
                raise NotFound(_("This campaign has no rounds."))
            board = leaderboard_for_round(campaign=campaign, round_=round_)
            return LeaderboardSerializer(board).data

        _campaign_id, response = cached_json_response(
            request, self.cached_read(request, slug), build=build, prefetch=("rounds",)
        )
        return response


# --------------------------------------------------------------------------------------
# Entries


class EntryListCreateView(CachedJsonReadView, generics.GenericAPIView):
    """GET: approved entries (anyone). POST: a voter submits an entry (multipart)."""

    parser_classes = [MultiPartParser]
    serializer_class = EntrySerializer

    def get_authenticators(self):
        # Browsing needs no token (and a stale one must not break it); submitting does.
        if getattr(self.request, "method", None) == "POST":
            return [VoterTokenAuthentication()]
        return []

    def get_permissions(self):
        return [IsVoter()] if self.request.method == "POST" else [AllowAny()]

    def get_throttles(self):
        return [SubmitVoterThrottle()] if self.request.method == "POST" else []

    def cached_read(self, request, slug: str) -> CachedRead | None:
        # The next/previous links repeat the query string: only a query of known
        # parameters is cached (any other is served, and counted, uncached).
        query = sorted(request.GET.lists())
        if not {name for name, _values in query} <= _ENTRY_LIST_PARAMS:
            return None
        return CachedRead(slug, ("entries", query), shared=False, visit=ReadVisit(request))

    @extend_schema(
        operation_id="entry_list",
        tags=["entries"],
        summary="Approved entries of a campaign",
        description="Vote counts come from the latest leaderboard snapshot. "
        "Records a visit of the anonymous visitor.",
        parameters=[ROUND_PARAM, VISITOR_ID, *PAGE_PARAMS, visitor_cookie()],
        responses={200: EntrySerializer(many=True)},
    )
    @raises(*PAGINATED)
    def get(self, request, slug: str):
        number = _round_query(request)

        def build(campaign):
            page = self.paginate_queryset(entry_list_public(campaign=campaign, round_number=number))
            context = {
                "request": request,
                "vote_counts": vote_counts_latest(campaign_id=campaign.pk),
                "campaign_slug": campaign.slug,
            }
            return self.get_paginated_response(
                EntrySerializer(page, many=True, context=context).data
            ).data

        read = self.cached_read(request, slug)
        if read is not None:
            _campaign_id, response = cached_json_response(request, read, build=build)
            return response
        campaign = campaign_get_public(slug=slug)
        return _record_visit(request, Response(build(campaign)), campaign_id=campaign.pk)

    @extend_schema(
        operation_id="entry_submit",
        tags=["entries"],
        summary="Submit an entry (pending moderation)",
        description="A `multipart/form-data` body; docs/api.md shows how to send one from "
        "each generated client.",
        request={"multipart/form-data": EntrySubmitSerializer},
        responses={201: EntrySubmittedSerializer},
    )
    @raises(InvalidImage, NotFound, errors.SubmissionsClosed, errors.SubmissionLimitReached)
    def post(self, request, slug: str):
        campaign = campaign_get_public(slug=slug, prefetch=("rounds",))
        data = EntrySubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = entry_submit(voter=request.user.voter, campaign=campaign, **data.validated_data)
        body = EntrySubmittedSerializer(entry, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class EntryDetailView(CachedJsonReadView, _PublicView, APIView):
    def cached_read(self, request, slug: str, entry_id: str) -> CachedRead:
        pk = path_id(entry_id)
        visit = ReadVisit(request, entry_id=pk)
        return CachedRead(slug, ("entry", pk), shared=False, visit=visit)

    @extend_schema(
        operation_id="entry_retrieve",
        tags=["entries"],
        summary="One approved entry",
        description="Records a visit of the anonymous visitor.",
        parameters=[ENTRY_ID, VISITOR_ID, visitor_cookie()],
        responses={200: EntrySerializer},
    )
    @raises(NotFound)
    def get(self, request, slug: str, entry_id: str):
        pk = path_id(entry_id)

        def build(campaign):
            entry = entry_get_public(campaign=campaign, entry_id=pk)
            counts = vote_counts_latest(campaign_id=campaign.pk, round_id=entry.round_id)
            context = {"request": request, "vote_counts": counts, "campaign_slug": campaign.slug}
            return EntrySerializer(entry, context=context).data

        _campaign_id, response = cached_json_response(
            request, self.cached_read(request, slug, entry_id), build=build
        )
        return response


class EntryPosterView(_PublicView, APIView):
    # The poster is the view's own JPEG; whatever the Accept, errors are JSON.
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        operation_id="entry_poster",
        tags=["entries"],
        summary="An approved entry's share poster",
        description="A JPEG for WeChat: the photo, the contestant's name, the campaign "
        "title and a QR code of the entry's `/s/{share_code}` link. Drawn on the first "
        "request if it is not stored yet. `download=1` asks for it as an attachment. "
        "Any `Accept` that admits `image/jpeg` (`image/*`, `*/*`, none) gets it; "
        "another is `not_acceptable`.",
        parameters=[
            ENTRY_ID,
            OpenApiParameter(
                "download",
                {"type": "integer", "enum": [0, 1]},
                description="1: send as a file download (Content-Disposition: attachment).",
            ),
        ],
        responses={
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="The poster."),
        },
    )
    @raises(NotFound, NotAcceptable, errors.PosterUnavailable)
    def get(self, request, slug: str, entry_id: str):
        if not accepts(request, "image/jpeg"):
            raise NotAcceptable()
        campaign = campaign_get_public(slug=slug)
        entry = entry_get_public(campaign=campaign, entry_id=path_id(entry_id))
        entry.campaign = campaign
        name = entry_poster_ensure(entry)
        response = FileResponse(
            entry.poster.storage.open(name, "rb"),
            content_type="image/jpeg",
            as_attachment=request.query_params.get("download") == "1",
            filename=f"poster-{entry.share_code}.jpg",
        )
        # Short: a renamed contestant gets a new poster.
        response["Cache-Control"] = "public, max-age=300"
        return response


class VoteView(APIView):
    authentication_classes = [VoterTokenAuthentication]
    permission_classes = [IsVoter]
    throttle_classes = [VoteVoterThrottle, VoteIpThrottle]

    @extend_schema(
        operation_id="vote_cast",
        tags=["entries"],
        summary="Vote for an entry",
        description="Within the campaign's vote policy (docs/vote-policy.md); "
        "`remaining_today` is what the voter has left in this campaign today. No body.",
        request=None,
        parameters=[ENTRY_ID, DEVICE_ID],
        responses={201: VoteCastSerializer},
    )
    @raises(
        NotFound,
        errors.CampaignClosed,
        errors.EntryNotVotable,
        errors.DailyLimitReached,
        errors.EntryLimitReached,
        errors.SchoolNotEligible,
        errors.VoterNotVerified,
        errors.VoteContention,
    )
    def post(self, request, slug: str, entry_id: str):
        result = vote_cast_by_id(
            voter_id=request.user.pk,
            slug=slug,
            entry_id=path_id(entry_id),
            ip=client_ip(request),
            user_agent=header_text(request, "HTTP_USER_AGENT", 300),
            device_id=header_text(request, "HTTP_X_DEVICE_ID", 100),
        )
        body = {"vote_id": result.vote_id, "remaining_today": result.remaining_today}
        return Response(VoteCastSerializer(body).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------------------
# Me


class MeView(APIView):
    authentication_classes = [VoterTokenAuthentication]
    permission_classes = [IsVoter]

    @extend_schema(
        operation_id="me_retrieve",
        tags=["me"],
        summary="The signed-in voter",
        responses={200: MeSerializer},
    )
    def get(self, request):
        voter = request.user.voter
        if voter.school_id is not None:
            voter = type(voter).objects.select_related("school").get(pk=voter.pk)
        return Response(MeSerializer(voter).data)


@extend_schema_view(
    get=extend_schema(
        operation_id="me_votes_list",
        tags=["me"],
        summary="The signed-in voter's votes, newest first",
        parameters=PAGE_PARAMS,
        responses={200: MyVoteSerializer(many=True)},
    )
)
@raises(*PAGINATED)
class MyVotesView(generics.ListAPIView):
    authentication_classes = [VoterTokenAuthentication]
    permission_classes = [IsVoter]
    serializer_class = MyVoteSerializer

    def get_queryset(self):
        return vote_list_for_voter(voter_id=self.request.user.pk)
