"""Stopping ends every worker, even one in the middle of an invocation (and its children), fast."""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from local.cloud import LocalCloud
from local.functions import STOPPING_ERROR, FunctionRuntime, Invocation, function_specs, worker_environment

from .helpers import wait_for


def _alive(pid: int) -> bool:
    """True while the process runs (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _hang_in_thread(invoke: Any, pid_file: Path) -> tuple[threading.Thread, list[Invocation], list[int]]:
    """Start an invocation that never returns; wait until its worker and the worker's child run."""
    results: list[Invocation] = []
    thread = threading.Thread(target=lambda: results.append(invoke({"hang_pid_file": str(pid_file)})), daemon=True)
    thread.start()
    assert wait_for(pid_file.exists, timeout=10), "the handler did not start"
    pids = [int(pid) for pid in pid_file.read_text().split()]
    assert all(_alive(pid) for pid in pids)
    return thread, results, pids


def _api_runtime(fixture_cloud: LocalCloud, timeout: float = 60.0) -> FunctionRuntime:
    spec = replace(function_specs(fixture_cloud.stack)["ApiFunction"], timeout=timeout)
    env = worker_environment(spec, endpoint_url=fixture_cloud.moto_url, region="us-east-1")
    return FunctionRuntime(spec, env)


def test_stop_kills_a_worker_in_the_middle_of_an_invocation(fixture_cloud: LocalCloud, tmp_path: Path) -> None:
    runtime = _api_runtime(fixture_cloud)
    try:
        thread, results, pids = _hang_in_thread(runtime.invoke, tmp_path / "pids")
        # A second worker, idle once it answered: stop must end it as well.
        assert runtime.invoke({"routeKey": "GET /shapes/{kind}", "pathParameters": {"kind": "bare"}}).ok
        all_workers = runtime.worker_pids()
        assert pids[0] in all_workers and len(all_workers) == 2

        started = time.monotonic()
        runtime.stop()
        thread.join(5)
        assert time.monotonic() - started < 5
        assert not thread.is_alive()
        # The worker, its child (same process group) and the idle worker are gone.
        assert wait_for(lambda: not any(_alive(pid) for pid in pids + all_workers), timeout=3)
        assert results[0].error["errorType"] == STOPPING_ERROR
    finally:
        runtime.stop()


def test_invocations_after_stop_report_stopping_not_throttling(fixture_cloud: LocalCloud) -> None:
    runtime = _api_runtime(fixture_cloud)
    runtime.stop()
    invocation = runtime.invoke({"routeKey": "GET /shapes/{kind}", "pathParameters": {"kind": "bare"}})
    assert not invocation.ok
    assert invocation.error == {"errorType": STOPPING_ERROR, "errorMessage": "the local cloud is stopping"}
    assert runtime.worker_pids() == []


def test_stopping_the_cloud_ends_a_hung_invocation_quickly(fixture_app_dir: Path, tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(fixture_app_dir, app, ignore=shutil.ignore_patterns("__pycache__"))
    template = app / "template.yaml"
    template.write_text(template.read_text().replace("      Timeout: 2\n", "      Timeout: 60\n", 1))
    cloud = LocalCloud(template, spotify=False, background=True)
    try:
        cloud.start()
        thread, results, pids = _hang_in_thread(lambda event: cloud.invoke("ApiFunction", event), tmp_path / "pids")
        started = time.monotonic()
        cloud.stop()
        elapsed = time.monotonic() - started
        thread.join(5)
        assert elapsed < 5, f"stop took {elapsed:.1f}s"
        assert not thread.is_alive() and results[0].error["errorType"] == STOPPING_ERROR
        assert wait_for(lambda: not any(_alive(pid) for pid in pids), timeout=3)
    finally:
        cloud.stop()
