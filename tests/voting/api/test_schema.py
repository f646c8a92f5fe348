"""The OpenAPI schema and the interactive docs, and the error envelope's edges.

The schema is what client generators type (docs/api.md): these tests hold the properties
that make openapi-python-client and openapi-typescript clients work, so a regression
fails here without node (.ci/api-clients drives the generated clients themselves).
"""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from core import errors as core_errors
from core.errors import DomainError
from voting import errors as voting_errors
from voting.api import errors as api_errors
from voting.api.serializers import PHONE_PATTERN
from voting.services.sign_in import service_token_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]

CONTRACT_PATHS = {
    "/api/v1/auth/otp/": {"post"},
    "/api/v1/auth/verify/": {"post"},
    "/api/v1/campaigns/": {"get"},
    "/api/v1/campaigns/{slug}/": {"get"},
    "/api/v1/campaigns/{slug}/entries/": {"get", "post"},
    "/api/v1/campaigns/{slug}/entries/{entry_id}/": {"get"},
    "/api/v1/campaigns/{slug}/entries/{entry_id}/votes/": {"post"},
    "/api/v1/campaigns/{slug}/leaderboard/": {"get"},
    "/api/v1/me/": {"get"},
    "/api/v1/me/votes/": {"get"},
    "/s/{share_code}": {"get"},
}


