"""Run the emulator: in a background thread (tests, local cloud) or standalone."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_app
from .state import EmulatorState


class _QuietHandler(WSGIRequestHandler):
    """Logs nothing per request (tests start many requests); errors still go to stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


@dataclass
class EmulatorHandle:
    """A running emulator. `url` has no trailing slash; it serves both the
    accounts paths (`/authorize`, `/api/token`) and the Web API (`/v1/...`)."""

    host: str
    port: int
    state: EmulatorState
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1"

    def stop(self, timeout: float = 5.0) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_emulator(host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True, **options) -> EmulatorHandle:
    """Start an emulator in a daemon thread and return once it accepts connections.

    port 0 picks a free port. Options: expires_in (3600), rotate_refresh_tokens (False),
    rate_limit (180 requests per app per window), rate_window_seconds (30),
    refresh_token_lifetime_seconds (6 months), code_lifetime_seconds (600),
    catalogue_seed ("soundlink"), catalogue_size (300). quiet=False logs every request.
    """
    state = EmulatorState(**options)
    server = make_server(host, port, create_app(state), threaded=True, request_handler=_QuietHandler if quiet else None)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=f"spotify-emulator-{server.port}", daemon=True
    )
    thread.start()
    return EmulatorHandle(host=host, port=server.port, state=state, _server=server, _thread=thread)
