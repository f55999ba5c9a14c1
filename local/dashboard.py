"""The dashboard (`web/`) on its own origin, as S3 + CloudFront would serve it.

`config.json` is generated from the running local cloud and served from
memory (never written into web/). Nothing is cached, so edits show on reload.
"""

from __future__ import annotations

import json
import mimetypes
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response

from local.logs import get_logger

log = get_logger("web")

_MISSING_INDEX = """<!doctype html><meta charset="utf-8"><title>Soundlink (local)</title>
<p>There is no <code>index.html</code> in {folder} yet. The API is at <a href="{api}">{api}</a>.</p>
"""


class DashboardApp:
    """WSGI app serving `folder` plus a generated `/config.json`."""

    def __init__(self, folder: Path, config: Callable[[], dict[str, Any]]) -> None:
        self.folder = folder
        self.config = config

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        started = time.monotonic()
        response = self._respond(request)
        response.headers["Cache-Control"] = "no-store"
        elapsed = (time.monotonic() - started) * 1000
        if response.status_code >= 400 or request.path in ("/", "/index.html", "/config.json"):
            log.info("%s %s %d %.0fms", request.method, request.path, response.status_code, elapsed)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response("method not allowed\n", status=405, content_type="text/plain")
        if request.path == "/config.json":
            return Response(json.dumps(self.config(), indent=2), content_type="application/json")
        relative = request.path.lstrip("/") or "index.html"
        if relative.endswith("/"):
            relative += "index.html"
        path = safe_join(str(self.folder), relative)
        if path is not None and Path(path).is_dir():
            path = str(Path(path) / "index.html")
        if path is None or not Path(path).is_file():
            if relative == "index.html":
                api = self.config().get("apiUrl", "")
                html = _MISSING_INDEX.format(folder=self.folder, api=api)
                return Response(html, content_type="text/html; charset=utf-8")
            return Response("not found\n", status=404, content_type="text/plain")
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        return Response(Path(path).read_bytes(), content_type=content_type)
