"""What each handler loads at cold start (Lambda's init phase: imports and module-level clients).

A listener waits for the tracker's cold start, and every function pays its own, so a new
import at module level must be a decision: these lists change only in a commit that says why.
Third-party packages are the ones that cost (``make bench`` times them as a ratio to a bare
boto3 handler); soundlink modules are listed so a move that drags a concept into a handler
shows here. The regrouping of soundlink (issue 12) kept every third-party set as it was.

Issue 13 (landing page, integrity) added soundlink modules only, no third-party package: the
tracker loads the landing page (tracking.landing), the language of the request
(platform.i18n: the standard library's gettext, one catalogue read on first use), the
hourly limit of connects (tracking.rate, which names its counter's hour with
platform.counters) and the CloudFront origin check (tracking.origin); record_clicks the
hourly limit of views; the callback function the rate module through tracking.recording
(which the consent's breakdown values come from), i18n for its pages and the origin check.

Issue 17 (fans checks) added soundlink modules only: the callback, attribute and poll_user
load attribution.fans_jobs (the check's message) and attribution.fans (the counting rules,
pynamodb only, with attribution.saved_tracks: the per-track SAVED# counters, nothing heavier; the
analytics and campaigns functions read those counters through it too);
attribute polling.fanout (SendMessageBatch of the re-checks); poll_user
polling.fans_checks with the playlist catalogue it asks about (attribution.playlists,
campaigns.owner_spotify) and the library scopes (tracking.oauth_state).
Issue 15 (settings, account deletion): the campaigns function loads the settings' rules and
shapes (owners.preferences, owners.schemas: the standard library's zoneinfo, pydantic it had);
the deletion (owners.deletion, listeners.deletion, the Cognito client) only inside DELETE /owner.
Issue 16 (lean cold starts): every handler loads platform.coldstart first, from its package's
``__init__.py`` (the collector's thresholds during init, standard library only); the owner API
and analytics load platform.schema (the deferred pydantic base of their models, pydantic they
had). The owner API no longer loads Powertools' OpenAPI models at init: only GET /openapi.json does.
The attribute function calls Spotify only to refresh a campaign playlist (at most every 10 minutes
each; plays are otherwise attributed from the cached snapshot), so the Spotify client (requests),
its credentials and the token cipher (cryptography) load on the first refresh, not at init.
Issue 15 (flat reads): analytics.ranges reads settled days from their roll-ups (analytics.rollups:
the standard library's json and zlib), so the analytics and campaigns functions load it.
Issue 15 (people in a range): attribute, analytics and campaigns (through the report) load
platform.people, the days' listener sketches: pynamodb only at cold start; datasketches (and
the numpy it loads, ~0.1 s) is imported inside the functions that add to or merge a sketch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "DATA_TABLE": "data",
    "EVENTS_TABLE": "events",
    "STATS_TABLE": "stats",
    "CLICK_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/clicks",
    "POLL_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/polls",
    "PLAY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/plays",
    "SPOTIFY_CLIENT_ID": "client",
    "PUBLIC_API_URL": "https://api.example.test",
    "POWERTOOLS_SERVICE_NAME": "soundlink",
    "POWERTOOLS_METRICS_NAMESPACE": "Soundlink",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
_PROBE = (
    "import importlib, json, sys; before = set(sys.modules); importlib.import_module(sys.argv[1]); "
    "print(json.dumps(sorted(set(sys.modules) - before)))"
)

THIRD_PARTY = {
    "track_click": frozenset(
        {
            "aws_lambda_powertools",
            "blinker",
            "boto3",
            "botocore",
            "certifi",
            "crawleruseragents",
            "dateutil",
            "jmespath",
            "pynamodb",
            "s3transfer",
            "six",
            "typing_extensions",
            "urllib3",
        }
    ),
    "record_clicks": frozenset(
        {
            "aws_lambda_powertools",
            "aws_xray_sdk",
            "blinker",
            "botocore",
            "certifi",
            "crawleruseragents",
            "dateutil",
            "jmespath",
            "pynamodb",
            "six",
            "typing_extensions",
            "urllib3",
            "wrapt",
        }
    ),
    "count_clicks": frozenset(
        {
            "aws_lambda_powertools",
            "aws_xray_sdk",
            "blinker",
            "botocore",
            "certifi",
            "dateutil",
            "jmespath",
            "pynamodb",
            "six",
            "typing_extensions",
            "urllib3",
            "wrapt",
        }
    ),
    "oauth_callback": frozenset(
        {
            "aws_lambda_powertools",
            "aws_xray_sdk",
            "blinker",
            "boto3",
            "botocore",
            "certifi",
            "charset_normalizer",
            "crawleruseragents",
            "cryptography",
            "dateutil",
            "idna",
            "jmespath",
            "pynamodb",
            "requests",
            "s3transfer",
            "six",
            "typing_extensions",
            "urllib3",
            "wrapt",
        }
    ),
    "campaigns": frozenset(
        {
            "annotated_types",
            "aws_lambda_powertools",
            "aws_xray_sdk",
            "blinker",
            "botocore",
            "certifi",
            "dateutil",
            "jmespath",
            "pydantic",
            "pydantic_core",
            "pynamodb",
            "six",
            "typing_extensions",
            "typing_inspection",
            "urllib3",
            "wrapt",
        }
    ),
    "analytics": frozenset(
        {
            "annotated_types",
            "aws_lambda_powertools",
            "aws_xray_sdk",
            "blinker",
            "botocore",
            "certifi",
            "dateutil",
            "jmespath",
            "pydantic",
            "pydantic_core",
            "pynamodb",
            "six",
            "typing_extensions",
            "typing_inspection",
            "urllib3",
            "wrapt",
        }
    ),
    "attribute": frozenset(
        {
            "aws_lambda_powertools",
            "aws_xray_sdk",
            "blinker",
            "boto3",
            "botocore",
            "certifi",
            "dateutil",
            "jmespath",
            "pynamodb",
            "s3transfer",
            "six",
            "typing_extensions",
            "urllib3",
            "wrapt",
        }
    ),
    "schedule_polls": frozenset(
        {
            "aws_lambda_powertools",
            "aws_xray_sdk",
            "blinker",
            "boto3",
            "botocore",
            "certifi",
            "dateutil",
            "jmespath",
            "pynamodb",
            "s3transfer",
            "six",
            "typing_extensions",
            "urllib3",
            "wrapt",
        }
    ),
    "poll_user": frozenset(
        {
            "aws_lambda_powertools",
            "aws_xray_sdk",
            "blinker",
            "boto3",
            "botocore",
            "certifi",
            "charset_normalizer",
            "cryptography",
            "dateutil",
            "idna",
            "jmespath",
            "pynamodb",
            "requests",
            "s3transfer",
            "six",
            "typing_extensions",
            "urllib3",
            "wrapt",
        }
    ),
}

SOUNDLINK = {
    "track_click": (
        "campaigns.campaign",
        "campaigns.items",
        "campaigns.playlist_ref",
        "campaigns.spend",
        "platform.coldstart",
        "platform.counters",
        "platform.errors",
        "platform.i18n",
        "platform.pages",
        "platform.settings",
        "platform.tables",
        "spotify.oauth",
        "tracking.classify",
        "tracking.clicks",
        "tracking.landing",
        "tracking.oauth_state",
        "tracking.origin",
        "tracking.rate",
        "tracking.tracker",
        "tracking.visitors",
    ),
    "record_clicks": (
        "platform.coldstart",
        "platform.counters",
        "platform.observability",
        "platform.settings",
        "platform.tables",
        "tracking.classify",
        "tracking.clicks",
        "tracking.devices",
        "tracking.geo",
        "tracking.rate",
        "tracking.recording",
        "tracking.visitors",
    ),
    # Issue 16: the click counters moved from the stream; this function loads nothing of a click but its
    # stored item (platform.tables) and the counters it sums (platform.counters) in transactions.
    "count_clicks": (
        "platform.coldstart",
        "platform.counters",
        "platform.observability",
        "platform.settings",
        "platform.tables",
        "platform.transactions",
        "tracking.counting",
    ),
    "oauth_callback": (
        "attribution.fans",
        "attribution.fans_jobs",
        "attribution.saved_tracks",
        "campaigns.owner_spotify",
        "consent.answers",
        "consent.callback",
        "consent.consume",
        "consent.disconnect",
        "consent.listener",
        "consent.owner",
        "consent.privacy",
        "listeners.deletion",
        "listeners.followed",
        "listeners.links",
        "platform.coldstart",
        "platform.counters",
        "platform.i18n",
        "platform.observability",
        "platform.pages",
        "platform.settings",
        "platform.tables",
        "platform.transactions",
        "spotify.accounts",
        "spotify.api",
        "spotify.config",
        "spotify.credentials",
        "spotify.errors",
        "spotify.models",
        "spotify.oauth",
        "spotify.parsing",
        "spotify.responses",
        "spotify.transport",
        "tokens.cipher",
        "tokens.sealed",
        "tracking.classify",
        "tracking.clicks",
        "tracking.devices",
        "tracking.geo",
        "tracking.oauth_state",
        "tracking.origin",
        "tracking.rate",
        "tracking.recording",
        "tracking.visitors",
    ),
    "campaigns": (
        "analytics.cost",
        "analytics.listing",
        "analytics.ranges",
        "analytics.report",
        "analytics.rollups",
        "analytics.schemas",
        "analytics.zoned",
        "attribution.cohorts",
        "attribution.rules",
        "attribution.saved_tracks",
        "campaigns.campaign",
        "campaigns.items",
        "campaigns.owner_spotify",
        "campaigns.playlist_ref",
        "campaigns.repository",
        "campaigns.schemas",
        "campaigns.service",
        "campaigns.spend",
        "listeners.followed",
        "owners.preferences",
        "owners.schemas",
        "platform.coldstart",
        "platform.counters",
        "platform.errors",
        "platform.health",
        "platform.http",
        "platform.observability",
        "platform.people",
        "platform.schema",
        "platform.settings",
        "platform.tables",
        "platform.transactions",
        "spotify.oauth",
        "tracking.oauth_state",
    ),
    "analytics": (
        "analytics.clicks_export",
        "analytics.cost",
        "analytics.csv_parts",
        "analytics.export",
        "analytics.ranges",
        "analytics.report",
        "analytics.rollups",
        "analytics.schemas",
        "analytics.zoned",
        "attribution.cohorts",
        "attribution.rules",
        "attribution.saved_tracks",
        "campaigns.campaign",
        "campaigns.items",
        "campaigns.playlist_ref",
        "campaigns.repository",
        "campaigns.service",
        "campaigns.spend",
        "listeners.followed",
        "platform.coldstart",
        "platform.counters",
        "platform.errors",
        "platform.http",
        "platform.observability",
        "platform.people",
        "platform.schema",
        "platform.settings",
        "platform.tables",
        "platform.transactions",
    ),
    "attribute": (
        "attribution.cohorts",
        "attribution.fans",
        "attribution.fans_jobs",
        "attribution.playlists",
        "attribution.plays",
        "attribution.rules",
        "attribution.saved_tracks",
        "attribution.service",
        "attribution.writer",
        "campaigns.campaign",
        "campaigns.items",
        "campaigns.owner_spotify",
        "campaigns.playlist_ref",
        "campaigns.spend",
        "listeners.links",
        "platform.coldstart",
        "platform.counters",
        "platform.errors",
        "platform.observability",
        "platform.people",
        "platform.settings",
        "platform.tables",
        "platform.transactions",
        "polling.fanout",
        "spotify.config",
        "spotify.errors",
    ),
    "schedule_polls": (
        "listeners.links",
        "platform.coldstart",
        "platform.counters",
        "platform.observability",
        "platform.settings",
        "platform.tables",
        "platform.transactions",
        "polling.fanout",
    ),
    "poll_user": (
        "attribution.fans",
        "attribution.fans_jobs",
        "attribution.playlists",
        "attribution.saved_tracks",
        "campaigns.owner_spotify",
        "listeners.links",
        "platform.coldstart",
        "platform.counters",
        "platform.observability",
        "platform.settings",
        "platform.tables",
        "platform.transactions",
        "polling.backoff",
        "polling.cadence",
        "polling.fanout",
        "polling.fans_checks",
        "polling.poller",
        "spotify.accounts",
        "spotify.api",
        "spotify.config",
        "spotify.credentials",
        "spotify.errors",
        "spotify.models",
        "spotify.oauth",
        "spotify.parsing",
        "spotify.responses",
        "spotify.transport",
        "tokens.cipher",
        "tokens.sealed",
        "tracking.oauth_state",
    ),
}


def _loaded(handler: str, **overrides: str) -> list[str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT / "functions"), **ENV, **overrides}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, f"{handler}.app"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("handler", sorted(SOUNDLINK))
def test_a_handler_loads_at_cold_start_only_what_is_listed(handler: str) -> None:
    loaded = _loaded(handler)
    tops = {name.split(".")[0] for name in loaded}
    third_party = {
        name for name in tops - set(sys.stdlib_module_names) - {"soundlink", handler} if not name.startswith("_")
    } - {"cython_runtime"}
    assert third_party == THIRD_PARTY[handler]
    # Package __init__ modules are docstrings only; the modules with code are what count.
    modules = tuple(
        name.removeprefix("soundlink.")
        for name in loaded
        if name.startswith("soundlink.") and "." in name.removeprefix("soundlink.")
    )
    assert modules == SOUNDLINK[handler]


# As on Lambda with Tracing: Active: the tracer patches at import.
TRACING_ON = {
    "POWERTOOLS_TRACE_DISABLED": "false",
    "LAMBDA_TASK_ROOT": str(ROOT / "functions"),
    "AWS_LAMBDA_FUNCTION_NAME": "probe",
    "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
}


@pytest.mark.parametrize("handler", ["schedule_polls", "record_clicks", "poll_user"])
def test_with_tracing_on_only_the_aws_sdk_and_the_spotify_client_are_patched(handler: str) -> None:
    """Powertools' default patches every library the X-Ray SDK knows, importing each (~70 ms)."""
    loaded = set(_loaded(handler, **TRACING_ON))
    assert "aws_xray_sdk.ext.botocore.patch" in loaded
    assert not {"sqlite3", "aws_xray_sdk.ext.sqlite3.patch", "aws_xray_sdk.ext.httpx.patch"} & loaded
    calls_spotify = handler == "poll_user"
    assert ("aws_xray_sdk.ext.requests.patch" in loaded) is calls_spotify
    assert ("requests" in loaded) is calls_spotify


