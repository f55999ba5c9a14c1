"""Who came back: the weeks after a listener's first click in which the campaign counted a stream.

A listener belongs to the cohort of the week (Monday, UTC) of their first click
on the campaign's link. Week 1 is the first 7 days after that click, week 2 the
next 7, and so on, as far as the campaign's window reaches from the first click
(two weeks for the default 14 days). A re-click can stretch the window further;
streams past the last week of the table are still counted as streams, not here.

Markers: the link keeps the weeks already counted for its listener
(``ListenerLinkItem.cohort_weeks``), moved in the same transaction as the play,
on condition that the week is not there yet, so a redelivered or re-read play
counts nothing twice. Counters (StatsTable, the campaign's partition):
  COHORT#{week_start}#ALL#{shard}  listeners of the cohort with a counted stream
  COHORT#{week_start}#W{n}#{shard} ... of whom streamed in week n after the click
Analytics read them with one Query: items per cohort week x week, never per listener.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

WEEK = timedelta(days=7)
PREFIX = "COHORT#"
ALL = "ALL"


def weeks_of(window_days: int) -> int:
    """Weeks the cohort table shows for a window: 14 days -> 2, 15 -> 3, 1 -> 1."""
    return max(1, math.ceil(window_days / 7))


def week_start(first_click_at: datetime) -> str:
    """The Monday (UTC) of the week of the first click, as YYYY-MM-DD."""
    day = first_click_at.astimezone(UTC).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def week_after(first_click_at: datetime, played_at: datetime, window_days: int) -> int | None:
    """1 for a play within 7 days after the first click, 2 for the next 7 days, ...;
    None before the click (never counted) or past the weeks the window reaches."""
    elapsed = played_at - first_click_at
    if elapsed <= timedelta(0):
        return None
    week = math.ceil(elapsed / WEEK)  # exactly 7 days after the click is still week 1
    return week if week <= weeks_of(window_days) else None


def counter_key(first_click_at: datetime, week: int | None, shard: int) -> str:
    """The counter item of the cohort's size (week None) or of one week after the click."""
    return f"{PREFIX}{week_start(first_click_at)}#{ALL if week is None else f'W{week}'}#{shard}"
