"""Plumbing shared by the API views: the error envelope, pagination, and what a request
says about its sender (client IP behind proxies, device id, anonymous visitor id)."""

import ipaddress
import logging
import re
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found as django_page_not_found
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.errors import DomainError

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------
# Errors: every failure answers {"error": {"code", "message"}} (docs/contract.md "REST API v1").


def _error(code: str, message: str, status: int, **extra) -> Response:
    return Response({"error": {"code": code, "message": message, **extra}}, status=status)


def _field_names(detail) -> list[str]:
    if isinstance(detail, dict):
        return [str(name) for name in detail]
    return ["non_field_errors"]


def _plain(detail):
    """ErrorDetail trees → plain JSON (lists of strings)."""
    if isinstance(detail, dict):
        return {str(k): _plain(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_plain(v) for v in detail]
    return str(detail)


def exception_handler(exc, context) -> Response:
    """The one exception handler of the API (settings REST_FRAMEWORK.EXCEPTION_HANDLER).

    Maps domain errors to their code and status, DRF's errors to the contract's codes,
    and anything unexpected to a logged 500 in the same envelope (tests treat any 500 as
    a bug; the envelope is for clients should one slip through).
    """
    if isinstance(exc, DomainError):
        challenge = getattr(exc, "challenge", None)
        if challenge is not None:
            # captcha_required: the challenge in the error, and beside it, where the
            # contract's `{challenge: {id, image_url}}` can be read either way.
            response = _error(exc.code, exc.message, exc.status, challenge=challenge)
            response.data["challenge"] = challenge
            return response
        return _error(exc.code, exc.message, exc.status)
    if isinstance(exc, exceptions.ValidationError | exceptions.ParseError):
        detail = exc.detail if isinstance(exc, exceptions.ValidationError) else {}
        fields = _field_names(detail) if detail else []
        if fields:
            message = "Invalid input: " + ", ".join(fields) + "."
        else:
            message = str(getattr(exc, "detail", "Malformed request."))
        return _error("invalid", message, 400, fields=_plain(detail) if detail else {})
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return _error("invalid", str(exc.detail), 400, fields={})
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response = _error("not_authenticated", str(exc.detail), 401)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if isinstance(exc, exceptions.Throttled):
        response = _error("throttled", "Too many requests; please slow down.", 429)
        if exc.wait is not None:
            response["Retry-After"] = str(int(exc.wait) + 1)
        return response
    if isinstance(exc, exceptions.NotFound | Http404):
        return _error("not_found", "Not found.", 404)
    if isinstance(exc, exceptions.PermissionDenied | DjangoPermissionDenied):
        return _error("forbidden", "You may not do this.", 403)
    if isinstance(exc, exceptions.APIException):
        return _error(str(exc.default_code), str(exc.detail), exc.status_code)
    if isinstance(exc, DatabaseError):
        # E.g. SQLite's "database is locked" past its busy timeout: nothing was written.
        logger.exception("Database error in %s", context.get("view"))
        response = _error("unavailable", "The service is busy; please retry.", 503)
        response["Retry-After"] = "1"
        return response
    logger.exception("Unhandled error in %s", context.get("view"))
    return _error("server_error", "Something went wrong on our side.", 500)


def page_not_found(request, exception=None):
    """handler404: unknown URLs under the API answer in the API's envelope."""
    if request.path.startswith(("/api/", "/s/")):
        return JsonResponse({"error": {"code": "not_found", "message": "Not found."}}, status=404)
    return django_page_not_found(request, exception)


def server_error(request):
    """handler500 for the API: the envelope, never Django's HTML page."""
    from django.views.defaults import server_error as django_server_error

    if request.path.startswith(("/api/", "/s/")):
        body = {"error": {"code": "server_error", "message": "Something went wrong."}}
        return JsonResponse(body, status=500)
    return django_server_error(request)


# --------------------------------------------------------------------------------------
# Pagination


class Pagination(pagination.PageNumberPagination):
    """``?page=N`` (and ``page_size`` up to 100). A page that is not a positive number is
    malformed input (``invalid`` 400); a page past the end is ``not_found`` 404."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param) or 1
        if raw in self.last_page_strings:
            return raw
        if not (isinstance(raw, int) or (raw.isascii() and raw.isdigit())) or int(raw) < 1:
            raise exceptions.ValidationError({"page": ["A positive page number."]})
        if int(raw) > 10**9:
            raise exceptions.NotFound()
        return int(raw)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": [f"A number from 1 to {self.max_page_size}."]}
            )
        return int(raw)


# --------------------------------------------------------------------------------------
# The sender


def _parse_ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


def _trusted_proxy_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(net, strict=False) for net in settings.TRUSTED_PROXIES]


def client_ip(request) -> str | None:
    """The real client IP, as the throttles, the SMS-pumping signals and votes see it.

    ``X-Forwarded-For`` is read only from the right and only as far as trusted proxies
    wrote it: starting from the peer (REMOTE_ADDR), each hop is believed only when the
    address that handed it over is in ``TRUSTED_PROXIES``, and at most ``NUM_PROXIES``
    hops. A client that reaches gunicorn directly, or that writes its own header, is
    known by its own address however it fills the header. (DRF's rule takes the hop
    ``NUM_PROXIES`` from the right whoever sent it; python-ipware checks the hops named
    in the header, never the peer that sent it.)
    """
    remote = _parse_ip(request.META.get("REMOTE_ADDR"))
    num_proxies = api_settings.NUM_PROXIES or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    client = remote
    if remote is not None and num_proxies > 0 and forwarded:
        trusted = _trusted_proxy_networks()
        hops = [hop.strip() for hop in forwarded.split(",")][-num_proxies:]
        for hop in reversed(hops):
            if not any(client in net for net in trusted if client.version == net.version):
                break
            parsed = _parse_ip(hop)
            if parsed is None:  # a proxy wrote garbage: stop at the proxy itself
                break
            client = parsed
    return str(client) if client is not None else None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def header_text(request, name: str, max_length: int) -> str:
    """A free-text request header, without control characters (PostgreSQL rejects NUL),
    cut to the column's length."""
    return _CONTROL.sub("", request.META.get(name, ""))[:max_length].strip()


_VISITOR_ID = re.compile(r"[A-Za-z0-9._:\-]{8,64}")
VISITOR_COOKIE = "vid"


def visitor_id(request) -> tuple[str, bool]:
    """The anonymous visitor: ``X-Visitor-Id``, else the ``vid`` cookie, else a new id.

    Returns ``(id, new)``; when ``new``, the response must set the cookie
    (``visitor_cookie_set``). Ill-formed values are ignored rather than rejected: a
    visit is a measurement, not worth failing a page for.
    """
    for value in (request.META.get("HTTP_X_VISITOR_ID", ""), request.COOKIES.get(VISITOR_COOKIE)):
        if value and _VISITOR_ID.fullmatch(value.strip()):
            return value.strip(), False
    return uuid.uuid4().hex, True


def visitor_cookie_set(response, vid: str) -> None:
    response.set_cookie(
        VISITOR_COOKIE, vid, max_age=2 * 365 * 24 * 3600, httponly=True, samesite="Lax"
    )
