"""record_clicks: a queued click becomes a stored click and its counters, exactly once.

One DynamoDB transaction per click writes the raw click (guarded by its key:
a redelivered message changes nothing), the first-visit marker of its
visitor key for the day (guarded too: its absence makes the click unique),
for a person's page view the visitor's count of the hour (guarded: beyond
5 the view is suspicious, tracking/rate.py) and every counter the click
moves (total, hour, each dimension).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

from pynamodb.exceptions import TransactWriteError

from soundlink.platform.counters import add_counts
from soundlink.platform.tables import ClickItem, VisitItem
from soundlink.platform.transactions import failed_conditions, transaction
from soundlink.tracking import rate
from soundlink.tracking.classify import ClickKind
from soundlink.tracking.clicks import DIRECT, UTM_FIELDS, Click
from soundlink.tracking.devices import describe
from soundlink.tracking.geo import country_of
from soundlink.tracking.visitors import day_of

VISIT_LIFETIME = timedelta(days=2)  # a visit marker only decides uniqueness within its day


class Recorded(StrEnum):
    RECORDED = "recorded"
    UNIQUE = "unique"
    DUPLICATE = "duplicate"


def dimensions(
    referrer: str, utm: Mapping[str, Any], user_agent: str, country: str | None, network: str | None
) -> dict[str, str]:
    """The values counters are broken down by: where a visitor came from (referrer, UTM)
    and what they used (device, browser, OS, country)."""
    dims = {"referrer": referrer or DIRECT}
    for name in ("utm_source", "utm_medium", "utm_campaign"):
        dims[name] = utm.get(name) or ""
    dims.update(describe(user_agent))
    dims["country"] = country or country_of(network)
    return dims


def dimensions_of(click: Click) -> dict[str, str]:
    """Where a human click came from."""
    return dimensions(click.referrer, click.utm, click.user_agent, click.country, click.network)


def record_click(click: Click, *, retention_days: int) -> Recorded:
    expires_at = int((click.at + timedelta(days=retention_days)).timestamp())
    day = day_of(click.at)
    view = click.kind is ClickKind.HUMAN and click.step == "view"
    # A person's view first tries as the visitor's first of the day and within the hour's limit;
    # a failed condition says which it is not, and the next attempt counts it as that.
    unique, within = view and bool(click.visitor), view and bool(click.rate_key)
    for _attempt in range(3):
        kind = click.kind if within or not (view and click.rate_key) else ClickKind.SUSPICIOUS
        human = kind is ClickKind.HUMAN
        dims = dimensions_of(click) if human else {}
        stored_dims = {**dims, **{k: v for k, v in click.utm.items() if k in UTM_FIELDS}} if human else {}
        counted_unique = unique and human
        item = ClickItem(
            *ClickItem.key(click.campaign_id, click.at.isoformat(), click.id),
            expires_at=expires_at,
            click_id=click.id,
            campaign_id=click.campaign_id,
            clicked_at=click.at,
            kind=kind.value,
            step=click.step,
            consent_started=click.consent_started,
            unique=counted_unique,
            visitor=click.visitor,
            dimensions={k: v for k, v in stored_dims.items() if v} or None,
        )
        counts = _counts(replace(click, kind=kind), counted_unique)
        conditions: dict[int, str] = {}  # position in the transaction -> what its condition guards
        try:
            with transaction() as writes:
                writes.save(item, condition=ClickItem.pk.does_not_exist())
                position = 1
                if counted_unique:
                    visit = VisitItem(
                        *VisitItem.key(click.campaign_id, day, click.visitor or ""),
                        expires_at=int((click.at + VISIT_LIFETIME).timestamp()),
                    )
                    writes.save(visit, condition=VisitItem.pk.does_not_exist())
                    conditions[position], position = "visit", position + 1
                if human and click.also_visitor:
                    # The cookie this view set is this visitor too: its return today is no new visitor.
                    seen = VisitItem(
                        *VisitItem.key(click.campaign_id, day, click.also_visitor),
                        expires_at=int((click.at + VISIT_LIFETIME).timestamp()),
                    )
                    writes.save(seen)
                    position += 1
                if human and view and click.rate_key:
                    writes.update(
                        rate.rate_item(click.campaign_id, "view", click.at, click.rate_key),
                        actions=rate.rate_actions(click.at),
                        condition=rate.rate_condition(),
                    )
                    conditions[position] = "rate"
                add_counts(writes, click.campaign_id, click.at, counts, event_id=click.id, dimensions=dims)
        except TransactWriteError as error:
            failed = failed_conditions(error)
            if 0 in failed:
                return Recorded.DUPLICATE
            which = {conditions[i] for i in failed if i in conditions}
            if not which:
                raise
            within = within and "rate" not in which
            unique = unique and "visit" not in which
            continue
        return Recorded.UNIQUE if counted_unique else Recorded.RECORDED
    raise AssertionError("unreachable: the third attempt has no condition left to fail")


def _counts(click: Click, unique: bool) -> dict[str, int]:
    if click.kind is ClickKind.BOT:
        return {"bot_clicks": 1}
    if click.kind is ClickKind.PREFETCH:
        return {"prefetches": 1}
    if click.kind is ClickKind.SUSPICIOUS:
        return {"suspicious_clicks": 1}
    if click.step == "connect":
        return {"connect_clicks": 1, "consents_started": int(click.consent_started)}
    if click.step == "play":
        return {"just_play_clicks": 1}
    return {"clicks": 1, "unique_clicks": int(unique)}
