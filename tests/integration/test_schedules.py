"""Schedules fire on their expressions with an EventBridge-shaped event."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests

from local.cloud import LocalCloud
from local.schedules import ScheduleExpressionError, Scheduler, parse_schedule, schedules_from_stack

from .helpers import clear_records, records

NOW = datetime(2026, 11, 25, 22, 30, 15, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("expression", "timezone", "expected"),
    [
        ("rate(1 minute)", None, "2026-11-25T22:31:15"),
        ("rate(5 minutes)", None, "2026-11-25T22:35:15"),
        ("rate(2 hours)", None, "2026-11-26T00:30:15"),
        ("rate(1 day)", None, "2026-11-26T22:30:15"),
        ("cron(0 3 * * ? *)", None, "2026-11-26T03:00:00"),
        ("cron(0/15 * ? * MON-FRI *)", None, "2026-11-25T22:45:00"),
        ("cron(0 9 ? * SAT,SUN *)", None, "2026-11-28T09:00:00"),
        ("cron(30 8 1 JAN ? 2027)", None, "2027-01-01T08:30:00"),
        ("cron(0 12 L * ? *)", None, "2026-11-30T12:00:00"),
        ("cron(0 9 ? * 6L *)", None, "2026-11-27T09:00:00"),  # last Friday
        ("cron(0 9 ? * 2#1 *)", None, "2026-12-07T09:00:00"),  # first Monday
        ("cron(0 9 1W * ? *)", None, "2026-12-01T09:00:00"),
        ("cron(0 9 * * ? *)", "Europe/Paris", "2026-11-26T08:00:00"),
        ("at(2026-12-01T09:00:00)", None, "2026-12-01T09:00:00"),
    ],
)
def test_expressions_give_their_next_time(expression: str, timezone: str | None, expected: str) -> None:
    timing = parse_schedule(expression, timezone)
    assert timing.next_after(NOW, NOW) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(0 minutes)",
        "rate(5 weeks)",
        "cron(0 3 * * * *)",
        "cron(0 3 * *)",
        "cron(61 * * * ? *)",
        "every day",
        # Day fields are checked whatever the month and year (June never held 2024-01-01).
        "cron(0 0 32 6 ? *)",
        "cron(0 0 ? 6 MON#x *)",
        "cron(0 0 ? 6 MON#6 *)",
        "cron(0 0 ? 6 9L *)",
        "cron(0 0 40W 6 ? *)",
        "cron(0 0 ? JUN FUNDAY 2030)",
    ],
)
def test_expressions_eventbridge_refuses_are_refused(expression: str) -> None:
    with pytest.raises(ScheduleExpressionError):
        parse_schedule(expression)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ScheduleExpressionError):
        parse_schedule("rate(1 minute)", "Nowhere/Else")


class _Stack:
    """Just what schedules_from_stack reads of a stack."""

    def physical_name(self, logical_id: str) -> str:
        return f"stack-{logical_id}"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:us-east-1:123456789012:{resource}"

    def of_type(self, resource_type: str) -> dict:
        return {}


def test_invalid_schedules_are_left_out_and_never_stop_the_scheduler(fixture_cloud: LocalCloud, caplog) -> None:
    caplog.set_level("WARNING", logger="local")
    tick = fixture_cloud.functions.specs["TickFunction"]
    events = {
        "Good": {"Type": "Schedule", "Properties": {"Schedule": "cron(0 3 * * ? *)"}},
        "BadDay": {"Type": "Schedule", "Properties": {"Schedule": "cron(0 0 32 6 ? *)"}},
        "BadNth": {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": "cron(0 0 ? 6 MON#x *)"}},
        "BadZone": {
            "Type": "ScheduleV2",
            "Properties": {"ScheduleExpression": "rate(1 hour)", "ScheduleExpressionTimezone": "Nowhere/Else"},
        },
    }
    schedules = schedules_from_stack(_Stack(), {"TickFunction": replace(tick, events=events)})
    assert [schedule.name for schedule in schedules] == ["stack-TickFunctionGood"]
    scheduler = Scheduler(schedules, lambda schedule, event: True, region="us-east-1", account_id="123456789012")
    scheduler.stop()
    left_out = [record.getMessage() for record in caplog.records if "left out" in record.getMessage()]
    assert len(left_out) == 3, left_out


def test_schedules_fire_when_due_on_a_clock(fixture_cloud: LocalCloud) -> None:
    fired: list[tuple[str, object]] = []
    clock = [NOW]
    scheduler = Scheduler(
        schedules_from_stack(fixture_cloud.stack, fixture_cloud.functions.specs),
        lambda schedule, event: fired.append((schedule.name, event)) or True,
        region="us-east-1",
        account_id="123456789012",
        clock=lambda: clock[0],
    )
    try:
        assert scheduler.tick(NOW + timedelta(seconds=59), wait=True) == []
        assert [s.name for s in scheduler.tick(NOW + timedelta(seconds=60), wait=True)] == [
            "soundlink-local-TickFunctionEveryMinute"
        ]
        assert [s.name for s in scheduler.tick(NOW + timedelta(seconds=119), wait=True)] == []
        at_three = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
        names = sorted(s.name for s in scheduler.tick(at_three, wait=True))
        assert names == ["soundlink-local-TickFunctionEveryMinute", "soundlink-local-TickFunctionNightly"]
        assert all("Paused" not in name for name, _ in fired)  # Enabled: false
        event = fired[0][1]
        assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
        assert event["time"] == "2026-11-25T22:31:15Z"
        assert dict(fired)["soundlink-local-TickFunctionNightly"] == {"job": "nightly"}
    finally:
        scheduler.stop()


def test_run_schedules_fires_every_enabled_schedule_now(fixture_cloud: LocalCloud) -> None:
    clear_records(fixture_cloud, "tick")
    response = requests.post(
        fixture_cloud.api_url + "/_local/schedules/run", headers={"X-Soundlink-Local": "1"}, timeout=30
    )
    assert response.status_code == 200
    fired = {item["schedule"]: item["ok"] for item in response.json()["fired"]}
    assert fired == {"soundlink-local-TickFunctionEveryMinute": True, "soundlink-local-TickFunctionNightly": True}

    events = [json.loads(item["event"]) for item in records(fixture_cloud, "tick")]
    assert len(events) == 2
    scheduled = next(event for event in events if "detail-type" in event)
    assert set(scheduled) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert scheduled["resources"] == [
        "arn:aws:events:us-east-1:123456789012:rule/soundlink-local-TickFunctionEveryMinute"
    ]
    assert scheduled["account"] == "123456789012" and scheduled["detail"] == {}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", scheduled["time"])
    assert {"job": "nightly"} in events
