"""scripts/migrate_day_counters.py against moto: old whole-campaign counters move to the
campaign's first day, exactly once, however often it runs; analytics then read them."""

from __future__ import annotations

import boto3
import pytest

from scripts.migrate_day_counters import migrate, move

PK = "CAMPAIGN#c-1"


def put(client, table, sk, **numbers):
    item = {"pk": {"S": PK}, "sk": {"S": sk}}
    for name, value in numbers.items():
        item[name] = {"S": value} if isinstance(value, str) else {"N": str(value)}
    client.put_item(TableName=table, Item=item)


def stats(client, table) -> dict[str, dict]:
    items = client.scan(TableName=table)["Items"]
    return {
        item["sk"]["S"]: {k: v.get("N", v.get("S")) for k, v in item.items() if k not in ("pk", "sk")} for item in items
    }


@pytest.fixture
def stats_table(aws):
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = aws["StatsTable"]
    put(client, table, "TOTAL#0", clicks=5)
    put(client, table, "DAY#2026-03-05#1", clicks=2)
    put(client, table, "DAY#2026-03-03#0", clicks=3)
    put(client, table, "DIM#referrer#t.co#2", clicks=3, streams_linear="1.5")
    put(client, table, "TRACK#abc#1", attributed_plays=2, track_name="Song")
    put(client, table, "MODEL#linear#C9#0", streams="1.5", weighted_streams="1.35")
    put(client, table, "CONF#9#4", attributed_plays=2)
    # written by the new code since the upgrade, on the same day: the old numbers add to it
    put(client, table, "DAY#2026-03-03#DIM#referrer#t.co#2", clicks=1)
    return client, table


def test_old_counters_move_to_the_campaigns_first_day_and_add_to_what_is_there(stats_table):
    client, table = stats_table
    assert migrate(client, table, today="2026-12-02") == {"moved": 4, "skipped": 0}
    after = stats(client, table)
    assert not any(sk.startswith(("DIM#", "TRACK#", "MODEL#", "CONF#")) for sk in after)
    assert after["DAY#2026-03-03#DIM#referrer#t.co#2"] == {"clicks": "4", "streams_linear": "1.5"}
    assert after["DAY#2026-03-03#TRACK#abc#1"] == {"attributed_plays": "2", "track_name": "Song"}
    assert after["DAY#2026-03-03#MODEL#linear#C9#0"] == {"streams": "1.5", "weighted_streams": "1.35"}
    assert after["DAY#2026-03-03#CONF#9#4"] == {"attributed_plays": "2"}
    assert after["TOTAL#0"] == {"clicks": "5"} and after["DAY#2026-03-05#1"] == {"clicks": "2"}


def test_running_it_again_changes_nothing(stats_table):
    client, table = stats_table
    migrate(client, table, today="2026-12-02")
    once = stats(client, table)
    assert migrate(client, table, today="2026-12-02") == {"moved": 0, "skipped": 0}
    assert stats(client, table) == once


def test_an_item_moved_meanwhile_is_not_added_twice(stats_table):
    client, table = stats_table
    item = client.get_item(TableName=table, Key={"pk": {"S": PK}, "sk": {"S": "CONF#9#4"}})["Item"]
    assert move(client, table, item, "2026-03-03") is True
    assert move(client, table, item, "2026-03-03") is False  # a second run with a stale read
    assert stats(client, table)["DAY#2026-03-03#CONF#9#4"] == {"attributed_plays": "2"}


def test_an_item_that_changed_since_it_was_read_is_not_moved_with_stale_numbers(stats_table):
    client, table = stats_table
    item = client.get_item(TableName=table, Key={"pk": {"S": PK}, "sk": {"S": "CONF#9#4"}})["Item"]
    put(client, table, "CONF#9#4", attributed_plays=3)  # the old code counted one more meanwhile
    assert move(client, table, item, "2026-03-03") is False
    assert migrate(client, table, today="2026-12-02")["moved"] == 4
    assert stats(client, table)["DAY#2026-03-03#CONF#9#4"] == {"attributed_plays": "3"}


def test_a_campaign_without_day_counters_gets_the_day_of_the_migration(aws):
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = aws["StatsTable"]
    put(client, table, "TRACK#abc#0", attributed_plays=1)
    migrate(client, table, today="2026-12-02")
    assert stats(client, table) == {"DAY#2026-12-02#TRACK#abc#0": {"attributed_plays": "1"}}
