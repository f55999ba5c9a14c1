"""The HTTP API emulator: routes, payload 2.0 events, JWT authorizer, CORS.

Routes come from the functions' `HttpApi` events. A request is matched the
way API Gateway matches HTTP API routes: the most specific path wins
(literal segments over `{param}` over `{proxy+}`), then an exact method over
`ANY`, then `$default`. The function gets a payload format 2.0 event and its
answer is read by the 2.0 rules (structured response, or a bare value that
becomes a 200 JSON response). CORS preflights are answered by the API from
the template's CorsConfiguration, and its CORS headers replace the
function's, as API Gateway does.

Bodies are read with a bound (Content-Length or chunked alike): over HTTP
API's 10 MB, or once the event would exceed Lambda's 6 MB invocation payload
(base64 and the event's envelope count), the answer is 413 and no function
runs. The `/_local/...` control routes answer only requests addressed to the
loopback address the server is bound to (see `_local_host_allowed`) that carry
the header `X-Soundlink-Local: 1`, which no cross-site form or no-cors fetch can
send. The template's WAF rate rule is applied per client address (local/rate_rule.py).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlsplit

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from local.destinations import rewrite_response
from local.functions import STOPPING_ERROR, Functions, FunctionSpec, Invocation, function_events
from local.jwt_auth import AuthorizationFailed, JwtAuthorizer, JwtAuthorizerConfig
from local.logs import get_logger
from local.rate_rule import MARK_HEADER, RateRule
from local.stack import LocalStack

log = get_logger("api")

MAX_BODY_BYTES = 10 * 1024 * 1024  # HTTP API's payload quota: bodies are never read past it
# Lambda's quota for a synchronous invocation's request payload is the whole event as JSON: a
# binary body counts base64-encoded (x 4/3), and the headers and requestContext count too.
# Lambda refuses a larger one with RequestEntityTooLargeException ("Request must be smaller than
# 6291456 bytes for the InvokeFunction operation", as measured in Zac Charles, "Deep Dive:
# Lambda's Request Payload Size Limit (2/2)"), the function never runs, and API Gateway answers
# 413: a REST API was captured answering 413 {"message": "Request Too Long"}
# (github.com/koki-develop/lgtm-generator/issues/10). We found no capture of HTTP API's exact
# body for this case, so the emulator answers 413 with the body HTTP API gives for its own
# 10 MB quota, {"message":"Request Entity Too Large"}.
LAMBDA_MAX_REQUEST_BYTES = 6 * 1024 * 1024
TOO_LARGE = {"message": "Request Entity Too Large"}
# Host names the control routes accept, with the server's port (IP literals cannot be rebound).
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_SEGMENT = re.compile(r"^(?:\{(?P<name>[A-Za-z0-9._-]+)(?P<greedy>\+)?\}|(?P<literal>[^{}]*))$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Request bodies API Gateway passes as text; every other type (and none) arrives base64-encoded.
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")

# Connection-level headers end at API Gateway; the function never sees them.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}

ControlRoute = Callable[[Request], tuple[int, Any]]


class _BoundedRequest(Request):
    """Bodies are read up to MAX_BODY_BYTES, with or without Content-Length: past it, reading
    raises RequestEntityTooLarge (a chunked body is never read whole into memory)."""

    max_content_length = MAX_BODY_BYTES


class InvalidRoute(ValueError):
    """A path API Gateway would refuse (the route is left out, with a warning)."""


@dataclass(frozen=True)
class Route:
    route_key: str
    method: str  # GET, POST, ..., ANY; "" for $default
    path: str  # "/items/{id}"; "" for $default
    function: str  # logical id
    authorizer: str | None
    scopes: tuple[str, ...] = ()
    segments: tuple[tuple[str, str], ...] = ()  # (literal|param|greedy, text)

    @classmethod
    def parse(
        cls, method: str, path: str, function: str, authorizer: str | None, scopes: tuple[str, ...] = ()
    ) -> Route:
        if path == "$default":
            return cls("$default", "", "", function, authorizer, scopes)
        if not path.startswith("/"):
            raise InvalidRoute(f"{path!r} does not start with /")
        segments = []
        parts = path[1:].split("/")
        for index, part in enumerate(parts):
            match = _SEGMENT.match(part)
            if match is None:
                raise InvalidRoute(f"{path!r}: {part!r} is not a path segment or a {{variable}}")
            if match.group("name"):
                greedy = bool(match.group("greedy"))
                if greedy and index != len(parts) - 1:
                    raise InvalidRoute(f"{path!r}: a greedy variable must be the last segment")
                segments.append(("greedy" if greedy else "param", match.group("name")))
            else:
                segments.append(("literal", part))
        method = method.upper()
        return cls(f"{method} {path}", method, path, function, authorizer, scopes, tuple(segments))

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters (decoded) if this route takes the request, else None.

        `path` is the raw path: segments are split on "/" before they are
        decoded, so an encoded slash (%2F) stays inside its segment.
        """
        if self.route_key == "$default" or (self.method != "ANY" and self.method != method):
            return None
        parts = [unquote(part) for part in (path[1:] if path.startswith("/") else path).split("/")]
        params: dict[str, str] = {}
        for index, (kind, text) in enumerate(self.segments):
            if kind == "greedy":
                rest = "/".join(parts[index:])
                if not rest:
                    return None
                params[text] = rest
                return params
            if index >= len(parts):
                return None
            if kind == "literal":
                if parts[index] != text:
                    return None
            elif not parts[index]:
                return None
            else:
                params[text] = parts[index]
        return params if len(parts) == len(self.segments) else None

    @property
    def specificity(self) -> tuple[Any, ...]:
        rank = {"literal": 0, "param": 1, "greedy": 2}
        return (tuple(rank[kind] for kind, _ in self.segments), 1 if self.method == "ANY" else 0)


