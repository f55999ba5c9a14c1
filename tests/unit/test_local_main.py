"""`python -m local` (make dev) sends people to the open.spotify.com stand-in; tests' LocalCloud does not."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import local.__main__ as local_main
from local.cloud import LocalCloud


def test_make_dev_turns_the_stand_in_on(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class Recording:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            seen.update(kwargs)

        def start(self) -> None:
            raise OSError("port in use")  # stop before anything runs

    monkeypatch.setattr(local_main, "LocalCloud", Recording)
    monkeypatch.setattr(local_main, "configure_console", lambda level: None)
    assert local_main.main([]) == 1
    assert seen["open_spotify_stand_in"] is True


def test_a_local_cloud_answers_the_deployed_links_unless_asked() -> None:
    parameter = inspect.signature(LocalCloud).parameters["open_spotify_stand_in"]
    assert parameter.default is False
    cloud = LocalCloud()
    assert cloud._open_spotify_base() is None
    cloud.use_open_spotify_stand_in(True)  # before start: remembered, nothing to rewrite yet
    assert cloud.open_spotify_stand_in is True and cloud._open_spotify_base() is None
