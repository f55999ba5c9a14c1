"""What one analytics request reads, counted (not estimated): does it grow with the plays?

GET /campaigns/{id}/analytics is called in-process (functions/analytics/app.py's
handler, an API Gateway payload-2.0 event carrying the owner's JWT claims)
against moto, tables from template.yaml, for a campaign with 100 attributed
plays and one with 100,000; every DynamoDB request is counted by wrapping
botocore's BaseClient._make_api_call, with the items each answer returned
(Query's Count, GetItem's Item, BatchGetItem's Responses) and their size as
DynamoDB counts it (attribute names + values; numbers about one byte per two
digits), from which the read units are estimated (4 KB units, halved for
eventually consistent reads). moto pages a Query at 1 MB like DynamoDB, so a
counter range that outgrows a page costs another request here too.
Three ranges: the default (the whole campaign: created 60 days ago, plays over
the last 30), 7 days of day points in Europe/Paris (from hour counters), and
2 days of hour points. Each is asked twice: the first request rolls up the
range's settled days (analytics/rollups.py: one ROLLUP# item per UTC day ended
more than 2 hours ago, written by the read that finds it missing), the second
reads those roll-ups and the raw shards of the unsettled days only; the
second is the figure kept (what every later look at the page costs). The
100,000-play campaign has more tracks (100 vs 20), referrers (40 vs 5) and
countries (20 vs 6) than the 100-play one.

How the counters are built:
- 100 plays: the real pipeline. Campaign stored by DynamoCampaignRepository,
  10 listeners linked by soundlink.listeners.links.connect (click dimensions on the
  link), 10 plays each over the last 30 days attributed one by one by
  soundlink.attribution.service.Attributor (its rules, transactions and
  counters; playlists from a fake with PlaylistTracks' interface).
  Listener states are moved by listeners.move_link_state.
- 100,000 plays: attributing one by one through moto takes far too long, so
  the counter items the same code would write are computed in Python and
  written with BatchWriteItem. For each synthetic play (spread over the last
  30 days, 5,000 listeners, 20 tracks, a few referrers/UTM values/devices/
  browsers/countries per listener, confidences over all 10 buckets, credit
  under the 4 models, a fifth of the plays shared with a sibling campaign so
  credits are fractional) the same keys are built as Attributor._write builds
  them: soundlink.platform.counters.counter_sort_keys (TOTAL, HOUR, DAY, and per
  day a DIM per click dimension) with the shard from counters.shard_of(event id "{account}#{played
  at, ms}"), plus per day CONF#{bucket}, TRACK#{track} (name and artists set) and
  MODEL#{model}#C{bucket} on the same shard; the same counts (attributed
  plays, first attribution of the listener, of the listener on the track, new
  listeners, credit per model and credit x confidence), zeros skipped as
  add_to skips them, summed as DynamoDB's ADD sums them (38 digits). To show
  the shortcut is faithful, the same accumulator is first run over the 100
  plays Attributor wrote (read back from their attributions; attributed now, so
  plays of settled days also mark their day's roll-up, counters.late_marker,
  where the 100,000 plays count as attributed when played and mark nothing) and
  its items are compared with the StatsTable items Attributor produced.
- Campaigns list: GET /campaigns?limit=100 (campaigns function) for an owner
  with 10 and one with 100 campaigns (campaign items as the repository stores
  them, written by BatchWriteItem), each with its 8 TOTAL shards written; the
  headline numbers come from BatchGetItem (100 keys a request).

Figures only, nothing is asserted.

    PYTHONPATH=functions:. .venv/bin/python -m bench.analytics
"""

from __future__ import annotations

import importlib
import json
import math
import os
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any

from bench.results import record
from bench.tracker import ENV