@dataclass(frozen=True)
class CorsConfig:
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    @classmethod
    def from_template(cls, value: Any) -> CorsConfig | None:
        if value in (None, False, "false"):
            return None
        if value is True or value == "true":
            return cls(("*",), ("*",), ("*",))
        if isinstance(value, str):
            return cls((value.strip("'"),), ("*",), ("*",))

        def strings(key: str) -> tuple[str, ...]:
            items = value.get(key) or []
            return tuple(str(item) for item in (items if isinstance(items, list) else [items]) if item)

        max_age = value.get("MaxAge")
        return cls(
            allow_origins=strings("AllowOrigins"),
            allow_methods=tuple(method.upper() for method in strings("AllowMethods")),
            allow_headers=tuple(header.lower() for header in strings("AllowHeaders")),
            expose_headers=strings("ExposeHeaders"),
            max_age=int(max_age) if max_age is not None else None,
            allow_credentials=str(value.get("AllowCredentials", "")).lower() == "true",
        )

    def allowed_origin(self, origin: str) -> str | None:
        if "*" in self.allow_origins:
            return origin if self.allow_credentials else "*"
        return origin if origin in self.allow_origins else None

    def preflight_headers(self, origin: str, method: str, requested_headers: str) -> dict[str, str]:
        allowed = self.allowed_origin(origin)
        if allowed is None or ("*" not in self.allow_methods and method.upper() not in self.allow_methods):
            return {}
        headers = {"access-control-allow-origin": allowed}
        headers["access-control-allow-methods"] = ",".join(self.allow_methods) if self.allow_methods else method
        if "*" in self.allow_headers:
            headers["access-control-allow-headers"] = requested_headers or "*"
        elif self.allow_headers:
            headers["access-control-allow-headers"] = ",".join(self.allow_headers)
        if self.max_age is not None:
            headers["access-control-max-age"] = str(self.max_age)
        if self.allow_credentials:
            headers["access-control-allow-credentials"] = "true"
        return headers

    def response_headers(self, origin: str) -> dict[str, str]:
        allowed = self.allowed_origin(origin)
        if allowed is None:
            return {}
        headers = {"access-control-allow-origin": allowed}
        if self.expose_headers:
            headers["access-control-expose-headers"] = ",".join(self.expose_headers)
        if self.allow_credentials:
            headers["access-control-allow-credentials"] = "true"
        return headers


@dataclass
class HttpApiConfig:
    """One HTTP API of the template, resolved."""

    logical_id: str
    api_id: str
    stage: str = "$default"
    routes: list[Route] = field(default_factory=list)
    authorizers: dict[str, JwtAuthorizerConfig] = field(default_factory=dict)
    unsupported_authorizers: set[str] = field(default_factory=set)
    default_authorizer: str | None = None
    cors: CorsConfig | None = None


