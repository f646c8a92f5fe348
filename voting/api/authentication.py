"""Bearer-token authentication of the public API.

Voters are not Django users: a verified voter's request carries ``request.user`` as a
``VoterPrincipal`` (``is_authenticated`` true, ``.pk`` the voter's id, ``.voter`` the
``Voter``, loaded when a view first asks for it: the vote endpoint never does), the app
backend's as a ``ServicePrincipal``. Both send ``Authorization: Bearer <token>``; which
kind an endpoint accepts is its ``authentication_classes``.
"""

from dataclasses import dataclass
from functools import cached_property

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from voting.models import ServiceToken, Voter
from voting.services.sign_in import (
    TokenIdentity,
    service_token_authenticate,
    voter_token_authenticate,
)


class VoterPrincipal:
    is_authenticated = True
    is_anonymous = False
    is_staff = False

    def __init__(self, identity: TokenIdentity):
        self.identity = identity

    @property
    def pk(self) -> int:
        return self.identity.voter_id

    @cached_property
    def voter(self) -> Voter:
        try:
            return Voter.objects.get(pk=self.identity.voter_id)
        except Voter.DoesNotExist:  # deleted by staff (tokens and all) since authenticating
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token.")) from None


@dataclass(frozen=True)
class ServicePrincipal:
    service: ServiceToken
    is_authenticated = True
    is_anonymous = False
    is_staff = False

    @property
    def pk(self) -> int:
        return self.service.pk


def _bearer(request) -> str | None:
    """The bearer token of the request, None without one; malformed → 401."""
    header = get_authorization_header(request).split()
    if not header or header[0].lower() != b"bearer":
        return None
    if len(header) != 2 or len(header[1]) > 200:
        raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
    try:
        return header[1].decode("ascii")
    except UnicodeDecodeError as exc:
        raise exceptions.AuthenticationFailed(_("Malformed Authorization header.")) from exc


class VoterTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        token = _bearer(request)
        if token is None:
            return None
        found = voter_token_authenticate(token=token)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        return VoterPrincipal(found), found

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to unauthenticated requests.
        return 'Bearer realm="api"'


class ServiceTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        token = _bearer(request)
        if token is None:
            return None
        found = service_token_authenticate(token=token)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid service token."))
        return ServicePrincipal(service=found), found

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class IsVoter(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, VoterPrincipal)


class IsService(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, ServicePrincipal)


class VoterTokenScheme(OpenApiAuthenticationExtension):
    target_class = VoterTokenAuthentication
    name = "voterToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Token from POST /api/v1/auth/verify/.",
        }


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = ServiceTokenAuthentication
    name = "serviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Token printed by `manage.py create_service_token NAME`.",
        }
