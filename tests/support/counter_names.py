"""Counter names as tests compare them: shards summed, and day-scoped counters
(DAY#{day}#DIM#..., DAY#{day}#TRACK#..., DAY#{day}#MODEL#..., DAY#{day}#CONF#...)
summed over their days into the whole campaign's (DIM#..., TRACK#..., ...)."""

from __future__ import annotations


def counter_name(sort_key: str) -> str:
    """ "DAY#2026-03-01#DIM#referrer#t.co#5" -> "DIM#referrer#t.co"; "DAY#2026-03-01#5" -> "DAY#2026-03-01"."""
    name = sort_key.rsplit("#", 1)[0]
    parts = name.split("#", 2)
    if parts[0] == "DAY" and len(parts) == 3:
        return parts[2]
    return name