def http_api_configs(stack: LocalStack, functions: Mapping[str, FunctionSpec]) -> list[HttpApiConfig]:
    """Every HTTP API of the stack with the routes of the functions' HttpApi events (`functions` by logical id)."""
    apis: dict[str, HttpApiConfig] = {}
    by_api_id: dict[str, str] = {}
    for logical_id, resource in stack.of_type("AWS::Serverless::HttpApi").items():
        props = resource.properties
        auth = props.get("Auth") or {}
        config = HttpApiConfig(
            logical_id,
            str(resource.ref),
            stage=str(props.get("StageName") or "$default"),
            cors=CorsConfig.from_template(props.get("CorsConfiguration")),
        )
        for name, authorizer in (auth.get("Authorizers") or {}).items():
            jwt = authorizer.get("JwtConfiguration")
            if not jwt:
                config.unsupported_authorizers.add(name)
                log.warning("%s: authorizer %s is not a JWT authorizer; its routes answer 500", logical_id, name)
                continue
            sources = authorizer.get("IdentitySource") or "$request.header.Authorization"
            audiences = jwt.get("audience") or []
            config.authorizers[name] = JwtAuthorizerConfig(
                name=name,
                issuer=str(jwt.get("issuer", "")),
                audiences=tuple(str(a) for a in (audiences if isinstance(audiences, list) else [audiences])),
                identity_sources=tuple(s.strip() for s in str(sources).split(",")),
            )
        config.default_authorizer = auth.get("DefaultAuthorizer")
        apis[logical_id] = config
        by_api_id[config.api_id] = logical_id

    for function_id, event_name, _, props in function_events(functions, "HttpApi"):
        api_logical = by_api_id.get(str(props.get("ApiId", "")), "ServerlessHttpApi")
        api = apis.get(api_logical)
        if api is None:
            log.warning("%s.%s: no HTTP API %s in the template", function_id, event_name, props.get("ApiId"))
            continue
        if str(props.get("PayloadFormatVersion", "2.0")) != "2.0":
            log.warning("%s.%s: only payload format 2.0 is emulated", function_id, event_name)
        auth = props.get("Auth") or {}
        authorizer = auth.get("Authorizer", api.default_authorizer)
        authorizer = None if authorizer in (None, "NONE") else str(authorizer)
        path = str(props.get("Path", "$default"))
        method = str(props.get("Method", "ANY"))
        if method.lower() in ("any", "x-amazon-apigateway-any-method", "*"):
            method = "ANY"
        try:
            route = Route.parse(method, path, function_id, authorizer, tuple(auth.get("AuthorizationScopes") or ()))
        except InvalidRoute as error:
            log.warning("%s.%s: route left out: %s", function_id, event_name, error)
            continue
        if any(existing.route_key == route.route_key for existing in api.routes):
            log.warning("%s.%s: route %s is declared twice; the first wins", function_id, event_name, route.route_key)
            continue
        api.routes.append(route)
    return list(apis.values())


# --------------------------------------------------------------------- events
def _request_id() -> str:
    return base64.b64encode(secrets.token_bytes(11)).decode()


def _clf_time(moment: datetime) -> str:
    return f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} +0000"