OWNER = "bench-owner"
PLAYLIST = "37i9dQZF1DXcBWIGoYBM5M"
OTHER_PLAYLIST = "0000000000000000000002"
BIG_PLAYS = 100_000
BIG_LISTENERS = 5_000
SMALL_LISTENERS = 10
SMALL_PLAYS_EACH = 10
TRACKS = [f"{i:02d}benchTrack{'x' * 9}{i:02d}"[:22] for i in range(20)]  # 22 characters, as Spotify's ids
REFERRERS = ["t.co", "instagram.com", "l.facebook.com", "www.tiktok.com", ""]
UTM_SOURCES = ["newsletter", "instagram", "tiktok", ""]
UTM_MEDIUMS = ["social", "email", ""]
UTM_CAMPAIGNS = ["spring-launch", "tour", ""]
DEVICES = ["mobile", "desktop", "tablet"]
BROWSERS = ["Mobile Safari", "Chrome Mobile", "Chrome", "Firefox"]
OSES = ["iOS", "Android", "Windows", "Mac OS X"]
COUNTRIES = ["US", "GB", "DE", "FR", "BR", "JP"]
# The 100,000-play campaign has more of each, so that flat reads mean something.
BIG_TRACKS = [f"{i:03d}benchTrack{'y' * 9}{i:03d}"[:22] for i in range(100)]
BIG_REFERRERS = [*REFERRERS, *(f"site{i}.example" for i in range(35))]
BIG_COUNTRIES = [*COUNTRIES, "IT", "ES", "NL", "SE", "PL", "MX", "CA", "AU", "IN", "KR", "AR", "CL", "NO", "FI"]
READS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}
DYNAMODB_DIGITS = 38


# ------------------------------------------------------------------ counting


class Reads:
    """DynamoDB read requests, the items their answers held and those items' size."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.items = 0
        self.bytes = 0
        self.units = 0.0
        self.queries: Counter[str] = Counter()  # requests per counter group (sort key prefix)
        self.query_items: Counter[str] = Counter()

    def record(self, operation: str, params: dict, response: dict) -> None:
        if operation not in READS:
            return
        self.requests[operation] += 1
        if operation == "Query" or operation == "Scan":
            sizes = [item_size(item) for item in response.get("Items", [])]
            self.items += response.get("Count", len(sizes))
            values = [v.get("S", "") for v in params.get("ExpressionAttributeValues", {}).values()]
            group = next((v.split("#", 1)[0] for v in values if not v.startswith("CAMPAIGN#")), "?")
            self.queries[group] += 1
            self.query_items[group] += response.get("Count", len(sizes))
            self.units += _units(sum(sizes), params.get("ConsistentRead", False))
        elif operation == "GetItem":
            size = item_size(response["Item"]) if "Item" in response else 0
            sizes = [size] if size else []
            self.items += len(sizes)
            self.units += _units(size, params.get("ConsistentRead", False))
        else:  # BatchGetItem
            sizes = [item_size(item) for items in response.get("Responses", {}).values() for item in items]
            self.items += len(sizes)
            self.units += sum(_units(size, False) for size in sizes)
        self.bytes += sum(sizes)

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def groups(self) -> str:
        return ", ".join(
            f"{group} {n} req/{self.query_items[group]:,} items" for group, n in sorted(self.queries.items())
        )

    def line(self) -> str:
        ops = ", ".join(f"{op} {n}" for op, n in sorted(self.requests.items()))
        return (
            f"requests {self.total:3d} ({ops})  items {self.items:6,d}  "
            f"{self.bytes / 1024:8,.1f} KB  est. RCU {self.units:6,.1f}"
        )


def _units(size: int, consistent: bool) -> float:
    blocks = max(1, math.ceil(size / 4096))
    return blocks * (1.0 if consistent else 0.5)


def _value_size(value: dict) -> int:
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        digits = len(raw.lstrip("-").replace(".", "").strip("0")) or 1
        return (digits + 1) // 2 + 1
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: v}) for v in raw)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in raw)
    return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in raw.items())  # M


def item_size(item: dict) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


class Counting:
    """Wraps botocore's _make_api_call: every DynamoDB read while `reads` is set is recorded."""

    def __init__(self) -> None:
        import botocore.client

        self._client_class = botocore.client.BaseClient
        self._original = botocore.client.BaseClient._make_api_call
        self.reads: Reads | None = None
        counting = self

        def call(client, operation, params):  # type: ignore[no-untyped-def]
            response = counting._original(client, operation, params)
            if counting.reads is not None and client.meta.service_model.service_name == "dynamodb":
                counting.reads.record(operation, params, response)
            return response

        self._call = call

    def __enter__(self) -> Counting:
        self._client_class._make_api_call = self._call
        return self

    def __exit__(self, *exc: object) -> None:
        self._client_class._make_api_call = self._original


# ------------------------------------------------------------------ counters in Python


