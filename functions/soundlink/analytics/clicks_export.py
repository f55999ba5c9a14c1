"""GET /campaigns/{id}/clicks.csv: a campaign's kept raw clicks, one row each, RFC 4180.

No personal data leaves: a click shows only its hour (UTC, a time bucket, never the exact
time), how it was classified (kind, step, consent started, unique) and where it came from
(referrer, UTM, device, browser, OS, country). The visitor key, the click id and the exact
time stay in the system. Rows come in time order, in parts like export.csv (X-Next-Cursor).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from soundlink.analytics.csv_parts import MAX_EXPORT_BYTES, cell, decode_cursor, write_part
from soundlink.platform.tables import ClickItem

__all__ = ["CLICK_COLUMNS", "MAX_EXPORT_BYTES", "clicks_csv"]

PREFIX = "CLICK#"
DIMENSION_COLUMNS = (
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "device",
    "browser",
    "os",
    "country",
)
CLICK_COLUMNS = ("hour", "kind", "step", "consent_started", "unique", *DIMENSION_COLUMNS)


def hour_of(moment: datetime) -> str:
    """The click's hour in UTC, ISO 8601 (e.g. 2026-03-01T13:00:00Z)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bounds(start: datetime | None, end: datetime | None) -> Any:
    """The sort key condition of clicks in [start, end): keys spell the click's time in UTC
    (`datetime.isoformat`, so a whole second sorts before its fractions, as it should)."""
    if start is None and end is None:
        return ClickItem.sk.startswith(PREFIX)
    low = f"{PREFIX}{start.astimezone(UTC).isoformat()}" if start else PREFIX
    high = f"{PREFIX}{end.astimezone(UTC).isoformat()}" if end else f"{PREFIX}~"
    return ClickItem.sk.between(low, high)  # a click at `end` is "CLICK#{end}#{id}": after `high`


def _row(item: ClickItem) -> list[object]:
    dims = item.dimensions.as_dict() if item.dimensions else {}
    return [
        hour_of(item.clicked_at),
        cell(item.kind),
        cell(item.step),
        "true" if item.consent_started else "false",
        "true" if item.unique else "false",
        *(cell(dims.get(name)) for name in DIMENSION_COLUMNS),
    ]


def clicks_csv(
    campaign_id: str,
    *,
    cursor: str | None,
    max_bytes: int = MAX_EXPORT_BYTES,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> tuple[str, str | None]:
    """One part of the clicks export (clicks in [start, end); all kept ones by default) and the
    cursor of the next part (None: this was the last).

    A click past its retention is left out even before TTL deletes it (TTL deletes late)."""
    resume = decode_cursor(cursor, campaign_id, PREFIX) if cursor else None
    kept = ClickItem.expires_at > int((now or datetime.now(UTC)).timestamp())
    query = ClickItem.query(
        f"CAMPAIGN#{campaign_id}",
        _bounds(start, end),
        filter_condition=kept,
        last_evaluated_key=resume,
        page_size=500,
    )
    rows = ((item.sk, _row(item)) for item in query)
    return write_part(None if resume else CLICK_COLUMNS, rows, max_bytes=max_bytes)
