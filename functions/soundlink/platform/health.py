"""GET /health: can this function reach what it depends on?"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from soundlink.platform.observability import logger

Check = Callable[[], None]


def run_checks(checks: Mapping[str, Check]) -> tuple[bool, dict[str, str]]:
    """Run every check; a failing one is reported by name, never raised."""
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
        except (PynamoDBException, BotoCoreError, ClientError) as error:
            logger.warning("health check failed", extra={"check": name, "error": str(error)})
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    return all(result == "ok" for result in results.values()), results
