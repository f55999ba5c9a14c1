"""platform.http through a small resolver of its own (no AWS): the body check before Powertools,
the one error shape, the headers on every answer, the owner, the API's URL, and the OpenAPI
document's added errors and links. The campaigns function's tests check the same on the real API;
these run in a second, so a mutation run of http.py takes minutes."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Annotated

import pytest
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from soundlink.platform.errors import Conflict, NotFound, UnsupportedMediaType
from soundlink.platform.http import (
    ErrorBody,
    GatewayOrErrorBody,
    _describe,
    api_url,
    check_body,
    make_resolver,
    openapi_document,
    owner_id,
    responses,
)
from tests.support.events import DOMAIN, FakeContext, http_event

CLAIMS = {"sub": "owner-1"}


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _not_x(cls, value: str) -> str:
        if value == "x":
            raise ValueError("must not be x")
        return value


class ThingOut(BaseModel):
    id: str
    name: str


class ReportOut(BaseModel):
    """Only the second resolver's route answers it."""

    figures: dict[str, int]


def build_app():
    app = make_resolver()

    @app.get("/health", responses=responses(200, "Health"), openapi_extensions={"security": []})
    def health() -> dict:
        return {"status": "ok"}

    @app.post("/things", responses=responses(201, "Created", ThingOut, errors=(409,)))
    def create(thing: Thing) -> Response[ThingOut]:
        return Response(201, content_types.APPLICATION_JSON, body={"id": "t1", "name": thing.name})

    @app.get("/things", responses=responses(200, "Things"))
    def list_things(limit: Annotated[int, Query(ge=1, le=10)] = 5) -> dict:
        return {"limit": limit}

    @app.get("/things/<thing_id>", responses=responses(200, "One", ThingOut, errors=(404, 409)))
    def one(thing_id: str) -> dict:
        if thing_id == "gone":
            raise NotFound("no such thing")
        if thing_id == "busy":
            raise Conflict("changed meanwhile", details=[{"field": "version", "message": "is old"}])
        return {"id": thing_id, "name": "n"}

    @app.delete("/things/<thing_id>", responses=responses(200, "Deleted", ThingOut, errors=(404,)))
    def delete(thing_id: str) -> dict:
        return {"id": thing_id, "name": "n"}

    @app.get("/things/<thing_id>/qr.svg", responses=responses(200, "QR", media_type="image/svg+xml"))
    def qr(thing_id: str) -> Response[str]:
        return Response(200, "image/svg+xml", body="<svg/>")

    @app.get("/thingsx/<other_id>", responses=responses(200, "Not an item of /things"))
    def other(other_id: str) -> dict:
        return {}

    @app.get("/cached", responses=responses(200, "Cached"))
    def cached() -> Response[dict]:
        return Response(200, content_types.APPLICATION_JSON, body={}, headers={"Cache-Control": "max-age=60"})

    @app.post("/things/<thing_id>/archive", responses=responses(200, "Archived", ThingOut, errors=(404,)))
    def archive(thing_id: str) -> dict:  # a POST without a body
        return {"id": thing_id, "name": "n"}

    @app.get("/things/<thing_id>/parts/<part_id>", responses=responses(200, "A part"))
    def part(thing_id: str, part_id: str) -> dict:
        return {}

    @app.get("/archive/things/<thing_id>", responses=responses(200, "Holds /things/{ but is no item of it"))
    def archived(thing_id: str) -> dict:
        return {}

    @app.get("/whoami", responses=responses(200, "Who"))
    def whoami() -> dict:
        settings = SimpleNamespace(public_api_url=app.current_event.get_query_string_value("base") or "")
        return {"owner": owner_id(app), "url": api_url(app, settings)}

    return app


@pytest.fixture
def app():
    # Built for each test (it takes milliseconds): a mutation run maps each test to the code it
    # runs, and a module-scoped fixture would run make_resolver for the first test only.
    return build_app()


def call(app, method, path, **kwargs):
    kwargs.setdefault("claims", CLAIMS)
    raw = kwargs.pop("raw", None)
    event = http_event(method, path, **kwargs)
    if raw is not None:
        event.update(raw)
    answer = app.resolve(event, FakeContext())
    body = answer.get("body")
    headers = answer["headers"]
    if body and headers.get("Content-Type", "").startswith("application/json"):
        body = json.loads(body)
    return answer["statusCode"], body, headers


