"""What every HTTP handler shares: the resolver, errors as JSON, the owner, URLs."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from soundlink.platform.errors import AppError, BadRequest, Unauthorized, UnsupportedMediaType
from soundlink.platform.schema import Schema
from soundlink.platform.settings import Settings

# Request bodies are JSON objects, UTF-8, flat: anything deeper than this is
# refused before pydantic (or Powertools' error formatting) walks it.
MAX_BODY_DEPTH = 16
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_JSON_ONLY = "send the body as application/json (UTF-8)"


class FieldProblem(Schema):
    field: str
    message: str


class ErrorBody(Schema):
    """Every error this API answers: a code, a message to act on, and which fields were wrong."""

    error: str = Field(examples=["invalid_request"])
    message: str
    details: list[FieldProblem] | None = Field(None, description="Present for invalid input: one entry per field")


class GatewayOrErrorBody(Schema):
    """An error from this API (`ErrorBody`) or API Gateway's own answer (`{"message": ...}`)."""

    message: str
    error: str | None = None
    details: list[FieldProblem] | None = None


class HealthBody(Schema):
    """GET /health: ok, or which dependency is unavailable."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, Literal["ok", "unavailable"]]


_ERROR_DESCRIPTIONS = {
    400: "Invalid input; `details` names each field",
    401: 'No valid Cognito token (API Gateway\'s JWT authorizer answers `{"message": "Unauthorized"}`)',
    404: "No such campaign for this owner",
    409: "The campaign is archived or was changed by another request",
    415: "The body is not application/json in UTF-8",
}


def responses(
    status: int, description: str, model: Any = None, *, errors: tuple[int, ...] = (), media_type: str | None = None
) -> dict[int, OpenAPIResponse]:
    """The OpenAPI responses of a route: its success and the errors it can answer."""
    success: OpenAPIResponse = {"description": description}
    if media_type:
        success["content"] = {media_type: {"schema": {"type": "string"}}}
    elif model is not None:
        success["content"] = {content_types.APPLICATION_JSON: {"model": model}}
    documented: dict[int, OpenAPIResponse] = {status: success}
    for code in errors:
        documented[code] = {
            "description": _ERROR_DESCRIPTIONS[code],
            "content": {content_types.APPLICATION_JSON: {"model": _error_body(code)}},
        }
    return documented


def _error_body(code: int) -> type[BaseModel]:
    # 401 and 404 may also come from API Gateway itself, in its own shape.
    return GatewayOrErrorBody if code in (401, 404) else ErrorBody


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    body: dict[str, Any] = {"error": code, "message": message}
    if details is not None:
        body["details"] = details
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def _describe(error: dict[str, Any]) -> dict[str, str]:
    # loc is ("body", "field", ...) or ("query", "name"): keep the part a
    # person typed, not pydantic's plumbing.
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    field = ".".join(loc) or "body"
    message = str(error.get("msg", "is not valid"))
    message = message.removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        message = "is not a known field"
    elif error.get("type") == "json_invalid":
        field, message = "body", "is not valid JSON"
    return {"field": field, "message": message}


# ------------------------------------------------------------- request bodies


def _is_json_utf8(content_type: str) -> bool:
    media_type, *parameters = (part.strip() for part in content_type.split(";"))
    if media_type.lower() != content_types.APPLICATION_JSON:
        return False
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


def _too_deep(value: Any) -> bool:
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_BODY_DEPTH:
            return True
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        pending.extend((child, depth + 1) for child in children)
    return False


def check_body(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event, if its body is one Powertools can parse safely: a UTF-8 JSON object.

    Powertools decodes and parses the body inside its validation middleware,
    before any middleware of ours runs, and only turns a JSONDecodeError into
    a validation error: a body that is not UTF-8, JSON too deep or with a
    5,000-digit number, or a multipart body without boundary would escape as
    a 500. So every request is checked here first, once for the whole API;
    the content type of an accepted body is normalised to application/json.
    """
    headers = event.get("headers") or {}
    content_type = next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "")
    body = event.get("body")
    method = str(((event.get("requestContext") or {}).get("http") or {}).get("method", "")).upper()
    if not body and not (content_type and method in _BODY_METHODS):
        return event
    if content_type and not _is_json_utf8(content_type):
        raise UnsupportedMediaType(f"content type {content_type[:100]!r} is not accepted: {_JSON_ONLY}")
    if not body:
        return event
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(str(body), validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest(f"the body is not valid JSON: {_JSON_ONLY}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(f"the body is not UTF-8: {_JSON_ONLY}") from None
    else:
        text = str(body)
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError, numbers over Python's digit limit, nesting
        raise BadRequest(f"the body is not valid JSON: {_JSON_ONLY}") from None
    if not isinstance(parsed, dict):
        raise BadRequest("the body must be a JSON object")
    if _too_deep(parsed):
        raise BadRequest(f"the body is nested more than {MAX_BODY_DEPTH} levels deep")
    if content_type != content_types.APPLICATION_JSON:
        others = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        event = {**event, "headers": {**others, "content-type": content_types.APPLICATION_JSON}}
    return event


# ----------------------------------------------------------------- responses


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    return next((str(v) for k, v in headers.items() if k.lower() == name), None)


def _secure(response: dict[str, Any]) -> dict[str, Any]:
    """Headers every answer carries: no MIME sniffing; JSON is never cached."""
    headers = response.setdefault("headers", {})
    headers["X-Content-Type-Options"] = "nosniff"
    content_type = _header(headers, "content-type") or ""
    if content_type.startswith(content_types.APPLICATION_JSON) and _header(headers, "cache-control") is None:
        headers["Cache-Control"] = "no-store"
    return response


def _payload(error: AppError) -> dict[str, Any]:
    body = error_response(error.status, error.code, error.message, error.details).body
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


class SoundlinkResolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver, with the body check and the headers every answer needs.

    Both sit around `resolve`: Powertools answers validation errors and 404s
    from its exception handlers, outside any middleware, so a middleware
    would miss those answers and could not run before the body is parsed.
    """

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            event = check_body(event)
        except AppError as error:
            return _secure(_payload(error))
        return _secure(super().resolve(event, context))


def make_resolver() -> APIGatewayHttpResolver:
    app = SoundlinkResolver(enable_validation=True)

    @app.exception_handler(AppError)
    def _app_error(error: AppError) -> Response:
        return error_response(error.status, error.code, error.message, error.details)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        problems = [_describe(e) for e in error.errors()]
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return error_response(400, "invalid_request", summary or "the request is not valid", problems)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(_error: RequestUnsupportedContentType) -> Response:
        # check_body refuses these first; kept so the shape holds if a route reads a body another way.
        return error_response(415, UnsupportedMediaType.code, _JSON_ONLY)

    @app.not_found
    def _no_route(_error: Exception) -> Response:
        event = app.current_event
        return error_response(404, "not_found", f"no route for {event.http_method} {event.path}"[:200])

    return app


def _error_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in (ErrorBody, GatewayOrErrorBody):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def _error(code: int) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{_error_body(code).__name__}"}
    return {"description": _ERROR_DESCRIPTIONS[code], "content": {content_types.APPLICATION_JSON: {"schema": schema}}}


def openapi_document(app: APIGatewayHttpResolver, *more: APIGatewayHttpResolver, **info: Any) -> str:
    """The OpenAPI document (JSON) as this API answers, for every route of the resolvers
    (one per function behind the same HTTP API).

    Powertools documents a 422 that is never sent (invalid input is a 400) and
    only the responses a route declares; the errors that come from in front of
    the routes are added here: 401 from the JWT authorizer on every route that
    needs the owner's token (all but those marked `security: []`), 400 and 415
    from the body check on every method that carries a body, 400 from parameter
    validation wherever there are query parameters.
    """
    document = json.loads(app.get_openapi_json_schema(**info))
    for other in more:
        extra = json.loads(other.get_openapi_json_schema(**info))
        document.setdefault("paths", {}).update(extra.get("paths", {}))
        for name, schema in extra.get("components", {}).get("schemas", {}).items():
            document.setdefault("components", {}).setdefault("schemas", {}).setdefault(name, schema)
    secured_by_default = bool(document.get("security"))
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.pop("422", None)
            errors = set()
            if operation.get("security", secured_by_default or None):
                errors.add(401)
            if method.upper() in _BODY_METHODS or "requestBody" in operation:
                errors.update((400, 415))
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                errors.add(400)
            for code in sorted(errors):
                responses.setdefault(str(code), _error(code))
    _link_creates_to_their_items(document.get("paths", {}))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _error_schemas().items():
        schemas.setdefault(name, schema)
    for name in ("HTTPValidationError", "ValidationError"):  # in this order: the first refers to the second
        if f'"#/components/schemas/{name}"' not in json.dumps(document):
            schemas.pop(name, None)
    return json.dumps(document, indent=2)


def _link_creates_to_their_items(paths: dict[str, Any]) -> None:
    """OpenAPI links from each create (a POST on a collection answering 201 with an `id`) to
    every operation on that collection's items, so a client (or schemathesis' stateful
    phase) can follow create -> read -> change -> delete. Made from the paths themselves:
    a new item route is linked by construction."""
    for collection, operations in paths.items():
        created = (operations.get("post") or {}).get("responses", {}).get("201")
        if not created:
            continue
        links = {}
        for path, item_operations in sorted(paths.items()):
            head, _, rest = path.partition(collection + "/{")
            if head or not rest:
                continue
            parameter = rest.split("}", 1)[0]
            for operation in item_operations.values():
                if isinstance(operation, dict) and operation.get("operationId"):
                    links[operation["operationId"]] = {
                        "operationId": operation["operationId"],
                        "parameters": {f"path.{parameter}": "$response.body#/id"},
                    }
        if links:
            created["links"] = links


def owner_id(app: APIGatewayHttpResolver) -> str:
    """The signed-in owner: the Cognito `sub` verified by the JWT authorizer."""
    context = app.current_event.request_context
    claims = (context.authorizer.jwt_claim or {}) if context.authorizer else {}
    subject = claims.get("sub")
    if not subject:
        raise Unauthorized("sign in: this route needs a Cognito token in the Authorization header")
    return str(subject)


def api_url(app: APIGatewayHttpResolver, settings: Settings) -> str:
    """Public base URL of this API, as links handed to people must use."""
    if settings.public_api_url:
        return settings.public_api_url
    # $default stage: the request's domain is the whole base URL.
    domain = app.current_event.request_context.domain_name
    return f"https://{domain}"
