"""An owner deletes their account while a listener is at Spotify's consent: the listener comes
back to the music, and nothing of them or of the deleted campaign is stored or counted."""

from __future__ import annotations

import subprocess
import sys
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


def test_the_operator_command_cleans_up_after_a_user_deleted_in_cognito(local_cloud: LocalCloud) -> None:
    email = f"removed-{uuid.uuid4().hex[:8]}@example.com"
    owner = local_cloud.create_owner(email, "Removed-owner-2026")
    campaign = new_campaign(local_cloud, owner)
    requests.patch(
        f"{local_cloud.api_url}/owner/settings", json={"time_zone": "UTC"}, headers=owner.headers, timeout=30
    ).raise_for_status()
    cognito, pool = local_cloud.client("cognito-idp"), local_cloud.physical_id("OwnerUserPool")
    sub = next(
        a["Value"]
        for a in cognito.admin_get_user(UserPoolId=pool, Username=email)["UserAttributes"]
        if a["Name"] == "sub"
    )
    cognito.admin_delete_user(UserPoolId=pool, Username=email)  # an operator, in the console

    command = [sys.executable, "-m", "scripts.delete_owner", "--sub", sub, "--endpoint", local_cloud.moto_url]
    done = subprocess.run([*command, "--stack", local_cloud.stack_name], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert "1 campaign(s)" in done.stdout and "already gone" in done.stdout
    assert data_items(local_cloud, f"CAMPAIGN#{campaign['id']}") == []
    assert data_items(local_cloud, f"OWNER#{sub}") == []
    slug = data_items(local_cloud, f"SLUG#{campaign['slug']}")
    assert len(slug) == 1 and "campaign_id" not in slug[0]
