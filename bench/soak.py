"""`make soak`: the full ground-truth run (more people and rounds, faults on, SQS
misdelivering, an hour of Spotify outage), then the tracker load, through one local cloud.
Prints the figures the README's "Reliability" section quotes; exits 1 on any mismatch, a
message left in a dead-letter queue, a 5xx, or a secret or client address in a log line.

    PYTHONPATH=functions:. .venv/bin/python -m bench.soak [--seed 14] [--requests 10000]
"""

from __future__ import annotations

import argparse
import sys
import time

from bench import tracker_load
from local.cloud import LocalCloud
from tests.integration.ground_truth import Plan, run
from tests.integration.log_scan import collected, leaks, spotify_secrets

FULL = Plan(
    listeners=16,
    rounds=5,
    plays_per_round=8,
    aws_fault_rate=0.03,
    spotify_fault_rate=0.3,
    duplicate_rate=0.1,
    crash_rate=0.1,
    outage_rounds=6,  # six polls, ten minutes of Spotify's time apart: an hour down
    outage_plays=70,  # more than the 50 Spotify keeps: one possible gap, never a silent loss
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--seed", type=int, default=FULL.seed)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args(argv)
    plan = Plan(**{**FULL.__dict__, "seed": args.seed})
    started = time.monotonic()
    with collected() as lines, LocalCloud(background=False) as cloud:
        report = run(cloud, plan)
        secrets = {
            **spotify_secrets(cloud),
            "auth code": report.secrets["codes"],
            "cookie": report.secrets["cookies"],
        }
        ground_truth_seconds = time.monotonic() - started
        gt_leaked = leaks(lines, secrets, report.secrets["addresses"])
        print_ground_truth(plan, report, ground_truth_seconds, len(lines), gt_leaked)
        load = tracker_load.run(cloud, count=args.requests, concurrency=args.concurrency, seed=args.seed)
        leaked = leaks(lines, secrets, report.secrets["addresses"] | set(tracker_load.ADDRESSES))
    tracker_load.print_result(load)
    print(f"log lines scanned in all: {len(lines)}, secrets or client addresses found: {leaked or 'none'}")
    failed = report.mismatches or any(report.dead_letters.values()) or leaked or not tracker_load.ok(load)
    return 1 if failed else 0


def print_ground_truth(plan: Plan, report, seconds: float, scanned: int, leaked: list[str]) -> None:
    print(f"ground-truth run (seed {plan.seed}, {seconds:.0f} s):")
    print(f"  events: {report.events}")
    print(f"  AWS faults injected: {report.aws_faults.get('injected', 0)} of {report.aws_faults.get('requests', 0)}")
    for key, count in sorted(report.aws_faults.get("by_fault", {}).items()):
        print(f"    {key}: {count}")
    print(f"  Spotify faults injected: {report.spotify_faults} (plus a {plan.outage_rounds * 10}-minute outage)")
    print(f"  SQS misdeliveries: {report.redeliveries}")
    print(f"  dead letters after the drain: {report.dead_letters}")
    print(f"  figures compared: {report.compared}, mismatches: {len(report.mismatches)}")
    for mismatch in report.mismatches:
        print(f"    {mismatch}")
    print(f"  log lines scanned: {scanned}, secrets or client addresses found: {leaked or 'none'}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
