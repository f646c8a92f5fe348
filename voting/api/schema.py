"""The OpenAPI schema as client generators read it (docs/api.md).

Generators (openapi-python-client, openapi-typescript) type what the schema says, so it
says exactly what the server does:

- every field of a response is required (DRF always sends it) unless its serializer
  lists it in ``optional_output_fields``;
- an operation anyone may call has no security requirement (not ``[{}]``, which
  openapi-python-client reads as "needs an authenticated client");
- each operation documents its errors with an ``enum`` of the codes it can answer,
  built from the error classes it can raise: those its view declares with
  ``@raises(...)`` next to the code that raises them, and those that follow from the
  view's configuration (a body: ``invalid``, ``unsupported_media_type``; a token:
  ``not_authenticated``, ``forbidden``; throttles: ``throttled``; DRF's negotiation of
  ``Accept``: ``not_acceptable``; every operation: ``server_error``, ``unavailable``);
  the headers those errors carry
  (``Retry-After``, ``WWW-Authenticate``) are declared on their statuses.
"""

from collections import defaultdict
from collections.abc import Iterable

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import list_hash
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from inflection import camelize
from rest_framework import permissions, serializers

from core.errors import DomainError, NotFound
from voting.api import errors as api_errors
from voting.api.serializers import FieldErrorsField
from voting.api.support import FirstRendererNegotiation

# --------------------------------------------------------------------------------------
# Declaring the errors of a view


def raises(*classes: type[DomainError], extra_fields: dict | None = None):
    """Declare the domain errors a view (class) or one of its methods can raise.

    ``extra_fields`` (name → serializer field) adds optional members to the operation's
    ``error`` object, for a code that sends more than ``code`` and ``message``.
    """

    def decorate(target):
        target.api_raises = tuple(classes)
        target.api_error_fields = dict(extra_fields or {})
        return target

    return decorate


# Every operation: the server's own failures.
ALWAYS = (api_errors.ServerError, api_errors.Unavailable)
# A list with ``?page``/``?page_size``: a malformed value, or a page past the end.
PAGINATED = (api_errors.InvalidInput, NotFound)

_HEADERS = {
    "WWW-Authenticate": {
        "schema": {"type": "string"},
        "description": 'The scheme to authenticate with: `Bearer realm="api"`.',
    },
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "Seconds to wait before trying again.",
    },
    "Allow": {"schema": {"type": "string"}, "description": "The methods this path accepts."},
}


# --------------------------------------------------------------------------------------
# The error envelope of one operation


_ENVELOPES: dict[tuple, type[serializers.Serializer]] = {}


def error_envelope(
    operation_id: str, codes: Iterable[str], extra_fields: dict | None = None
) -> type[serializers.Serializer]:
    """``{"error": {"code", "message", "fields"?}}`` with ``code`` an enum of ``codes``,
    as components ``<Operation>ErrorResponse`` and ``<Operation>Error`` (whose code enum
    generators name ``<Operation>ErrorCodeEnum``). One class per operation and code set,
    so repeated schema generation sees the same component."""
    codes = sorted(set(codes))
    extra_fields = extra_fields or {}
    key = (operation_id, tuple(codes), tuple(sorted(extra_fields)))
    if key in _ENVELOPES:
        return _ENVELOPES[key]
    name = camelize(operation_id)
    # The enum id keeps two operations with the same codes apart, so each enum is named
    # after its operation (drf_spectacular.hooks.postprocess_schema_enums).
    code_schema = {
        "type": "string",
        "enum": codes,
        "description": "Stable machine-readable code (docs/api.md).",
        "x-spec-enum-id": list_hash([(operation_id, code) for code in codes]),
    }
    code_field = extend_schema_field(code_schema)(
        type("ErrorCodeField", (serializers.CharField,), {})
    )
    attrs = {
        "__module__": __name__,
        "code": code_field(),
        "message": serializers.CharField(help_text="In the request's language."),
    }
    optional = list(extra_fields)
    if "invalid" in codes:
        attrs["fields"] = FieldErrorsField(
            required=False,
            help_text="With `invalid`: the offending fields and what is wrong with each: a "
            "list of messages, or for nested input an object keyed by index or sub-field.",
        )
        optional.append("fields")
    for field_name, field in extra_fields.items():
        attrs[field_name] = field
    meta = type(serializers.Serializer)
    body = meta(f"{name}ErrorSerializer", (serializers.Serializer,), attrs)
    body.optional_output_fields = tuple(optional)
    envelope = meta(
        f"{name}ErrorResponseSerializer",
        (serializers.Serializer,),
        {"__module__": __name__, "error": body()},
    )
    _ENVELOPES[key] = envelope
    return envelope


