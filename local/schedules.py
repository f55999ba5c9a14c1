"""Schedules of the template, fired on their expressions.

Sources: SAM `Schedule` (an EventBridge rule) and `ScheduleV2` (EventBridge
Scheduler) events of functions, and `AWS::Events::Rule` /
`AWS::Scheduler::Schedule` resources that target a function. Expressions are
EventBridge's: `rate(5 minutes)`, `cron(0/15 * ? * MON-FRI *)` (six fields,
day-of-week 1 = Sunday, `L`, `W`, `#`), `at(2026-12-01T09:00:00)`, in UTC or
the schedule's time zone.

The function gets the schedule's `Input` when it has one, else an
EventBridge "Scheduled Event". Invocations are asynchronous as in AWS; a
failure is logged, not retried.
"""

from __future__ import annotations

import calendar
import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from local.functions import FunctionSpec, function_events
from local.logs import get_logger

log = get_logger("schedule")

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE)
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$", re.IGNORECASE)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
SEARCH_DAYS = 366 * 5  # how far ahead a cron expression may look for its next time


class ScheduleExpressionError(ValueError):
    """An expression EventBridge would refuse."""


def _aws_weekday(day: date) -> int:
    """EventBridge numbers days of the week from Sunday = 1."""
    return (day.weekday() + 1) % 7 + 1