def post(app, body, content_type="application/json", **kwargs):
    return call(app, "POST", "/things", body=body, headers={"content-type": content_type}, **kwargs)


# ---------------------------------------------------------------- the body check


def body_event(body, *, content_type="application/json", method="POST", base64_body=False):
    headers = {"content-type": content_type} if content_type is not None else {}
    event = {"headers": headers, "requestContext": {"http": {"method": method}}, "isBase64Encoded": base64_body}
    if body is not None:
        event["body"] = body
    return event


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        'application/json; charset="utf8"',
        "application/json ; Charset = utf-8 ",
        "application/json; boundary=x",
    ],
)
def test_json_in_utf8_is_accepted_and_its_content_type_normalised(app, content_type):
    assert post(app, '{"name": "a"}', content_type)[:2] == (201, {"id": "t1", "name": "a"})
    checked = check_body(body_event('{"name": "a"}', content_type=content_type))
    assert checked["headers"] == {"content-type": "application/json"}


def test_other_headers_survive_the_normalisation():
    event = body_event('{"a": 1}', content_type="application/json; charset=utf-8")
    event["headers"] = {"Content-Type": "application/json; charset=utf-8", "X-Other": "kept"}
    assert check_body(event)["headers"] == {"X-Other": "kept", "content-type": "application/json"}
    assert event["headers"]["Content-Type"] == "application/json; charset=utf-8"  # the caller's event untouched


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/json",
        "application/jsonx",
        "application/json-patch+json",
        "multipart/form-data",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "application/json; charset=utf-8=latin-1",  # the value is everything after the first "="
        "application/json; charset=Xutf-8X",
        "application/x-www-form-urlencoded",
    ],
)
def test_other_content_types_are_415(app, content_type):
    status, body, headers = post(app, '{"name": "a"}', content_type)
    assert status == 415
    assert body["error"] == "unsupported_media_type"
    assert (
        body["message"] == f"content type {content_type!r} is not accepted: send the body as application/json (UTF-8)"
    )
    assert headers["Content-Type"] == "application/json"


def test_the_415_message_quotes_at_most_100_characters_of_the_content_type():
    content_type = "text/" + "a" * 94 + "bcdef"  # 104 characters: the 100th is the "b"
    with pytest.raises(UnsupportedMediaType) as raised:
        check_body(body_event("{}", content_type=content_type))
    assert repr(content_type[:100]) in raised.value.message
    assert "bc" not in raised.value.message


@pytest.mark.parametrize(
    ("method", "body", "content_type", "passes"),
    [
        ("GET", None, None, True),
        ("GET", None, "text/plain", True),  # no body, and GET carries none
        ("DELETE", None, "text/plain", True),
        ("POST", None, None, True),  # nothing to parse
        ("POST", "", "application/json", True),
        ("POST", None, "text/plain", False),  # a body method announcing a body of another type
        ("post", None, "text/plain", False),
        ("PUT", None, "text/plain", False),
        ("PATCH", "", "text/plain", False),
        ("GET", "x", "text/plain", False),  # a body is checked whatever the method
    ],
)
def test_what_is_checked_without_a_body(method, body, content_type, passes):
    event = body_event(body, content_type=content_type, method=method)
    if passes:
        assert check_body(event) is event
    else:
        with pytest.raises(UnsupportedMediaType):
            check_body(event)


def test_an_event_without_headers_or_context_passes():
    assert check_body({}) == {}
    assert check_body({"headers": None, "requestContext": None}) == {"headers": None, "requestContext": None}


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (base64.b64encode(b'{"name": "a"}').decode(), 201, None),
        ("not base64!", 400, "the body is not valid JSON: send the body as application/json (UTF-8)"),
        (
            base64.b64encode(b"\xff\xfe{}").decode(),
            400,
            "the body is not UTF-8: send the body as application/json (UTF-8)",
        ),
        (
            "!" + base64.b64encode(b'{"name": "a"}').decode(),  # base64 after a character outside its alphabet
            400,
            "the body is not valid JSON: send the body as application/json (UTF-8)",
        ),
        (
            base64.b64encode('{"name": "é"}'.encode("latin-1")).decode(),
            400,
            "the body is not UTF-8: send the body as application/json (UTF-8)",
        ),
    ],
    ids=["valid", "not-base64", "binary", "latin-1", "stray-characters"],
)
def test_a_base64_body_is_decoded_as_utf8(app, raw, status, message):
    got, body, _ = post(app, "{}", raw={"body": raw, "isBase64Encoded": True})
    assert got == status
    if message:
        assert body == {"error": "bad_request", "message": message}


