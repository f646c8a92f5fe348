"""Sign-in for students and the app: a one-time code by SMS, its verification for a
bearer token, and signing out (docs/api.md "Authentication").
"""

from django.conf import settings
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from voting import errors
from voting.api.authentication import IsVoter, VoterTokenAuthentication
from voting.api.schema import (
    raises,
)
from voting.api.serializers import (
    CaptchaChallengeSerializer,
    OtpRequestSerializer,
    OtpSentSerializer,
    VerifiedSerializer,
    VerifySerializer,
)
from voting.api.support import (
    client_ip,
)
from voting.api.throttles import (
    OtpIpThrottle,
    OtpPhoneThrottle,
    VerifyIpThrottle,
    VerifyPhoneThrottle,
)
from voting.services.sign_in import otp_request, otp_verify, voter_token_revoke

# Each view declares the domain errors it can raise (@raises, next to the code that
# raises them); voting/api/schema.py adds those its configuration implies (a body, a
# token, throttles) and documents each operation's codes as an enum.


class OtpRequestView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [OtpIpThrottle, OtpPhoneThrottle]

    @extend_schema(
        operation_id="auth_otp_request",
        tags=["auth"],
        summary="Send a sign-in code by SMS",
        request=OtpRequestSerializer,
        description="Sends the code from a worker and answers at once. When the request "
        "looks like SMS pumping (many codes from one client or for one number range, codes "
        "never entered) it answers `captcha_required` 403 with a picture challenge; send "
        "the request again with `captcha: {id, answer}`. Each 403 brings a new challenge.",
        responses={202: OtpSentSerializer},
    )
    @raises(
        errors.TooManyCodes,
        errors.CaptchaRequired,
        extra_fields={"challenge": CaptchaChallengeSerializer(required=False)},
    )
    def post(self, request):
        data = OtpRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        otp_request(
            phone=data.validated_data["phone"],
            ip=client_ip(request),
            captcha=data.validated_data.get("captcha"),
        )
        body = {"sent": True, "expires_in": settings.OTP_TTL_SECONDS}
        return Response(OtpSentSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class VerifyView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [VerifyIpThrottle, VerifyPhoneThrottle]

    @extend_schema(
        operation_id="auth_verify",
        tags=["auth"],
        summary="Sign in with the code; returns a bearer token",
        request=VerifySerializer,
        responses={200: VerifiedSerializer},
    )
    @raises(errors.InvalidCode)
    def post(self, request):
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = otp_verify(**data.validated_data)
        body = {"token": result.token, "voter_id": result.voter.pk, "created": result.created}
        return Response(VerifiedSerializer(body).data)


class SignOutView(APIView):
    authentication_classes = [VoterTokenAuthentication]
    permission_classes = [IsVoter]

    @extend_schema(
        operation_id="auth_logout",
        tags=["auth"],
        summary="Revoke the bearer token of this request",
        request=None,
        responses={204: None},
    )
    def post(self, request):
        voter_token_revoke(token_id=request.user.identity.token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
