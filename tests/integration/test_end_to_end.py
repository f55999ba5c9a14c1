"""template.yaml itself, through the emulated API: what `make dev` brings up."""

from __future__ import annotations

import requests

from local.cloud import LocalCloud


def test_health_answers_through_the_emulated_api(local_cloud: LocalCloud) -> None:
    response = requests.get(local_cloud.api_url + "/health", timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"


def test_owner_routes_need_a_token_of_the_local_user_pool(local_cloud: LocalCloud) -> None:
    assert requests.get(local_cloud.api_url + "/campaigns", timeout=30).status_code == 401
    bad = requests.get(local_cloud.api_url + "/campaigns", headers={"Authorization": "Bearer x.y.z"}, timeout=30)
    assert bad.status_code == 401 and bad.json() == {"message": "Unauthorized"}


def test_with_a_token_the_handler_gets_the_owners_claims(local_cloud: LocalCloud) -> None:
    alice = local_cloud.create_owner("alice@example.com", "Local-owner-2026")
    bob = local_cloud.create_owner("bob@example.com", "Local-owner-2026")
    created = requests.post(
        local_cloud.api_url + "/campaigns",
        json={"name": "Launch", "playlist": "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M"},
        headers=alice.headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    campaign = created.json()
    assert campaign["tracker_url"].startswith(local_cloud.api_url + "/c/")  # PublicApiUrl is the local API
    own = requests.get(f"{local_cloud.api_url}/campaigns/{campaign['id']}", headers=alice.headers, timeout=30)
    assert own.status_code == 200
    # The campaign belongs to the `sub` claim the authorizer passed on: another owner does not see it.
    other = requests.get(f"{local_cloud.api_url}/campaigns/{campaign['id']}", headers=bob.headers, timeout=30)
    assert other.status_code == 404
    listed = requests.get(local_cloud.api_url + "/campaigns", headers=bob.headers, timeout=30).json()
    assert listed["campaigns"] == []


def test_the_dashboard_is_served_on_its_own_origin_with_its_config(local_cloud: LocalCloud) -> None:
    config = requests.get(local_cloud.web_url + "/config.json", timeout=10).json()
    assert config == {
        "apiUrl": local_cloud.api_url,
        "signUp": True,  # OwnerSignUp=open locally
        "cognito": {
            "region": "us-east-1",
            "userPoolId": local_cloud.physical_id("OwnerUserPool"),
            "clientId": local_cloud.physical_id("DashboardClient"),
            "endpoint": local_cloud.moto_url,
        },
        "local": True,  # the confirm page says any code works
    }
    index = requests.get(local_cloud.web_url + "/", timeout=10)
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    assert requests.get(local_cloud.web_url + "/../template.yaml", timeout=10).status_code == 404
    preflight = requests.options(
        local_cloud.api_url + "/campaigns",
        headers={"Origin": local_cloud.web_url, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert preflight.headers["access-control-allow-origin"] == local_cloud.web_url


def test_the_spotify_emulator_knows_the_local_app(local_cloud: LocalCloud) -> None:
    env = local_cloud.function_environment("CampaignsFunction")
    assert env["SPOTIFY_ACCOUNTS_URL"] == env["SPOTIFY_API_URL"] == local_cloud.spotify_url
    assert env["SPOTIFY_CLIENT_ID"] == local_cloud.spotify_client_id
    app = requests.get(f"{local_cloud.spotify_url}/_emulator/apps/{local_cloud.spotify_client_id}", timeout=10).json()
    assert local_cloud.api_url + "/oauth/callback" in app["redirect_uris"]
    secret = local_cloud.client("secretsmanager").get_secret_value(SecretId=env["SPOTIFY_CLIENT_SECRET_ARN"])
    assert secret["SecretString"] == app["client_secret"]
    assert env["DASHBOARD_URL"] == local_cloud.web_url and env["PUBLIC_API_URL"] == local_cloud.api_url


def test_the_local_control_routes_answer(local_cloud: LocalCloud) -> None:
    fired = requests.post(local_cloud.api_url + "/_local/schedules/run", headers={"X-Soundlink-Local": "1"}, timeout=30)
    assert fired.status_code == 200 and isinstance(fired.json()["fired"], list)
    drained = requests.post(
        local_cloud.api_url + "/_local/queues/drain", headers={"X-Soundlink-Local": "1"}, timeout=60
    )
    assert drained.status_code == 200
    assert set(drained.json()) == {"processed", "failed", "remaining", "timed_out"}
