"""What the CSV exports share: safe cells, parts under Lambda's response limit, and their cursors.

A part is written row by row until its UTF-8 size reaches the limit; the cursor of the next
part is the sort key of the last row written, base64url JSON, checked on the way back in
(it must stay within the campaign and the export's own key prefix).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterable, Sequence

from soundlink.platform.errors import BadRequest

MAX_EXPORT_BYTES = 4_500_000  # under Lambda's 6 MB response, base64 and headers included
MAX_CURSOR_KEY = 300
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def decode_cursor(cursor: str, campaign_id: str, prefix: str) -> dict:
    """The DynamoDB start key of an X-Next-Cursor (400 unless it is one of this export's)."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        key = None
    sort_key = key.get("sk") if isinstance(key, dict) else None
    if not isinstance(sort_key, str) or not sort_key.startswith(prefix) or len(sort_key) > MAX_CURSOR_KEY:
        raise BadRequest("cursor is not valid: use the X-Next-Cursor of the previous part, or omit it")
    return {"pk": {"S": f"CAMPAIGN#{campaign_id}"}, "sk": {"S": sort_key}}


def encode_cursor(sort_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"sk": sort_key}).encode()).decode().rstrip("=")


def write_part(
    columns: Sequence[str] | None, rows: Iterable[tuple[str, Sequence[object]]], *, max_bytes: int
) -> tuple[str, str | None]:
    """RFC 4180 text of (sort key, row) pairs, the header first when `columns` is given, and the
    cursor of the next part (None: the rows ran out before the limit)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if columns is not None:
        writer.writerow(columns)
    size = buffer.tell()
    for sort_key, row in rows:
        start_of_row = buffer.tell()
        writer.writerow(row)
        # The limit is on the UTF-8 response, not on characters (track names are often not Latin).
        buffer.seek(start_of_row)
        size += len(buffer.read().encode())
        if size >= max_bytes:
            return buffer.getvalue(), encode_cursor(sort_key)
    return buffer.getvalue(), None
