"""Cost per unit as volume grows: clicks 1k -> 100k, attributed plays 100 -> 100k.

The real code runs in-process (record_clicks' handler on batches of ten clicks of
one campaign; the Attributor on plays of one listener's campaign), with AWS
answered at once by bench/stubs.py, so sizes that moto could not hold in time
(it copies a table for every transaction) still run in seconds. What is counted
is what the code sends: requests and the items of every write. Reads come from
the stub's seeded items, so a read that would grow with the data would show as
more requests per unit, and any per-unit growth in what the code writes shows
directly. Cost per unit at each size must stay flat.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import stubs
from bench.results import record

CLICK_SIZES = (1_000, 10_000, 100_000)
PLAY_SIZES = (100, 1_000, 10_000, 100_000)
SMOKE_CLICKS = (100, 1_000)
SMOKE_PLAYS = (100, 1_000)
CAMPAIGN_ID = "6f1c2a3e-5b4d-4c8e-9a7f-0123456789ab"
OWNER_ID = "11111111-2222-3333-4444-555555555555"
ACCOUNT = "scaling-listener"
TRACKS = tuple(f"{i:022d}" for i in range(50))


def _seeded() -> list[dict[str, Any]]:
    from bench.coldstart import seeded_items
    from soundlink.platform.tables import ListenerLinkItem

    now = datetime.now(UTC)
    clicked = now - timedelta(days=1)
    link = ListenerLinkItem(
        *ListenerLinkItem.key(ACCOUNT, CAMPAIGN_ID),
        gsi2pk=f"CAMPAIGN#{CAMPAIGN_ID}",
        gsi2sk=f"LISTENER#{ACCOUNT}",
        account_id=ACCOUNT,
        campaign_id=CAMPAIGN_ID,
        owner_id=OWNER_ID,
        first_click_at=clicked,
        last_click_at=clicked,
        consented_at=clicked,
        baseline_at=clicked,
        window_ends_at=now + timedelta(days=13),
        state="active",
    )
    return [*seeded_items(), link.serialize()]


def _write_units() -> float:
    return 2 * stubs.ITEMS_WRITTEN["transact"] + stubs.ITEMS_WRITTEN["plain"]


def clicks(size: int) -> float:
    """Write units per click for `size` clicks of one campaign, in batches of ten: record_clicks'
    writes, and count_clicks' for the stream records they make (a stream batch per SQS batch)."""
    import count_clicks.app as counter
    import record_clicks.app as recorder
    from bench.coldstart import ROOT

    sample = json.loads((ROOT / "events" / "sqs" / "record-clicks.json").read_text())["Records"][0]
    body = json.loads(sample["body"])
    stored: list[dict] = []
    answer_ = stubs.answer

    def answer(operation: str, params: dict, seeded: list) -> dict:
        if operation == "PutItem" and params["Item"]["sk"]["S"].startswith("CLICK#"):
            stored.append(params["Item"])  # what the stream would carry
        return answer_(operation, params, seeded)

    stubs.answer = answer
    try:
        stubs.ITEMS_WRITTEN.clear()
        for first in range(0, size, 10):
            records = [
                {
                    **sample,
                    "messageId": f"m{i}",
                    "body": json.dumps({**body, "id": f"{i:032x}", "visitor": f"{i:032x}"}),
                }
                for i in range(first, min(first + 10, size))
            ]
            answer_sqs = recorder.handler({"Records": records}, stubs.Context())
            assert not answer_sqs["batchItemFailures"], answer_sqs
            stream = [
                {
                    "eventID": f"e{first + n}",
                    "eventName": "INSERT",
                    "dynamodb": {"NewImage": item, "SequenceNumber": str(first + n)},
                }
                for n, item in enumerate(stored)
            ]
            stored.clear()
            assert counter.handler({"Records": stream}, stubs.Context()) == {"batchItemFailures": []}
    finally:
        stubs.answer = answer_
    return _write_units() / size


def plays(size: int) -> float:
    """Write units per attributed play for `size` plays of one listener's campaign, ten per batch."""
    from soundlink.attribution.service import Attributor, PlayMessage

    class Playlists:
        def track_ids(self, playlist_id: str, owner_id: str) -> frozenset[str]:
            return frozenset(TRACKS)

    attributor = Attributor(playlists=Playlists())
    start = datetime.now(UTC) - timedelta(hours=20)
    stubs.ITEMS_WRITTEN.clear()
    results: dict[str, int] = {}
    for first in range(0, size, 10):  # as attribute's event source delivers them: batches of ten
        batch = [
            PlayMessage.parse(
                {
                    "account_id": ACCOUNT,
                    "played_at": (start + timedelta(milliseconds=500 * i)).isoformat(),
                    "track_id": TRACKS[i % len(TRACKS)],
                    "track_name": "Track",
                    "artists": ["Artist"],
                    "context_uri": None,
                }
            )
            for i in range(first, min(first + 10, size))
        ]
        for outcome in attributor.attribute_all(batch):
            assert not isinstance(outcome, Exception), outcome
            results[outcome.result] = results.get(outcome.result, 0) + 1
    assert results == {"attributed": size}, results
    return _write_units() / size


def measure(figures: dict[str, float], *, smoke: bool = False) -> None:
    from bench import costs
    from bench.coldstart import ENV

    os.environ.update(ENV)
    stubs.install_on_import(_seeded())
    print("Scaling (AWS answered by stubs; what the code writes, per unit, at each size)")
    for size in SMOKE_CLICKS if smoke else CLICK_SIZES:
        wru = clicks(size)
        usd = costs.click({**figures, "wru_per_click": wru}, waf=True).total * 1e6
        print(f"  {size:>7,d} clicks   WRU per click {wru:6.2f}   US$ per million clicks {usd:6.2f}")
        record(f"usd_per_million_clicks_at_{size}", round(usd, 2))
    for size in SMOKE_PLAYS if smoke else PLAY_SIZES:
        wcu = plays(size)
        usd = costs.attributed_play({**figures, "wcu_per_attributed_play": wcu}).total * 1e6
        print(f"  {size:>7,d} plays    WCU per play  {wcu:6.2f}   US$ per million attributed plays {usd:7.2f}")
        record(f"usd_per_million_attributed_plays_at_{size}", round(usd, 2))
