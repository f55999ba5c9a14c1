"""Deleting an owner: their campaigns and everything under them, their Spotify connection,
their settings, then their Cognito user.

Used by DELETE /owner (the owner, from the dashboard) and by `python -m scripts.delete_owner`
(an operator). The order is what makes it safe to stop anywhere and run again:

1. per campaign (found through gsi1 OWNER#{owner}, so a campaign is found as long as
   its item exists, and its item is deleted last):
   a. the slug claim becomes a tombstone: the tracker answers "this campaign has ended"
      and links to the playlist on Spotify, starting and counting nothing;
   b. its listener links (gsi2 CAMPAIGN#{id}), fans baselines and the owner's play guards;
      a listener left with no campaign at all is deleted like a disconnect
      (listeners/deletion.py), so nobody is polled for a deleted campaign;
   c. its attributions (DataTable), counters (StatsTable), raw clicks and the first-visit and
      decline markers named after them (EventsTable, DataTable);
   d. the campaign item;
2. the owner's partition OWNER#{owner}: Spotify connection (tokens), why it ended, settings;
3. the Cognito user, last: until then the owner can sign in and run it again.

Every step deletes what is there and ignores what is not, so a second run after a
failure finishes the job, and a run after success finds nothing and changes nothing.
Work is checked against a deadline between pages: the HTTP API gives a request 30
seconds, so a very large account is deleted over several calls (each resumes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from soundlink.campaigns.playlist_ref import PlaylistRef
from soundlink.listeners.deletion import delete_keys, delete_listener_data
from soundlink.platform.settings import Settings
from soundlink.platform.tables import CampaignItem, ListenerLinkItem, SlugClaim

# Keys per Query page: one page is the work between two looks at the clock (at most 8 batch writes).
PAGE_SIZE = 200


class OutOfTime(Exception):
    """The deadline passed between two steps: what is done stays done; run again to go on."""


@dataclass
class DeletionReport:
    campaigns: int = 0
    items: int = 0
    listeners_deleted: int = 0
    user_deleted: bool = False
    complete: bool = False
    steps: list[str] = field(default_factory=list)


class CognitoUsers:
    """The owner's Cognito user, found by `sub` (the username may differ from it)."""

    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    def delete(self, owner_id: str) -> bool:
        """Delete the user whose sub is `owner_id`; False when there is none (already deleted)."""
        if '"' in owner_id or "\\" in owner_id:
            raise ValueError("an owner id never holds quotes or backslashes")
        found = self._client.list_users(UserPoolId=self._pool, Filter=f'sub = "{owner_id}"', Limit=1)["Users"]
        if not found:
            return False
        try:
            self._client.admin_delete_user(UserPoolId=self._pool, Username=found[0]["Username"])
        except self._client.exceptions.UserNotFoundException:
            return False
        return True


