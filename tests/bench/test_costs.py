"""The dollar figures of make bench: each formula against a hand computation, and the
README's "Cost and performance" table kept equal to bench/results.json."""

from __future__ import annotations

import json

import pytest

from bench import costs, prices, results

MEASURED = {
    "billed_ms_track_click": 20.0,
    "billed_ms_record_clicks": 80.0,
    "billed_ms_count_clicks": 40.0,
    "rru_per_click": 0.6,
    "billed_ms_attribute": 60.0,
    "billed_ms_campaigns": 10.0,
    "billed_ms_analytics": 30.0,
    "wru_per_click": 4.0,
    "sqs_requests_per_click": 1.0,
    "tracker_response_bytes": 1000,
    "wcu_per_attributed_play": 12.0,
    "reads_per_attributed_play": 1.0,
    "dynamodb_writes_per_idle_poll": 1.0,
    "dynamodb_reads_per_idle_poll": 3.0,
    "kms_calls_per_warm_poll": 0.0,
    "sqs_requests_per_1000_due": 101.0,
    "poll_cpu_ms": 20.0,
    "dashboard_files": 20,
    "dashboard_bytes_gzip": 100_000,
    "analytics_reads_100k_plays": 12,
}
GB_SECOND = 0.0000133334 * 0.5  # template memory: 512 MB


def test_a_click_costs_every_service_it_touches_by_hand() -> None:
    by_hand = (
        0.01 / 10_000  # CloudFront request
        + 1000 / 1e9 * 0.085  # CloudFront bytes out
        + 1.00 / 1e6  # HTTP API
        + 0.20 / 1e6
        + 0.020 * GB_SECOND  # track_click
        + 1.2 * 0.40 / 1e6  # SendMessage + a tenth of ReceiveMessage and DeleteMessageBatch
        + (0.20 / 1e6 + 0.080 * GB_SECOND) / 10  # record_clicks, a tenth of a batch
        + (0.20 / 1e6 + 0.040 * GB_SECOND) / 10  # count_clicks, a tenth of a stream batch of ten
        + 4 * 0.625 / 1e6  # write units
        + 0.6 * 0.125 / 1e6  # read units: the raw click looked up (0.5), a tenth of a checkpoint read
        + (350 + 2 * 250 / 10) / 1e9 * 0.50  # access log line, the two consumers' metrics lines
        # no traces: the click path passes tracing through (issue 16)
    )
    without_waf = costs.click(MEASURED, waf=False).total
    assert without_waf == pytest.approx(by_hand, rel=1e-9)
    assert costs.click(MEASURED, waf=True).total - without_waf == pytest.approx(0.60 / 1e6)


def test_write_units_dominate_until_counters_are_coalesced() -> None:
    four, twenty_six = (costs.click({**MEASURED, "wru_per_click": w}, waf=True).total * 1e6 for w in (4, 26))
    assert twenty_six - four == pytest.approx(22 * 0.625)


def test_a_quiet_listener_is_polled_on_the_cadence_ceiling_and_an_active_one_every_base_interval() -> None:
    assert costs.polls_per_day(active=True) == 24 * 12
    # 10, 20, then every 25 minutes (cadence.MAX_INTERVAL): 2 + ceil((1440 - 30) / 25) = 59 polls.
    assert costs.polls_per_day(active=False) == 59


def test_a_listener_day_is_polls_plus_plays() -> None:
    day = costs.listener_day(MEASURED, active_share=0.2)
    polls = 0.2 * 288 + 0.8 * 59
    expected = (
        polls * costs.poll(MEASURED).total
        + 5 * costs.attributed_play(MEASURED).total
        + 25 * costs.unattributed_play(MEASURED).total
    )
    assert day.total == pytest.approx(expected)
    assert costs.listener_day(MEASURED, active_share=1.0).total > day.total


def test_every_price_names_its_source_page() -> None:
    for value in vars(prices).values():
        if isinstance(value, prices.Price):
            assert value.usd > 0 and value.source.startswith("https://aws.amazon.com/")


def test_the_readme_table_is_the_one_results_json_makes() -> None:
    stored = json.loads(results.RESULTS.read_text())
    readme = results.README.read_text()
    assert results.render_table(stored) in readme
    for name in ("machine", "date", "commit", "usd_per_million_clicks", "wru_per_click", "listeners_followed_at_5min"):
        assert name in stored


def test_a_missing_figure_shows_as_a_dash_not_a_zero() -> None:
    table = results.render_table({"machine": "m", "date": "d", "commit": "c"})
    assert "| US$ per million attributed plays | — | reported |" in table


def test_a_poll_bills_a_fifth_of_an_invocation_that_lasts_one_poll() -> None:
    billed_seconds = (20 + 150 + 4 * 5) / 1000  # measured + Spotify (assumed) + 4 DynamoDB calls
    by_hand = (
        (101 / 1000 + 2 / 5) * 0.40 / 1e6  # fan-out send share, receive and delete per batch of five
        + (0.20 / 1e6 + billed_seconds * GB_SECOND) / 5  # five polls side by side share an invocation
        + 1 * 0.625 / 1e6
        + 3 * 0.125 / 1e6
        + 600 / 5 / 1e9 * 0.50
        + 0.05 * 5.00 / 1e6 / 5
    )
    assert costs.poll(MEASURED).total == pytest.approx(by_hand, rel=1e-9)
