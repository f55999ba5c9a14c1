"""listeners.move_link_state: every move of a listener between the states a campaign counts
(none, active, idle, reauth_required, not_allowlisted) moves the campaign's STATES counter
exactly: one in, one out (moto)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from soundlink.listeners import links as listeners
from soundlink.listeners.links import ListenerStatus, move_link_state
from soundlink.platform.counters import campaign_key
from soundlink.platform.tables import CounterItem, ListenerLinkItem
from soundlink.platform.transactions import transaction

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STATES = [None, *(status.value for status in ListenerStatus)]


def connect(account_id: str, campaign_id: str = "camp-1") -> ListenerLinkItem:
    with transaction() as writes:
        listeners.connect(
            writes,
            account_id=account_id,
            spotify_user_id=f"user-{account_id}",
            display_name=None,
            sealed_tokens="v1.not-used-here",
            scopes="user-read-recently-played",
            now=T0,
            campaign_id=campaign_id,
            owner_id="owner-1",
            clicked_at=T0,
            window_ends_at=T0 + timedelta(days=14),
            click={},
        )
    return ListenerLinkItem.get(*ListenerLinkItem.key(account_id, campaign_id), consistent_read=True)


def states(campaign_id: str = "camp-1") -> dict[str, int]:
    try:
        item = CounterItem.get(campaign_key(campaign_id), "STATES", consistent_read=True)
    except CounterItem.DoesNotExist:
        return {}
    counts = {state: int(getattr(item, f"state_{state}") or 0) for state in STATES if state}
    return {state: n for state, n in counts.items() if n}


def test_every_move_takes_the_listener_out_of_the_old_state_and_into_the_new(tables):
    """Each of the 20 moves between two different states, each on a campaign of its own
    beside a bystander counted as active (one moto setup for all)."""
    for n, (old, new) in enumerate(itertools.permutations(STATES, 2)):
        campaign = f"camp-{n}"
        link = connect("acct", campaign)
        move_link_state(connect("other", campaign), ListenerStatus.ACTIVE.value)
        if old:
            assert move_link_state(link, old)
        expected = {"active": 1}
        if old:
            expected[old] = expected.get(old, 0) + 1
        assert states(campaign) == expected, (old, new)

        assert move_link_state(link, new) is True

        expected = {"active": 1}
        if new:
            expected[new] = expected.get(new, 0) + 1
        assert states(campaign) == expected, (old, new)
        stored = ListenerLinkItem.get(*ListenerLinkItem.key("acct", campaign), consistent_read=True)
        assert stored.state == new, (old, new)


@pytest.mark.parametrize("state", STATES)
def test_a_move_to_the_state_held_writes_nothing(tables, state):
    link = connect("acct")
    if state:
        move_link_state(link, state)
    before = states()
    assert move_link_state(link, state) is False
    assert states() == before


def test_a_move_from_a_stale_read_loses_to_the_move_made_meanwhile(tables):
    connect("acct")
    stale = ListenerLinkItem.get(*ListenerLinkItem.key("acct", "camp-1"), consistent_read=True)
    fresh = ListenerLinkItem.get(*ListenerLinkItem.key("acct", "camp-1"), consistent_read=True)
    assert move_link_state(fresh, "active")
    assert move_link_state(fresh, "reauth_required")
    assert move_link_state(stale, "idle") is False  # read as none: the listener is not counted twice
    assert states() == {"reauth_required": 1}


def test_a_move_of_a_deleted_link_writes_nothing(tables):
    link = connect("acct")
    link.delete()
    assert move_link_state(link, "active") is False
    assert states() == {}