@pytest.mark.parametrize(
    "text",
    ["{", '{"name": }', '{"n": ' + "1" * 5000 + "}", "[" * 100_000 + "]" * 100_000, "NaNa", "\x00"],
    ids=["open", "no-value", "5000-digits", "deep-arrays", "garbage", "nul"],
)
def test_bodies_json_cannot_take_are_400_not_500(app, text):
    status, body, _ = post(app, text)
    assert status == 400
    assert body == {
        "error": "bad_request",
        "message": "the body is not valid JSON: send the body as application/json (UTF-8)",
    }


def test_a_non_object_body_is_refused_through_the_resolver(app):
    status, body, _ = post(app, "[1]")
    assert (status, body) == (400, {"error": "bad_request", "message": "the body must be a JSON object"})


# ------------------------------------------------------------- the error shape


def test_an_app_error_is_its_status_and_shape(app):
    assert call(app, "GET", "/things/gone", route="/things/{thing_id}")[:2] == (
        404,
        {"error": "not_found", "message": "no such thing"},
    )
    assert call(app, "GET", "/things/busy", route="/things/{thing_id}")[:2] == (
        409,
        {"error": "conflict", "message": "changed meanwhile", "details": [{"field": "version", "message": "is old"}]},
    )


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"name": "a", "colour": "red"}, [{"field": "colour", "message": "is not a known field"}]),
        ({}, [{"field": "name", "message": "Field required"}]),
        ({"name": "x"}, [{"field": "name", "message": "must not be x"}]),
        ({"name": ""}, [{"field": "name", "message": "String should have at least 1 character"}]),
    ],
    ids=["extra", "missing", "value-error", "too-short"],
)
def test_invalid_bodies_are_400_naming_each_field(app, body, details):
    status, answer, _ = post(app, json.dumps(body))
    assert status == 400
    assert answer == {
        "error": "invalid_request",
        "message": "; ".join(f"{d['field']}: {d['message']}" for d in details),
        "details": details,
    }


def test_an_invalid_query_parameter_is_named_without_the_query_prefix(app):
    status, body, _ = call(app, "GET", "/things", query={"limit": "0"})
    assert status == 400
    assert [d["field"] for d in body["details"]] == ["limit"]
    assert body["message"].startswith("limit: ")


def test_several_problems_are_joined_in_the_message(app):
    status, body, _ = post(app, json.dumps({"name": "", "a": 1, "b": 2}))
    assert status == 400
    assert len(body["details"]) == 3
    assert body["message"] == "; ".join(f"{d['field']}: {d['message']}" for d in body["details"])


@pytest.mark.parametrize(
    ("error", "described"),
    [
        ({"loc": ("body", "name"), "msg": "Field required", "type": "missing"}, ("name", "Field required")),
        ({"loc": ("body", "items", 2, "id"), "msg": "bad", "type": "x"}, ("items.2.id", "bad")),
        ({"loc": ("path", "campaign_id"), "msg": "bad"}, ("campaign_id", "bad")),
        ({"loc": ("body",), "msg": "Value error, must be later", "type": "value_error"}, ("body", "must be later")),
        ({"msg": "Value error, keeps Value error, inside"}, ("body", "keeps Value error, inside")),
        ({"loc": ("body", "x")}, ("x", "is not valid")),
        ({"loc": ("body", "x"), "msg": "Extra inputs", "type": "extra_forbidden"}, ("x", "is not a known field")),
        ({"loc": ("body", 12), "msg": "JSON decode error", "type": "json_invalid"}, ("body", "is not valid JSON")),
    ],
)
def test_describe_keeps_what_a_person_typed(error, described):
    assert _describe(error) == {"field": described[0], "message": described[1]}