class Accumulator:
    """The StatsTable items that add_counts/add_to would leave, summed in Python. With `attributed_at`,
    plays are counted as if attributed then (a play of a settled day marks its roll-up, as
    counters.late_marker does); without, as if attributed when played (no late writes)."""

    def __init__(self, attributed_at: datetime | None = None) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
        self.attributed_at = attributed_at
        # (pk, DAY#{day}#PEOPLE) -> the pseudonymous ids of the day's listeners (a sketch in low_level)
        self.people: dict[tuple[str, str], set[str]] = defaultdict(set)

    def add_counts(self, campaign_id, at, counts, *, event_id, dimensions, also=()) -> None:  # type: ignore[no-untyped-def]
        from soundlink.platform.counters import counter_sort_keys, late_marker, shard_of

        shard = shard_of(event_id)
        for key in counter_sort_keys(at, dimensions, shard, also):
            self.add_to(campaign_id, key, counts)
        marker = late_marker(at, self.attributed_at) if self.attributed_at else None
        if marker:
            self.add_to(campaign_id, marker, {"late_writes": 1})

    def add_to(self, campaign_id, sort_key, counts, *, labels=None) -> None:  # type: ignore[no-untyped-def]
        from soundlink.platform.counters import COUNTER_NAMES, campaign_key

        unknown = set(counts) - COUNTER_NAMES
        if unknown:
            raise ValueError(f"unknown counters: {sorted(unknown)}")
        adds = {name: n for name, n in counts.items() if n}
        sets = {name: value for name, value in (labels or {}).items() if value}
        if not adds and not sets:
            return
        item = self.items[(campaign_key(campaign_id), sort_key)]
        for name, n in adds.items():
            # What PynamoDB sends (json.dumps of the number), added as DynamoDB adds: 38 digits.
            item[name] = item.get(name, Decimal(0)) + Decimal(json.dumps(n))
        item.update(sets)

    def play(
        self,
        campaign_id: str,
        *,
        account_id: str,
        played_at: datetime,
        track_id: str,
        track_name: str,
        artists: str,
        confidence: float,
        credit: dict[str, float],
        dimensions: dict[str, str],
        first: bool,
        new_listener: bool,
        new_track: bool,
        cohort: tuple[str, int, bool] | None = None,
    ) -> None:
        """One attributed play, as Attributor._write counts it. `cohort`: (the week of the first
        click, the week after it this play newly marks, whether it is the listener's first week)."""
        from soundlink.attribution.plays import listener_key
        from soundlink.attribution.rules import MODELS, bucket
        from soundlink.platform import people
        from soundlink.platform.counters import CLICK_DIMENSIONS, campaign_key, day_of, day_scoped, shard_of

        event_id = f"{account_id}#{played_at.isoformat(timespec='milliseconds')}"
        shard = shard_of(event_id)
        b = bucket(confidence)
        counts = {
            "attributed_plays": 1,
            "listeners": int(first),
            "new_listeners": int(new_listener),
            **{f"streams_{model}": credit.get(model, 0.0) for model in MODELS},
            **{f"weighted_{model}": credit.get(model, 0.0) * confidence for model in MODELS},
        }
        dims = {name: dimensions.get(name, "") for name in CLICK_DIMENSIONS}
        day_people = self.people[(campaign_key(campaign_id), people.sort_key(day_of(played_at)))]
        day_people.add(listener_key(campaign_id, account_id))
        self.add_counts(campaign_id, played_at, counts, event_id=event_id, dimensions=dims, also=(f"CONF#{b}",))
        self.add_to(
            campaign_id,
            day_scoped(played_at, f"TRACK#{track_id}#{shard}"),
            {"attributed_plays": 1, "listeners": int(new_track)},
            labels={"track_name": track_name[:300], "track_artists": artists[:500]},
        )
        for model in MODELS:
            share = credit.get(model, 0.0)
            self.add_to(
                campaign_id,
                day_scoped(played_at, f"MODEL#{model}#C{b}#{shard}"),
                {"streams": share, "weighted_streams": share * confidence},
            )
        if cohort is not None:
            week_start, week, first_week = cohort
            if first_week:
                self.add_to(campaign_id, f"COHORT#{week_start}#ALL#{shard}", {"listeners": 1})
            self.add_to(campaign_id, f"COHORT#{week_start}#W{week}#{shard}", {"listeners": 1})

    def low_level(self) -> list[dict]:
        from soundlink.platform.people import with_people

        out = []
        for (pk, sk), ids in self.people.items():
            sketch = with_people(None, sorted(ids))
            out.append({"pk": {"S": pk}, "sk": {"S": sk}, "people": {"B": sketch}, "version": {"N": "1"}})
        for (pk, sk), attributes in self.items.items():
            item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}}
            for name, value in attributes.items():
                item[name] = {"N": str(value)} if isinstance(value, Decimal) else {"S": value}
            out.append(item)
        return out


