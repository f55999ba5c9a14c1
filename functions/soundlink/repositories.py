"""DynamoDB adapters behind the domain's repository ports."""

from __future__ import annotations

import base64
import binascii
import json

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from soundlink.campaign_items import campaign_from_item, campaign_to_item
from soundlink.campaigns import (
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


class DynamoCampaignRepository:
    def create(self, campaign: Campaign) -> None:
        item = campaign_to_item(campaign)
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
            return campaign_from_item(CampaignItem.get(*CampaignItem.key(campaign_id), consistent_read=True))
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
        campaigns = [campaign_from_item(item) for item in query]
        return Page(campaigns=campaigns, next_cursor=_encode_cursor(query.last_evaluated_key))

    def save(self, campaign: Campaign) -> Campaign:
        item = campaign_to_item(campaign)
        try:
            # VersionAttribute makes this a conditional put on the version read.
            item.save()
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise StaleCampaign(campaign.id) from error
            raise
        return campaign_from_item(item)
