"""Benchmark-only endpoints: the floors the vote endpoint is compared with.

(a) ``BareView``: a DRF view doing no database work, the cost of the stack itself.
(b) ``BaselineInsertView``: validates a JSON body with a serializer and inserts one row
    into a table with a unique constraint through the ORM (``voting.Activity``, unique on
    phone, day and kind; the load generator sends distinct values), the floor cost of
    "one vote = one write". No model of its own: the bench adds nothing to the app.
"""

from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from voting.models import Activity


class _Unauthenticated(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


class BareView(_Unauthenticated):
    def get(self, request):
        return Response({"ok": True})


class ActivityRowSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20)
    day = serializers.DateField()
    kind = serializers.CharField(max_length=32)


class BaselineInsertView(_Unauthenticated):
    def post(self, request):
        data = ActivityRowSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = Activity.objects.create(**data.validated_data)
        return Response({"id": row.pk}, status=status.HTTP_201_CREATED)