class OwnerDeletion:
    def __init__(
        self,
        settings: Settings,
        *,
        dynamodb: Any,
        users: CognitoUsers | None,
        now: Callable[[], datetime],
        time_left: Callable[[], float] = lambda: float("inf"),
        reserve_seconds: float = 5.0,
    ) -> None:
        self._settings = settings
        self._dynamodb = dynamodb
        self._users = users
        self._now = now
        self._time_left = time_left
        self._reserve = reserve_seconds

    def run(self, owner_id: str) -> DeletionReport:
        """Delete what is left of the owner; `complete` is False if the deadline came first."""
        report = DeletionReport()
        try:
            for campaign in self._campaigns(owner_id):
                self._delete_campaign(owner_id, campaign, report)
                report.campaigns += 1
            self._check_time()
            report.items += self._delete(self._settings.data_table, self._partition(f"OWNER#{owner_id}"))
            report.steps.append("owner")
            if self._users is not None:
                report.user_deleted = self._users.delete(owner_id)
                report.steps.append("cognito")
        except OutOfTime:
            return report
        report.complete = True
        return report

    # ------------------------------------------------------------ steps

    def _campaigns(self, owner_id: str) -> Iterator[CampaignItem]:
        # Every status; consistent reads are not offered on a GSI, so a campaign created a
        # moment before is found by the next run (the second call the dashboard makes).
        yield from CampaignItem.by_owner.query(
            CampaignItem.owner_key(owner_id), CampaignItem.gsi1sk.startswith("CAMPAIGN#")
        )

    def _delete_campaign(self, owner_id: str, campaign: CampaignItem, report: DeletionReport) -> None:
        campaign_id = campaign.campaign_id
        self._check_time()
        self._tombstone(campaign)
        for link in ListenerLinkItem.by_campaign.query(f"CAMPAIGN#{campaign_id}"):
            self._check_time()
            report.listeners_deleted += self._unlink(owner_id, link)
        data, stats = self._settings.data_table, self._settings.stats_table
        campaign_key = {"pk": {"S": f"CAMPAIGN#{campaign_id}"}, "sk": {"S": "CAMPAIGN"}}
        # Attributions and the rest of the campaign's partition; the campaign item itself last.
        report.items += self._delete(data, self._partition(f"CAMPAIGN#{campaign_id}"), keep=campaign_key)
        report.items += self._delete(stats, self._partition(f"CAMPAIGN#{campaign_id}", table=stats))
        report.items += self._delete_clicks(campaign_id)
        self._check_time()
        report.items += delete_keys(self._dynamodb, data, [campaign_key])
        report.steps.append(f"campaign {campaign_id}")

    def _tombstone(self, campaign: CampaignItem) -> None:
        """The slug stays claimed (never reused) but names no campaign any more."""
        try:
            SlugClaim(*SlugClaim.key(campaign.slug)).update(
                actions=[
                    SlugClaim.campaign_id.remove(),
                    SlugClaim.ended_at.set(self._now()),
                    SlugClaim.ended_destination.set(PlaylistRef(campaign.playlist_id).url),
                ],
                condition=SlugClaim.campaign_id == campaign.campaign_id,
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise  # a tombstone already (an earlier run), or the claim of another campaign: leave it

    def _unlink(self, owner_id: str, link: ListenerLinkItem) -> int:
        """Remove a listener's link to the campaign; the whole listener when it has no other.

        The listener goes first and the link with it: a run stopped in between finds the
        link again next time, never a listener left without links (and still polled)."""
        account = link.account_id
        data = self._settings.data_table
        others = [
            k
            for k in self._pages(data, f"LISTENER#{account}", sk_prefix="LINK#")
            if k["sk"]["S"] != f"LINK#{link.campaign_id}"
        ]
        if not others:
            delete_listener_data(self._dynamodb, data, account)
            return 1
        # The exactly-once guards of this owner's campaigns for the listener's plays.
        guards = [
            key
            for key in self._pages(data, f"LISTENER#{account}", sk_prefix="PLAY#")
            if key["sk"]["S"].endswith(f"#{owner_id}")
        ]
        delete_keys(
            self._dynamodb,
            data,
            [
                *guards,
                {"pk": {"S": f"LISTENER#{account}"}, "sk": {"S": f"FANS#{link.campaign_id}"}},
                {"pk": {"S": f"LISTENER#{account}"}, "sk": {"S": f"LINK#{link.campaign_id}"}},
            ],
        )
        return 0

    def _delete_clicks(self, campaign_id: str) -> int:
        """Raw clicks, and the markers keyed by their visitor and day (first visits, declines)."""
        events, data = self._settings.events_table, self._settings.data_table
        deleted = 0
        arguments = {
            "TableName": events,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"CAMPAIGN#{campaign_id}"}},
            "ProjectionExpression": "pk, sk, visitor, clicked_at",
        }
        for page in self._dynamodb.get_paginator("query").paginate(
            **arguments, PaginationConfig={"PageSize": PAGE_SIZE}
        ):
            self._check_time()
            clicks = [{"pk": item["pk"], "sk": item["sk"]} for item in page["Items"]]
            visits, declines = [], []
            for item in page["Items"]:
                visitor = item.get("visitor", {}).get("S")
                clicked = item.get("clicked_at", {}).get("S")
                if not visitor or not clicked:
                    continue
                day = date.fromisoformat(clicked[:10])  # UTC, as the keys name days
                for moment in (day, day + timedelta(days=1)):  # a decline comes minutes after its click
                    declines.append(
                        {"pk": {"S": f"DECLINE#{campaign_id}#{moment.isoformat()}#{visitor}"}, "sk": {"S": "DECLINE"}}
                    )
                visits.append({"pk": {"S": f"VISIT#{campaign_id}#{day.isoformat()}#{visitor}"}, "sk": {"S": "VISIT"}})
            delete_keys(self._dynamodb, events, visits)
            delete_keys(self._dynamodb, data, declines)
            deleted += delete_keys(self._dynamodb, events, clicks)
        return deleted

    # ------------------------------------------------------------ helpers

    def _partition(self, pk: str, *, table: str | None = None) -> Iterator[list[dict[str, Any]]]:
        yield from self._key_pages(table or self._settings.data_table, pk)

    def _key_pages(self, table: str, pk: str, sk_prefix: str | None = None) -> Iterator[list[dict[str, Any]]]:
        condition = "pk = :pk" + (" AND begins_with(sk, :sk)" if sk_prefix else "")
        values = {":pk": {"S": pk}, **({":sk": {"S": sk_prefix}} if sk_prefix else {})}
        arguments = {
            "TableName": table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ProjectionExpression": "pk, sk",
            "ConsistentRead": True,
        }
        for page in self._dynamodb.get_paginator("query").paginate(
            **arguments, PaginationConfig={"PageSize": PAGE_SIZE}
        ):
            yield [{"pk": item["pk"], "sk": item["sk"]} for item in page["Items"]]

    def _pages(self, table: str, pk: str, *, sk_prefix: str) -> Iterator[dict[str, Any]]:
        for page in self._key_pages(table, pk, sk_prefix):
            yield from page

    def _delete(self, table: str, pages: Iterator[list[dict[str, Any]]], *, keep: dict[str, Any] | None = None) -> int:
        deleted = 0
        for keys in pages:
            self._check_time()
            deleted += delete_keys(self._dynamodb, table, [key for key in keys if key != keep])
        return deleted

    def _check_time(self) -> None:
        if self._time_left() < self._reserve:
            raise OutOfTime


def deletion_for(
    settings: Settings, *, time_left: Callable[[], float] = lambda: float("inf"), reserve_seconds: float = 5.0
) -> OwnerDeletion:
    """The deletion wired to the deployment: the container's DynamoDB client, the owners' user pool."""
    import boto3

    from soundlink.platform.tables import shared_connection

    users = None
    if settings.owner_user_pool_id:
        users = CognitoUsers(boto3.client("cognito-idp", region_name=settings.region), settings.owner_user_pool_id)
    return OwnerDeletion(
        settings,
        dynamodb=shared_connection(settings.region, None).client,
        users=users,
        now=lambda: datetime.now(UTC),
        time_left=time_left,
        reserve_seconds=reserve_seconds,
    )
