"""What every HTTP handler shares: the resolver, errors as JSON, the owner, URLs."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from soundlink.errors import AppError, Unauthorized
from soundlink.settings import Settings


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


def make_resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.exception_handler(AppError)
    def _app_error(error: AppError) -> Response:
        return error_response(error.status, error.code, error.message, error.details)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        problems = [_describe(e) for e in error.errors()]
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return error_response(400, "invalid_request", summary or "the request is not valid", problems)

    @app.not_found
    def _no_route(_error: Exception) -> Response:
        event = app.current_event
        return error_response(404, "not_found", f"no route for {event.http_method} {event.path}")

    return app


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
