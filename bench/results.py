"""bench/results.json: one flat object of named figures from `make bench`, and the README table made from it.

Each bench section calls `record(name, value)` beside what it prints; `python -m bench`
writes the figures with the machine, the date and the commit, then rewrites the
README's "Cost and performance" table from that file (a test keeps the two equal).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
README = ROOT / "README.md"
TABLE_START = "<!-- bench-table:start (generated from bench/results.json by make bench) -->"
TABLE_END = "<!-- bench-table:end -->"

FIGURES: dict[str, float] = {}


def record(name: str, value: float) -> None:
    FIGURES[name] = value


@dataclass(frozen=True)
class Row:
    label: str
    figures: tuple[str, ...]  # shown joined by " / "
    target: str  # as a person reads it; `targets` below holds the machine check
    unit: str = ""


# The README table, in reading order. A figure missing from results.json shows as "—".
FUNCTIONS = (
    "track_click", "record_clicks", "oauth_callback", "campaigns",
    "analytics", "attribute", "schedule_polls", "poll_user",
)  # fmt: skip
ROWS: tuple[Row, ...] = (
    Row(
        "US$ per million clicks, with CloudFront + WAF / without WAF",
        ("usd_per_million_clicks", "usd_per_million_clicks_without_waf"),
        "≤ 5.00",
    ),
    Row(
        "write units per click: alone / in a batch of ten / a hundred counted together",
        ("wru_per_click_single", "wru_per_click", "wru_per_click_stream_batch_100"),
        "≤ 4 (batch)",
    ),
    Row(
        "US$ per 1,000 listeners a day: 20 % active + 80 % quiet / all at 5 min",
        ("usd_per_1000_listeners_day", "usd_per_1000_listeners_day_all_5min"),
        "≤ 0.35 (mix)",
    ),
    Row("US$ per million attributed plays", ("usd_per_million_attributed_plays",), "reported"),
    Row("US$ per 10,000 dashboard views", ("usd_per_10k_dashboard_views",), "reported"),
    Row(
        "write units per attributed play: alone / ten of one campaign together",
        ("wcu_per_attributed_play_single", "wcu_per_attributed_play"),
        "≤ 12 (ten)",
    ),
    Row("write units per redelivered play", ("wcu_per_redelivered_play",), "reported"),
    Row("Spotify calls per idle poll", ("spotify_calls_per_idle_poll",), "1"),
    Row("DynamoDB writes per idle poll", ("dynamodb_writes_per_idle_poll",), "≤ 1"),
    Row("KMS calls per warm poll", ("kms_calls_per_warm_poll",), "≤ 0.05"),
    Row("SQS requests per 1,000 due listeners", ("sqs_requests_per_1000_due",), "≤ 110"),
    Row(
        "Spotify calls per listener a day: Soundlink's cadence / fixed 2-minute polling",
        ("spotify_calls_per_listener_day", "spotify_calls_per_listener_day_fixed_2min"),
        "reported",
    ),
    Row("listeners followed at the 5-minute cadence", ("listeners_followed_at_5min",), "reported"),
    Row(
        "fans on: extra Spotify calls / DynamoDB writes per listener a day (5 attributed plays every day)",
        ("spotify_calls_per_listener_day_fans_extra", "dynamodb_writes_per_listener_day_fans"),
        "≤ 1 / reported",
    ),
    Row(
        "analytics reads, 100 vs 100,000 plays: whole campaign",
        ("analytics_reads_100_plays", "analytics_reads_100k_plays"),
        "equal",
    ),
    Row(
        "analytics reads, 100 vs 100,000 plays: 7 days",
        ("analytics_reads_7d_100_plays", "analytics_reads_7d_100k_plays"),
        "equal",
    ),
    *(
        Row(
            f"cold start `{name}`: init / with its first request (ratio to bare boto3)",
            (f"init_ratio_{name}", f"first_request_ratio_{name}"),
            "≤ 1.3 / ≤ 1.5",
        )
        for name in FUNCTIONS
    ),
)


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}" if value >= 0.1 else f"{value:.3f}"
    return f"{int(value):,}"


def render_table(results: dict[str, Any]) -> str:
    lines = [
        TABLE_START,
        f"Measured on {results.get('machine', '?')}, {results.get('date', '?')}, commit {results.get('commit', '?')}.",
        "",
        "| what | measured | target |",
        "|---|---|---|",
    ]
    for row in ROWS:
        measured = " / ".join(_show(results.get(name)) for name in row.figures)
        lines.append(f"| {row.label} | {measured} | {row.target} |")
    lines.append(TABLE_END)
    return "\n".join(lines)


def readme_with_table(readme: str, results: dict[str, Any]) -> str:
    start, end = readme.index(TABLE_START), readme.index(TABLE_END) + len(TABLE_END)
    return readme[:start] + render_table(results) + readme[end:]


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def save(figures: dict[str, float], path: Path = RESULTS, *, readme: Path | None = README) -> dict[str, Any]:
    results: dict[str, Any] = {
        "machine": machine(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "commit": _commit(),
        **dict(sorted(figures.items())),
    }
    path.write_text(json.dumps(results, indent=1) + "\n")
    if readme is not None:
        readme.write_text(readme_with_table(readme.read_text(), results))
    return results