def batch_write(client: Any, table: str, items: list[dict]) -> int:
    requests = 0
    for start in range(0, len(items), 25):
        pending = {table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        while pending:
            requests += 1
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return requests


# ------------------------------------------------------------------ the campaigns


def new_campaign(rng: random.Random, owner: str, name: str, *, window_days: int = 90, batch: Any = None) -> str:
    """A campaign stored by the repository (campaign and slug claim in one transaction), or,
    given a CampaignItem.batch_write(), its campaign item alone by BatchWriteItem (the listing
    reads nothing else; moto copies a whole table for each item of a transaction, so a hundred
    campaign transactions would dominate the bench's run time)."""
    from bench.samples import sample_campaign
    from soundlink.campaigns.items import campaign_to_item
    from soundlink.campaigns.repository import DynamoCampaignRepository

    campaign_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    created = datetime.now(UTC) - timedelta(days=60)
    slug = campaign_id.replace("-", "")[:10]
    campaign = sample_campaign(campaign_id, owner, slug, created, name, playlist_id=PLAYLIST, window_days=window_days)
    if batch is None:
        DynamoCampaignRepository().create(campaign)
    else:
        batch.save(campaign_to_item(campaign))
    return campaign_id


def click_dimensions(rng: random.Random, *, big: bool = False) -> dict[str, str]:
    return {
        "referrer": rng.choice(BIG_REFERRERS if big else REFERRERS),
        "utm_source": rng.choice(UTM_SOURCES),
        "utm_medium": rng.choice(UTM_MEDIUMS),
        "utm_campaign": rng.choice(UTM_CAMPAIGNS),
        "device": rng.choice(DEVICES),
        "browser": rng.choice(BROWSERS),
        "os": rng.choice(OSES),
        "country": rng.choice(BIG_COUNTRIES if big else COUNTRIES),
    }


class FakePlaylists:
    def track_ids(self, playlist_id: str, owner_id: str) -> frozenset[str] | None:
        return frozenset(TRACKS) if playlist_id == PLAYLIST else frozenset()


def small_campaign(rng: random.Random, now: datetime) -> tuple[str, Counter[str]]:
    """100 plays attributed by the real Attributor; listener states moved by the real code."""
    from soundlink.attribution.service import Attributor, PlayMessage
    from soundlink.listeners import links as listeners
    from soundlink.platform.tables import ListenerLinkItem
    from soundlink.platform.transactions import transaction

    campaign_id = new_campaign(rng, OWNER, "100 plays")
    clicked_at = now - timedelta(days=31)
    plays = []
    for n in range(SMALL_LISTENERS):
        account = f"small-listener-{n:02d}"
        with transaction() as writes:
            listeners.connect(
                writes,
                account_id=account,
                spotify_user_id=f"user-{account}",
                display_name=None,
                sealed_tokens="v1.not-used-here",
                scopes="user-read-recently-played",
                now=clicked_at,
                campaign_id=campaign_id,
                owner_id=OWNER,
                clicked_at=clicked_at,
                window_ends_at=clicked_at + timedelta(days=90),
                click=click_dimensions(rng),
            )
        link = ListenerLinkItem.get(*ListenerLinkItem.key(account, campaign_id))
        listeners.move_link_state(link, "active")
        for _ in range(SMALL_PLAYS_EACH):
            played_at = now - timedelta(seconds=rng.uniform(60, 30 * 86400))
            context = rng.choice([f"spotify:playlist:{PLAYLIST}", None, f"spotify:playlist:{OTHER_PLAYLIST}"])
            track = rng.choice(TRACKS)
            plays.append((played_at, account, track, context))
    attributor = Attributor(playlists=FakePlaylists())
    outcomes: Counter[str] = Counter()
    for played_at, account, track, context in sorted(plays):
        body = {
            "account_id": account,
            "played_at": played_at.isoformat(),
            "track_id": track,
            "track_name": f"Bench track {track[:2]}",
            "artists": ["Bench Artist", "Featuring"],
            "context_uri": context,
        }
        outcomes[attributor.attribute(PlayMessage.parse(body)).result] += 1
    return campaign_id, outcomes


def replay_small(campaign_id: str, attributed_at: datetime) -> Accumulator:
    """The accumulator over the plays Attributor wrote, read back from their attributions and links."""
    from soundlink.platform.tables import AttributionItem, ListenerLinkItem

    accumulator = Accumulator(attributed_at)
    attributions = sorted(
        AttributionItem.query(f"CAMPAIGN#{campaign_id}", AttributionItem.sk.startswith("ATTR#")),
        key=lambda item: (item.played_at, item.sk),
    )
    seen_listeners: set[str] = set()
    seen_tracks: set[tuple[str, str]] = set()
    seen_weeks: dict[str, set[int]] = defaultdict(set)
    for item in attributions:
        account = item.sk.split("#", 2)[2]
        link = ListenerLinkItem.get(*ListenerLinkItem.key(account, campaign_id))
        first = account not in seen_listeners
        new_track = (account, item.track_id) not in seen_tracks
        seen_listeners.add(account)
        seen_tracks.add((account, item.track_id))
        week = None if item.week_after_click is None else int(item.week_after_click)
        cohort = None
        if item.cohort_week and week is not None and week not in seen_weeks[account]:
            cohort = (item.cohort_week, week, not seen_weeks[account])
            seen_weeks[account].add(week)
        accumulator.play(
            campaign_id,
            account_id=account,
            played_at=item.played_at,
            track_id=item.track_id,
            track_name=item.track_name or "",
            artists=item.artists or "",
            confidence=float(item.confidence),
            credit={model: float(share) for model, share in item.credit.as_dict().items()},
            dimensions={name: str(value) for name, value in (link.click.as_dict() if link.click else {}).items()},
            first=first,
            new_listener=first and not set(link.baseline_track_ids or ()),
            new_track=new_track,
            cohort=cohort,
        )
    return accumulator


def same_counters(client: Any, table: str, campaign_id: str, accumulator: Accumulator) -> tuple[bool, int]:
    stored: dict[tuple[str, str], dict] = {}
    pages = client.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CAMPAIGN#{campaign_id}"}},
    )
    for page in pages:
        for item in page["Items"]:
            if item["sk"]["S"] in ("STATES", "POLL"):
                continue  # moved by listener states / polls, not by attribution
            stored[(item["pk"]["S"], item["sk"]["S"])] = item
    from soundlink.platform.people import is_people_key, merged

    computed = {(item["pk"]["S"], item["sk"]["S"]): item for item in accumulator.low_level()}
    if stored.keys() != computed.keys():
        return False, len(stored)
    for key, item in stored.items():
        other = computed[key]
        if is_people_key(key[1]):  # a sketch: the same people (its bytes and version depend on the writes)
            if merged([item["people"]["B"]]) != merged([other["people"]["B"]]):
                return False, len(stored)
            continue
        if item.keys() != other.keys():
            return False, len(stored)
        for name, value in item.items():
            if "N" in value:
                if abs(Decimal(value["N"]) - Decimal(other[name]["N"])) > Decimal("1e-9"):
                    return False, len(stored)
            elif value != other[name]:
                return False, len(stored)
    return True, len(stored)


