"""A deleted owner's tracker links: "this campaign has ended", a link to Spotify, nothing counted."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from soundlink.owners.deletion import OwnerDeletion
from soundlink.platform.settings import get_settings
from soundlink.tracking.tracker import CAMPAIGN_CACHE_SECONDS
from tests.handlers.test_tracker_handler import SLACKBOT, SLUG

PLAYLIST_URL = "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M"


def _delete_owner(owner_id: str) -> None:
    settings = get_settings()
    OwnerDeletion(
        settings, dynamodb=boto3.client("dynamodb", region_name="us-east-1"), users=None, now=lambda: datetime.now(UTC)
    ).run(owner_id)


@pytest.mark.parametrize("step", ["", "connect", "play"])
def test_a_deleted_campaigns_link_says_it_ended_and_counts_nothing(make_app, dynamo_calls, step):
    app = make_app(campaign={"destination_url": "https://open.spotify.com/album/1"})
    _delete_owner(app.campaign.owner_id)
    app.clock.now += CAMPAIGN_CACHE_SECONDS + 1  # past the tracker's cache of the campaign
    dynamo_calls.clear()

    response = app.click(step=step)

    assert response["statusCode"] == 410
    assert "This campaign has ended" in response["body"]
    assert f'href="{PLAYLIST_URL}"' in response["body"]  # the playlist, not the deleted campaign's destination
    assert app.messages() == []  # no click queued: counted nowhere
    assert [operation for operation, _ in dynamo_calls] == ["GetItem"]  # the slug's tombstone, nothing written
    assert "Set-Cookie" not in response.get("headers", {}) and not response.get("cookies")


def test_bots_and_head_get_the_ended_page_too_and_nothing_is_counted(make_app):
    app = make_app(campaign={})
    _delete_owner(app.campaign.owner_id)
    app.clock.now += CAMPAIGN_CACHE_SECONDS + 1
    assert app.click(user_agent=SLACKBOT)["statusCode"] == 410
    head = app.click(method="HEAD")
    assert head["statusCode"] == 410 and head["body"] == ""
    assert app.messages() == []


def test_a_deleted_campaigns_slug_is_not_given_to_a_new_campaign(make_app):
    from soundlink.campaigns.repository import DynamoCampaignRepository
    from soundlink.campaigns.service import SlugTaken
    from tests.handlers.test_tracker_handler import create_campaign

    app = make_app(campaign={})
    _delete_owner(app.campaign.owner_id)
    assert DynamoCampaignRepository().get_by_slug(SLUG) is None
    with pytest.raises(SlugTaken):
        create_campaign(owner_id="someone-else")
