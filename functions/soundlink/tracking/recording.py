"""record_clicks: a queued click becomes a stored, classified click, exactly once.

Each write is a plain conditional write (1 write unit), not a transaction
(2 per item); the counters are not moved here but from the table's stream
(tracking/counting.py, the count_clicks function), which sees each stored
click exactly once. So a click costs its raw item, plus for a person's page
view the visitor's marker of the day and their hourly view count.

Why a redelivery or a crash changes nothing:
- The raw click is written last, on condition that it does not exist: it is
  the guard. A redelivered click finds it (read first, for the whole batch:
  a read, not a write) and stops.
- What decides its class is claimed before it, in the click's name: the day's
  visit marker keeps the id of the click it made unique (a redelivery of that
  click finds its own id and is unique again; any other click of the visitor
  is not), and the hour's view count is the set of the first views' ids (adding
  an id twice adds it once; beyond 5 ids a view is suspicious unless its id is
  already in). A crash between a claim and the raw write is retried by SQS and
  reaches the same class; the stream counts the click when its raw item lands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from soundlink.platform.tables import ClickItem, VisitItem
from soundlink.tracking import rate
from soundlink.tracking.classify import ClickKind
from soundlink.tracking.clicks import DIRECT, UTM_FIELDS, Click
from soundlink.tracking.devices import describe
from soundlink.tracking.geo import country_of
from soundlink.tracking.visitors import day_of

VISIT_LIFETIME = timedelta(days=2)  # a visit marker only decides uniqueness within its day
MAX_BATCH_GET = 100  # DynamoDB's limit of keys in one BatchGetItem


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


def click_key(click: Click) -> tuple[str, str]:
    return ClickItem.key(click.campaign_id, click.at.isoformat(), click.id)


def recorded_already(clicks: Iterable[Click]) -> set[str]:
    """Ids of the clicks whose raw item is stored (a redelivery): one BatchGetItem per 100 clicks.

    Eventually consistent (half a read unit a click): SQS redelivers after the visibility
    timeout, long after the write is readable; a duplicate delivered at the same moment
    meets the raw click's condition instead."""
    keys = {click_key(click): click.id for click in clicks}
    found: set[str] = set()
    ordered = list(keys)
    for start in range(0, len(ordered), MAX_BATCH_GET):
        part = ordered[start : start + MAX_BATCH_GET]
        for item in ClickItem.batch_get(part, consistent_read=False, attributes_to_get=["pk", "sk"]):
            found.add(keys[(item.pk, item.sk)])
    return found


def record_click(click: Click, *, retention_days: int) -> Recorded:
    view = click.kind is ClickKind.HUMAN and click.step == "view"
    kind = click.kind
    if view and click.rate_key and not _claim_view(click):
        kind = ClickKind.SUSPICIOUS  # a person's sixth view of the hour
    human = kind is ClickKind.HUMAN
    unique = view and human and bool(click.visitor) and _claim_visit(click, click.visitor or "")
    if human and click.also_visitor:
        # The cookie this view set is this visitor too: its return today is no new visitor.
        _claim_visit(click, click.also_visitor, only_if_new=False)
    dims = dimensions_of(click) if human else {}
    stored_dims = {**dims, **{k: v for k, v in click.utm.items() if k in UTM_FIELDS}} if human else {}
    item = ClickItem(
        *click_key(click),
        expires_at=int((click.at + timedelta(days=retention_days)).timestamp()),
        click_id=click.id,
        campaign_id=click.campaign_id,
        clicked_at=click.at,
        kind=kind.value,
        step=click.step,
        consent_started=click.consent_started,
        unique=unique,
        visitor=click.visitor,
        dimensions={k: v for k, v in stored_dims.items() if v} or None,
        counted_from_stream=True,
    )
    try:
        item.save(condition=ClickItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return Recorded.DUPLICATE  # another delivery of the same message got there first
        raise
    return Recorded.UNIQUE if unique else Recorded.RECORDED


def _claim_view(click: Click) -> bool:
    """Whether the view is among the visitor's first 5 of the hour (counting it, once, if so)."""
    item = rate.rate_item(click.campaign_id, "view", click.at, click.rate_key or "")
    try:
        item.update(actions=rate.view_actions(click.at, click.id), condition=rate.view_condition(click.id))
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _claim_visit(click: Click, visitor: str, *, only_if_new: bool = True) -> bool:
    """Whether this click is the visitor's first of the day on the campaign (its marker claimed)."""
    marker = VisitItem(
        *VisitItem.key(click.campaign_id, day_of(click.at), visitor),
        expires_at=int((click.at + VISIT_LIFETIME).timestamp()),
        click_id=click.id,
    )
    condition = (VisitItem.pk.does_not_exist() | (VisitItem.click_id == click.id)) if only_if_new else None
    try:
        marker.save(condition=condition)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
