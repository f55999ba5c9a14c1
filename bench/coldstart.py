"""Cold start of every function, as a ratio to a bare handler that creates the same clients.

Two figures per function, each the median of RUNS fresh Python processes:

- init ratio: the handler module's import + module-level init, over the
  baseline's (a module that imports boto3 and creates the function's clients);
- first-request ratio: import + init + the first request (a sample event of
  events/), over the same baseline import + init. Imports moved into the
  handler body are paid here, so moving them cannot hide their cost.

During the first request every AWS call is answered at once by a stub (no
network, no moto: loading moto would pre-import botocore and flatter the
handler): reads return the items seeded below (the sample events' campaign),
writes succeed. Spotify is not called by any first request measured here.

    PYTHONPATH=functions:. .venv/bin/python -m bench.coldstart
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.results import record

ROOT = Path(__file__).resolve().parents[1]
RUNS = 9
SMOKE_RUNS = 1
WARM = 50  # warm requests timed after the first, in one of the processes
SMOKE_WARM = 3
BATCH = 10  # SQS-fed functions are timed warm on a batch of this many records (their BatchSize)
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "DATA_TABLE": "bench-data",
    "EVENTS_TABLE": "bench-events",
    "STATS_TABLE": "bench-stats",
    "CLICK_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench-clicks",
    "POLL_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench-polls",
    "PLAY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench-plays",
    "POLL_FANOUT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench-poll-fanout",
    "TOKEN_KEY_ARN": "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
    "SPOTIFY_CLIENT_ID": "bench-client",
    "SPOTIFY_CLIENT_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench",
    "PUBLIC_API_URL": "https://api.example.test",
    "DASHBOARD_URL": "https://dashboard.example.test",
    "POWERTOOLS_SERVICE_NAME": "soundlink",
    "POWERTOOLS_METRICS_NAMESPACE": "Soundlink",
    "POWERTOOLS_METRICS_DISABLED": "true",
    # As on Lambda: the X-Ray SDK picks its Lambda sampler (no X-Ray client at import) and
    # Powertools' tracer patches the AWS SDK, as it does with Tracing: Active.
    "LAMBDA_TASK_ROOT": str(ROOT / "functions"),
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
}
# function: (its handler module, the clients its module creates at init, its first request's sample event)
FUNCTIONS = {
    "track_click": ("track_click.app", ("dynamodb", "sqs"), "events/track-click.json"),
    "record_clicks": ("record_clicks.app", ("dynamodb",), "events/sqs/record-clicks.json"),
    # Issue 16: the click counters, from the events table's stream (billed_ms_count_clicks for bench.costs).
    "count_clicks": ("count_clicks.app", ("dynamodb",), "events/stream/count-clicks.json"),
    "oauth_callback": ("oauth_callback.app", ("dynamodb", "kms", "sqs"), "events/oauth-callback.json"),
    "campaigns": ("campaigns.app", ("dynamodb",), "events/list-campaigns.json"),
    "analytics": ("analytics.app", ("dynamodb",), "events/campaign-analytics.json"),
    "attribute": ("attribute.app", ("dynamodb", "kms"), "events/sqs/attribute.json"),
    "schedule_polls": ("schedule_polls.app", ("dynamodb", "sqs"), "events/scheduled/schedule-polls.json"),
    "poll_user": ("poll_user.app", ("dynamodb", "kms", "sqs"), "events/sqs/poll-user.json"),
}

# Runs in the fresh process. The stub is installed when botocore.client is first
# imported (by the handler, inside the timed part), so nothing is imported early.
_PROBE = r"""
import importlib, json, statistics, sys, time

from bench.stubs import CALLS, Context, install_on_import

install_on_import(json.loads(sys.argv[3]))
event = json.loads(open(sys.argv[2]).read()) if sys.argv[2] else None
warm = int(sys.argv[4])
started = time.perf_counter()
module = importlib.import_module(sys.argv[1])
initialised = time.perf_counter()
status = None
if event is not None:
    answer = module.handler(event, Context())
    status = answer.get("statusCode") if isinstance(answer, dict) else None
done = time.perf_counter()
warm_seconds = []
CALLS.clear()
for _ in range(warm if event is not None else 0):
    before = time.perf_counter()
    module.handler(event, Context())
    warm_seconds.append(time.perf_counter() - before)
print(json.dumps({
    "init": initialised - started,
    "first": done - started,
    "warm": statistics.median(warm_seconds) if warm_seconds else None,
    "status": status,
    "calls": {f"{service}:{op}": n / max(len(warm_seconds), 1) for (service, op), n in CALLS.items()},
}))
"""


def seeded_items() -> list[dict]:
    """The sample events' campaign and slug as DynamoDB items (serialized by the real models)."""
    from datetime import UTC, datetime

    from bench.samples import sample_campaign
    from soundlink.campaigns.items import campaign_to_item
    from soundlink.platform.tables import SlugClaim

    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    campaign = sample_campaign(
        "6f1c2a3e-5b4d-4c8e-9a7f-0123456789ab", "11111111-2222-3333-4444-555555555555", "k7m2p9q4rx", now
    )
    items = [campaign_to_item(campaign)]
    items.append(SlugClaim(*SlugClaim.key(campaign.slug), campaign_id=campaign.id, created_at=now))
    return [item.serialize() for item in items]


