"""The template's functions, each run by worker processes of its own.

A function's workers are long-lived `local/worker.py` processes (one per
concurrent invocation, like Lambda execution environments) with exactly the
function's environment: os.environ is process-wide, so isolation needs a
process. A worker that crashes, times out or fails to import only fails its
invocation; the next one starts a fresh worker. When a file under the
function's CodeUri changes, idle workers are replaced before the next
invocation, so code changes apply without a restart.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from local.cfn import as_string
from local.logs import compact_handler_line, get_logger
from local.stack import FAKE_CREDENTIALS, LocalStack

log = get_logger("lambda")
WORKER_SCRIPT = Path(__file__).with_name("worker.py")

# Host variables a worker inherits; everything else comes from the template.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")
INIT_TIMEOUT_SECONDS = 30.0
# What an invocation reports when the local cloud stops before or during it.
STOPPING_ERROR = "LocalCloud.Stopping"
STOPPING_MESSAGE = "the local cloud is stopping"


@dataclass(frozen=True)
class FunctionSpec:
    """What the template says about one function, resolved."""

    logical_id: str
    name: str
    arn: str
    handler: str
    code_dir: Path
    runtime: str
    timeout: float
    memory: int
    environment: dict[str, str]
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    reserved_concurrency: int | None = None


class FunctionEvent(NamedTuple):
    """One entry of a function's `Events`."""

    function: str  # logical id
    name: str
    type: str
    properties: dict[str, Any]


def function_events(specs: Mapping[str, FunctionSpec], *types: str) -> Iterator[FunctionEvent]:
    """The events of these functions, only those of `types` when given."""
    for logical_id, spec in specs.items():
        for name, event in spec.events.items():
            kind = str(event.get("Type", ""))
            if not types or kind in types:
                yield FunctionEvent(logical_id, name, kind, event.get("Properties") or {})


def function_specs(stack: LocalStack) -> dict[str, FunctionSpec]:
    """Every runnable function of the stack, by logical id."""
    specs = {}
    for logical_id, resource in stack.of_type("AWS::Serverless::Function").items():
        props = resource.properties
        if props.get("PackageType") == "Image" or "InlineCode" in props:
            log.warning("%s is an image or inline-code function: not run locally", logical_id)
            continue
        code_uri = props.get("CodeUri", ".")
        if not isinstance(code_uri, str):
            log.warning("%s has a CodeUri in S3: not run locally", logical_id)
            continue
        variables = (props.get("Environment") or {}).get("Variables") or {}
        reserved = props.get("ReservedConcurrentExecutions")
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=resource.ref,
            arn=resource.attributes["Arn"],
            handler=str(props.get("Handler", "app.handler")),
            code_dir=(stack.template_dir / code_uri).resolve(),
            runtime=str(props.get("Runtime", "python3.13")),
            timeout=float(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            environment={str(key): as_string(value) for key, value in variables.items()},
            events=props.get("Events") or {},
            reserved_concurrency=int(reserved) if reserved is not None else None,
        )
    return specs


