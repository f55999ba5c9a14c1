"""A visitor's requests beyond 5 an hour on one campaign are suspicious.

Counted per step (landing page views, "Connect Spotify" clicks) on the
header visitor key (address, browser family and major version, language),
which a script cannot reset by dropping cookies. The tracker checks the
connect step before it stores a state (one conditional update of a count);
the click recorder checks page views off the request path, where a message
can come twice: its item holds the ids of the hour's first views instead of
a count, so a redelivered view adds nothing and is still within the limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import size

from soundlink.platform.counters import hour_of
from soundlink.platform.tables import RateItem

PER_HOUR = 5
LIFETIME = timedelta(hours=2)


def rate_item(campaign_id: str, step: str, at: datetime, rate_key: str) -> RateItem:
    return RateItem(*RateItem.key(campaign_id, step, hour_of(at), rate_key))


def rate_actions(at: datetime) -> list:
    return [RateItem.n.add(1), RateItem.expires_at.set(int((at + LIFETIME).timestamp()))]


def rate_condition():
    return RateItem.n.does_not_exist() | (RateItem.n < PER_HOUR)


def view_actions(at: datetime, click_id: str) -> list:
    return [RateItem.ids.add({click_id}), RateItem.expires_at.set(int((at + LIFETIME).timestamp()))]


def view_condition(click_id: str):
    """Fewer than PER_HOUR views so far, or this very view counted before (a redelivery)."""
    return RateItem.ids.does_not_exist() | (size(RateItem.ids) < PER_HOUR) | RateItem.ids.contains(click_id)


def within_limit(campaign_id: str, step: str, at: datetime, rate_key: str) -> bool:
    """Count one request; False (and nothing counted) once the hour's limit is reached."""
    try:
        rate_item(campaign_id, step, at, rate_key).update(actions=rate_actions(at), condition=rate_condition())
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
