"""DynamoDB adapters behind the domain's repository ports."""

from __future__ import annotations

import base64
import binascii
import json

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from soundlink.campaigns import (
    AttributionModel,
    Campaign,
    CampaignStatus,
    Page,
    SlugTaken,
    StaleCampaign,
)
from soundlink.errors import BadRequest
from soundlink.models import CampaignItem, SlugClaim


def _encode_cursor(last_evaluated_key: dict | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, owner_key: str) -> dict:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError):
        key = None
    # A cursor only ever continues the listing it came from: refuse one that
    # points at another owner's partition or is not ours at all.
    if (
        not isinstance(key, dict)
        or key.get("gsi1pk", {}).get("S") != owner_key
        or not all(isinstance(key.get(name), dict) for name in ("pk", "sk", "gsi1sk"))
    ):
        raise BadRequest("cursor is not valid: use the next_cursor of a previous page, or omit it")
    return key


def _to_item(campaign: Campaign) -> CampaignItem:
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
    )
    if campaign.version:
        item.version = campaign.version
    return item


def _to_campaign(item: CampaignItem) -> Campaign:
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
    )


class DynamoCampaignRepository:
    def create(self, campaign: Campaign) -> None:
        item = _to_item(campaign)
        slug_pk, slug_sk = SlugClaim.key(campaign.slug)
        claim = SlugClaim(slug_pk, slug_sk, campaign_id=campaign.id, created_at=campaign.created_at)
        connection = Connection(region=CampaignItem.Meta.region, host=CampaignItem.Meta.host)
        try:
            with TransactWrite(connection=connection) as transaction:
                transaction.save(claim, condition=SlugClaim.pk.does_not_exist())
                transaction.save(item, condition=CampaignItem.pk.does_not_exist())
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                raise SlugTaken(campaign.slug) from error
            raise

    def get(self, campaign_id: str) -> Campaign | None:
        try:
            return _to_campaign(CampaignItem.get(*CampaignItem.key(campaign_id), consistent_read=True))
        except DoesNotExist:
            return None

    def get_by_slug(self, slug: str) -> Campaign | None:
        try:
            claim = SlugClaim.get(*SlugClaim.key(slug))
        except DoesNotExist:
            return None
        return self.get(claim.campaign_id)

    def list_for_owner(self, owner_id: str, *, limit: int, cursor: str | None, status: CampaignStatus | None) -> Page:
        owner_key = CampaignItem.owner_key(owner_id)
        start = _decode_cursor(cursor, owner_key) if cursor else None
        query = CampaignItem.by_owner.query(
            owner_key,
            CampaignItem.gsi1sk.startswith("CAMPAIGN#"),
            filter_condition=(CampaignItem.status == status.value) if status else None,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=start,
        )
        campaigns = [_to_campaign(item) for item in query]
        return Page(campaigns=campaigns, next_cursor=_encode_cursor(query.last_evaluated_key))

    def save(self, campaign: Campaign) -> Campaign:
        item = _to_item(campaign)
        try:
            # VersionAttribute makes this a conditional put on the version read.
            item.save()
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise StaleCampaign(campaign.id) from error
            raise
        return _to_campaign(item)
