"""Lambda's init phase without the garbage collector's repeated walks of the heap.

A cold start only allocates what lives as long as the container: modules, classes,
clients, models. CPython's cyclic collector still runs during it, and each full collection
walks every object allocated so far; once botocore has loaded its service models that is
~30 ms a collection, several times per init (measured with bench/coldstart.py: a quarter of
a handler's init over a bare boto3 handler). So the handler package raises the first
generation's threshold before anything is imported (`begin`, in each handler's
``__init__.py``), and the end of its ``app.py`` (`done`) restores the thresholds and, on
Lambda, freezes what init allocated: the collector then never walks those objects again,
in the first request or any later one. Nothing is disabled: the collector still runs,
rarely, during init; and outside Lambda (tests, scripts) nothing is frozen, so a test
process that reloads handlers keeps collecting everything as usual.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

# Collections of the youngest generation during init: one per this many allocations (default 700).
INIT_THRESHOLD = 100_000
_saved: tuple[int, ...] | None = None


def begin() -> None:
    """Collect rarely from now on, until `done` (the first call saves the thresholds to restore)."""
    global _saved
    if _saved is None:
        _saved = gc.get_threshold()
        gc.set_threshold(INIT_THRESHOLD, *_saved[1:])


def done() -> None:
    """Init is over: on Lambda, freeze what it allocated; collect as usual again."""
    global _saved
    if os.environ.get("LAMBDA_TASK_ROOT"):
        gc.freeze()
    if _saved is not None:
        gc.set_threshold(*_saved)
        _saved = None


@contextmanager
def loading() -> Iterator[None]:
    """A one-off load of data kept for the container's life (parsing rules, an IP table) during a
    request: collect rarely meanwhile, as during init, and on Lambda freeze what it loaded."""
    global _saved
    if _saved is not None:  # still in init: begin() already did this
        yield
        return
    begin()
    try:
        yield
    finally:
        done()