@pytest.fixture
def schema(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_and_covers_the_contract(schema):
    validate_schema(schema)
    for path, methods in CONTRACT_PATHS.items():
        assert methods <= set(schema["paths"][path]), path


def test_every_error_code_of_the_vote_contract_is_documented(schema):
    responses = schema["paths"]["/api/v1/campaigns/{slug}/entries/{entry_id}/votes/"]["post"][
        "responses"
    ]
    assert set(responses) >= {"201", "401", "403", "404", "409", "429"}
    described = " ".join(r.get("description", "") for r in responses.values())
    for code in [
        "campaign_closed",
        "entry_not_votable",
        "daily_limit_reached",
        "entry_limit_reached",
        "school_not_eligible",
        "not_authenticated",
        "throttled",
    ]:
        assert code in described


def test_schema_generates_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_docs_render_from_our_own_static_files(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "jsdelivr" not in html and "unpkg" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


def test_unknown_api_url_is_a_json_not_found(client, settings):
    settings.DEBUG = False
    response = client.get("/api/v1/nothing-here/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}
    response = client.get("/api/v1/nothing-here/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.json() == {"error": {"code": "not_found", "message": "未找到。"}}


def test_values_that_can_be_null_are_nullable_in_the_schema(schema):
    # Found by schemathesis (.ci/run): a prize for every round answers "round": null, and
    # an entry without a photo (or a submission before its thumbnail) has null URLs.
    components = schema["components"]["schemas"]
    assert components["Prize"]["properties"]["round"]["nullable"] is True
    for name in ("Entry", "EntrySubmitted"):
        for field in ("photo_url", "thumbnail_url"):
            assert components[name]["properties"][field]["nullable"] is True, (name, field)


def test_query_bounds_the_api_enforces_are_in_the_schema(schema):
    parameters = {
        p["name"]: p["schema"]
        for p in schema["paths"]["/api/v1/campaigns/{slug}/entries/"]["get"]["parameters"]
    }
    assert parameters["page"]["oneOf"] == [
        {"type": "integer", "minimum": 1},
        {"type": "string", "enum": ["last"]},
    ]
    assert (parameters["page_size"]["minimum"], parameters["page_size"]["maximum"]) == (1, 100)
    assert (parameters["round"]["minimum"], parameters["round"]["maximum"]) == (1, 32767)


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_ignore_bearer_tokens(api, path):
    # A client with a service token or a revoked voter token still reads the schema
    # (schemathesis sends its token with every request, the schema's too).
    response = api.get(path, HTTP_AUTHORIZATION="Bearer not-a-voter-token")
    assert response.status_code == 200


def test_nested_field_errors_have_the_documented_shape(schema):
    # Found by schemathesis: a null event in an ingest batch answers
    # {"fields": {"events": {"0": [...]}}}, which the schema said could not happen.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {service_token_create(name='backend')}")
    response = client.post("/api/v1/ingest/activity/", {"events": [None]}, format="json")
    assert response.status_code == 400
    nested = response.json()["error"]["fields"]["events"]
    assert isinstance(nested, dict) and isinstance(nested["0"], list)
    documented = schema["components"]["schemas"]["IngestActivityError"]["properties"]["fields"]
    assert {"type": "object"} in documented["additionalProperties"]["anyOf"]


# --- What client generators read (docs/api.md) ------------------------------------------


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


# The codes each operation must document, from docs/contract.md and DRF's machinery; every
# operation also answers server_error and unavailable.
EXPECTED_CODES = {
    ("post", "/api/v1/auth/otp/"): {"invalid", "unsupported_media_type", "throttled"},
    ("post", "/api/v1/auth/verify/"): {
        "invalid",
        "invalid_code",
        "unsupported_media_type",
        "throttled",
    },
    ("post", "/api/v1/auth/logout/"): {"not_authenticated", "forbidden"},
    ("get", "/api/v1/campaigns/"): {"invalid", "not_found"},
    ("get", "/api/v1/campaigns/{slug}/"): {"not_found"},
    ("get", "/api/v1/campaigns/{slug}/leaderboard/"): {"invalid", "not_found"},
    ("get", "/api/v1/campaigns/{slug}/entries/"): {"invalid", "not_found"},
    ("post", "/api/v1/campaigns/{slug}/entries/"): {
        "invalid",
        "invalid_image",
        "unsupported_media_type",
        "not_found",
        "submissions_closed",
        "not_authenticated",
        "forbidden",
        "throttled",
    },
    ("get", "/api/v1/campaigns/{slug}/entries/{entry_id}/"): {"not_found"},
    ("get", "/api/v1/campaigns/{slug}/entries/{entry_id}/poster/"): {"not_found"},
    ("post", "/api/v1/campaigns/{slug}/entries/{entry_id}/votes/"): {
        "campaign_closed",
        "entry_not_votable",
        "daily_limit_reached",
        "entry_limit_reached",
        "school_not_eligible",
        "not_authenticated",
        "forbidden",
        "throttled",
        "not_found",
    },
    ("get", "/api/v1/me/"): {"not_authenticated", "forbidden"},
    ("get", "/api/v1/me/votes/"): {"invalid", "not_found", "not_authenticated", "forbidden"},
    ("post", "/api/v1/ingest/activity/"): {
        "invalid",
        "unsupported_media_type",
        "not_authenticated",
        "forbidden",
    },
    ("get", "/s/{share_code}"): {"not_found"},
}
# A redirect is not negotiated; every other operation answers not_acceptable to an Accept
# it cannot satisfy (the poster: one without image/jpeg).
NOT_NEGOTIATED = {("get", "/s/{share_code}")}
ERROR_MODULES = (core_errors, voting_errors, api_errors)


def _error_classes():
    return {
        cls
        for module in ERROR_MODULES
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, DomainError) and cls is not DomainError
    }


def _resolve(schema, ref_or_schema):
    ref = ref_or_schema.get("$ref") or next(
        (part["$ref"] for part in ref_or_schema.get("allOf", []) if "$ref" in part), None
    )
    if ref is None:
        return ref_or_schema
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _error_enum(schema, operation) -> tuple[set[str], dict[str, dict]]:
    """The operation's code enum, and its error responses by status."""
    errors = {s: r for s, r in operation["responses"].items() if int(s) >= 400}
    envelopes = set()
    for response in errors.values():
        assert set(response["content"]) == {"application/json"}
        envelopes.add(response["content"]["application/json"]["schema"]["$ref"])
    assert len(envelopes) == 1, envelopes  # one typed error per operation
    envelope = _resolve(schema, {"$ref": envelopes.pop()})
    body = _resolve(schema, envelope["properties"]["error"])
    code = _resolve(schema, body["properties"]["code"])
    assert code["type"] == "string"
    return set(code["enum"]), errors


def test_every_operation_has_an_enum_of_the_codes_it_can_answer(schema):
    documented = {(method, path) for path, method, _ in _operations(schema)}
    assert documented == set(EXPECTED_CODES)
    for path, method, operation in _operations(schema):
        codes, errors = _error_enum(schema, operation)
        expected = EXPECTED_CODES[method, path] | {"server_error", "unavailable"}
        if (method, path) not in NOT_NEGOTIATED:
            expected.add("not_acceptable")
        assert codes >= expected, (method, path, expected - codes)
        # Each code is explained under the status that carries it.
        described = " ".join(response["description"] for response in errors.values())
        for code in codes:
            assert f"`{code}`" in described, (method, path, code)


def test_no_enum_has_a_code_no_error_class_declares(schema):
    declared = {cls.code for cls in _error_classes()}
    for path, method, operation in _operations(schema):
        codes, _ = _error_enum(schema, operation)
        assert codes <= declared, (method, path, codes - declared)


def test_each_status_documents_the_codes_of_its_classes(schema):
    # e.g. the vote's 409 carries the four policy refusals, its 403 school_not_eligible.
    votes = schema["paths"]["/api/v1/campaigns/{slug}/entries/{entry_id}/votes/"]["post"]
    descriptions = {s: r["description"] for s, r in votes["responses"].items()}
    for cls in (
        voting_errors.CampaignClosed,
        voting_errors.EntryNotVotable,
        voting_errors.DailyLimitReached,
        voting_errors.EntryLimitReached,
        voting_errors.SchoolNotEligible,
        voting_errors.VoteContention,
        api_errors.Throttled,
        api_errors.NotAuthenticated,
    ):
        assert f"`{cls.code}`" in descriptions[str(cls.status)], cls


def test_the_error_code_component_lists_every_code_the_server_sends(schema):
    every = set(schema["components"]["schemas"]["ErrorCode"]["enum"])
    assert every == {cls.code for cls in _error_classes()}
    # DRF's own refusals included, method_not_allowed for a method no operation has.
    assert {
        "forbidden",
        "not_acceptable",
        "method_not_allowed",
        "unsupported_media_type",
        "throttled",
        "server_error",
        "unavailable",
    } <= every


def test_json_endpoints_take_json_bodies_only(schema):
    # DRF's default parsers made the schema offer form and multipart bodies too, which
    # openapi-python-client then chose (and could not import).
    for path, method, operation in _operations(schema):
        if "requestBody" not in operation:
            continue
        types = set(operation["requestBody"]["content"])
        if (method, path) == ("post", "/api/v1/campaigns/{slug}/entries/"):
            assert types == {"multipart/form-data"}
        else:
            assert types == {"application/json"}, (method, path)


def _response_components(schema):
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request") or "properties" not in component:
            continue
        yield name, component


def test_every_field_a_response_always_has_is_required(schema):
    for name, component in _response_components(schema):
        optional = set(component["properties"]) - set(component.get("required", []))
        if name.endswith("Error"):
            # `fields` only with `invalid`, `challenge` only with `captcha_required`.
            assert optional <= {"fields", "challenge"}, name
        else:
            assert not optional, (name, optional)
    components = schema["components"]["schemas"]
    assert set(components["Round"]["required"]) == {
        "number",
        "topic",
        "voting_starts_at",
        "voting_ends_at",
    }
    for name in ("CampaignList", "CampaignDetail"):
        assert {"kind", "status"} <= set(components[name]["required"])
    assert "channel" in components["Me"]["required"]
    for name in ("PaginatedEntryList", "PaginatedCampaignListList", "PaginatedMyVoteList"):
        assert components[name]["required"] == ["count", "next", "previous", "results"]


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_no_optional_input_has_a_default(schema):
    # openapi-typescript makes a property with a default required; the server fills in
    # what is missing itself.
    inputs = [c for n, c in schema["components"]["schemas"].items() if n.endswith("Request")]
    inputs += [
        parameter
        for _, _, operation in _operations(schema)
        for parameter in operation.get("parameters", [])
    ]
    for node in _walk(inputs):
        assert "default" not in node, node
    verify = schema["components"]["schemas"]["VerifyRequest"]
    assert "ref" in verify["properties"] and "ref" not in verify["required"]
    submit = schema["components"]["schemas"]["EntrySubmitRequest"]
    assert "caption" in submit["properties"] and "caption" not in submit["required"]


def test_public_operations_have_no_security_requirement(schema):
    token_operations = {
        ("post", "/api/v1/auth/logout/"): "voterToken",
        ("post", "/api/v1/campaigns/{slug}/entries/"): "voterToken",
        ("post", "/api/v1/campaigns/{slug}/entries/{entry_id}/votes/"): "voterToken",
        ("get", "/api/v1/me/"): "voterToken",
        ("get", "/api/v1/me/votes/"): "voterToken",
        ("post", "/api/v1/ingest/activity/"): "serviceToken",
    }
    assert "security" not in schema
    for path, method, operation in _operations(schema):
        scheme = token_operations.get((method, path))
        if scheme is None:
            assert operation.get("security", []) == [], (method, path)
        else:
            assert operation["security"] == [{scheme: []}], (method, path)


ACCEPTED_PHONES = [
    "13800138000",
    "138 0013 8000",
    "+86 138 0013 8000",
    "+86-138-0013-8000",
    "0086 13800138000",
    "8613800138000",
    "(+86) 138.0013.8000",
    "１３８００１３８０００",
    "＋８６ １３８ ００１３ ８０００",
    "138\u00a00013\u00a08000",
    "138\u20130013\u20138000",
]


@pytest.mark.parametrize("phone", ACCEPTED_PHONES)
def test_the_phone_pattern_admits_every_spelling_the_server_accepts(schema, phone):
    from core.phones import phone_normalize

    assert phone_normalize(phone) == "+8613800138000"
    pattern = schema["components"]["schemas"]["OtpRequestRequest"]["properties"]["phone"]
    assert pattern["pattern"] == PHONE_PATTERN
    assert re.search(PHONE_PATTERN, phone)


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "12345",
        "phone",
        "138001380000000000",
        "1380013800a",
        "12345678901",  # not 1[3-9]
        "23800138000",
        "+1 202 555 0123",
        "0013800138000",
    ],
)
def test_the_phone_pattern_refuses_what_is_no_phone(phone):
    from core.phones import InvalidPhone, phone_normalize

    assert not re.search(PHONE_PATTERN, phone)
    with pytest.raises(InvalidPhone):
        phone_normalize(phone)


def test_every_phone_the_server_accepts_matches_the_pattern():
    # Random spellings of random numbers (seeded): whatever phone_normalize accepts, a
    # client checking the pattern first must not refuse.
    import random

    from core.phones import InvalidPhone, phone_normalize

    rng = random.Random(18)
    pieces = ["+", "＋", "86", "0086", " ", "-", ".", "(", ")", "\u00a0", "\u2014"]
    accepted = 0
    for _ in range(4000):  # phonenumbers refuses unallocated ranges: fewer pass
        digits = rng.choice(["1", "2"]) + "".join(rng.choice("0123456789") for _ in range(10))
        text = "".join(chr(0xFF10 + int(c)) if rng.random() < 0.2 else c for c in digits)
        for _ in range(rng.randrange(4)):
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(pieces) + text[at:]
        try:
            phone_normalize(text)
        except InvalidPhone:
            continue
        accepted += 1
        assert re.search(PHONE_PATTERN, text), text
    assert accepted > 500


def test_response_headers_are_declared(schema):
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        for status, header in [("401", "WWW-Authenticate"), ("429", "Retry-After")]:
            if status in responses:
                assert header in responses[status].get("headers", {}), (method, path, status)
        assert "Retry-After" in responses["503"]["headers"], (method, path)
    paths = schema["paths"]
    share = paths["/s/{share_code}"]["get"]["responses"]["302"]["headers"]
    assert share["Location"]["required"] is True and "Set-Cookie" in share
    for path in (
        "/api/v1/campaigns/{slug}/",
        "/api/v1/campaigns/{slug}/entries/",
        "/api/v1/campaigns/{slug}/entries/{entry_id}/",
    ):
        assert "Set-Cookie" in paths[path]["get"]["responses"]["200"]["headers"], path


def test_the_poster_is_documented_as_a_jpeg_with_json_errors(schema):
    poster = schema["paths"]["/api/v1/campaigns/{slug}/entries/{entry_id}/poster/"]["get"]
    assert set(poster["responses"]["200"]["content"]) == {"image/jpeg"}
    assert "406" in poster["responses"]


def test_entry_ids_are_integers_in_the_schema(schema):
    # The URLs take any text (so an id that cannot exist is a JSON not_found, also in
    # debug mode); the schema still says what a valid id is.
    for path, _, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "entry_id":
                assert parameter["schema"]["type"] == "integer", path
                assert parameter["schema"]["minimum"] == 1


def test_the_schema_is_the_same_in_both_languages(api):
    def structure(language):
        response = api.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE=language).json()
        for node in _walk(response):
            for key in ("description", "title", "summary"):
                node.pop(key, None)
            # A description (translated or not) wraps a reference in allOf.
            if list(node) == ["allOf"] and len(node["allOf"]) == 1:
                node.update(node.pop("allOf")[0])
        return response

    assert structure("en") == structure("zh-hans")


