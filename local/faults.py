"""Fault injection for AWS calls: seeded, per operation, at chosen rates.

A `FaultPlan` decides, for each AWS request, whether it fails and how:

- `throttle`: 400 `ThrottlingException` (botocore retries it, then gives up)
- `server_error`: 500 `InternalServerError` (retried likewise)
- `timeout`: the answer never comes (botocore's `ReadTimeoutError`; retried)
- `lost_response`: the request is carried out, then its answer is lost (a
  timeout for the caller, who may send it again: the case exactly-once is for)
- `transaction_conflict`: `TransactWriteItems` cancelled with a
  `TransactionConflict` reason (not retried by botocore; the caller decides)
- `conditional_check_failed`: `ConditionalCheckFailedException` on a single
  write. DynamoDB says this only when the condition is false, so it belongs in a
  test aimed at one operation, never in a run that must stay exact.

The same plan serves two places:
- in-process (`inject(plan)`): a layer over botocore's endpoint, under every
  client of the process, moto's `mock_aws` included;
- the local cloud (`FaultMiddleware`): a WSGI layer in front of the moto
  server, so the functions' worker processes meet the faults as they would
  meet AWS's. `POST /_faults` sets a plan, `GET` reads what was injected,
  `DELETE` stops injecting (see `local.cloud.LocalCloud.inject_faults`).
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

KINDS = (
    "throttle",
    "server_error",
    "timeout",
    "lost_response",
    "transaction_conflict",
    "conditional_check_failed",
)
_CODES = {
    "throttle": (400, "ThrottlingException", "Rate exceeded (injected)"),
    "server_error": (500, "InternalServerError", "Internal server error (injected)"),
    "conditional_check_failed": (400, "ConditionalCheckFailedException", "The conditional request failed (injected)"),
    "transaction_conflict": (400, "TransactionCanceledException", "Transaction cancelled (injected)"),
}
# The JSON protocols' error namespaces, by the X-Amz-Target prefix that names the service.
_NAMESPACES = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810",
    "sqs": "com.amazonaws.sqs",
    "kms": "com.amazonaws.kms",
    "secretsmanager": "com.amazonaws.secretsmanager",
}
_TARGET_SERVICES = {
    "DynamoDB_20120810": "dynamodb",
    "AmazonSQS": "sqs",
    "TrentService": "kms",
    "secretsmanager": "secretsmanager",
}


@dataclass(frozen=True)
class FaultRule:
    """Requests of `service` whose operation is in `operations` (empty: every one) fail as `kind`
    with probability `rate`."""

    service: str
    kind: str
    rate: float
    operations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")

    def matches(self, service: str, operation: str) -> bool:
        if self.service != service:
            return False
        if self.kind == "transaction_conflict" and operation != "TransactWriteItems":
            return False
        return not self.operations or operation in self.operations

    @classmethod
    def of(cls, value: dict[str, Any]) -> FaultRule:
        return cls(
            service=str(value["service"]),
            kind=str(value["kind"]),
            rate=float(value["rate"]),
            operations=tuple(value.get("operations") or ()),
        )

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "kind": self.kind, "rate": self.rate, "operations": list(self.operations)}


@dataclass
class FaultPlan:
    """Seeded: the same plan and the same sequence of requests inject the same faults."""

    rules: list[FaultRule]
    seed: int = 0
    injected: Counter[str] = field(default_factory=Counter)  # "service.Operation.kind" -> count
    requests: int = 0
    _random: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - reproducible faults, not secrets

    def decide(self, service: str, operation: str) -> str | None:
        with self._lock:
            self.requests += 1
            for rule in self.rules:
                if rule.matches(service, operation) and self._random.random() < rule.rate:
                    self.injected[f"{service}.{operation}.{rule.kind}"] += 1
                    return rule.kind
        return None

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": self.requests, "injected": self.total, "by_fault": dict(sorted(self.injected.items()))}

    @classmethod
    def of(cls, value: dict[str, Any]) -> FaultPlan:
        return cls(rules=[FaultRule.of(rule) for rule in value.get("rules", ())], seed=int(value.get("seed", 0)))


def error_body(kind: str, service: str, request_body: bytes) -> tuple[int, dict[str, Any]]:
    """The status and JSON body AWS answers with for the fault `kind`."""
    status, code, message = _CODES[kind]
    body: dict[str, Any] = {"__type": f"{_NAMESPACES.get(service, service)}#{code}", "message": message}
    if kind == "transaction_conflict":
        try:
            items = len(json.loads(request_body or b"{}").get("TransactItems", ()))
        except ValueError:
            items = 1
        reasons = [{"Code": "None"} for _ in range(max(items, 1))]
        reasons[-1] = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item (injected)"}
        body["CancellationReasons"] = reasons
        body["Message"] = body.pop("message")
    return status, body


def _service_and_operation(target: str) -> tuple[str, str]:
    prefix, _, operation = target.partition(".")
    return _TARGET_SERVICES.get(prefix, prefix.lower()), operation


# ------------------------------------------------------------------ in-process


class _Raw:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


@contextlib.contextmanager
def inject(plan: FaultPlan) -> Iterator[FaultPlan]:
    """Every botocore request of this process meets `plan` until the block ends."""
    from botocore.awsrequest import AWSResponse, HeadersDict
    from botocore.endpoint import Endpoint, convert_to_response_dict
    from botocore.exceptions import ReadTimeoutError

    original = Endpoint._do_get_response

    def faulty(self: Any, request: Any, operation_model: Any, context: Any) -> Any:
        service = operation_model.service_model.endpoint_prefix
        kind = plan.decide(service, operation_model.name)
        if kind is None:
            return original(self, request, operation_model, context)
        if kind in ("timeout", "lost_response"):
            if kind == "lost_response":
                original(self, request, operation_model, context)
            return None, ReadTimeoutError(endpoint_url=request.url)
        status, body = error_body(kind, service, request.body or b"")
        headers = HeadersDict({"x-amzn-RequestId": str(uuid.uuid4()), "Content-Type": "application/json"})
        http = AWSResponse(request.url, status, headers, _Raw(json.dumps(body).encode()))
        response_dict = convert_to_response_dict(http, operation_model)
        parser = self._response_parser_factory.create_parser(operation_model.service_model.resolved_protocol)
        parsed = parser.parse(response_dict, operation_model.output_shape)
        self._add_modeled_error_fields(response_dict, parsed, operation_model, parser)
        return (http, parsed), None

    Endpoint._do_get_response = faulty
    try:
        yield plan
    finally:
        Endpoint._do_get_response = original


# -------------------------------------------------------------- the local cloud


class FaultMiddleware:
    """WSGI middleware in front of moto: JSON-protocol requests meet the current plan."""

    CONTROL_PATH = "/_faults"

    def __init__(self, app: Callable[..., Iterable[bytes]], timeout_seconds: float = 0.05) -> None:
        self.app = app
        self.plan: FaultPlan | None = None
        self.timeout_seconds = timeout_seconds

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == self.CONTROL_PATH:
            return self._control(environ, start_response)
        plan, target = self.plan, environ.get("HTTP_X_AMZ_TARGET", "")
        if plan is None or not target:
            return self.app(environ, start_response)
        service, operation = _service_and_operation(target)
        kind = plan.decide(service, operation)
        if kind is None:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if kind in ("timeout", "lost_response"):
            if kind == "lost_response":
                import io

                environ["wsgi.input"] = io.BytesIO(body)
                for _ in self.app(environ, lambda *args, **kwargs: None):
                    pass
            time.sleep(self.timeout_seconds)
            return _answer(start_response, 504, {"__type": "GatewayTimeout", "message": "timed out (injected)"})
        status, payload = error_body(kind, service, body)
        return _answer(start_response, status, payload)

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            self.plan = FaultPlan.of(json.loads(environ["wsgi.input"].read(length) or b"{}"))
        previous = self.plan
        if method == "DELETE":
            self.plan = None
        return _answer(start_response, 200, previous.summary() if previous else {"requests": 0, "injected": 0})


def _answer(start_response: Callable[..., Any], status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error", 504: "Gateway Timeout"}[status]
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Content-Length", str(len(data))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [data]
