"""The DynamoDB adapter against moto, with tables from template.yaml."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from soundlink.campaigns.campaign import AttributionModel, Campaign, CampaignStatus
from soundlink.campaigns.repository import DynamoCampaignRepository
from soundlink.campaigns.service import SlugTaken, StaleCampaign
from soundlink.platform.settings import Settings
from soundlink.platform.tables import bind_tables

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def repo(aws):
    env = {
        "DATA_TABLE": aws["DataTable"],
        "EVENTS_TABLE": aws["EventsTable"],
        "STATS_TABLE": aws["StatsTable"],
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    bind_tables(Settings.from_env(env))
    return DynamoCampaignRepository()


def campaign(campaign_id="c1", slug="slug000001", owner="o"):
    return Campaign(
        id=campaign_id,
        owner_id=owner,
        name="n",
        slug=slug,
        playlist_id="37i9dQZF1DXcBWIGoYBM5M",
        destination_url="https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M",
        attribution_window_days=14,
        attribution_model=AttributionModel.TIME_DECAY,
        starts_at=None,
        ends_at=datetime(2027, 1, 1, tzinfo=UTC),
        status=CampaignStatus.ACTIVE,
        created_at=NOW,
        updated_at=NOW,
    )


def test_round_trip(repo):
    repo.create(campaign())
    stored = repo.get("c1")
    assert replace(stored, version=0) == campaign()
    assert stored.version == 1
    assert repo.get_by_slug("slug000001") == stored
    assert repo.get("nope") is None
    assert repo.get_by_slug("nope") is None


def test_a_taken_slug_stores_nothing(repo):
    repo.create(campaign())
    with pytest.raises(SlugTaken):
        repo.create(campaign(campaign_id="c2"))
    assert repo.get("c2") is None
    assert repo.get_by_slug("slug000001").id == "c1"


def test_save_refuses_a_stale_version(repo):
    repo.create(campaign())
    first = repo.get("c1")
    saved = repo.save(replace(first, name="first"))
    assert saved.version == first.version + 1
    with pytest.raises(StaleCampaign):
        repo.save(replace(first, name="second"))
    assert repo.get("c1").name == "first"