def test_an_operation_can_document_more_members_of_its_error_object():
    # For a code that sends more than code and message (@raises(extra_fields=...)).
    from rest_framework import serializers

    from voting.api.schema import error_envelope

    envelope = error_envelope(
        "probe_challenge", ["challenged", "invalid"], {"challenge": serializers.DictField()}
    )
    assert envelope is error_envelope(  # one class per operation: one component
        "probe_challenge", ["invalid", "challenged"], {"challenge": serializers.DictField()}
    )
    body = envelope().fields["error"]
    assert set(body.fields) == {"code", "message", "fields", "challenge"}
    assert set(body.optional_output_fields) == {"fields", "challenge"}
    assert type(body).__name__ == "ProbeChallengeErrorSerializer"


def test_the_captcha_challenge_is_documented_and_matches_the_answer(schema, api, settings):
    """captcha_required 403 is in the schema (the fuzzer trips it: many codes from one
    client), and a real 403 validates against it."""
    import jsonschema

    operation = schema["paths"]["/api/v1/auth/otp/"]["post"]
    assert set(operation["responses"]) >= {"202", "400", "403", "429"}
    assert "captcha_required" in operation["responses"]["403"]["description"]
    body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    request_ref = body_schema["$ref"].rsplit("/", 1)[1]
    assert "captcha" in schema["components"]["schemas"][request_ref]["properties"]

    settings.OTP_RISK_PER_IP_PER_HOUR = 0  # every request raises the IP signal
    response = api.post("/api/v1/auth/otp/", {"phone": "13912345678"}, format="json")
    assert response.status_code == 403
    ref = operation["responses"]["403"]["content"]["application/json"]["schema"]["$ref"]
    resolver_schema = {**schema["components"]["schemas"][ref.rsplit("/", 1)[1]]}
    jsonschema.validate(response.json(), {**resolver_schema, "components": schema["components"]})
