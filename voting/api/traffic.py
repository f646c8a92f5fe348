"""POST /api/v1/ingest/activity/: the app's backend reports user activity in batches."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from voting.api.authentication import IsService, ServiceTokenAuthentication
from voting.services.traffic import MAX_EVENTS, activity_ingest


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
