"""GET /campaigns/{id}/export.csv: every attributed play of a campaign, RFC 4180.

Each row's reasons are in codes (`reasons`) and in words
(`reasons_in_words`); `cohort_week` and `week_after_click` place the play in
the cohort table (empty for plays attributed before cohorts were kept, and
for weeks past the table). Rows are read page by page from the campaign's attributions; a part stops
before Lambda's response limit and names where the next part starts
(X-Next-Cursor). Listeners appear only as a pseudonym: an HMAC, with a
per-deployment secret (Secrets Manager), of the campaign and its stored
per-campaign key. Without the secret nobody can confirm a candidate Spotify
account against an export, and two owners' exports cannot be joined (the
campaign is part of every pseudonym). Cells that a spreadsheet would run as
a formula are quoted with a leading apostrophe (CSV injection).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from soundlink.analytics.csv_parts import MAX_EXPORT_BYTES, cell, decode_cursor, encode_cursor, write_part
from soundlink.attribution.rules import MODELS, reasons_in_words
from soundlink.platform.tables import AttributionItem

__all__ = ["COLUMNS", "MAX_EXPORT_BYTES", "export_csv", "pseudonym"]

COLUMNS = (
    "listener",
    "track_id",
    "track_name",
    "artists",
    "played_at",
    "context_uri",
    "confidence",
    "reasons",
    "reasons_in_words",
    *(f"credit_{model}" for model in MODELS),
    "cohort_week",
    "week_after_click",
    # What the whole campaign cost per confidence-weighted stream (empty: no spend entered, or no stream),
    # the same on every row so a spreadsheet can sum a row's credit x cost.
    "cost_currency",
    "cost_per_weighted_stream",
)
_cell = cell


def _decode(cursor: str, campaign_id: str) -> dict:
    return decode_cursor(cursor, campaign_id, "ATTR#")


_encode = encode_cursor


PSEUDONYM_HEX = 20


def pseudonym(secret: str, campaign_id: str, listener_key: str) -> str:
    """A listener as one campaign's export shows them."""
    message = f"{campaign_id}\n{listener_key}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def _bounds(start: datetime | None, end: datetime | None) -> Any:
    """The sort key condition of attributions played in [start, end) (keys spell played_at in UTC, ms)."""
    if start is None and end is None:
        return AttributionItem.sk.startswith("ATTR#")
    low = f"ATTR#{start.astimezone(UTC).isoformat(timespec='milliseconds')}" if start else "ATTR#"
    high = f"ATTR#{end.astimezone(UTC).isoformat(timespec='milliseconds')}" if end else "ATTR#~"
    return AttributionItem.sk.between(low, high)  # a key at `end` is "ATTR#{end}#{account}": after `high`


def export_csv(
    campaign_id: str,
    *,
    cursor: str | None,
    secret: str,
    max_bytes: int = MAX_EXPORT_BYTES,
    start: datetime | None = None,
    end: datetime | None = None,
    cost: tuple[str, str | None] | None = None,
) -> tuple[str, str | None]:
    """One part of the export (plays in [start, end); all by default) and the cursor of the next
    part (None: this was the last).

    `cost` is (currency, cost per weighted stream) of the whole campaign, when a spend was entered."""
    if not secret:
        raise ValueError("the export needs the deployment's pseudonym secret")
    resume = _decode(cursor, campaign_id) if cursor else None
    query = AttributionItem.query(
        f"CAMPAIGN#{campaign_id}", _bounds(start, end), last_evaluated_key=resume, page_size=500
    )

    def rows():
        for item in query:
            credit = item.credit.as_dict() if item.credit else {}
            yield (
                item.sk,
                [
                    _cell(pseudonym(secret, campaign_id, item.listener_key)),
                    _cell(item.track_id),
                    _cell(item.track_name),
                    _cell(item.artists),
                    item.played_at.isoformat(),
                    _cell(item.context_uri),
                    item.confidence,
                    _cell(item.reasons),
                    _cell(reasons_in_words(item.reasons)),
                    *(credit.get(model, 0) for model in MODELS),
                    item.cohort_week or "",
                    "" if item.week_after_click is None else int(item.week_after_click),
                    *(cost or ("", "")),
                ],
            )

    return write_part(None if resume else COLUMNS, rows(), max_bytes=max_bytes)