def big_campaign(rng: random.Random, now: datetime, client: Any, table: str) -> tuple[str, int, int]:
    """100,000 plays' counters computed in Python, written with BatchWriteItem."""
    from soundlink.attribution import cohorts
    from soundlink.attribution.rules import MODELS

    campaign_id = new_campaign(rng, OWNER, "100,000 plays")
    accumulator = Accumulator()
    listeners = [
        (f"big-listener-{n:05d}", click_dimensions(rng, big=True), rng.random() < 0.3)  # 30%: baseline had one
        for n in range(BIG_LISTENERS)
    ]
    plays = []
    for _ in range(BIG_PLAYS):
        account, dims, in_baseline = rng.choice(listeners)
        played_at = now - timedelta(milliseconds=rng.randrange(60_000, 30 * 86_400_000))
        plays.append((played_at, account, dims, in_baseline))
    plays.sort(key=lambda play: (play[0], play[1]))
    seen_listeners: set[str] = set()
    seen_tracks: set[tuple[str, str]] = set()
    clicked: dict[str, datetime] = {}  # each listener's first click: up to a day before their first play
    weeks: dict[str, set[int]] = defaultdict(set)
    with localcontext() as context:
        context.prec = DYNAMODB_DIGITS
        for played_at, account, dims, in_baseline in plays:
            track = rng.choice(BIG_TRACKS)
            if rng.random() < 0.2:  # shared with a sibling campaign of the owner
                this_last, this_first = rng.random() < 0.5, rng.random() < 0.5
                decay = rng.uniform(0.05, 0.95)
                credit = {"last_touch": float(this_last), "first_touch": float(this_first), "linear": 0.5}
                credit["time_decay"] = decay
            else:
                credit = dict.fromkeys(MODELS, 1.0)
            first = account not in seen_listeners
            new_track = (account, track) not in seen_tracks
            seen_listeners.add(account)
            seen_tracks.add((account, track))
            click = clicked.setdefault(account, played_at - timedelta(minutes=rng.randrange(1, 1440)))
            week = cohorts.week_after(click, played_at, 90)  # new_campaign's window
            cohort = None
            if week is not None and week not in weeks[account]:
                cohort = (cohorts.week_start(click), week, not weeks[account])
                weeks[account].add(week)
            accumulator.play(
                campaign_id,
                account_id=account,
                played_at=played_at,
                track_id=track,
                track_name=f"Bench track {track[:2]}",
                artists="Bench Artist, Featuring",
                confidence=rng.uniform(0.02, 1.0),
                credit=credit,
                dimensions=dims,
                first=first,
                new_listener=first and not in_baseline,
                new_track=new_track,
                cohort=cohort,
            )
        accumulator.add_to(campaign_id, "STATES", {"state_active": len(seen_listeners)})
    items = accumulator.low_level()
    requests = batch_write(client, table, items)
    return campaign_id, len(items), requests