def _values(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    def number(token: str) -> int:
        token = token.upper()
        if names and token in names:
            return names[token]
        if not token.isdigit():
            raise ScheduleExpressionError(f"{token!r} is not a value between {low} and {high}")
        value = int(token)
        if not low <= value <= high:
            raise ScheduleExpressionError(f"{value} is outside {low}-{high}")
        return value

    values: set[int] = set()
    for part in text.split(","):
        step, stepped = 1, "/" in part
        if stepped:
            part, step_text = part.split("/", 1)
            step = int(step_text) if step_text.isdigit() else 0
            if step <= 0:
                raise ScheduleExpressionError(f"bad step in {text!r}")
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = number(first), number(last)
        else:
            # "5/15" starts at 5 and repeats to the end of the range.
            start = number(part)
            end = high if stepped else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_after(self, moment: datetime, anchor: datetime) -> datetime:
        periods = int((moment - anchor).total_seconds() // self.seconds) + 1
        return anchor + timedelta(seconds=periods * self.seconds)


@dataclass(frozen=True)
class At:
    moment: datetime

    def next_after(self, moment: datetime, anchor: datetime) -> datetime | None:
        return self.moment if self.moment > moment else None


def _weekday(token: str) -> int:
    """A day of the week: SUN-SAT or 1-7."""
    value = _WEEKDAYS.get(token) or (int(token) if token.isdigit() else 0)
    if not 1 <= value <= 7:
        raise ScheduleExpressionError(f"{token!r} is not a day of the week (1-7 or SUN-SAT)")
    return value


def _parse_day_of_month(text: str) -> tuple[str, Any]:
    """("any"|"last"|"last-weekday", None), ("weekday-near", day) or ("days", values)."""
    if text == "?":
        return "any", None
    if text == "L":
        return "last", None
    if text == "LW":
        return "last-weekday", None
    if text.endswith("W"):
        day = int(text[:-1]) if text[:-1].isdigit() else 0
        if not 1 <= day <= 31:
            raise ScheduleExpressionError(f"{text!r}: W needs a day of the month (1-31) before it")
        return "weekday-near", day
    return "days", _values(text, 1, 31)


def _parse_day_of_week(text: str) -> tuple[str, Any]:
    """("any", None), ("nth", (weekday, n)), ("last-of", weekday) or ("days", values)."""
    if text == "?":
        return "any", None
    if "#" in text:
        wanted, nth = text.split("#", 1)
        if not nth.isdigit() or not 1 <= int(nth) <= 5:
            raise ScheduleExpressionError(f"{text!r}: # needs a week of the month (1-5) after it")
        return "nth", (_weekday(wanted), int(nth))
    if text == "L":
        return "days", frozenset({7})
    if text.endswith("L"):
        return "last-of", _weekday(text[:-1])
    return "days", _values(text, 1, 7, _WEEKDAYS)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: tuple[str, Any]  # parsed once, see _parse_day_of_month
    months: frozenset[int]
    day_of_week: tuple[str, Any]  # parsed once, see _parse_day_of_week
    years: frozenset[int]
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @classmethod
    def parse(cls, fields_text: str, zone: ZoneInfo) -> Cron:
        """Parse and validate every field; raises ScheduleExpressionError."""
        fields = fields_text.split()
        if len(fields) != 6:
            raise ScheduleExpressionError("cron() needs six fields: minutes hours day-of-month month day-of-week year")
        minutes, hours, day_of_month, month, day_of_week, year = fields
        if (day_of_month == "?") == (day_of_week == "?"):
            raise ScheduleExpressionError("exactly one of day-of-month and day-of-week must be '?'")
        return cls(
            minutes=_values(minutes, 0, 59),
            hours=_values(hours, 0, 23),
            day_of_month=_parse_day_of_month(day_of_month.upper()),
            months=_values(month, 1, 12, _MONTHS),
            day_of_week=_parse_day_of_week(day_of_week.upper()),
            years=_values(year, 1970, 2199),
            zone=zone,
        )

    def matches_day(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.day_of_month[0] != "any":
            return self._day_of_month(day)
        return self._day_of_week(day)

    def _day_of_month(self, day: date) -> bool:
        kind, value = self.day_of_month
        last = calendar.monthrange(day.year, day.month)[1]
        if kind == "last":
            return day.day == last
        if kind == "last-weekday":
            target = date(day.year, day.month, last)
            while target.weekday() >= 5:
                target -= timedelta(days=1)
            return day == target
        if kind == "weekday-near":
            wanted = min(value, last)
            target = date(day.year, day.month, wanted)
            if target.weekday() == 5:  # Saturday: the Friday before, unless that leaves the month
                target = target - timedelta(days=1) if wanted > 1 else target + timedelta(days=2)
            elif target.weekday() == 6:  # Sunday: the Monday after, unless that leaves the month
                target = target + timedelta(days=1) if wanted < last else target - timedelta(days=2)
            return day == target
        return day.day in value

    def _day_of_week(self, day: date) -> bool:
        kind, value = self.day_of_week
        weekday = _aws_weekday(day)
        if kind == "nth":
            number, nth = value
            return weekday == number and (day.day - 1) // 7 + 1 == nth
        if kind == "last-of":
            last = calendar.monthrange(day.year, day.month)[1]
            return weekday == value and day.day > last - 7
        return weekday in value

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime | None:
        local = moment.astimezone(self.zone)
        day = local.date()
        for _ in range(SEARCH_DAYS):
            if self.matches_day(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)
                        if candidate > local:
                            return candidate.astimezone(UTC)
            day += timedelta(days=1)
        return None


Timing = Rate | Cron | At


def parse_schedule(expression: str, timezone: str | None = None) -> Timing:
    """An EventBridge schedule expression; raises ScheduleExpressionError."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ValueError, ZoneInfoNotFoundError):
        raise ScheduleExpressionError(f"{timezone!r} is not a time zone") from None
    text = expression.strip()
    if match := _RATE.match(text):
        value, unit = int(match.group(1)), match.group(2).lower().rstrip("s")
        if value <= 0:
            raise ScheduleExpressionError("a rate must be positive")
        return Rate(value * {"minute": 60, "hour": 3600, "day": 86400}[unit])
    if match := _CRON.match(text):
        return Cron.parse(match.group(1), zone)
    if match := _AT.match(text):
        return At(datetime.fromisoformat(match.group(1)).replace(tzinfo=zone).astimezone(UTC))
    raise ScheduleExpressionError(f"{expression!r} is not rate(...), cron(...) or at(...)")


@dataclass
class Schedule:
    """One schedule that targets a function."""

    name: str
    function: str
    expression: str
    timing: Timing
    arn: str
    source: str = "aws.events"  # aws.events (rules) | aws.scheduler (EventBridge Scheduler)
    enabled: bool = True
    input: Any = None
    next_fire: datetime | None = None

    def event(self, now: datetime, region: str, account_id: str) -> Any:
        if self.input is not None:
            return self.input
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": self.source,
            "account": account_id,
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": [self.arn],
            "detail": {},
        }


def _parse_input(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _enabled(props: dict[str, Any]) -> bool:
    if "Enabled" in props and str(props["Enabled"]).lower() == "false":
        return False
    return str(props.get("State", "ENABLED")).upper() != "DISABLED"


def schedules_from_stack(stack: Any, functions: Mapping[str, FunctionSpec]) -> list[Schedule]:
    """Every schedule of the stack whose target is one of `functions` (by logical id)."""
    found: list[tuple[str, str, dict[str, Any], str, str, Any]] = []
    for event in function_events(functions, "Schedule", "ScheduleV2"):
        props = event.properties
        name = props.get("Name") or stack.physical_name(f"{event.function}{event.name}")
        if event.type == "Schedule":
            arn = stack.arn("events", f"rule/{name}")
            found.append((name, event.function, props, props.get("Schedule", ""), arn, "aws.events"))
        else:
            arn = stack.arn("scheduler", f"schedule/{props.get('GroupName') or 'default'}/{name}")
            found.append((name, event.function, props, props.get("ScheduleExpression", ""), arn, "aws.scheduler"))
    by_arn = {spec.arn: function_id for function_id, spec in functions.items()}
    for resource in stack.of_type("AWS::Events::Rule").values():
        props = resource.properties
        for target in props.get("Targets") or []:
            function_id = by_arn.get(target.get("Arn"))
            if function_id and props.get("ScheduleExpression"):
                merged = {"Input": target.get("Input"), "State": props.get("State", "ENABLED")}
                arn = resource.attributes["Arn"]
                found.append((resource.ref, function_id, merged, props["ScheduleExpression"], arn, "aws.events"))
    for resource in stack.of_type("AWS::Scheduler::Schedule").values():
        props = resource.properties
        target = props.get("Target") or {}
        function_id = by_arn.get(target.get("Arn"))
        if function_id:
            merged = {**props, "Input": target.get("Input")}
            arn = resource.attributes["Arn"]
            found.append((resource.ref, function_id, merged, props.get("ScheduleExpression", ""), arn, "aws.scheduler"))

    schedules = []
    for name, function_id, props, expression, arn, source in found:
        try:
            timing = parse_schedule(expression, props.get("ScheduleExpressionTimezone"))
        except ValueError as error:  # ScheduleExpressionError is one; so is a bad at() date
            log.warning("schedule %s of %s left out: %s", name, function_id, error)
            continue
        schedules.append(
            Schedule(
                name=name,
                function=function_id,
                expression=expression,
                timing=timing,
                arn=arn,
                source=source,
                enabled=_enabled(props),
                input=_parse_input(props.get("Input")),
            )
        )
    return schedules


Invoke = Callable[[Schedule, Any], bool]


class Scheduler:
    """Fires the enabled schedules when they are due (a thread ticking once a second)."""

    def __init__(
        self,
        schedules: list[Schedule],
        invoke: Invoke,
        *,
        region: str,
        account_id: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_concurrent: int = 4,
    ) -> None:
        self.invoke = invoke
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self._anchor = clock()
        self.schedules = []
        for schedule in schedules:
            try:
                schedule.next_fire = schedule.timing.next_after(self._anchor, self._anchor)
            except (ValueError, OverflowError) as error:  # never a reason not to start
                log.warning("schedule %s of %s left out: %s", schedule.name, schedule.function, error)
                continue
            self.schedules.append(schedule)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="schedule")

    def due(self, now: datetime) -> list[Schedule]:
        return [s for s in self.schedules if s.enabled and s.next_fire is not None and s.next_fire <= now]

    def tick(self, now: datetime | None = None, *, wait: bool = False) -> list[Schedule]:
        """Fire what is due at `now` (asynchronously unless `wait`); returns what fired."""
        now = now or self.clock()
        fired = self.due(now)
        futures = []
        for schedule in fired:
            fire_time = schedule.next_fire or now
            schedule.next_fire = schedule.timing.next_after(now, self._anchor)
            log.info("%s (%s) fires %s", schedule.name, schedule.expression, schedule.function)
            futures.append(self._pool.submit(self._fire, schedule, fire_time))
        if wait:
            for future in futures:
                future.result()
        return fired

    def _fire(self, schedule: Schedule, moment: datetime) -> bool:
        return self.invoke(schedule, schedule.event(moment, self.region, self.account_id))

    def run_all(self) -> list[dict[str, Any]]:
        """Fire every enabled schedule once, now, and wait for the results."""
        now = self.clock()
        enabled = [schedule for schedule in self.schedules if schedule.enabled]
        futures = [(schedule, self._pool.submit(self._fire, schedule, now)) for schedule in enabled]
        return [
            {"schedule": schedule.name, "function": schedule.function, "ok": future.result()}
            for schedule, future in futures
        ]

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.tick()
            except Exception:
                log.exception("scheduler tick failed")

    def start(self) -> None:
        if self._thread is None and any(schedule.enabled for schedule in self.schedules):
            self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
            self._thread.start()

    def request_stop(self) -> None:
        """No more firing; `stop` waits for what runs."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._pool.shutdown(wait=True, cancel_futures=True)
