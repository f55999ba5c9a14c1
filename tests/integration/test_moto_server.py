"""The moto child process starts as soon as it says READY."""

from __future__ import annotations

import sys
import time

from local.moto_server import MotoServer


class _ChattyMoto(MotoServer):
    """A stand-in child that writes a warning and READY in one write, then waits for EOF."""

    def _command(self) -> list[str]:
        script = "import sys; sys.stdout.write('a warning\\nREADY 4321\\n'); sys.stdout.flush(); sys.stdin.read()"
        return [sys.executable, "-c", script]


def test_moto_start_sees_ready_after_another_line_in_the_same_write() -> None:
    server = _ChattyMoto()
    started = time.monotonic()
    try:
        server.start(timeout=5)
        assert time.monotonic() - started < 3
        assert server.port == 4321
    finally:
        server.stop(timeout=3)
