"""`python -m local` (what `make dev` runs) and `python -m local.owner`."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from local.cloud import LocalCloud

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_owner_cli_creates_an_owner_and_prints_a_working_token(fixture_cloud: LocalCloud) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "local.owner", "create", "--email", "cli@example.com", "--password", "cli-password-1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SOUNDLINK_WEB_PORT": str(fixture_cloud.web_url.rsplit(":", 1)[1])},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    response = requests.get(
        fixture_cloud.api_url + "/items/1", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 200
    claims = response.json()["event"]["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["email"] == "cli@example.com"


def test_owner_cli_says_when_no_local_cloud_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "local.owner", "token", "--email", "a@b.c", "--password", "x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SOUNDLINK_WEB_PORT": str(_free_port())},
        check=False,
    )
    assert result.returncode == 1
    assert "make dev" in result.stderr


def test_python_m_local_starts_prints_what_next_and_stops_cleanly_on_ctrl_c() -> None:
    ports = {name: _free_port() for name in ("API", "WEB", "MOTO", "SPOTIFY")}
    env = {**os.environ, **{f"SOUNDLINK_{name}_PORT": str(port) for name, port in ports.items()}}
    template = ROOT / "tests" / "fixtures" / "local_cloud" / "template.yaml"
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--template", str(template), "--no-spotify-emulator"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    output: list[str] = []

    def read_until(text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                output.append(lines.get(timeout=0.2))
            except queue.Empty:
                continue
            if text in output[-1]:
                return True
        return False

    try:
        assert read_until("Ctrl-C stops everything", 60), "".join(output)
        banner = "".join(output)
        api = f"http://127.0.0.1:{ports['API']}"
        assert api in banner and f"http://127.0.0.1:{ports['WEB']}" in banner
        assert "python -m local.owner create" in banner
        # Other ports than the defaults: the printed command names the dashboard it must ask.
        assert f"--web-url http://127.0.0.1:{ports['WEB']})" in banner, banner
        # The listener's plays command (local/plays.py) asks the same dashboard.
        assert (
            f"-m local.plays --listener 'Your Name' --tracks playlist:<id> --minutes-ago 5 --now --web-url http://127.0.0.1:{ports['WEB']}\n"
            in banner
        ), banner
        assert requests.get(api + "/shapes/bare", timeout=10).json() == {"hello": "world"}
        assert requests.get(api + "/items/1", timeout=10).status_code == 401

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert read_until("Stopped.", 5), "".join(output)
        for port in ports.values():  # every port is released
            with socket.socket() as sock:
                assert sock.connect_ex(("127.0.0.1", port)) != 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