def test_an_unknown_route_is_a_json_404_naming_it(app):
    status, body, _ = call(app, "GET", "/nope")
    assert (status, body) == (404, {"error": "not_found", "message": "no route for GET /nope"})
    status, body, _ = call(app, "DELETE", "/" + "n" * 500)
    assert status == 404
    assert body["message"] == f"no route for DELETE /{'n' * 500}"[:200]
    assert len(body["message"]) == 200


# ---------------------------------------------------------- headers of every answer


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/things/t1", {"route": "/things/{thing_id}"}),
        ("GET", "/things/gone", {"route": "/things/{thing_id}"}),
        ("GET", "/nope", {}),
        ("GET", "/things", {"query": {"limit": "99"}}),
        ("POST", "/things", {"body": "x", "headers": {"content-type": "text/plain"}}),
        ("POST", "/things", {"body": "[]"}),
    ],
    ids=["ok", "app-error", "no-route", "invalid-query", "415", "not-an-object"],
)
def test_json_answers_are_nosniff_and_never_stored(app, method, path, kwargs):
    _, _, headers = call(app, method, path, **kwargs)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"] == "application/json"


def test_a_route_that_sets_its_own_caching_keeps_it(app):
    _, _, headers = call(app, "GET", "/cached")
    assert headers["Cache-Control"] == "max-age=60"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_an_answer_that_is_not_json_is_not_marked_no_store(app):
    status, body, headers = call(app, "GET", "/things/t1/qr.svg", route="/things/{thing_id}/qr.svg")
    assert (status, body) == (200, "<svg/>")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Cache-Control" not in headers


def test_the_body_check_answers_compact_json_not_base64(app):
    event = http_event("POST", "/things", body="[]", claims=CLAIMS)
    answer = app.resolve(event, FakeContext())
    assert answer["isBase64Encoded"] is False
    assert answer["body"] == '{"error":"bad_request","message":"the body must be a JSON object"}'


# --------------------------------------------------------------- owner, URL


@pytest.mark.parametrize(
    ("claims", "status"),
    [(None, 401), ({}, 401), ({"sub": ""}, 401), ({"email": "a@b"}, 401), ({"sub": "owner-1"}, 200)],
)
def test_the_owner_is_the_verified_sub(app, claims, status):
    got, body, _ = call(app, "GET", "/whoami", claims=claims)
    assert got == status
    if status == 401:
        assert body == {
            "error": "unauthorized",
            "message": "sign in: this route needs a Cognito token in the Authorization header",
        }
    else:
        assert body["owner"] == "owner-1"


def test_the_api_url_is_the_configured_one_or_the_requests_domain(app):
    assert call(app, "GET", "/whoami")[1]["url"] == f"https://{DOMAIN}"
    assert call(app, "GET", "/whoami", query={"base": "https://api.example"})[1]["url"] == "https://api.example"


# ------------------------------------------------------------ declared responses


def test_responses_declare_the_success_and_each_error():
    declared = responses(201, "Created", ThingOut, errors=(400, 401, 404, 409, 415))
    assert declared[201] == {"description": "Created", "content": {"application/json": {"model": ThingOut}}}
    models = {code: declared[code]["content"]["application/json"]["model"] for code in (400, 401, 404, 409, 415)}
    assert models == {400: ErrorBody, 401: GatewayOrErrorBody, 404: GatewayOrErrorBody, 409: ErrorBody, 415: ErrorBody}
    assert "Cognito" in declared[401]["description"] and "campaign" in declared[404]["description"]
    assert responses(200, "Plain") == {200: {"description": "Plain"}}
    assert responses(200, "QR", ThingOut, media_type="image/svg+xml") == {
        200: {"description": "QR", "content": {"image/svg+xml": {"schema": {"type": "string"}}}}
    }


# ------------------------------------------------------------------ OpenAPI document


@pytest.fixture
def document(app):
    extra = make_resolver()

    @extra.get("/reports/<report_id>", responses=responses(200, "A report", ReportOut))
    def report(report_id: str) -> dict:
        return {}

    text = openapi_document(
        app,
        extra,
        title="Test API",
        version="1.0.0",
        security=[{"jwt": []}],
        security_schemes={"jwt": HTTPBearer(bearerFormat="JWT")},
    )
    return json.loads(text)


