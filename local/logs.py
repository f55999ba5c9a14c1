"""Logs a person can read: one line per request and per invocation.

Every part of the local cloud logs through `logging` under the `local`
logger, so pytest captures it and `python -m local` prints it. Handlers'
own output (Powertools JSON lines, EMF metrics, prints) is compacted by
`compact_handler_line` before it is logged.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, TextIO

ROOT_LOGGER = "local"

# Powertools keys that repeat on every line and say nothing new locally.
_QUIET_KEYS = {
    "level",
    "message",
    "timestamp",
    "location",
    "service",
    "cold_start",
    "function_name",
    "function_memory_size",
    "function_arn",
    "function_request_id",
    "xray_trace_id",
    "sampling_rate",
    "exception",
    "exception_name",
    "stack_trace",
    "correlation_id",
}
_MAX_VALUE = 80


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"{ROOT_LOGGER}.{name}")


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, separators=(",", ":"))
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def compact_handler_line(line: str) -> tuple[int, str]:
    """(logging level, text) for one line a handler wrote."""
    text = line.rstrip("\n")
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return logging.INFO, text
    try:
        record = json.loads(stripped)
    except ValueError:
        return logging.INFO, text
    if not isinstance(record, dict):
        return logging.INFO, text
    if "_aws" in record and "CloudWatchMetrics" in record.get("_aws", {}):
        names = [
            metric.get("Name") for block in record["_aws"]["CloudWatchMetrics"] for metric in block.get("Metrics", [])
        ]
        values = " ".join(f"{name}={_short(record.get(name))}" for name in names if name)
        return logging.DEBUG, f"metrics {values}"
    level_name = str(record.get("level", "INFO")).upper()
    level = logging.getLevelName(level_name)
    level = level if isinstance(level, int) else logging.INFO
    message = record.get("message", "")
    extras = " ".join(f"{key}={_short(value)}" for key, value in record.items() if key not in _QUIET_KEYS)
    parts = [level_name, _short(message) if not isinstance(message, str) else message]
    if extras:
        parts.append(extras)
    out = " ".join(part for part in parts if part)
    trace = record.get("exception") or record.get("stack_trace")
    if trace:
        out += "\n" + "\n".join("    " + row for row in str(trace).splitlines())
    return level, out


class ConsoleFormatter(logging.Formatter):
    """`12:00:01.234 api     GET /health 200 12ms`."""

    def format(self, record: logging.LogRecord) -> str:
        # "local.api" prints as "api"; a function's own lines ("local.fn.<Function>") as the function.
        name = record.name.removeprefix(ROOT_LOGGER + ".").removeprefix("fn.")
        stamp = self.formatTime(record, "%H:%M:%S") + f".{int(record.msecs):03d}"
        text = f"{stamp} {name:<8} {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure_console(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Print the local cloud's logs on the console (used by `python -m local`)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(ConsoleFormatter())
    root = logging.getLogger(ROOT_LOGGER)
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
