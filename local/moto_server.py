"""moto in server mode, in a child process of its own.

A child process rather than a thread: moto's state is process-global, and a
test that uses `mock_aws` in the same process (the unit and handler tests do)
resets it. Everything talks to the child over HTTP (`AWS_ENDPOINT_URL`).

Run alone: `python -m local.moto_server --port 5000` prints `READY <port>`
and serves until its standard input closes or it is interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from local.logs import get_logger

ROOT = Path(__file__).resolve().parents[1]
log = get_logger("moto")


class MotoServer:
    """A moto server child process bound to `host`; port 0 picks a free port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _command(self) -> list[str]:
        return [sys.executable, "-m", "local.moto_server", "--host", self.host, "--port", str(self.port)]

    def start(self, timeout: float = 30.0) -> None:
        self._process = subprocess.Popen(
            self._command(),
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # Its own process group: Ctrl-C reaches only the local cloud,
            # which then stops this child in order.
            start_new_session=True,
        )
        # A thread reads the lines: select() on a buffered stream would miss
        # READY when it arrives in the same chunk as an earlier line.
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(
            target=_read_output, args=(self._process.stdout, lines), name="moto-output", daemon=True
        ).start()
        deadline = time.monotonic() + timeout
        output: list[str] = []
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:  # the child exited
                break
            if line.startswith("READY "):
                self.port = int(line.split()[1])
                return
            output.append(line.rstrip())
        self.stop()
        detail = "\n".join(output[-20:])
        raise RuntimeError(f"moto server did not start within {timeout:.0f}s on {self.host}:{self.port}\n{detail}")

    def stop(self, timeout: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)


def _read_output(stream: Any, lines: queue.Queue[str | None]) -> None:
    """Hand the child's lines to `start` until READY, then log them; None at the end."""
    ready = False
    for line in stream:
        if ready:
            if line.strip():
                log.debug("%s", line.rstrip())
            continue
        lines.put(line)
        ready = line.startswith("READY ")
    lines.put(None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.moto_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SOUNDLINK_MOTO_PORT", "5000")))
    args = parser.parse_args(argv)

    from moto.server import DomainDispatcherApplication, MotoRequestHandler, ThreadedMotoServer, create_backend_app
    from werkzeug.serving import make_server

    from local.faults import FaultMiddleware

    class FaultableMotoServer(ThreadedMotoServer):
        """moto behind local.faults' middleware: POST /_faults makes AWS misbehave (tests, soak)."""

        def _server_entry(self) -> None:
            app = FaultMiddleware(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    from local.cognito_extras import install as install_cognito_extras

    install_cognito_extras()
    from local.moto_dynamodb import install as install_journaled_transactions
    from local.moto_sqs import install as install_faster_sqs

    install_faster_sqs()
    install_journaled_transactions()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = FaultableMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    print(f"READY {server.get_host_and_port()[1]}", flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())

    def watch_stdin() -> None:
        # The parent holds our stdin: EOF means it stopped (or died).
        sys.stdin.read()
        done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