def _is_text(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in _TEXT_TYPES


_SENSITIVE_PARAMETER = re.compile(r"code|state|token|secret|password|passwd|key|signature|credential|auth", re.I)


def _raw_path(request: Request) -> str:
    """The path as the client sent it (percent-encoding kept), without the query."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        return quote(request.path, safe="/!$&'()*+,;=:@~")
    raw = raw.split("?", 1)[0].split("#", 1)[0]
    if raw.lower().startswith(("http://", "https://")):  # absolute-form request target
        raw = urlsplit(raw).path
    return raw or "/"


@dataclass(frozen=True)
class RequestParts:
    """What API Gateway reads from a request, read once for the authorizer and the event.

    Header names are lower case and a repeated header's values are joined
    with "," (the cookie header becomes `cookies`; connection-level headers
    are dropped); a repeated query parameter's values are joined with ",".
    """

    raw_path: str
    path: str
    headers: dict[str, str]
    cookies: list[str]
    raw_query: str
    query: dict[str, str]

    @classmethod
    def of(cls, request: Request) -> RequestParts:
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in request.headers.items():
            key = name.lower()
            if key in _HOP_BY_HOP:
                continue
            if key == "cookie":
                cookies.extend(part.strip() for part in value.split(";") if part.strip())
                continue
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        raw_query = request.query_string.decode("latin-1")
        query: dict[str, str] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        return cls(_raw_path(request), request.path, headers, cookies, raw_query, query)

    @property
    def loggable(self) -> str:
        """The raw path and query, with the values of parameters that may hold secrets
        (OAuth `code` and `state`, tokens, keys) left out."""
        if not self.raw_query:
            return self.raw_path
        pairs = []
        for pair in self.raw_query.split("&"):
            name = pair.split("=", 1)[0]
            pairs.append(f"{name}=[redacted]" if _SENSITIVE_PARAMETER.search(unquote_plus(name)) else pair)
        return f"{self.raw_path}?{'&'.join(pairs)}"


def build_event(
    request: Request,
    *,
    route: Route | None,
    path_parameters: dict[str, str] | None,
    api: HttpApiConfig,
    account_id: str,
    request_id: str,
    authorizer: dict[str, Any] | None = None,
    now: datetime | None = None,
    parts: RequestParts | None = None,
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway would send for `request`."""
    now = now or datetime.now(UTC)
    parts = parts or RequestParts.of(request)
    headers = dict(parts.headers)
    cookies = parts.cookies
    source_ip = request.remote_addr or "127.0.0.1"
    host = request.host or ""
    headers.setdefault("host", host)
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {source_ip}" if forwarded else source_ip
    headers["x-forwarded-proto"] = request.scheme
    headers["x-forwarded-port"] = str(request.server[1]) if request.server and request.server[1] else "80"
    epoch = int(now.timestamp())
    headers.setdefault("x-amzn-trace-id", f"Root=1-{epoch:08x}-{secrets.token_hex(12)}")
    raw_query, query = parts.raw_query, parts.query

    route_key = route.route_key if route else "$default"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": parts.raw_path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    hostname = host.split(":", 1)[0]
    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api.api_id,
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    context.update(
        {
            "domainName": host,
            "domainPrefix": hostname.split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": parts.path,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": source_ip,
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": api.stage,
            "time": _clf_time(now),
            "timeEpoch": int(now.timestamp() * 1000),
        }
    )
    event["requestContext"] = context
    body = request.get_data(cache=True)
    if body:
        if _is_text(request.headers.get("Content-Type", "")):
            try:
                event["body"] = body.decode("utf-8")
                base64_encoded = False
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(body).decode()
                base64_encoded = True
        else:
            event["body"] = base64.b64encode(body).decode()
            base64_encoded = True
    else:
        base64_encoded = False
    if path_parameters:
        event["pathParameters"] = path_parameters
    event["isBase64Encoded"] = base64_encoded
    return event


class InvalidResponse(ValueError):
    """The function's answer is not a payload 2.0 response (API Gateway answers 500)."""


def http_response(payload: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) from a function's answer, by payload 2.0's rules."""
    if not (isinstance(payload, dict) and "statusCode" in payload):
        # No statusCode: API Gateway assumes 200, JSON, and the answer as the body.
        body = payload if isinstance(payload, str) else json.dumps(payload)
        return 200, [("content-type", "application/json")], body.encode()
    status = payload["statusCode"]
    if isinstance(status, bool) or not isinstance(status, (int, str)) or not str(status).isdigit():
        raise InvalidResponse(f"statusCode must be a number, got {status!r}")
    status = int(status)
    if not 100 <= status <= 599:
        raise InvalidResponse(f"statusCode {status} is not an HTTP status")
    headers: list[tuple[str, str]] = []
    for name, value in (payload.get("headers") or {}).items():
        if isinstance(value, (dict, list)) or value is None:
            raise InvalidResponse(f"header {name!r} must be a string, got {value!r}")
        headers.append((str(name), "true" if value is True else "false" if value is False else str(value)))
    cookies = payload.get("cookies") or []
    if not isinstance(cookies, list):
        raise InvalidResponse("cookies must be a list of strings")
    headers.extend(("set-cookie", str(cookie)) for cookie in cookies)
    body = payload.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise InvalidResponse(f"body must be a string, got {type(body).__name__}")
    elif payload.get("isBase64Encoded") is True:
        try:
            data = base64.b64decode(body, validate=True)
        except ValueError as error:
            raise InvalidResponse("isBase64Encoded is true but the body is not base64") from error
    else:
        data = body.encode()
    return status, headers, data


def invocation_payload_size(event: Mapping[str, Any]) -> int:
    """The bytes of the Invoke request payload Lambda counts against its quota: the event as JSON."""
    return len(json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "replace"))


def _local_host_allowed(environ: Mapping[str, Any]) -> bool:
    """Whether a request is addressed to the loopback address the server listens on.

    A web page can make a name of its own resolve to 127.0.0.1 (DNS rebinding) and
    POST to the local cloud as a "same-origin" request; its Host header then names
    the page's domain. Only `127.0.0.1`, `localhost`, `[::1]` and the loopback IP the
    server is bound to, with the server's port, pass.
    """
    host = str(environ.get("HTTP_HOST", "")).strip().lower()
    port = str(environ.get("SERVER_PORT", ""))
    names = set(_LOOPBACK_HOSTS)
    bound = str(environ.get("SERVER_NAME", ""))
    try:
        address = ipaddress.ip_address(bound)
    except ValueError:
        pass
    else:
        if address.is_loopback:
            names.add(f"[{address.compressed}]" if address.version == 6 else address.compressed)
    return bool(port) and host in {f"{name}:{port}" for name in names}


# ------------------------------------------------------------------ the app
LOCAL_HEADER = "X-Soundlink-Local"


def _json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    response = Response(json.dumps(body), status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class HttpApiEmulator:
    """WSGI app serving one HTTP API of the template."""

    def __init__(
        self,
        config: HttpApiConfig,
        functions: Functions,
        authorizers: Mapping[str, JwtAuthorizer],
        *,
        account_id: str,
        control_routes: Mapping[str, ControlRoute] | None = None,
        rate_rule: RateRule | None = None,
        open_spotify_base: str | None = None,
    ) -> None:
        self.config = config
        # Locally, open.spotify.com destinations go to this stand-in instead (local/destinations.py).
        self.open_spotify_base = open_spotify_base
        self.rate_rule = rate_rule
        self.functions = functions
        self.authorizers = dict(authorizers)
        self.account_id = account_id
        self.control_routes = dict(control_routes or {})
        self.routes = sorted(config.routes, key=lambda route: route.specificity)
        self.default_route = next((route for route in config.routes if route.route_key == "$default"), None)
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def route_for(self, method: str, path: str) -> tuple[Route | None, dict[str, str] | None]:
        """The route of a request and its path parameters; `path` is the raw path (see Route.match)."""
        if self.config.stage != "$default":
            prefix = f"/{self.config.stage}"
            if path != prefix and not path.startswith(prefix + "/"):
                return None, None
            path = path[len(prefix) :] or "/"
        for route in self.routes:
            params = route.match(method, path)
            if params is not None:
                return route, params
        return self.default_route, None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = _BoundedRequest(environ)
        started = time.monotonic()
        request_id = _request_id()
        note = ""
        parts: RequestParts | None = None
        try:
            parts = RequestParts.of(request)
            response, note = self._handle(request, parts, request_id)
        except Exception:
            log.exception("the emulator failed on %s %s", request.method, request.path)
            response = _json_response(500, {"message": "Internal Server Error"})
        response.headers["apigw-requestid"] = request_id
        elapsed = (time.monotonic() - started) * 1000
        # Never the raw query: OAuth callbacks carry their code and state in it.
        target = parts.loggable if parts else request.path
        log.info("%s %s %d %.0fms%s", request.method, target, response.status_code, elapsed, note)
        return response(environ, start_response)

    def _handle(self, request: Request, parts: RequestParts, request_id: str) -> tuple[Response, str]:
        if request.path.startswith("/_local/"):
            return self._control(request), " (local control)"
        cors = self.config.cors
        origin = request.headers.get("Origin")
        if cors and request.method == "OPTIONS" and origin and "Access-Control-Request-Method" in request.headers:
            headers = cors.preflight_headers(
                origin,
                request.headers["Access-Control-Request-Method"],
                request.headers.get("Access-Control-Request-Headers", ""),
            )
            response = Response(status=204)
            for name, value in headers.items():
                response.headers[name] = value
            return response, " (CORS preflight)" if headers else " (CORS preflight, origin not allowed)"

        response, note = self._route(request, parts, request_id)
        if cors:
            # Headers iterate as (name, value) pairs.
            for name in {name for name, _ in response.headers.items() if name.lower().startswith("access-control-")}:
                del response.headers[name]
            if origin:
                for name, value in cors.response_headers(origin).items():
                    response.headers[name] = value
        return response, note

    def _route(self, request: Request, parts: RequestParts, request_id: str) -> tuple[Response, str]:
        try:
            request.get_data(cache=True)  # bounded: see _BoundedRequest
        except RequestEntityTooLarge:
            return _json_response(413, TOO_LARGE), f" (body over HTTP API's {MAX_BODY_BYTES} bytes)"
        route, params = self.route_for(request.method, parts.raw_path)
        if route is None:
            return _json_response(404, {"message": "Not Found"}), ""
        note = ""
        if self.rate_rule and self.rate_rule.marks(request.remote_addr or "127.0.0.1", parts.raw_path):
            # As the WAF's COUNT rule does: the request goes on, with a header the tracker reads.
            parts.headers[MARK_HEADER] = "1"
            note = " (rate rule: marked)"
        authorizer_context = None
        if route.authorizer:
            if route.authorizer not in self.authorizers:
                self._warn_once(
                    route.authorizer, f"route {route.route_key}: authorizer {route.authorizer} is not emulated"
                )
                return _json_response(500, {"message": "Internal Server Error"}), f" (authorizer {route.authorizer})"
            headers = parts.headers
            if parts.cookies:  # an identity source may name the cookie header
                headers = {**headers, "cookie": "; ".join(parts.cookies)}
            try:
                authorization = self.authorizers[route.authorizer].authorize(headers, parts.query, list(route.scopes))
            except AuthorizationFailed as failure:
                message = "Unauthorized" if failure.status == 401 else "Forbidden"
                return _json_response(failure.status, {"message": message}, failure.headers), f" ({failure.log_reason})"
            authorizer_context = authorization.as_context()
        event = build_event(
            request,
            route=route,
            path_parameters=params,
            api=self.config,
            account_id=self.account_id,
            request_id=request_id,
            authorizer=authorizer_context,
            parts=parts,
        )
        size = invocation_payload_size(event)
        if size > LAMBDA_MAX_REQUEST_BYTES:
            note = f" ({route.function} not invoked: a {size}-byte event is over Lambda's {LAMBDA_MAX_REQUEST_BYTES})"
            return _json_response(413, TOO_LARGE), note
        invocation = self.functions.invoke(route.function, event, source=route.route_key)
        return self._integration_response(invocation), f" -> {route.function}{note}"

    def _integration_response(self, invocation: Invocation) -> Response:
        if not invocation.ok:
            error_type = (invocation.error or {}).get("errorType")
            if error_type in ("TooManyRequestsException", STOPPING_ERROR):
                return _json_response(503, {"message": "Service Unavailable"})
            return _json_response(500, {"message": "Internal Server Error"})
        try:
            status, headers, body = http_response(invocation.payload)
        except InvalidResponse as error:
            log.error("%s returned a response API Gateway cannot use: %s", invocation.function, error)
            return _json_response(500, {"message": "Internal Server Error"})
        headers, body = rewrite_response(headers, body, self.open_spotify_base)
        response = Response(body, status=status)
        del response.headers["Content-Type"]
        for name, value in headers:
            if name.lower() == "set-cookie":
                response.headers.add(name, value)
            else:
                response.headers[name] = value
        if "content-type" not in {name.lower() for name, _ in headers}:
            response.headers["content-type"] = "text/plain; charset=utf-8"
        return response

    def _control(self, request: Request) -> Response:
        if not _local_host_allowed(request.environ):
            port = request.environ.get("SERVER_PORT", "")
            host = str(request.environ.get("HTTP_HOST", ""))[:100]
            message = (
                f"local control routes answer only requests for 127.0.0.1:{port} or localhost:{port} "
                f"(Host was {host!r}): a web page must not reach them through DNS rebinding"
            )
            return _json_response(403, {"message": message})
        if request.headers.get(LOCAL_HEADER) != "1":
            message = (
                f"local control routes need the header {LOCAL_HEADER}: 1 "
                "(no cross-site form or no-cors request can send it)"
            )
            return _json_response(403, {"message": message})
        handler = self.control_routes.get(request.path)
        if handler is None:
            known = ", ".join(f"POST {path}" for path in sorted(self.control_routes))
            return _json_response(404, {"message": f"no local control route {request.path} (known: {known})"})
        if request.method != "POST":
            return _json_response(405, {"message": "use POST"})
        try:
            request.get_data(cache=True)
        except RequestEntityTooLarge:
            return _json_response(413, TOO_LARGE)
        status, body = handler(request)
        return _json_response(status, body)

    def _warn_once(self, key: str, message: str) -> None:
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        log.error("%s", message)