def _baseline_source(clients: tuple[str, ...]) -> str:
    lines = ["import boto3"] + [f"{name} = boto3.client({name!r})" for name in clients]
    return "\n".join(lines) + "\n\ndef handler(event, context):\n    return {'statusCode': 204}\n"


def _run(module: str, event: str, seeded: str, extra_path: Path | None = None, warm: int = 0) -> dict:
    paths = [str(ROOT / "functions"), str(ROOT)] + ([str(extra_path)] if extra_path else [])
    env = {**os.environ, **ENV, "PYTHONPATH": os.pathsep.join(paths)}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, module, event, seeded, str(warm)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{module}: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _batch_event(sample: Path, folder: Path) -> Path:
    """The sample SQS event with BATCH records, each its own message (distinct ids)."""
    event = json.loads(sample.read_text())
    if "Records" not in event:
        return sample
    record_ = event["Records"][0]
    records = []
    if "dynamodb" in record_:  # a stream record: BATCH clicks, each its own record
        for i in range(BATCH):
            copy = json.loads(json.dumps(record_))
            copy["eventID"] = f"{record_['eventID'][:-2]}{i:02d}"
            copy["dynamodb"]["SequenceNumber"] = str(int(record_["dynamodb"]["SequenceNumber"]) + i)
            copy["dynamodb"]["NewImage"]["click_id"]["S"] = (
                f"{record_['dynamodb']['NewImage']['click_id']['S'][:-2]}{i:02d}"
            )
            records.append(copy)
        path = folder / f"batch-{sample.name}"
        path.write_text(json.dumps({**event, "Records": records}))
        return path
    for i in range(BATCH):
        body = json.loads(record_["body"])
        if "id" in body:
            body["id"] = f"{body['id'][:-2]}{i:02d}"
        if "played_at" in body:
            body["played_at"] = body["played_at"].replace(":41.", f":{i:02d}.")
        records.append({**record_, "messageId": f"{record_['messageId'][:-2]}{i:02d}", "body": json.dumps(body)})
    path = folder / f"batch-{sample.name}"
    path.write_text(json.dumps({**event, "Records": records}))
    return path


def network_ms(calls: dict[str, float]) -> float:
    """Time a warm request waits on AWS, from published latencies (bench/prices.py)."""
    from bench import prices

    latency = {"dynamodb": prices.DYNAMODB_MS, "sqs": prices.SQS_MS, "kms": prices.KMS_MS}
    return sum(n * latency.get(name.split(":")[0], prices.DYNAMODB_MS) for name, n in calls.items())


def measure(*, smoke: bool = False, tmp: Path | None = None) -> dict[str, float]:
    import tempfile

    runs = SMOKE_RUNS if smoke else RUNS
    warm = SMOKE_WARM if smoke else WARM
    seeded = json.dumps(seeded_items(), default=lambda b: base64.b64encode(b).decode())
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=tmp) as folder:
        baselines = Path(folder)
        print(f"Cold start per function, median of {runs} fresh processes (ratio to a bare boto3 handler):")
        print(f"  {'function':16s} {'baseline':>9s} {'init':>9s} {'ratio':>6s} {'+1st req':>9s} {'ratio':>6s}  status")
        for name, (module, clients, event) in FUNCTIONS.items():
            baseline_module = f"baseline_{name}"
            (baselines / f"{baseline_module}.py").write_text(_baseline_source(clients))
            base, init, first, status = [], [], [], None
            for _ in range(runs):
                base.append(_run(baseline_module, "", seeded, baselines)["init"])
                measured = _run(module, str(ROOT / event), seeded)
                init.append(measured["init"])
                first.append(measured["first"])
                status = measured["status"]
            b, i, f = statistics.median(base), statistics.median(init), statistics.median(first)
            figures[f"init_ratio_{name}"] = round(i / b, 2)
            figures[f"first_request_ratio_{name}"] = round(f / b, 2)
            steady = _run(module, str(_batch_event(ROOT / event, baselines)), seeded, warm=warm)
            waits = network_ms(steady["calls"])
            # What Lambda bills a warm invocation for: its own work (AWS answered at once) + the waits.
            figures[f"billed_ms_{name}"] = round(steady["warm"] * 1000 + waits, 1)
            print(
                f"  {name:16s} {b * 1000:7.1f}ms {i * 1000:7.1f}ms {i / b:6.2f} {f * 1000:7.1f}ms {f / b:6.2f}"
                f"  {status}   warm {steady['warm'] * 1000:5.1f} ms + waits {waits:5.1f} ms: {steady['calls']}"
            )
    for figure, value in figures.items():
        record(figure, value)
    return figures


def main(*, smoke: bool = False) -> None:
    measure(smoke=smoke)


if __name__ == "__main__":
    main(smoke="--smoke" in sys.argv)
