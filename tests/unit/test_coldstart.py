"""The init phase's collector thresholds (soundlink.platform.coldstart): raised from a handler
package's import to the end of its app module, then restored; frozen only on Lambda."""

from __future__ import annotations

import ast
import gc
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from soundlink.platform import coldstart

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Collector:
    thresholds: list[tuple[int, ...]] = field(default_factory=lambda: [(700, 10, 10)])
    frozen: int = 0

    @property
    def threshold(self) -> tuple[int, ...]:
        return self.thresholds[-1]


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Collector:
    """gc's thresholds and freeze, recorded instead of changed for the test process."""
    recorded = Collector()
    monkeypatch.setattr(coldstart, "_saved", None)
    monkeypatch.setattr(gc, "get_threshold", lambda: recorded.threshold)
    monkeypatch.setattr(gc, "set_threshold", lambda *values: recorded.thresholds.append(values))
    monkeypatch.setattr(gc, "freeze", lambda: setattr(recorded, "frozen", recorded.frozen + 1))
    return recorded


def test_init_collects_rarely_and_then_as_before(collector: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    coldstart.begin()
    assert collector.threshold == (coldstart.INIT_THRESHOLD, 10, 10)
    coldstart.done()
    assert collector.threshold == (700, 10, 10)
    assert collector.frozen == 0  # outside Lambda nothing is frozen: a test process keeps collecting all


def test_on_lambda_what_init_allocated_is_frozen(collector: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    coldstart.begin()
    coldstart.done()
    assert collector.frozen == 1
    assert collector.threshold == (700, 10, 10)


def test_a_second_begin_keeps_the_thresholds_to_restore(collector: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two handler packages imported in one process (tests, the owner API's /openapi.json).
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    coldstart.begin()
    coldstart.begin()
    coldstart.done()
    assert collector.threshold == (700, 10, 10)


def test_done_without_begin_changes_no_threshold(collector: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    # A test reloading app.py runs done() again; its package's begin() ran once, long before.
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    coldstart.done()
    assert collector.thresholds == [(700, 10, 10)]


def test_a_load_during_a_request_collects_rarely_then_freezes_what_it_loaded(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    with coldstart.loading():
        assert collector.threshold == (coldstart.INIT_THRESHOLD, 10, 10)
        assert collector.frozen == 0
    assert collector.frozen == 1
    assert collector.threshold == (700, 10, 10)


def test_a_failed_load_restores_the_thresholds(collector: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    with pytest.raises(OSError), coldstart.loading():
        raise OSError("data file missing")
    assert collector.threshold == (700, 10, 10)


def test_a_load_during_init_leaves_init_to_its_end(collector: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    coldstart.begin()
    with coldstart.loading():
        pass
    assert collector.threshold == (coldstart.INIT_THRESHOLD, 10, 10)  # still init: app.py's done() ends it
    assert collector.frozen == 0
    coldstart.done()
    assert (collector.threshold, collector.frozen) == ((700, 10, 10), 1)


FUNCTIONS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_handler_package_begins_init_first_and_its_app_module_ends_it(function: str) -> None:
    """A function added without the pair would pay the collector's walks again, and one that only
    begins would collect rarely for its container's whole life."""
    package = ast.parse((ROOT / "functions" / function / "__init__.py").read_text())
    first_calls = [node for node in package.body if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)]
    assert first_calls and ast.unparse(first_calls[0]) == "coldstart.begin()", function
    app = ast.parse((ROOT / "functions" / function / "app.py").read_text())
    assert ast.unparse(app.body[-1]) == "coldstart.done()", function


def test_the_functions_found_are_the_templates() -> None:
    handlers = re.findall(r"Handler: (\w+)\.app\.handler", (ROOT / "template.yaml").read_text())
    assert set(handlers) == set(FUNCTIONS)