def worker_environment(spec: FunctionSpec, *, endpoint_url: str, region: str) -> dict[str, str]:
    """The environment Lambda would give the function, pointed at moto."""
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env.update(
        {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": FAKE_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIALS["aws_secret_access_key"],
            "AWS_SESSION_TOKEN": "testing",
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "_HANDLER": spec.handler,
            "TZ": ":UTC",
            # No X-Ray daemon locally; a template value still wins.
            "POWERTOOLS_TRACE_DISABLED": "true",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(spec.environment)
    return env


_fingerprints: dict[Path, tuple[float, tuple[int, int, int]]] = {}
_fingerprints_lock = threading.Lock()


def code_fingerprint(code_dir: Path, max_age: float = 0.5) -> tuple[int, int, int]:
    """(newest mtime, file count, total size) of the code; cached for `max_age` seconds."""
    now = time.monotonic()
    with _fingerprints_lock:
        cached = _fingerprints.get(code_dir)
        if cached and now - cached[0] < max_age:
            return cached[1]
    newest = count = size = 0
    for folder, dirs, files in os.walk(code_dir):
        dirs[:] = [name for name in dirs if not name.startswith(".") and name != "__pycache__"]
        for name in files:
            if name.endswith((".pyc", ".pyo")):
                continue
            try:
                stat = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            newest, count, size = max(newest, stat.st_mtime_ns), count + 1, size + stat.st_size
    fingerprint = (newest, count, size)
    with _fingerprints_lock:
        _fingerprints[code_dir] = (now, fingerprint)
    return fingerprint


@dataclass
class Invocation:
    """The outcome of one invocation, as Lambda reports it."""

    function: str
    request_id: str
    ok: bool
    payload: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0
    init_ms: float | None = None

    @property
    def summary(self) -> str:
        if self.ok:
            return "ok"
        error = self.error or {}
        return f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}".strip()


class _Worker:
    """One worker process: one invocation at a time."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str], fingerprint: tuple[int, int, int]) -> None:
        self.spec = spec
        self.fingerprint = fingerprint
        self.log = get_logger(f"fn.{spec.logical_id}")
        self._answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-B", str(WORKER_SCRIPT), str(spec.code_dir), spec.handler],
            cwd=spec.code_dir,
            env={**env, "AWS_LAMBDA_LOG_STREAM_NAME": f"local/[$LATEST]{uuid.uuid4().hex}"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
        name = f"worker-{spec.logical_id}-{self.process.pid}"
        threading.Thread(target=self._read_answers, name=name + "-out", daemon=True).start()
        threading.Thread(target=self._read_log, name=name + "-log", daemon=True).start()
        self.initialised = False
        self.init_ms: float | None = None
        self._spawned = time.monotonic()

    def _read_answers(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                self._answers.put(json.loads(line))
            except ValueError:
                self.log.warning("unreadable answer from the worker: %.200s", line)
        self._answers.put(None)

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if not line.strip():
                continue
            level, text = compact_handler_line(line)
            # The line as the handler wrote it travels along, for scans of everything logged.
            self.log.log(level, "%s", text, extra={"handler_line": line.rstrip("\n")})

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def _next_answer(self, deadline: float) -> dict[str, Any] | None:
        """The next answer; None if the worker died; raises TimeoutError at the deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        try:
            return self._answers.get(timeout=remaining)
        except queue.Empty:
            raise TimeoutError from None

    def initialise(self) -> dict[str, Any] | None:
        """Wait for the handler's import; returns an error document if it failed."""
        try:
            answer = self._next_answer(time.monotonic() + INIT_TIMEOUT_SECONDS)
        except TimeoutError:
            self.stop()
            return {"errorType": "Runtime.InitTimeout", "errorMessage": "init took too long"}
        if answer is None:
            return {"errorType": "Runtime.ExitError", "errorMessage": self._exit_message()}
        if answer.get("kind") == "init_error":
            self.stop()
            return answer["error"]
        self.initialised = True
        # Process start included: that is what a cold start costs here.
        self.init_ms = round((time.monotonic() - self._spawned) * 1000)
        return None

    def _exit_message(self) -> str:
        try:
            code = self.process.wait(2)
        except subprocess.TimeoutExpired:
            code = None
        return f"the worker exited (exit code {code}) during the invocation"

    def invoke(self, event: Any, request_id: str) -> tuple[bool, Any]:
        """(ok, payload or error document)."""
        deadline_epoch_ms = int(time.time() * 1000 + self.spec.timeout * 1000)
        request = {
            "event": event,
            "request_id": request_id,
            "deadline_ms": deadline_epoch_ms,
            "invoked_function_arn": self.spec.arn,
        }
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return False, {"errorType": "Runtime.ExitError", "errorMessage": self._exit_message()}
        try:
            answer = self._next_answer(time.monotonic() + self.spec.timeout + 0.1)
        except TimeoutError:
            self.stop(kill=True)
            return False, {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"Task timed out after {self.spec.timeout:.2f} seconds",
            }
        if answer is None:
            return False, {"errorType": "Runtime.ExitError", "errorMessage": self._exit_message()}
        if answer.get("kind") == "result":
            return True, answer.get("payload")
        return False, answer.get("error") or {"errorType": "Unknown", "errorMessage": "no error document"}

    def stop(self, kill: bool = False, timeout: float = 3.0) -> None:
        if self.process.poll() is not None:
            return
        if kill:
            self.kill()
        else:
            self.close_input()  # the worker's loop ends at EOF
        self.wait_or_kill(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self._signal(signal.SIGKILL)

    def close_input(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            assert self.process.stdin is not None
            self.process.stdin.close()

    def wait_or_kill(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the worker to exit, then kill its process group."""
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(3.0)

    def _signal(self, signum: int) -> None:
        # The worker leads its own process group: take its children too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)


class FunctionRuntime:
    """The workers of one function and its invocations."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str], max_workers: int = 4) -> None:
        self.spec = spec
        self.env = env
        self.max_workers = max(1, min(max_workers, spec.reserved_concurrency or max_workers))
        self._workers: set[_Worker] = set()  # every worker, idle or busy
        self._idle: list[_Worker] = []
        self._lock = threading.Condition()
        self._stopped = False
        self._last_fingerprint: tuple[int, int, int] | None = None

    def worker_pids(self) -> list[int]:
        """Process ids of every worker, idle or busy."""
        with self._lock:
            return [worker.process.pid for worker in self._workers]

    def _acquire(self, wait_seconds: float) -> _Worker | None:
        fingerprint = code_fingerprint(self.spec.code_dir)
        deadline = time.monotonic() + wait_seconds
        with self._lock:
            if self._last_fingerprint is not None and fingerprint != self._last_fingerprint:
                log.info(
                    "code changed under %s: %s starts fresh workers", self.spec.code_dir.name, self.spec.logical_id
                )
            self._last_fingerprint = fingerprint
            stale = [worker for worker in self._idle if worker.fingerprint != fingerprint or not worker.alive]
            self._idle = [worker for worker in self._idle if worker not in stale]
            self._workers.difference_update(stale)
            while not self._idle and len(self._workers) >= self.max_workers:
                remaining = deadline - time.monotonic()
                if self._stopped or remaining <= 0:
                    break
                self._lock.wait(remaining)
            if self._stopped:
                worker = None
            elif self._idle:
                worker = self._idle.pop()
            elif len(self._workers) < self.max_workers:
                worker = _Worker(self.spec, self.env, fingerprint)
                self._workers.add(worker)
            else:
                worker = None
        for old in stale:
            old.stop()
        return worker

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            keep = worker.alive and worker.initialised and not self._stopped
            if keep:
                self._idle.append(worker)
            else:
                self._workers.discard(worker)
            self._lock.notify()
        if not keep:
            worker.stop()

    def _failed(self, request_id: str, error_type: str, message: str) -> Invocation:
        return Invocation(
            self.spec.logical_id, request_id, False, error={"errorType": error_type, "errorMessage": message}
        )

    def invoke(self, event: Any, *, request_id: str | None = None, source: str = "") -> Invocation:
        """Run the handler on `event`; errors, crashes and timeouts are results, never raised."""
        request_id = request_id or str(uuid.uuid4())
        via = f" [{source}]" if source else ""
        started = time.monotonic()
        worker = self._acquire(wait_seconds=self.spec.timeout + 30)
        if worker is None:
            if self._stopped:
                log.info("%s not invoked: the local cloud is stopping%s", self.spec.logical_id, via)
                return self._failed(request_id, STOPPING_ERROR, STOPPING_MESSAGE)
            log.warning("%s throttled (%d workers busy)", self.spec.logical_id, self.max_workers)
            return self._failed(request_id, "TooManyRequestsException", "Rate Exceeded.")
        init_ms = None
        try:
            if not worker.initialised:
                init_error = worker.initialise()
                init_ms = worker.init_ms
                if init_error is not None:
                    ok, payload = False, init_error
                else:
                    ok, payload = worker.invoke(event, request_id)
            else:
                ok, payload = worker.invoke(event, request_id)
        finally:
            self._release(worker)
        if not ok and self._stopped:
            # Ended by stop(): not the handler's failure.
            log.info("%s stopped mid-invocation: the local cloud is stopping%s", self.spec.logical_id, via)
            return self._failed(request_id, STOPPING_ERROR, STOPPING_MESSAGE)
        duration = (time.monotonic() - started) * 1000
        invocation = Invocation(
            self.spec.logical_id,
            request_id,
            ok,
            payload=payload if ok else None,
            error=None if ok else payload,
            duration_ms=duration,
            init_ms=init_ms,
        )
        cold = f" (cold start, init {init_ms}ms)" if init_ms is not None else ""
        if ok:
            log.info("%s %.0fms ok%s%s", self.spec.logical_id, duration, cold, via)
        else:
            log.error("%s %.0fms %s%s%s", self.spec.logical_id, duration, invocation.summary, cold, via)
        return invocation

    def stop(self, grace: float = 2.0) -> None:
        """End every worker: busy ones at once (their process group is killed),
        idle ones at the end of their input, killed after `grace` seconds."""
        with self._lock:
            self._stopped = True
            idle, self._idle = self._idle, []
            busy = [worker for worker in self._workers if worker not in idle]
            self._workers.clear()
            self._lock.notify_all()
        for worker in busy:
            worker.kill()
        for worker in idle:
            worker.close_input()
        deadline = time.monotonic() + grace
        for worker in busy + idle:
            worker.wait_or_kill(max(0.0, deadline - time.monotonic()))

    def kill_now(self) -> None:
        """SIGKILL every worker's process group, without waiting or locking (a forced exit)."""
        for worker in list(self._workers) + list(self._idle):
            worker.kill()


class Functions:
    """Every function of the stack, by logical id (also found by name or ARN)."""

    def __init__(self, specs: Mapping[str, FunctionSpec], *, endpoint_url: str, region: str, max_workers: int = 4):
        self.runtimes = {
            logical_id: FunctionRuntime(
                spec, worker_environment(spec, endpoint_url=endpoint_url, region=region), max_workers
            )
            for logical_id, spec in specs.items()
        }

    @property
    def specs(self) -> dict[str, FunctionSpec]:
        return {logical_id: runtime.spec for logical_id, runtime in self.runtimes.items()}

    def __contains__(self, name: str) -> bool:
        return self.find(name) is not None

    def find(self, name: str) -> FunctionRuntime | None:
        if name in self.runtimes:
            return self.runtimes[name]
        for runtime in self.runtimes.values():
            if name in (runtime.spec.name, runtime.spec.arn):
                return runtime
        return None

    def get(self, name: str) -> FunctionRuntime:
        runtime = self.find(name)
        if runtime is None:
            raise KeyError(f"no function {name!r} in the template (known: {', '.join(self.runtimes)})")
        return runtime

    def invoke(self, name: str, event: Any, *, source: str = "") -> Invocation:
        return self.get(name).invoke(event, source=source)

    def stop(self, grace: float = 2.0) -> None:
        """Stop every function's workers (in parallel: each waits up to `grace` seconds)."""
        threads = [
            threading.Thread(target=runtime.stop, args=(grace,), name=f"stop-{logical_id}", daemon=True)
            for logical_id, runtime in self.runtimes.items()
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + grace + 5
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def kill_now(self) -> None:
        """SIGKILL every worker at once (a forced exit)."""
        for runtime in self.runtimes.values():
            runtime.kill_now()
