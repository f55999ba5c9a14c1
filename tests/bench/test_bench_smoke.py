"""make bench still runs: every benchmark at small sizes, nothing written (the full run is minutes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_bench_runs_at_small_sizes_and_reports_every_target() -> None:
    before = (ROOT / "bench" / "results.json").read_bytes()
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'functions'}{os.pathsep}{ROOT}"}
    out = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "Targets:" in out.stdout and "usd_per_million_clicks" in out.stdout
    assert (ROOT / "bench" / "results.json").read_bytes() == before  # a smoke run writes nothing