def test_the_tracker_loads_no_http_client_pydantic_cipher_or_tracer() -> None:
    assert not {"requests", "pydantic", "cryptography", "ua_parser", "aws_xray_sdk"} & THIRD_PARTY["track_click"]


def test_the_owner_api_loads_the_openapi_models_only_for_its_document() -> None:
    """Powertools' OpenAPI models are ~100 ms of pydantic classes; validation needs none of them."""
    for handler in ("campaigns", "analytics"):
        assert "aws_lambda_powertools.event_handler.openapi.models" not in _loaded(handler)


_BUILT = (
    "import importlib, json, sys, pydantic; importlib.import_module(sys.argv[1]); "
    "print(json.dumps(sorted(f'{c.__module__}.{c.__qualname__}' for c in pydantic.BaseModel.__subclasses__() "
    "for c in [c, *c.__subclasses__()] if c.__module__.startswith(('soundlink', 'campaigns', 'analytics')) "
    "and c.__pydantic_complete__)))"
)


@pytest.mark.parametrize("handler", ["campaigns", "analytics"])
def test_no_model_of_the_api_is_built_at_init(handler: str) -> None:
    """Each model's validator is built by the first request that uses it (platform.schema)."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT / "functions"), **ENV}
    out = subprocess.run(
        [sys.executable, "-c", _BUILT, f"{handler}.app"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []
