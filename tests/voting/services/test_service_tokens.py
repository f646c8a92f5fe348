"""Service tokens for the app backend: the command and the authentication class."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from voting.api.authentication import ServicePrincipal, ServiceTokenAuthentication
from voting.models import ServiceToken
from voting.services.sign_in import token_hash

pytestmark = pytest.mark.django_db


def _authenticate(header: str):
    request = Request(RequestFactory().post("/", HTTP_AUTHORIZATION=header))
    return ServiceTokenAuthentication().authenticate(request)


def test_command_prints_a_token_stored_only_as_a_hash():
    out = io.StringIO()
    call_command("create_service_token", "app-backend", stdout=out)
    token = out.getvalue().strip()
    stored = ServiceToken.objects.get(name="app-backend")
    assert stored.key_hash == token_hash(token) and token not in stored.key_hash
    principal, _ = _authenticate(f"Bearer {token}")
    assert isinstance(principal, ServicePrincipal) and principal.service == stored


def test_duplicate_name_is_a_command_error():
    call_command("create_service_token", "app-backend", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("create_service_token", "app-backend", stdout=io.StringIO())


def test_inactive_or_unknown_service_token_fails():
    out = io.StringIO()
    call_command("create_service_token", "app-backend", stdout=out)
    ServiceToken.objects.update(active=False)
    with pytest.raises(AuthenticationFailed):
        _authenticate(f"Bearer {out.getvalue().strip()}")
    with pytest.raises(AuthenticationFailed):
        _authenticate("Bearer not-a-token")


def test_no_bearer_header_is_anonymous():
    assert _authenticate("") is None
