"""Handlers run isolated per function, contained when they crash, reloaded when their code changes."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from local.cloud import LocalCloud


def _echo(cloud: LocalCloud) -> dict:
    response = requests.get(cloud.api_url + "/files/echo", timeout=10)
    assert response.status_code == 200
    return response.json()


def test_each_function_sees_only_its_own_environment(fixture_cloud: LocalCloud) -> None:
    os.environ["LOCAL_CLOUD_LEAK_CHECK"] = "from the test process"
    try:
        env = _echo(fixture_cloud)["env"]
    finally:
        del os.environ["LOCAL_CLOUD_LEAK_CHECK"]
    assert "LOCAL_CLOUD_LEAK_CHECK" not in env and "PYTEST_CURRENT_TEST" not in env
    assert env["ROLE"] == "api"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "soundlink-local-ApiFunction"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_REGION"] == "us-east-1" and env["AWS_ENDPOINT_URL"] == fixture_cloud.moto_url
    assert env["_HANDLER"] == "api.app.handler"
    assert fixture_cloud.function_environment("WorkFunction")["ROLE"] == "worker"


def test_handlers_get_a_lambda_context(fixture_cloud: LocalCloud) -> None:
    context = _echo(fixture_cloud)["context"]
    assert context["function_name"] == "soundlink-local-ApiFunction"
    assert context["function_version"] == "$LATEST"
    assert (
        context["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:soundlink-local-ApiFunction"
    )
    assert context["memory_limit_in_mb"] == "256"
    assert context["log_group_name"] == "/aws/lambda/soundlink-local-ApiFunction"
    assert 0 < context["remaining_ms"] <= 2000  # Timeout: 2
    assert len(context["aws_request_id"]) == 36


def test_a_crash_is_contained_and_the_next_invocation_gets_a_fresh_worker(fixture_cloud: LocalCloud) -> None:
    before = _echo(fixture_cloud)["pid"]
    assert requests.get(fixture_cloud.api_url + "/shapes/exit", timeout=10).status_code == 500
    after = _echo(fixture_cloud)["pid"]
    assert after != before


def test_concurrent_requests_run_in_separate_workers(fixture_cloud: LocalCloud) -> None:
    def slow_pid(_: int) -> int:
        response = requests.get(fixture_cloud.api_url + "/shapes/slow-pid", timeout=10)
        assert response.status_code == 200
        return response.json()["pid"]

    with ThreadPoolExecutor(max_workers=3) as pool:
        pids = list(pool.map(slow_pid, range(3)))
    assert len(set(pids)) == 3  # like three Lambda execution environments


def test_code_changes_apply_without_a_restart(fixture_cloud: LocalCloud, fixture_app_dir: Path) -> None:
    handler = fixture_app_dir / "functions" / "api" / "app.py"
    original = handler.read_text()
    assert requests.get(fixture_cloud.api_url + "/shapes/version", timeout=10).text == "v1"
    try:
        handler.write_text(original.replace('"body": "v1"', '"body": "v2 after an edit"'))
        time.sleep(0.6)  # the code fingerprint is cached for half a second
        assert requests.get(fixture_cloud.api_url + "/shapes/version", timeout=10).text == "v2 after an edit"
    finally:
        handler.write_text(original)
        time.sleep(0.6)
    assert requests.get(fixture_cloud.api_url + "/shapes/version", timeout=10).text == "v1"


def test_handler_logs_are_compacted(fixture_cloud: LocalCloud, caplog) -> None:
    caplog.set_level("INFO", logger="local")
    assert requests.get(fixture_cloud.api_url + "/shapes/log", timeout=10).status_code == 204
    deadline = time.monotonic() + 5
    wanted = {"INFO structured line campaign_id=c-1", "a plain line"}
    while time.monotonic() < deadline and not wanted <= {r.getMessage() for r in caplog.records}:
        time.sleep(0.05)
    messages = {record.getMessage() for record in caplog.records if record.name == "local.fn.ApiFunction"}
    assert wanted <= messages
    api_lines = [r.getMessage() for r in caplog.records if r.name == "local.api"]
    assert any(line.startswith("GET /shapes/log 204 ") and line.endswith("-> ApiFunction") for line in api_lines)
