"""The OpenAPI schema and the interactive docs, and the error envelope's edges."""

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

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


def test_malformed_json_is_invalid(api):
    response = api.post("/api/v1/auth/otp/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_unknown_api_url_is_a_json_not_found(client, settings):
    settings.DEBUG = False
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}


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
    assert parameters["page"]["minimum"] == 1
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
    documented = schema["components"]["schemas"]["ErrorBody"]["properties"]["fields"]
    assert {"type": "object"} in documented["additionalProperties"]["anyOf"]


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
