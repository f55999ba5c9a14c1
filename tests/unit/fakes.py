"""In-memory fakes of the domain's ports, for fast unit tests of the rules."""

from __future__ import annotations

from dataclasses import replace

from soundlink.campaigns.campaign import Campaign, CampaignStatus
from soundlink.campaigns.service import Page, SlugTaken, StaleCampaign


class InMemoryCampaigns:
    def __init__(self) -> None:
        self.by_id: dict[str, Campaign] = {}
        self.slugs: dict[str, str] = {}

    def create(self, campaign: Campaign) -> None:
        if campaign.slug in self.slugs:
            raise SlugTaken(campaign.slug)
        self.slugs[campaign.slug] = campaign.id
        self.by_id[campaign.id] = replace(campaign, version=1)

    def get(self, campaign_id: str) -> Campaign | None:
        return self.by_id.get(campaign_id)

    def get_by_slug(self, slug: str) -> Campaign | None:
        campaign_id = self.slugs.get(slug)
        return self.by_id.get(campaign_id) if campaign_id else None

    def list_for_owner(self, owner_id, *, limit, cursor, status: CampaignStatus | None) -> Page:
        mine = sorted(
            (c for c in self.by_id.values() if c.owner_id == owner_id and (status is None or c.status is status)),
            key=lambda c: c.created_at,
            reverse=True,
        )
        start = int(cursor or 0)
        chunk = mine[start : start + limit]
        more = start + limit < len(mine)
        return Page(campaigns=chunk, next_cursor=str(start + limit) if more else None)

    def count_for_owner(self, owner_id: str, up_to: int) -> int:
        return min(up_to, sum(1 for c in self.by_id.values() if c.owner_id == owner_id))

    def save(self, campaign: Campaign) -> Campaign:
        stored = self.by_id[campaign.id]
        if stored.version != campaign.version:
            raise StaleCampaign(campaign.id)
        saved = replace(campaign, version=campaign.version + 1)
        self.by_id[campaign.id] = saved
        return saved
