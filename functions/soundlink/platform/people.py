"""Distinct people per UTC day, kept as mergeable HyperLogLog sketches (Apache DataSketches).

People cannot be summed across days: a listener who played on three days is one
person, not three. So each campaign keeps, per UTC day, a sketch of the
listeners credited with a stream that day (StatsTable, CAMPAIGN#{id} /
DAY#{yyyy-mm-dd}#PEOPLE, beside the day's counters so a range reads both with
one Query). A range's people are the union of its days' sketches.

The sketch: HLL_4 with lg_k 12 (4,096 registers): at most ~2.1 KB serialized,
relative standard error 1.6% once merged (one standard deviation: 95% of
estimates within 3.3%). Below ~380 distinct people a sketch holds each
person's 26-bit hash (DataSketches' LIST/SET modes) and its count is exact
(short of two people sharing a hash, about 1 in 1,000 at that size); above, it
estimates, and `People.about` says so.

Writes: adding a person is idempotent (a person already in the sketch leaves
it unchanged, and nothing is written), so the writer can add before its
play's transaction: a retry or a redelivery adds again harmlessly, and a crash
between the two cannot leave a credited play out of the sketch. Concurrent
writers are kept apart by a version (PynamoDB's VersionAttribute: the save is
conditional on the version read); the loser reads again and retries, a few
times, then raises so the caller's plays are delivered again.

datasketches (and the numpy it loads, ~0.1 s) is imported only by the
functions that use it, never at module level.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError

from soundlink.platform.counters import campaign_key
from soundlink.platform.tables import PeopleSketchItem

if TYPE_CHECKING:
    from datasketches import hll_sketch

LG_K = 12
RELATIVE_ERROR = 0.0162  # hll_sketch.get_rel_err(True, True, 12, 1): one standard deviation, merged
ATTEMPTS = 5  # a lost race re-reads the sketch; past this the caller's plays are delivered again
SUFFIX = "PEOPLE"
# Byte 7 of a serialized HLL sketch (DataSketches' HLL preamble): its low two bits are the
# mode, 0 LIST and 1 SET (every hash kept: exact), 2 HLL (registers: an estimate).
_MODE_BYTE = 7
_HLL_MODE = 2


class PeopleRaced(Exception):
    """Other writers kept changing the day's sketch; the plays are delivered again (nothing lost)."""


@dataclass(frozen=True)
class People:
    count: int
    about: bool  # True: an estimate (relative standard error RELATIVE_ERROR); False: exact


def sort_key(day: str) -> str:
    """The sort key of the day's sketch (day: yyyy-mm-dd, UTC)."""
    return f"DAY#{day}#{SUFFIX}"


def is_people_key(sort_key: str) -> bool:
    return sort_key.startswith("DAY#") and sort_key.endswith(f"#{SUFFIX}") and sort_key.count("#") == 2


def _new_sketch() -> hll_sketch:
    from datasketches import hll_sketch, tgt_hll_type

    return hll_sketch(LG_K, tgt_hll_type.HLL_4)


def with_people(serialized: bytes | None, people: Iterable[str]) -> bytes | None:
    """The sketch `serialized` (None: empty) with `people` added; None when that changes nothing."""
    from datasketches import hll_sketch

    sketch = hll_sketch.deserialize(serialized) if serialized else _new_sketch()
    before = sketch.serialize_compact()  # as this library writes it (a stored form may be ordered otherwise)
    for person in people:
        sketch.update(person)
    after = sketch.serialize_compact()
    return None if after == before else after


def add_people(
    campaign_id: str,
    day: str,
    people: Iterable[str],
    *,
    attempts: int = ATTEMPTS,
    pause: Callable[[float], Any] = time.sleep,
) -> bool:
    """Add `people` (pseudonymous ids) to the campaign's sketch of `day`. Returns whether it was
    written (False: they were all in it already). Raises PeopleRaced after `attempts` lost races."""
    wanted = sorted(set(people))
    if not wanted:
        return False
    key = campaign_key(campaign_id), sort_key(day)
    for attempt in range(attempts):
        try:
            item = PeopleSketchItem.get(*key, consistent_read=True)
        except PeopleSketchItem.DoesNotExist:
            item = PeopleSketchItem(*key)
        changed = with_people(item.people, wanted)
        if changed is None:
            return False
        item.people = changed
        try:
            item.save()  # conditional on the version read (none: on the item not existing yet)
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            pause(random.uniform(0, 0.02 * (attempt + 1)))  # noqa: S311 - jitter, not a secret
            continue
        return True
    raise PeopleRaced(f"the {day} people sketch of campaign {campaign_id} kept changing; the plays will be retried")


def merged(sketches: Iterable[bytes]) -> People:
    """The distinct people of the union of `sketches` (e.g. a range's days)."""
    stored = [s for s in sketches if s]
    if not stored:
        return People(0, about=False)
    from datasketches import hll_sketch, hll_union, tgt_hll_type

    union = hll_union(LG_K)
    for serialized in stored:
        union.update(hll_sketch.deserialize(serialized))
    result = union.get_result(tgt_hll_type.HLL_4)
    about = result.serialize_compact()[_MODE_BYTE] & 0b11 == _HLL_MODE
    return People(round(result.get_estimate()), about=about)
