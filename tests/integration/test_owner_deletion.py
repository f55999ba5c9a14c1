"""An owner deletes their account while a listener is at Spotify's consent: the listener comes
back to the music, and nothing of them or of the deleted campaign is stored or counted."""

from __future__ import annotations

import uuid

import pytest
import requests

from local.cloud import LocalCloud
from local.spotify_emulator.testing import EmulatorControl
from tests.integration.journey import approve, consent_cookie, data_items, finish, new_campaign, start

pytestmark = pytest.mark.slow


def test_a_consent_in_flight_for_a_deleted_campaign_stores_nothing(local_cloud: LocalCloud) -> None:
    email = f"leaving-{uuid.uuid4().hex[:8]}@example.com"
    owner = local_cloud.create_owner(email, "Leaving-owner-2026")
    listener = EmulatorControl(local_cloud.spotify_url).create_user(f"inflight-{uuid.uuid4().hex[:10]}", "In Flight")
    campaign = new_campaign(local_cloud, owner)
    started = start(local_cloud, campaign["slug"])

    gone = requests.delete(
        f"{local_cloud.api_url}/owner", json={"confirm_email": email}, headers=owner.headers, timeout=60
    )
    assert gone.status_code == 204, gone.text
    done = finish(approve(started, listener["id"]), consent_cookie(started))

    assert done.status_code == 303 and done.headers["location"] == campaign["destination_url"]
    assert data_items(local_cloud, f"LISTENER#{listener['account_id']}") == []
    assert data_items(local_cloud, f"CAMPAIGN#{campaign['id']}") == []
    stats = local_cloud.client("dynamodb").query(
        TableName=local_cloud.physical_id("StatsTable"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CAMPAIGN#{campaign['id']}"}},
    )
    assert stats["Items"] == []
