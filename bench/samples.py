"""The sample campaign the benchmarks time against, built in one place.

Imports soundlink lazily: bench/stubs.py must be installed before the code being timed
imports botocore, so nothing here loads at bench import time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

PLAYLIST_ID = "37i9dQZF1DXcBWIGoYBM5M"


def sample_campaign(
    campaign_id: str,
    owner_id: str,
    slug: str,
    now: datetime,
    name: str = "Sample",
    *,
    playlist_id: str = PLAYLIST_ID,
    window_days: int = 14,
) -> Any:
    """An active last-touch campaign (the sample playlist and a 14-day window by default), created at ``now``."""
    from soundlink.campaigns.campaign import AttributionModel, Campaign, CampaignStatus

    return Campaign(
        id=campaign_id,
        owner_id=owner_id,
        name=name,
        slug=slug,
        playlist_id=playlist_id,
        destination_url=f"https://open.spotify.com/playlist/{playlist_id}",
        attribution_window_days=window_days,
        attribution_model=AttributionModel.LAST_TOUCH,
        starts_at=None,
        ends_at=None,
        status=CampaignStatus.ACTIVE,
        created_at=now,
        updated_at=now,
    )
