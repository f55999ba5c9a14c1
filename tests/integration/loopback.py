"""Requests from one loopback address (127.0.0.x), as from one person's browser: the tracker
then sees several clients, not one, without any request leaving the machine."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter


class _FromAddress(HTTPAdapter):
    """Requests leave from one loopback address (127.0.0.x), as a person's browser would from theirs."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def browser(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _FromAddress(address))
    return session