def list_owner(rng: random.Random, owner: str, campaigns: int, client: Any, table: str) -> None:
    from soundlink.platform.tables import CampaignItem

    accumulator = Accumulator()
    with localcontext() as context, CampaignItem.batch_write() as batch:
        context.prec = DYNAMODB_DIGITS
        for n in range(campaigns):
            campaign_id = new_campaign(rng, owner, f"campaign {n}", batch=batch)
            for shard in range(8):
                counts = {"clicks": rng.randrange(1, 500), "listeners": rng.randrange(0, 50)}
                counts |= {f"streams_{m}": rng.uniform(0, 300) for m in ("last_touch", "linear", "time_decay")}
                accumulator.add_to(campaign_id, f"TOTAL#{shard}", counts)
    batch_write(client, table, accumulator.low_level())


# ------------------------------------------------------------------ requests


def main(*, smoke: bool = False) -> None:
    global BIG_PLAYS, BIG_LISTENERS
    if smoke:  # a check that the bench still runs: small sizes, figures not kept
        BIG_PLAYS, BIG_LISTENERS = 2_000, 200
    started = time.perf_counter()
    os.environ.update(ENV)
    from moto import mock_aws

    with mock_aws():
        import boto3

        from local.cfn import cached_template, create_tables

        client = boto3.client("dynamodb")
        names = create_tables(client, lambda logical_id: f"bench-{logical_id}", cached_template())
        os.environ.update(
            DATA_TABLE=names["DataTable"], EVENTS_TABLE=names["EventsTable"], STATS_TABLE=names["StatsTable"]
        )
        from soundlink.platform.settings import get_settings
        from soundlink.platform.tables import bind_tables

        get_settings.cache_clear()
        bind_tables(get_settings())
        rng = random.Random(20260301)
        now = datetime.now(UTC)

        small_id, outcomes = small_campaign(rng, now)
        faithful, compared = same_counters(
            client, names["StatsTable"], small_id, replay_small(small_id, datetime.now(UTC))
        )
        setup_small = time.perf_counter() - started
        big_id, big_items, big_writes = big_campaign(rng, now, client, names["StatsTable"])
        setup_big = time.perf_counter() - started - setup_small
        list_owner(rng, "owner-of-10", 10, client, names["StatsTable"])
        list_owner(rng, "owner-of-100", 100, client, names["StatsTable"])
        setup_lists = time.perf_counter() - started - setup_small - setup_big

        from tests.support.events import FakeContext, http_event, owner_claims

        analytics_app = importlib.import_module("analytics.app")
        analytics_app.campaigns.cache_clear()
        campaigns_app = importlib.import_module("campaigns.app")
        campaigns_app.service.cache_clear()

        people: dict[tuple[str, str], str] = {}  # (campaign, query) -> its listeners as the page shows them

        def analytics(campaign_id: str, query: dict[str, str]) -> Reads:
            path = f"/campaigns/{campaign_id}/analytics"
            event = http_event("GET", path, query=query or None, claims=owner_claims(OWNER))
            counting.reads = Reads()
            response = analytics_app.handler(event, FakeContext())
            reads, counting.reads = counting.reads, None
            assert response["statusCode"] == 200, response
            totals = json.loads(response["body"])["totals"]
            about = "about " if totals["listeners_about"] else ""
            people[(campaign_id, json.dumps(query))] = f"{about}{totals['listeners']:,}"
            return reads

        def listing(owner: str) -> tuple[Reads, int]:
            event = http_event("GET", "/campaigns", query={"limit": "100"}, claims=owner_claims(owner))
            counting.reads = Reads()
            response = campaigns_app.handler(event, FakeContext())
            reads, counting.reads = counting.reads, None
            assert response["statusCode"] == 200, response
            return reads, len(json.loads(response["body"])["campaigns"])

        with Counting() as counting:
            analytics(small_id, {})  # warm-up: the container's first request binds the tables
            listing("owner-of-10")
            today = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            week = {"from": (today - timedelta(days=7)).isoformat(), "to": today.isoformat()}
            ranges = {
                "whole campaign, day points (default)": {},
                "7 days, day points in Europe/Paris": {**week, "tz": "Europe/Paris"},
                "2 days, hour points": {"granularity": "hour"},
            }
            # The first read of a range rolls up its settled days (analytics/rollups.py); the reads
            # after it are what a campaign's page costs from then on.
            first = {label: (analytics(small_id, q), analytics(big_id, q)) for label, q in ranges.items()}
            results = {label: (analytics(small_id, q), analytics(big_id, q)) for label, q in ranges.items()}
            lists = {n: listing(f"owner-of-{n}") for n in (10, 100)}

    print(f"Counters of the 100-play campaign: the real Attributor, one play at a time ({dict(outcomes)})")
    print(
        f"  the Python accumulator over the same 100 plays gives the same {compared} StatsTable items: "
        f"{'yes' if faithful else 'NO'}"
    )
    print(
        f"Counters of the 100,000-play campaign: {big_items:,} items computed in Python, "
        f"written by {big_writes:,} BatchWriteItem requests"
    )
    print(
        f"  (setup: {setup_small:.1f} s for 100 plays, imports included; {setup_big:.1f} s for 100,000; "
        f"{setup_lists:.1f} s for the 110 listed campaigns)"
    )
    print("\nGET /campaigns/{id}/analytics: the first request of each range (it rolls up the settled days)")
    for label, (small, big) in first.items():
        print(f"  {label}")
        print(f"    100 plays       {small.line()}")
        print(f"    100,000 plays   {big.line()}")
    print("\nGET /campaigns/{id}/analytics: DynamoDB reads of one request after that (warm container)")
    for label, (small, big) in results.items():
        print(f"  {label}")
        print(f"    100 plays       {small.line()}")
        print(f"    100,000 plays   {big.line()}")
        query = json.dumps(ranges[label])
        print(f"      listeners: {people[(small_id, query)]} (100 plays), {people[(big_id, query)]} (100,000 plays)")
        print(f"      Queries, 100 plays:     {small.groups()}")
        print(f"      Queries, 100,000 plays: {big.groups()}")
        print(
            f"    ratio 100,000 / 100: requests {big.total / small.total:.2f} (target <= 1.05)   "
            f"items {big.items / max(small.items, 1):.1f}x   est. RCU {big.units / small.units:.1f}x"
        )
    print("\nGET /campaigns?limit=100: DynamoDB reads (headline numbers from TOTAL shards by BatchGetItem)")
    for n, (reads, listed) in lists.items():
        print(f"  {n:3d} campaigns ({listed} listed)   {reads.line()}")
    small, big = results["whole campaign, day points (default)"]
    record("analytics_reads_100_plays", small.total)
    record("analytics_reads_100k_plays", big.total)
    record("analytics_read_units_100k_plays", round(big.units, 1))
    small_week, big_week = results["7 days, day points in Europe/Paris"]
    record("analytics_reads_7d_100_plays", small_week.total)
    record("analytics_reads_7d_100k_plays", big_week.total)
    record("campaign_list_reads", lists[10][0].total)
    record("campaign_list_read_units", round(lists[10][0].units, 1))
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main(smoke="--smoke" in sys.argv)
