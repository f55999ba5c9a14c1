"""Using up a state: one transaction deletes it (only if still usable) with the writes it allows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from soundlink.platform.tables import OAuthStateItem
from soundlink.platform.transactions import failed_conditions, transaction
from soundlink.tracking import oauth_state
from soundlink.tracking.oauth_state import StateRefused


class Consume:
    """`with` block: one transaction that deletes the state (if still usable) plus the writes added.

    StateRefused("unknown_or_used") when a concurrent callback used the state first.
    """

    def __init__(self, state: OAuthStateItem, now: datetime) -> None:
        self._state = state
        self._now = now
        self._writes = transaction()

    def __enter__(self) -> Any:
        self._writes.__enter__()
        claimed = bool(self._state.claimed)
        self._writes.delete(self._state, condition=oauth_state.consume_condition(self._now, claimed=claimed))
        return self._writes

    def __exit__(self, *exc: Any) -> None:
        try:
            self._writes.__exit__(*exc)
        except TransactWriteError as error:
            if 0 in failed_conditions(error):
                raise StateRefused("unknown_or_used", self._state) from error
            raise
