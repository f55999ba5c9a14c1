"""Campaigns to and from their DynamoDB items (shared by the owner API and the tracker)."""

from __future__ import annotations

from soundlink.campaigns.campaign import AttributionModel, Campaign, CampaignStatus
from soundlink.campaigns.spend import Spend
from soundlink.platform.tables import CampaignItem


def campaign_to_item(campaign: Campaign) -> CampaignItem:
    pk, sk = CampaignItem.key(campaign.id)
    item = CampaignItem(
        pk,
        sk,
        gsi1pk=CampaignItem.owner_key(campaign.owner_id),
        gsi1sk=f"CAMPAIGN#{campaign.created_at.isoformat()}#{campaign.id}",
        campaign_id=campaign.id,
        owner_id=campaign.owner_id,
        name=campaign.name,
        slug=campaign.slug,
        playlist_id=campaign.playlist_id,
        destination_url=campaign.destination_url,
        attribution_window_days=campaign.attribution_window_days,
        attribution_model=campaign.attribution_model.value,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        status=campaign.status.value,
        created_at=campaign.created_at,
        updated_at=campaign.updated_at,
        archived_at=campaign.archived_at,
        presented_by=campaign.presented_by,
        playlist_name=campaign.playlist_name,
        playlist_image_url=campaign.playlist_image_url,
        measure_fans=campaign.measure_fans or None,
        spend=campaign.spend.to_json() if campaign.spend else None,
        playlist_warning=campaign.playlist_warning,
    )
    if campaign.version:
        item.version = campaign.version
    return item


def campaign_from_item(item: CampaignItem) -> Campaign:
    return Campaign(
        id=item.campaign_id,
        owner_id=item.owner_id,
        name=item.name,
        slug=item.slug,
        playlist_id=item.playlist_id,
        destination_url=item.destination_url,
        attribution_window_days=int(item.attribution_window_days),
        attribution_model=AttributionModel(item.attribution_model),
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        status=CampaignStatus(item.status),
        created_at=item.created_at,
        updated_at=item.updated_at,
        archived_at=item.archived_at,
        version=int(item.version or 0),
        presented_by=item.presented_by,
        playlist_name=item.playlist_name,
        playlist_image_url=item.playlist_image_url,
        measure_fans=bool(item.measure_fans),
        spend=Spend.from_json(item.spend),
        playlist_warning=item.playlist_warning,
    )
