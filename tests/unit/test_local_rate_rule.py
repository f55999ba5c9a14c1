"""The local cloud's stand-in for the WAF rate rule: per address, 5-minute window, marks."""

from __future__ import annotations

from local.rate_rule import RateRule


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_past_the_limit_an_address_is_marked_on_the_tracker_and_callback_paths_only():
    clock = Clock()
    rule = RateRule(3, clock=clock)
    assert [rule.marks("198.51.100.7", "/c/abcdefghjk") for _ in range(3)] == [False] * 3
    assert rule.marks("198.51.100.7", "/oauth/callback") is True
    assert rule.marks("198.51.100.8", "/c/abcdefghjk") is False  # another address, its own count
    assert rule.marks("198.51.100.7", "/privacy") is False  # not a rate-limited path
    assert rule.marks("198.51.100.7", "/campaigns") is False


def test_the_window_slides():
    clock = Clock()
    rule = RateRule(2, clock=clock)
    rule.marks("a", "/c/x")
    clock.now += 200
    rule.marks("a", "/c/x")
    assert rule.marks("a", "/c/x") is True  # counted too, as the WAF counts every request
    clock.now += 300  # the three requests left the 5-minute window
    assert rule.marks("a", "/c/x") is False
