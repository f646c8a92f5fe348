"""Traffic: ``GET /s/{share_code}`` (a share click, then the entry's page) and
``POST /api/v1/ingest/activity/`` (the app's backend reports user activity in batches)."""

from django.conf import settings
from django.http import HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from voting.api.authentication import IsService, ServiceTokenAuthentication
from voting.api.caching import CachedReadView
from voting.api.schema import VISITOR_ID, raises, visitor_cookie
from voting.api.support import (
    FirstRendererNegotiation,
    client_ip,
    visitor_cookie_set,
    visitor_id,
)
from voting.api.views import _PublicView
from voting.models import Visit
from voting.selectors.public import ShareTarget, share_target_cached, share_target_peek
from voting.services.traffic import MAX_EVENTS, activity_ingest, visit_pending


class ActivityEventSerializer(serializers.Serializer):
    """Documents one event; events are validated one by one by the service so that a bad
    event is rejected with its index instead of failing the batch."""

    phone = serializers.CharField(help_text="Chinese mobile number, any common spelling.")
    day = serializers.DateField(help_text="Local date (Asia/Shanghai), not in the future.")
    kind = serializers.CharField(help_text="e.g. login, workout.", max_length=32)


class IngestRequestSerializer(serializers.Serializer):
    events = serializers.ListField(
        child=serializers.JSONField(), max_length=MAX_EVENTS, allow_empty=True
    )


class ActivityBatchSerializer(serializers.Serializer):
    events = ActivityEventSerializer(many=True)


class RejectedSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    reason = serializers.CharField()


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = RejectedSerializer(many=True)


class ActivityIngestView(APIView):
    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [IsService]
    throttle_classes: list = []  # a trusted backend; batches are bounded instead

    @extend_schema(
        operation_id="ingest_activity",
        tags=["ingest"],
        summary="Report app activity of users (service token)",
        request=ActivityBatchSerializer,
        responses={200: IngestResultSerializer},
        description=(
            f"Idempotent batch of at most {MAX_EVENTS} events. Sending the same events "
            "again counts them as duplicates. Bad events are listed in `rejected` by index; "
            "the others are stored."
        ),
    )
    def post(self, request):
        data = IngestRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = activity_ingest(events=data.validated_data["events"])
        return Response(IngestResultSerializer(result).data)


class _ShareClick:
    """The share click a follow counts, recorded in the round trip that reads the cached
    target (docs/caching.md); ``redirect()`` answers it."""

    def __init__(self, request):
        self.vid, self.new = visitor_id(request)
        self.ip = client_ip(request)

    def __call__(self, campaign_id: int, entry_id: int):
        return visit_pending(
            visitor_id=self.vid,
            campaign_id=campaign_id,
            entry_id=entry_id,
            kind=Visit.Kind.SHARE_CLICK,
            ip=self.ip,
        )

    def redirect(self, target: ShareTarget) -> HttpResponseRedirect:
        response = HttpResponseRedirect(
            settings.SHARE_REDIRECT_URL.format(
                campaign=target.campaign_slug, entry=target.entry_id, code=target.share_code
            )
        )
        if self.new:
            visitor_cookie_set(response, self.vid)
        return response


class ShareRedirectView(CachedReadView, _PublicView, APIView):
    # A redirect has no body to negotiate: any browser's Accept follows it.
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        operation_id="share_follow",
        tags=["entries"],
        summary="Follow an entry's share link",
        description="Records a share click, then redirects to the entry "
        "(setting SHARE_REDIRECT_URL), passing the share code as `ref` for sign-in.",
        parameters=[
            VISITOR_ID,
            visitor_cookie(302),
            OpenApiParameter(
                "Location",
                OpenApiTypes.URI,
                OpenApiParameter.HEADER,
                response=[302],
                required=True,
                description="The entry's page.",
            ),
        ],
        responses={302: OpenApiResponse(description="Redirect to the entry.")},
    )
    @raises(NotFound)
    def get(self, request, share_code: str):
        click = _ShareClick(request)
        return click.redirect(share_target_cached(share_code=share_code, on_hit=click))

    def cached_response(self, request, share_code: str):
        click = _ShareClick(request)
        target = share_target_peek(share_code=share_code, on_hit=click)
        return None if target is None else click.redirect(target)
