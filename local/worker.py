"""The Lambda runtime of one function, in a process of its own.

Started by `local.functions` as `python worker.py <code dir> <handler>` with
the function's environment and its code directory as working directory, as
Lambda would (`/var/task`). It imports the handler once (the init phase),
then answers invocations one at a time.

Protocol, one JSON document per line: requests arrive on the original stdin,
answers leave on the original stdout. The handler's own stdin is /dev/null
and its stdout is redirected to stderr, which the parent reads as the
function's log, so nothing a handler prints can corrupt the protocol.

This file imports nothing from the local cloud: the handler sees the same
`sys.path` it would see in Lambda (its code directory, then the libraries).
"""

from __future__ import annotations

import decimal
import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The context object of the Python Lambda runtime (the fields handlers use)."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = request.get("invoked_function_arn", "")
        # The real runtime reads this from the environment: it is a string there too.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = request["request_id"]
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = int(request["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def log(self, message: str) -> None:
        sys.stdout.write(message)


class _Encoder(json.JSONEncoder):
    # The Python runtime serialises Decimal (DynamoDB numbers) as numbers.
    def default(self, value: Any) -> Any:
        if isinstance(value, decimal.Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        return super().default(value)


def _error(error: BaseException) -> dict[str, Any]:
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": traceback.format_tb(error.__traceback__.tb_next if error.__traceback__ else None),
    }


def _send(channel: Any, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, cls=_Encoder) + "\n")
    channel.flush()


def main() -> None:
    code_dir, handler_name = sys.argv[1], sys.argv[2]
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)

    # sys.path as in Lambda: the code first, never the local cloud's folder.
    sys.path[0] = code_dir

    module_name, _, function_name = handler_name.rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
        handler = getattr(module, function_name)
    except Exception as error:  # noqa: BLE001 - reported to the parent as Runtime.ImportModuleError
        traceback.print_exc()
        details = _error(error)
        details["errorType"] = "Runtime.ImportModuleError"
        details["errorMessage"] = f"Unable to import module '{module_name}': {error}"
        _send(answers, {"kind": "init_error", "error": details})
        return
    # The parent times the init phase itself, process start included.
    _send(answers, {"kind": "ready"})

    for line in requests:
        request = json.loads(line)
        context = LambdaContext(request)
        try:
            result = handler(request["event"], context)
        except Exception as error:  # noqa: BLE001 - an unhandled error is the invocation's result
            # As the Lambda runtime logs it, without this loop's own frame.
            print(f"[ERROR] {type(error).__name__}: {error}", file=sys.stderr)
            traceback.print_exception(type(error), error, error.__traceback__.tb_next)
            _send(answers, {"kind": "error", "id": request["request_id"], "error": _error(error)})
            continue
        try:
            payload = json.dumps(result, cls=_Encoder)
        except (TypeError, ValueError) as error:
            details = _error(error)
            details["errorType"] = "Runtime.MarshalError"
            details["errorMessage"] = f"Unable to marshal response: {error}"
            _send(answers, {"kind": "error", "id": request["request_id"], "error": details})
            continue
        answers.write('{"kind": "result", "id": ' + json.dumps(request["request_id"]) + ', "payload": ')
        answers.write(payload + "}\n")
        answers.flush()


if __name__ == "__main__":
    main()
