"""`make bench`: every benchmark, then bench/results.json and the README's table made from it.

    PYTHONPATH=functions:. .venv/bin/python -m bench            # the full run (minutes)
    PYTHONPATH=functions:. .venv/bin/python -m bench --smoke    # small sizes, nothing written (make test)

Benchmarks that start moto or import handlers run each in a process of their own
(their module-level state must not leak into the next); each hands its figures back
in a file. Dollars, capacity and the scaling runs are computed here from them.
Targets are checked and printed; a missed target is reported, not hidden.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import capacity, costs, results, scaling

ROOT = Path(__file__).resolve().parents[1]
# The benchmarks that run in a process of their own, in this order.
SEPARATE = ("coldstart", "tracker", "pipeline", "fans", "analytics")

# figure: (comparison, target); the README's table shows the same targets in words.
TARGETS = {
    "usd_per_million_clicks": ("<=", 5.00),
    "wru_per_click": ("<=", 4),
    "usd_per_1000_listeners_day": ("<=", 0.35),
    "wcu_per_attributed_play": ("<=", 12),
    "spotify_calls_per_idle_poll": ("<=", 1),
    "dynamodb_writes_per_idle_poll": ("<=", 1),
    "kms_calls_per_warm_poll": ("<=", 0.05),
    "sqs_requests_per_1000_due": ("<=", 110),
    "spotify_calls_per_listener_day_fans_extra": ("<=", 1),
    **{f"init_ratio_{name}": ("<=", 1.3) for name in results.FUNCTIONS},
    **{f"first_request_ratio_{name}": ("<=", 1.5) for name in results.FUNCTIONS},
}


def run_separately(name: str, smoke: bool, folder: Path) -> dict[str, float]:
    out = folder / f"{name}.json"
    code = (
        f"import sys, json; from bench import {name} as bench; from bench.results import FIGURES; "
        f"bench.main(smoke={smoke!r}); "
        f"open({str(out)!r}, 'w').write(json.dumps(FIGURES))"
    )
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'functions'}{os.pathsep}{ROOT}"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    print(f"(bench.{name}: {time.perf_counter() - started:.0f} s)\n", flush=True)
    return json.loads(out.read_text())


def dashboard_files() -> dict[str, float]:
    """What a browser downloads to open the dashboard: every file web/ publishes, gzip-compressed."""
    web = ROOT / "web"
    files = [p for p in web.rglob("*") if p.is_file() and "test" not in p.relative_to(web).parts]
    files = [p for p in files if p.suffix in {".html", ".js", ".css", ".svg", ".json", ".ico", ".png"}]
    compressed = sum(len(gzip.compress(p.read_bytes())) for p in files)
    return {"dashboard_files": len(files), "dashboard_bytes_gzip": compressed}


def check(figures: dict[str, float]) -> list[str]:
    missed = []
    for name, (op, target) in TARGETS.items():
        value = figures.get(name)
        if value is None or not (value <= target if op == "<=" else value >= target):
            missed.append(f"{name} = {value} (target {op} {target})")
    return missed


def recost() -> int:
    """After a change of prices or formulas: the dollar figures again, from the last run's measurements."""
    stored = json.loads(results.RESULTS.read_text())
    measured = {name: value for name, value in stored.items() if not name.startswith("usd_per_")}
    figures = {k: v for k, v in measured.items() if k not in ("machine", "date", "commit")}
    figures.update(costs.figures(figures))
    results.RESULTS.write_text(json.dumps({**stored, **figures}, indent=1, sort_keys=False) + "\n")
    results.README.write_text(results.readme_with_table(results.README.read_text(), {**stored, **figures}))
    for line in check(figures):
        print(f"  missed: {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--smoke", action="store_true", help="small sizes; writes neither results.json nor README")
    parser.add_argument(
        "--recost", action="store_true", help="dollars again from results.json's measured figures (no measuring)"
    )
    args = parser.parse_args(argv)
    if args.recost:
        return recost()
    started = time.perf_counter()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in SEPARATE:
            figures.update(run_separately(name, args.smoke, Path(folder)))
    figures.update(dashboard_files())
    results.FIGURES.clear()
    capacity.measure(figures, smoke=args.smoke)
    scaling.measure(figures, smoke=args.smoke)
    figures.update(results.FIGURES)
    print("Dollars (bench/prices.py: " + costs.p.AS_OF + ")")
    figures.update(costs.figures(figures))
    missed = check(figures)
    print(f"\nTargets: {len(TARGETS) - len(missed)} of {len(TARGETS)} hold" + (":" if missed else "."))
    for line in missed:
        print(f"  missed: {line}")
    if args.smoke:
        table = results.render_table({**figures, "machine": results.machine(), "date": "smoke", "commit": "-"})
        assert all(row.label in table for row in results.ROWS)
        print(f"\n(smoke run: {time.perf_counter() - started:.0f} s; results.json and README left as they are)")
        return 0
    results.save(figures)
    print(f"\nbench/results.json and the README's table written ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