def _describe(classes: list[type[DomainError]]) -> str:
    messages = defaultdict(list)
    for cls in classes:
        if str(cls.default_message) not in messages[cls.code]:
            messages[cls.code].append(str(cls.default_message))
    return "\n\n".join(f"`{code}`: " + " / ".join(messages[code]) for code in sorted(messages))


# --------------------------------------------------------------------------------------
# The schema class (settings REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"])


class ApiAutoSchema(AutoSchema):
    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and schema.get("properties"):
            optional = set(getattr(serializer, "optional_output_fields", ()))
            required = [name for name in schema["properties"] if name not in optional]
            if required:
                schema["required"] = required
        return schema

    def get_auth(self):
        auths = super().get_auth()
        # [{}] alone means "no credentials needed": say so by saying nothing.
        return [] if all(not auth for auth in auths) else auths

    # --- errors

    def error_classes(self) -> list[type[DomainError]]:
        """Every error class this operation can answer with, declared or derived."""
        handler = getattr(self.view, self.method.lower(), None)
        declared = getattr(handler, "api_raises", None)
        if declared is None:
            declared = getattr(self.view, "api_raises", ())
        classes = [*ALWAYS, *declared]
        if not issubclass(self.view.content_negotiation_class, FirstRendererNegotiation):
            classes.append(api_errors.NotAcceptable)  # DRF's negotiation of Accept
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            classes += [api_errors.InvalidInput, api_errors.UnsupportedMediaType]
        if self.view.get_authenticators():
            classes.append(api_errors.NotAuthenticated)
        if any(not isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            classes.append(api_errors.Forbidden)
        if self.view.get_throttles():
            classes.append(api_errors.Throttled)
        return list(dict.fromkeys(classes))

    def _error_fields(self) -> dict:
        handler = getattr(self.view, self.method.lower(), None)
        fields = getattr(handler, "api_error_fields", None)
        return fields if fields is not None else getattr(self.view, "api_error_fields", {})

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        classes = self.error_classes()
        envelope = error_envelope(
            self.get_operation_id(), [c.code for c in classes], self._error_fields()
        )
        by_status = defaultdict(list)
        for cls in classes:
            by_status[cls.status].append(cls)
        for status in sorted(by_status):
            response = OpenApiResponse(envelope, description=_describe(by_status[status]))
            responses[str(status)] = self._get_response_for_code(
                response, str(status), ["application/json"], direction
            )
        return dict(sorted(responses.items()))

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        for cls in self.error_classes():
            if str(cls.status) == str(status_code):
                for name in getattr(cls, "headers", ()):
                    headers.setdefault(name, _HEADERS[name])
        return headers


def postprocess_error_codes(result, generator, **kwargs):
    """A hook (SPECTACULAR_SETTINGS POSTPROCESSING_HOOKS) after the enum hook: the
    component ``ErrorCode``, every code the server can answer: those of the operations,
    and ``method_not_allowed`` for a method no operation documents."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    codes = {api_errors.MethodNotAllowed.code}
    for name, schema in schemas.items():
        if name.endswith("ErrorCodeEnum"):
            codes.update(schema["enum"])
    schemas["ErrorCode"] = {
        "type": "string",
        "enum": sorted(codes),
        "description": "Every error code of the API (docs/api.md). Each operation's "
        "errors carry the subset it can answer (`<Operation>ErrorCodeEnum`).",
    }
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result


# --------------------------------------------------------------------------------------
# Parameters and headers shared by the views


DEVICE_ID = OpenApiParameter(
    "X-Device-Id",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The client's device id, recorded with the vote.",
)
VISITOR_ID = OpenApiParameter(
    "X-Visitor-Id",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Anonymous visitor id (8-64 of `A-Za-z0-9._:-`); without it the `vid` "
    "cookie is used, and set when missing.",
)


def visitor_cookie(status: int = 200) -> OpenApiParameter:
    return OpenApiParameter(
        "Set-Cookie",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[status],
        description="`vid=<visitor id>; HttpOnly; SameSite=Lax`, when the request had "
        "neither `X-Visitor-Id` nor a `vid` cookie.",
    )


# The bounds the API enforces are in the schema too, so that clients and generated tests
# (schemathesis in CI) know which values are valid.
PAGE_PARAMS = [
    OpenApiParameter(
        "page",
        {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": ["last"]}]},
        description="Page number, from 1, or `last`.",
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": 100},
        description="Items per page, 1-100.",
    ),
]
ROUND_PARAM = OpenApiParameter(
    "round",
    {"type": "integer", "minimum": 1, "maximum": 32767},
    description="Round number (a daily topic's day).",
)
ENTRY_ID = OpenApiParameter(
    "entry_id",
    {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    OpenApiParameter.PATH,
    description="The entry's id.",
)
