"""DynamoDB adapters behind the domain's repository ports."""

from __future__ import annotations

import base64
import json

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError

from soundlink.campaigns.campaign import Campaign, CampaignStatus
from soundlink.campaigns.items import campaign_from_item, campaign_to_item
from soundlink.campaigns.service import Page, SlugTaken, StaleCampaign, is_campaign_id
from soundlink.platform.errors import BadRequest
from soundlink.platform.tables import CampaignItem, SlugClaim
from soundlink.platform.transactions import transaction


def _encode_cursor(last_evaluated_key: dict | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MAX_CURSOR_LENGTH = 2048
_CURSOR_KEYS = frozenset({"pk", "sk", "gsi1pk", "gsi1sk"})
_MAX_GSI1SK_LENGTH = 200


def _decode_cursor(cursor: str, owner_key: str) -> dict:
    key = _cursor_key(cursor)
    # A cursor only ever continues the listing it came from: refuse one that
    # points at another owner's partition, at another item, or is not ours at all.
    if key is None or not _continues_listing(key, owner_key):
        raise BadRequest("cursor is not valid: use the next_cursor of a previous page, or omit it")
    return {name: {"S": value} for name, value in key.items()}


def _cursor_key(cursor: str) -> dict[str, str] | None:
    """The string key attributes a cursor holds, exactly as _encode_cursor writes them; None for anything else."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, RecursionError):  # not base64 or ASCII, not UTF-8, not JSON, numbers too long, too deep
        return None
    if not isinstance(key, dict) or set(key) != _CURSOR_KEYS:
        return None
    values = {}
    for name, attribute in key.items():
        if not (isinstance(attribute, dict) and set(attribute) == {"S"} and isinstance(attribute["S"], str)):
            return None
        values[name] = attribute["S"]
    return values


def _continues_listing(key: dict[str, str], owner_key: str) -> bool:
    campaign_id = key["pk"].removeprefix("CAMPAIGN#")
    return (
        key["gsi1pk"] == owner_key
        and is_campaign_id(campaign_id)
        and (key["pk"], key["sk"]) == CampaignItem.key(campaign_id)
        and key["gsi1sk"].startswith("CAMPAIGN#")
        and key["gsi1sk"].endswith(f"#{campaign_id}")
        and len(key["gsi1sk"]) <= _MAX_GSI1SK_LENGTH
    )


class DynamoCampaignRepository:
    def create(self, campaign: Campaign) -> None:
        item = campaign_to_item(campaign)
        slug_pk, slug_sk = SlugClaim.key(campaign.slug)
        claim = SlugClaim(slug_pk, slug_sk, campaign_id=campaign.id, created_at=campaign.created_at)
        try:
            with transaction() as writes:
                writes.save(claim, condition=SlugClaim.pk.does_not_exist())
                writes.save(item, condition=CampaignItem.pk.does_not_exist())
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
        return self.get(claim.campaign_id) if claim.campaign_id else None  # a tombstone: its owner was deleted

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

    def count_for_owner(self, owner_id: str, up_to: int) -> int:
        # Keys only, pages of at most `up_to`: the count costs little however many there are.
        query = CampaignItem.by_owner.query(
            CampaignItem.owner_key(owner_id),
            CampaignItem.gsi1sk.startswith("CAMPAIGN#"),
            attributes_to_get=["pk"],
            limit=up_to,
        )
        return sum(1 for _ in query)

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