def codes(document, path, method):
    return set(document["paths"][path][method]["responses"])


def test_the_document_declares_the_errors_sent_in_front_of_the_routes(document):
    assert codes(document, "/things", "post") == {"201", "400", "401", "409", "415"}
    assert codes(document, "/things", "get") == {"200", "400", "401"}  # a query parameter: 400
    assert codes(document, "/things/{thing_id}", "get") == {"200", "401", "404", "409"}
    assert codes(document, "/things/{thing_id}", "delete") == {"200", "401", "404"}
    assert codes(document, "/health", "get") == {"200"}  # public: no 401
    assert codes(document, "/reports/{report_id}", "get") == {"200", "401"}  # the second resolver's route
    assert document["components"]["schemas"]["ReportOut"]["required"] == ["figures"]  # ... and its schema
    assert codes(document, "/things/{thing_id}/archive", "post") == {"200", "400", "401", "404", "415"}  # no body


def references(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def test_every_reference_in_the_document_resolves(document, app):
    lonely = make_resolver()

    @lonely.post("/notes", responses=responses(201, "Created"))
    def create(thing: Thing) -> dict:  # declares no error: the 400 and 415 are added
        return {}

    for checked in (document, json.loads(openapi_document(lonely, title="t", version="1"))):
        schemas = checked["components"]["schemas"]
        refs = set(references(checked))
        assert refs, "the document refers to its schemas"
        for ref in refs:
            assert ref.startswith("#/components/schemas/"), ref
            assert isinstance(schemas[ref.removeprefix("#/components/schemas/")], dict), ref
        assert "$defs" not in json.dumps(checked)
        assert {"ErrorBody", "FieldProblem"} <= set(schemas)


def test_the_added_errors_refer_to_their_schemas(document):
    post = document["paths"]["/things"]["post"]["responses"]
    assert post["415"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert post["401"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/GatewayOrErrorBody"}
    assert post["415"]["description"] == "The body is not application/json in UTF-8"
    schemas = document["components"]["schemas"]
    assert {"ErrorBody", "GatewayOrErrorBody", "FieldProblem", "ThingOut", "Thing"} <= set(schemas)
    assert schemas["ErrorBody"]["required"] == ["error", "message"]
    assert schemas["ErrorBody"]["properties"]["details"]["anyOf"][0]["items"] == {
        "$ref": "#/components/schemas/FieldProblem"
    }
    assert "HTTPValidationError" not in schemas  # Powertools' 422 body: never sent, so not documented
    assert "422" not in json.dumps(document["paths"])


def test_without_a_default_security_only_routes_asking_for_it_declare_401(app):
    document = json.loads(openapi_document(app, title="Open", version="1"))
    assert "401" not in codes(document, "/things", "get")
    assert codes(document, "/things", "post") == {"201", "400", "409", "415"}


def test_a_create_links_to_every_operation_on_its_items(document):
    links = document["paths"]["/things"]["post"]["responses"]["201"]["links"]
    ids = {
        document["paths"][path][method]["operationId"]
        for path, method in [
            ("/things/{thing_id}", "get"),
            ("/things/{thing_id}", "delete"),
            ("/things/{thing_id}/qr.svg", "get"),
            ("/things/{thing_id}/archive", "post"),
            ("/things/{thing_id}/parts/{part_id}", "get"),
        ]
    }
    assert set(links) == ids
    for operation_id, link in links.items():  # the created id fills the first parameter
        assert link == {"operationId": operation_id, "parameters": {"path.thing_id": "$response.body#/id"}}
    # Nothing else links: no other create, and /thingsx/{other_id} is not an item of /things.
    others = [
        (path, method)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if any("links" in answer for answer in operation["responses"].values())
    ]
    assert others == [("/things", "post")]


def test_a_create_without_item_routes_has_no_links():
    lonely = make_resolver()

    @lonely.post("/notes", responses=responses(201, "Created", ThingOut))
    def create(thing: Thing) -> dict:
        return {}

    document = json.loads(openapi_document(lonely, title="t", version="1"))
    assert "links" not in document["paths"]["/notes"]["post"]["responses"]["201"]
