"""Day points in the owner's time zone, built from UTC hour counters.

UTC day counters cannot give another zone's days, so for ranges up to
ZONED_DAYS_LIMIT days a day point is the sum of the hours that start on that
local day (a flat read: at most 90 x 24 hours x the shards). Longer ranges use
the UTC day counters and say so (`day_zone: "UTC"`). In zones whose offset is
not a whole number of hours (India, Nepal, parts of Australia) an hour that
straddles local midnight counts on the day it starts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from soundlink.platform.errors import BadRequest

ZONED_DAYS_LIMIT = 90
UTC_NAME = "UTC"


def zone_of(name: str | None) -> tzinfo:
    """The IANA zone named (default UTC); 400 with a sentence for a name that is not one."""
    if not name or name in (UTC_NAME, "Etc/UTC", "Z"):
        return UTC
    if len(name) > 64 or name.startswith(("/", ".")) or ".." in name or "\\" in name:
        raise BadRequest(f"tz must be an IANA time zone such as Europe/Paris or America/New_York, got {name[:64]!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise BadRequest(
            f"tz must be an IANA time zone such as Europe/Paris or America/New_York, got {name!r}"
        ) from error


def zone_name(zone: tzinfo) -> str:
    return UTC_NAME if zone is UTC else str(zone)


def local_midnight(moment: datetime, zone: tzinfo) -> datetime:
    """The start of the local day of `moment` in `zone` (aware, in that zone)."""
    local = moment.astimezone(zone)
    return datetime(local.year, local.month, local.day, tzinfo=zone)


def local_days(start: datetime, end: datetime, zone: tzinfo) -> list[datetime]:
    """Local midnights of the days [start, end) touches, in order (DST days are 23 or 25 hours)."""
    days = []
    day = local_midnight(start, zone)
    while day.astimezone(UTC) < end:
        days.append(day)
        following = day.replace(tzinfo=None) + timedelta(days=1)
        day = following.replace(tzinfo=zone)
    return days


def uses_zone(start: datetime, end: datetime, zone: tzinfo, granularity: str) -> bool:
    """Whether day points are built in `zone` (else UTC days)."""
    return granularity == "day" and zone is not UTC and end - start <= timedelta(days=ZONED_DAYS_LIMIT)
