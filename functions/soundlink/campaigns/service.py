"""Campaigns: what an owner creates, shares and archives, and the rules for it.

The service receives its repository as a port (`CampaignRepository`), so the
rules are tested with an in-memory fake and the DynamoDB adapter with moto.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from soundlink.campaigns.campaign import SLUG_ALPHABET, SLUG_LENGTH, Campaign, CampaignStatus, check_period
from soundlink.campaigns.playlist_ref import PlaylistRef
from soundlink.platform.errors import BadRequest, Conflict, NotFound

if TYPE_CHECKING:
    from soundlink.campaigns.schemas import CampaignCreate, CampaignUpdate

SLUG_ATTEMPTS = 5
# Campaign ids are uuid4 strings as `str(uuid.uuid4())` writes them.
_CAMPAIGN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def is_campaign_id(value: str) -> bool:
    """Whether a value could be the id of a campaign (checked before any read)."""
    return _CAMPAIGN_ID.fullmatch(value) is not None


class SlugTaken(Exception):
    """The slug chosen for a new campaign already belongs to another one."""


class StaleCampaign(Exception):
    """The campaign changed between read and write (optimistic locking)."""


@dataclass(frozen=True)
class PlaylistSeen:
    """What reading the playlist at creation found: its name and cover, or why it could not be read."""

    name: str | None = None
    image_url: str | None = None
    warning: str | None = None


@dataclass(frozen=True)
class Page:
    campaigns: list[Campaign]
    next_cursor: str | None


class CampaignRepository(Protocol):
    def create(self, campaign: Campaign) -> None:
        """Store a new campaign and claim its slug; SlugTaken if the slug is used."""

    def get(self, campaign_id: str) -> Campaign | None: ...

    def get_by_slug(self, slug: str) -> Campaign | None: ...

    def list_for_owner(self, owner_id: str, *, limit: int, cursor: str | None, status: CampaignStatus | None) -> Page:
        """An owner's campaigns, newest first; BadRequest for a cursor it did not issue."""

    def save(self, campaign: Campaign) -> Campaign:
        """Replace a stored campaign if its version is unchanged (else StaleCampaign)."""

    def count_for_owner(self, owner_id: str, up_to: int) -> int:
        """How many campaigns (archived included) the owner has, counted up to `up_to`."""


def new_slug() -> str:
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class CampaignService:
    def __init__(
        self,
        repository: CampaignRepository,
        *,
        now: Callable[[], datetime] = _utcnow,
        slugs: Callable[[], str] = new_slug,
        max_per_owner: int = 100,
    ) -> None:
        self._repository = repository
        self._max_per_owner = max_per_owner
        self._now = now
        self._slugs = slugs

    def create(self, owner_id: str, draft: CampaignCreate, playlist_seen: PlaylistSeen | None = None) -> Campaign:
        """Store a new campaign; `playlist_seen` is what the playlist check found (name, cover or a warning)."""
        now = self._now()
        seen = playlist_seen or PlaylistSeen()
        if draft.ends_at and draft.ends_at <= now:
            raise BadRequest("ends_at is in the past: a campaign must end in the future")
        # Anyone may sign up as an owner: the cap bounds what one account can create (checked
        # before the write, so two concurrent requests may pass it by one).
        if self._repository.count_for_owner(owner_id, self._max_per_owner) >= self._max_per_owner:
            raise Conflict(
                f"you have {self._max_per_owner} campaigns, the most this installation allows per owner "
                "(archived ones count too); ask its operator to raise MaxCampaignsPerOwner"
            )
        playlist = PlaylistRef(draft.playlist)
        campaign_id = str(uuid.uuid4())
        for _ in range(SLUG_ATTEMPTS):
            campaign = Campaign(
                id=campaign_id,
                owner_id=owner_id,
                name=draft.name,
                presented_by=draft.presented_by,
                slug=self._slugs(),
                playlist_id=playlist.id,
                destination_url=draft.destination_url or playlist.url,
                attribution_window_days=draft.attribution_window_days,
                attribution_model=draft.attribution_model,
                measure_fans=draft.measure_fans,
                spend=draft.spend.to_spend() if draft.spend else None,
                playlist_name=seen.name,
                playlist_image_url=seen.image_url,
                playlist_warning=seen.warning,
                starts_at=draft.starts_at,
                ends_at=draft.ends_at,
                status=CampaignStatus.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            try:
                self._repository.create(campaign)
            except SlugTaken:
                continue
            return campaign
        # Reaching this means the slug space is nearly full or the random
        # source is broken; either way retrying the request is the fix.
        raise Conflict("could not allocate a unique tracker slug; please try again")

    def get(self, owner_id: str, campaign_id: str) -> Campaign:
        # An id this service cannot have issued is not looked up (nor echoed in full).
        if not is_campaign_id(campaign_id):
            shown = campaign_id if len(campaign_id) <= 40 else campaign_id[:40] + "…"
            raise NotFound(f"campaign {shown!r} not found")
        campaign = self._repository.get(campaign_id)
        # Another owner's campaign is indistinguishable from a missing one.
        if campaign is None or campaign.owner_id != owner_id:
            raise NotFound(f"campaign {campaign_id} not found")
        return campaign

    def list(
        self, owner_id: str, *, limit: int = 50, cursor: str | None = None, status: CampaignStatus | None = None
    ) -> Page:
        return self._repository.list_for_owner(owner_id, limit=limit, cursor=cursor, status=status)

    def update(self, owner_id: str, campaign_id: str, changes: CampaignUpdate) -> Campaign:
        campaign = self.get(owner_id, campaign_id)
        if campaign.status is CampaignStatus.ARCHIVED:
            raise Conflict(f"campaign {campaign_id} is archived; archived campaigns cannot be changed")
        fields = changes.model_dump(exclude_unset=True, exclude={"playlist", "spend"})
        if "spend" in changes.model_fields_set:
            fields["spend"] = changes.spend.to_spend() if changes.spend else None
        if "destination_url" in fields:
            fields["destination_url"] = fields["destination_url"] or campaign.playlist.url
        updated = replace(campaign, **fields, updated_at=self._now())
        try:
            check_period(updated.starts_at, updated.ends_at)
        except ValueError as error:
            raise BadRequest(str(error)) from None
        return self._save(updated)

    def archive(self, owner_id: str, campaign_id: str) -> Campaign:
        """Stop the tracker from starting new consents; analytics are kept."""
        campaign = self.get(owner_id, campaign_id)
        if campaign.status is CampaignStatus.ARCHIVED:
            return campaign
        now = self._now()
        return self._save(replace(campaign, status=CampaignStatus.ARCHIVED, archived_at=now, updated_at=now))

    def _save(self, campaign: Campaign) -> Campaign:
        try:
            return self._repository.save(campaign)
        except StaleCampaign:
            raise Conflict(f"campaign {campaign.id} was changed by another request; reload it and try again") from None
