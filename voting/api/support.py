"""Plumbing shared by the API views: the error envelope, parsing and content negotiation,
pagination, and what a request says about its sender (client IP behind proxies, device
id, anonymous visitor id)."""

import functools
import ipaddress
import json
import logging
import re
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError
from django.http import Http404, JsonResponse
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found as django_page_not_found
from rest_framework import exceptions, negotiation, pagination, parsers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.mediatypes import media_type_matches

from core.errors import DomainError, NotFound
from voting.api import errors as api_errors

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------
# Errors: every failure answers {"error": {"code", "message"}} (docs/api.md), the message
# in the request's language (LocaleMiddleware: Accept-Language, zh-hans or English).


def _plain(detail):
    """ErrorDetail trees → plain JSON (lists of strings)."""
    if isinstance(detail, dict):
        return {str(k): _plain(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_plain(v) for v in detail]
    return str(detail)


def _invalid(exc: exceptions.ValidationError) -> tuple[DomainError, dict]:
    detail = exc.detail
    if not isinstance(detail, dict):
        detail = {api_settings.NON_FIELD_ERRORS_KEY: detail}
    fields = _plain(detail)
    names = list(fields)
    only = fields.get(api_settings.NON_FIELD_ERRORS_KEY)
    if names == [api_settings.NON_FIELD_ERRORS_KEY] and isinstance(only, list) and only:
        # E.g. a JSON body that is a list: DRF's own sentence says it best.
        message = str(only[0])
    else:
        message = _("Invalid input: %(fields)s.") % {"fields": ", ".join(names)}
    return api_errors.InvalidInput(message), {"fields": fields}


def api_error(exc) -> tuple[DomainError, dict, dict]:
    """``exc`` → (the error with its code, status and message, extra members of the
    ``error`` object, response headers). Unknown exceptions are a logged ``server_error``.

    A domain error may carry more members for its ``error`` object in ``extra`` (a dict
    set on the instance; the view documents them with ``@raises(..., extra_fields=)``).
    """
    if isinstance(exc, DomainError):
        extra = dict(getattr(exc, "extra", None) or {})
        if getattr(exc, "challenge", None) is not None:
            extra["challenge"] = exc.challenge  # voting.errors.CaptchaRequired
        return exc, extra, {}
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        # Django refuses to read a body past DATA_UPLOAD_MAX_MEMORY_SIZE (or with too many
        # fields or files) when the parser first touches it: malformed input, not a bug.
        # https://docs.djangoproject.com/en/5.2/ref/settings/#data-upload-max-memory-size
        return api_errors.InvalidInput(_("The request is too large.")), {"fields": {}}, {}
    if isinstance(exc, exceptions.ParseError):
        # A body that does not parse (JSONParser below): name the body, not the fields
        # an empty body would lack.
        message = str(exc.detail)
        return api_errors.InvalidInput(message), {"fields": {"body": [message]}}, {}
    if isinstance(exc, exceptions.ValidationError):
        error, extra = _invalid(exc)
        return error, extra, {}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return (
            api_errors.NotAuthenticated(str(exc.detail)),
            {},
            {"WWW-Authenticate": 'Bearer realm="api"'},
        )
    if isinstance(exc, exceptions.Throttled):
        headers = {"Retry-After": str(int(exc.wait) + 1)} if exc.wait is not None else {}
        return api_errors.Throttled(), {}, headers
    if isinstance(exc, exceptions.NotFound):
        return NotFound(str(exc.detail)), {}, {}
    if isinstance(exc, Http404):
        return NotFound(), {}, {}
    if isinstance(exc, exceptions.PermissionDenied):
        return api_errors.Forbidden(str(exc.detail)), {}, {}
    if isinstance(exc, DjangoPermissionDenied):
        return api_errors.Forbidden(), {}, {}
    if isinstance(exc, exceptions.MethodNotAllowed):
        return api_errors.MethodNotAllowed(str(exc.detail)), {}, {}
    if isinstance(exc, exceptions.NotAcceptable):
        return api_errors.NotAcceptable(str(exc.detail)), {}, {}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return api_errors.UnsupportedMediaType(str(exc.detail)), {}, {}
    if isinstance(exc, DatabaseError):
        # E.g. SQLite's "database is locked" past its busy timeout: nothing was written.
        logger.exception("Database error")
        return api_errors.Unavailable(), {}, {"Retry-After": "1"}
    logger.exception("Unhandled error")
    return api_errors.ServerError(), {}, {}


def exception_handler(exc, context) -> Response:
    """The one exception handler of the API (settings REST_FRAMEWORK.EXCEPTION_HANDLER).

    Every code it answers is a class of ``voting/api/errors.py``, ``voting/errors.py``
    or ``core/errors.py``; tests treat any 500 as a bug, the envelope is for clients
    should one slip through.
    """
    error, extra, headers = api_error(exc)
    body = {"error": {"code": error.code, "message": error.message, **extra}}
    if "challenge" in extra:
        # captcha_required: the challenge in the error, and beside it, where the
        # contract's `{challenge: {id, image_url}}` can be read either way.
        body["challenge"] = extra["challenge"]
    response = Response(body, status=error.status)
    for name, value in headers.items():
        response[name] = value
    return response


def page_not_found(request, exception=None):
    """handler404: unknown URLs under the API answer in the API's envelope."""
    if request.path.startswith(("/api/", "/s/")):
        error = NotFound()
        return JsonResponse({"error": {"code": error.code, "message": error.message}}, status=404)
    return django_page_not_found(request, exception)


def server_error(request):
    """handler500 for the API: the envelope, never Django's HTML page."""
    from django.views.defaults import server_error as django_server_error

    if request.path.startswith(("/api/", "/s/")):
        error = api_errors.ServerError()
        return JsonResponse({"error": {"code": error.code, "message": error.message}}, status=500)
    return django_server_error(request)


def path_id(raw: str | int) -> int:
    """A numeric id from the URL: the URLs take any text so that an id that cannot exist
    is the API's ``not_found`` (also in debug mode, where Django's own 404 is a page)."""
    text = str(raw)
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        raise NotFound(_("No such entry."))
    return int(text)


# --------------------------------------------------------------------------------------
# Parsing and content negotiation


class JSONParser(parsers.JSONParser):
    """DRF's parser with a message that names the body, in the request's language."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except exceptions.ParseError as exc:
            cause = exc.__context__
            if isinstance(cause, json.JSONDecodeError):
                raise exceptions.ParseError(
                    _("The request body is not valid JSON (line %(line)d, column %(column)d).")
                    % {"line": cause.lineno, "column": cause.colno}
                ) from None
            raise exceptions.ParseError(_("The request body is not valid JSON in UTF-8.")) from None


class MultiPartParser(parsers.MultiPartParser):
    """DRF's parser with a message in the request's language."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except exceptions.ParseError:
            raise exceptions.ParseError(
                _("The request body is not valid multipart/form-data.")
            ) from None


def accepts(request, media_type: str) -> bool:
    """Whether the request's Accept header admits ``media_type`` (no header: anything)."""
    header = request.META.get("HTTP_ACCEPT", "").strip()
    if not header:
        return True
    for token in header.split(",")[:64]:
        token = token.strip()
        if not token:
            continue
        value, params = parse_header_parameters(token)
        try:
            if float(params.get("q", "1")) <= 0:
                continue
        except ValueError:
            continue
        if "/" in value and media_type_matches(media_type, value):
            return True
    return False


class _NoFormatOverride:
    URL_FORMAT_OVERRIDE = None


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    """DRF's negotiation of ``Accept``, without its ``?format=`` override: an unknown
    format would be a 404 on every endpoint, and each has one representation. The schema
    view keeps DRF's (``/api/schema/?format=json``, config/urls.py)."""

    settings = _NoFormatOverride()

    def get_accept_list(self, request):
        # An empty Accept asks for nothing in particular, like none at all (as accepts()).
        return super().get_accept_list(request) or ["*/*"]


class FirstRendererNegotiation(ContentNegotiation):
    """For views that send a non-JSON body themselves (the poster) and check Accept for
    it: DRF's negotiation would refuse ``Accept: image/jpeg`` before the view runs; their
    errors are JSON whatever the Accept."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# --------------------------------------------------------------------------------------
# Pagination


class Pagination(pagination.PageNumberPagination):
    """``?page=N`` or ``?page=last`` (and ``page_size`` up to 100). A page that is not a
    positive number is malformed input (``invalid`` 400); a page past the end is
    ``not_found`` 404."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param) or 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        if not (isinstance(raw, int) or (raw.isascii() and raw.isdigit())) or int(raw) < 1:
            raise exceptions.ValidationError({"page": [_("A positive page number, or last.")]})
        if int(raw) > 10**9:
            raise exceptions.NotFound(_("Invalid page."))
        return int(raw)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": [_("A number from 1 to %(max)d.") % {"max": self.max_page_size}]}
            )
        return int(raw)

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        # Every page has all four keys; next and previous are null at the ends.
        paginated["required"] = ["count", "next", "previous", "results"]
        return paginated


# --------------------------------------------------------------------------------------
# The sender


def _parse_ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


@functools.lru_cache(maxsize=8)
def _networks(nets: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    # Parsed once per setting, not per request (a tenth of a millisecond each time).
    return tuple(ipaddress.ip_network(net, strict=False) for net in nets)


@functools.lru_cache(maxsize=256)
def _proxy_trusted(address: str, nets: tuple[str, ...]) -> bool:
    # Per address: the peers that hand requests over are a few proxies, asked about on
    # every request.
    ip = _parse_ip(address)
    return ip is not None and any(ip in net for net in _networks(nets) if ip.version == net.version)


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
    if remote is None:
        return None
    num_proxies = api_settings.NUM_PROXIES or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    client = str(remote)
    if num_proxies > 0 and forwarded:
        nets = tuple(settings.TRUSTED_PROXIES)
        for hop in reversed(forwarded.split(",")[-num_proxies:]):
            if not _proxy_trusted(client, nets):
                break
            parsed = _parse_ip(hop)
            if parsed is None:  # a proxy wrote garbage: stop at the proxy itself
                break
            client = str(parsed)
    return client


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
