"""The owner's account in-process: GET/PATCH /owner/settings and DELETE /owner, with moto
DynamoDB (tables from template.yaml) and a moto Cognito user pool underneath."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.handlers.test_campaigns_api import api as api  # the campaigns function fixture
from tests.handlers.test_campaigns_api import create
from tests.support.events import FakeContext, owner_claims

SETTINGS = "/owner/settings"


def test_settings_start_unset_and_keep_what_was_sent(api):
    status, body, _ = api("GET", SETTINGS)
    assert status == 200
    assert body["time_zone"] is None and body["currency"] is None
    assert "EUR" in body["currencies"] and "XXX" not in body["currencies"]

    status, body, _ = api("PATCH", SETTINGS, body={"time_zone": "Europe/Berlin"})
    assert status == 200 and body["time_zone"] == "Europe/Berlin" and body["currency"] is None
    status, body, _ = api("PATCH", SETTINGS, body={"currency": "eur"})
    assert status == 200 and body == {**body, "time_zone": "Europe/Berlin", "currency": "EUR"}
    assert api("GET", SETTINGS)[1]["currency"] == "EUR"

    status, body, _ = api("PATCH", SETTINGS, body={"time_zone": None})  # null clears one, keeps the other
    assert status == 200 and body["time_zone"] is None and body["currency"] == "EUR"


def test_settings_are_each_owners_own(api):
    api("PATCH", SETTINGS, body={"time_zone": "Asia/Tokyo"})
    status, body, _ = api("GET", SETTINGS, claims=owner_claims("bob-sub"))
    assert status == 200 and body["time_zone"] is None


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"time_zone": "Mars/Olympus"}, "not a time zone name"),
        ({"time_zone": ""}, "not a time zone name"),
        ({"time_zone": "../../../etc/passwd"}, "not a time zone name"),
        ({"time_zone": "europe/berlin"}, "not a time zone name"),  # IANA names are case-sensitive
        ({"time_zone": "Europe/Berlin\x00"}, "not a time zone name"),
        ({"time_zone": "A" * 65}, "not a time zone name"),
        ({"time_zone": "A" * 201}, "at most 200"),
        ({"time_zone": 3}, "string"),
        ({"time_zone": ["UTC"]}, "string"),
        ({"currency": "XYZ"}, "not a currency code"),
        ({"currency": "EU"}, "not a currency code"),
        ({"currency": "EURO"}, "not a currency code"),
        ({"currency": "€"}, "not a currency code"),
        ({"currency": 978}, "string"),
        ({"colour": "blue"}, "colour"),
        ({}, "at least one of time_zone, currency"),
    ],
)
def test_bad_settings_are_400_with_a_sentence_and_change_nothing(api, payload, fragment):
    api("PATCH", SETTINGS, body={"time_zone": "UTC", "currency": "USD"})
    status, body, _ = api("PATCH", SETTINGS, body=payload)
    assert status == 400, body
    assert fragment in body["message"]
    assert api("GET", SETTINGS)[1]["time_zone"] == "UTC"
    assert api("GET", SETTINGS)[1]["currency"] == "USD"


def test_a_huge_settings_body_is_refused(api):
    status, body, _ = api("PATCH", SETTINGS, body={"time_zone": "Europe/" + "x" * 100_000})
    assert status == 400 and "time_zone" in body["message"]


def test_a_settings_body_that_is_not_an_object_is_400(api):
    status, body, _ = api("PATCH", SETTINGS, body=json.dumps(["UTC"]))
    assert status == 400, body


def test_the_last_and_first_zones_and_utc_are_accepted(api):
    for zone in ("UTC", "Pacific/Kiritimati", "Etc/GMT+12", "America/Argentina/ComodRivadavia"):
        status, body, _ = api("PATCH", SETTINGS, body={"time_zone": zone})
        assert status == 200 and body["time_zone"] == zone


def test_settings_need_a_signed_in_owner(api):
    status, body, _ = api("GET", SETTINGS, claims={})
    assert status == 401 and "sign in" in body["message"]


# ---------------------------------------------------------------- DELETE /owner


def test_delete_needs_the_accounts_email_typed(api):
    create(api)
    for typed in ("bob-sub@example.com", "", "alice-sub@example.co"):
        status, body, _ = api("DELETE", "/owner", body={"confirm_email": typed})
        assert status == 400, body
        assert "confirm_email" in body["message"]
    status, body, _ = api("DELETE", "/owner", body={})
    assert status == 400 and "confirm_email" in body["message"]
    status, body, _ = api("GET", "/campaigns")
    assert len(body["campaigns"]) == 1  # nothing deleted


def test_delete_after_delete_answers_the_same(api):
    status, _, response = api("DELETE", "/owner", body={"confirm_email": " Alice-Sub@Example.com "})
    assert status == 204 and response["body"] == ""
    status, _, _ = api("DELETE", "/owner", body={"confirm_email": "alice-sub@example.com"})
    assert status == 204
    assert api("GET", "/campaigns")[1]["campaigns"] == []


@pytest.fixture
def pool(aws, monkeypatch):
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool_id = cognito.create_user_pool(PoolName="owners", UsernameAttributes=["email"])["UserPool"]["Id"]
    monkeypatch.setenv("OWNER_USER_POOL_ID", pool_id)

    def user(email: str) -> dict[str, str]:
        created = cognito.admin_create_user(
            UserPoolId=pool_id, Username=email, UserAttributes=[{"Name": "email", "Value": email}]
        )["User"]
        sub = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
        return owner_claims(sub, email)

    def users() -> set[str]:
        return {
            next(a["Value"] for a in u["Attributes"] if a["Name"] == "email")
            for u in cognito.list_users(UserPoolId=pool_id)["Users"]
        }

    return user, users


def _world(api, aws, alice, bob):
    """Two owners with a campaign each, and everything the pipeline stores under them."""
    a = create(api, claims=alice)
    b = create(api, claims=bob)
    api("PATCH", SETTINGS, claims=alice, body={"time_zone": "Europe/Berlin", "currency": "EUR"})
    api("PATCH", SETTINGS, claims=bob, body={"time_zone": "Asia/Tokyo"})
    dynamo = boto3.resource("dynamodb", region_name="us-east-1")
    data, events, stats = (dynamo.Table(aws[name]) for name in ("DataTable", "EventsTable", "StatsTable"))
    day, at = "2026-12-01", "2026-12-01T10:00:00.000000+0000"
    for campaign, owner in ((a, alice["sub"]), (b, bob["sub"])):
        cid = campaign["id"]
        listeners = ["solo", "shared"] if campaign is a else ["shared"]
        for account in listeners:
            data.put_item(
                Item={
                    "pk": f"LISTENER#{account}",
                    "sk": "LISTENER",
                    "account_id": account,
                    "status": "active",
                    "gsi1pk": "POLL#1",
                    "gsi1sk": f"{at}#{account}",
                }
            )
            data.put_item(
                Item={
                    "pk": f"LISTENER#{account}",
                    "sk": f"LINK#{cid}",
                    "gsi2pk": f"CAMPAIGN#{cid}",
                    "gsi2sk": f"LISTENER#{account}",
                    "account_id": account,
                    "campaign_id": cid,
                    "owner_id": owner,
                    "first_click_at": at,
                    "last_click_at": at,
                    "consented_at": at,
                }
            )
            data.put_item(Item={"pk": f"LISTENER#{account}", "sk": f"FANS#{cid}", "kinds": {"save"}})
            data.put_item(Item={"pk": f"LISTENER#{account}", "sk": f"PLAY#{at}#{owner}", "track_id": "t1"})
            data.put_item(
                Item={
                    "pk": f"CAMPAIGN#{cid}",
                    "sk": f"ATTR#{at}#{account}",
                    "gsi2pk": f"LISTENER#{account}",
                    "gsi2sk": f"ATTR#{cid}#{at}",
                    "campaign_id": cid,
                    "owner_id": owner,
                }
            )
        for sk in ("TOTAL#0", "TOTAL#5", f"HOUR#{day}T10#0", "STATES", "POLL", "TRACK#t1#0", f"ROLLUP#{day}"):
            stats.put_item(Item={"pk": f"CAMPAIGN#{cid}", "sk": sk, "clicks": 3})
        for n in range(30):  # more than one batch of 25
            events.put_item(
                Item={
                    "pk": f"CAMPAIGN#{cid}",
                    "sk": f"CLICK#{at}#{n:04d}",
                    "campaign_id": cid,
                    "visitor": f"v{n}",
                    "clicked_at": at,
                    "expires_at": 2_000_000_000,
                }
            )
            events.put_item(Item={"pk": f"VISIT#{cid}#{day}#v{n}", "sk": "VISIT", "expires_at": 2_000_000_000})
        data.put_item(Item={"pk": f"DECLINE#{cid}#{day}#v3", "sk": "DECLINE", "expires_at": 2_000_000_000})
        data.put_item(
            Item={
                "pk": f"OWNER#{owner}",
                "sk": "SPOTIFY",
                "owner_id": owner,
                "account_id": f"acct-{owner}",
                "gsi2pk": f"LISTENER#acct-{owner}",
                "gsi2sk": f"OWNER#{owner}",
                "tokens": "sealed",
            }
        )
        data.put_item(Item={"pk": f"OWNER#{owner}", "sk": "SPOTIFY_ENDED", "reason": "listener_disconnect"})
    return a, b


def _everything(aws) -> list[tuple[str, str]]:
    """Every item of every table, as (table, item as text): what a Scan finds."""
    dynamo = boto3.resource("dynamodb", region_name="us-east-1")
    found = []
    for name in aws.values():
        table = dynamo.Table(name)
        page = table.scan()
        items = page["Items"]
        while "LastEvaluatedKey" in page:
            page = table.scan(ExclusiveStartKey=page["LastEvaluatedKey"])
            items += page["Items"]
        found += [(name, json.dumps(item, default=str, sort_keys=True)) for item in items]
    return sorted(found)


def _naming(items, *needles):
    return [item for item in items if any(needle in item[1] for needle in needles)]


@pytest.mark.parametrize("page_size", [200, 7])  # 7: every partition takes several pages
def test_delete_removes_everything_of_the_owner_and_nothing_of_another(api, aws, pool, monkeypatch, page_size):
    from soundlink.owners import deletion

    monkeypatch.setattr(deletion, "PAGE_SIZE", page_size)
    user, users = pool
    alice, bob = user("alice@example.com"), user("bob@example.com")
    a, b = _world(api, aws, alice, bob)
    before = _everything(aws)
    assert _naming(before, alice["sub"], a["id"])  # the world holds alice's data

    status, _, _ = api("DELETE", "/owner", claims=alice, body={"confirm_email": "alice@example.com"})

    assert status == 204
    after = _everything(aws)
    assert _naming(after, alice["sub"], a["id"]) == []
    assert _naming(after, "LISTENER#solo") == []  # followed only alice's campaign: deleted, no longer polled
    # Bob's, and the shared listener's own items, are exactly as they were; alice's slug is a tombstone.
    others_before = [item for item in before if item not in _naming(before, alice["sub"], a["id"], "LISTENER#solo")]
    new = [item for item in after if item not in others_before]
    assert [json.loads(text)["pk"] for _, text in new] == [f"SLUG#{a['slug']}"]
    assert json.loads(new[0][1])["ended_destination"].startswith("https://open.spotify.com/playlist/")
    assert [item for item in others_before if item not in after] == []
    assert users() == {"bob@example.com"}
    # An ID token issued before still passes the authorizer for minutes: it finds nothing.
    assert api("GET", "/campaigns", claims=alice)[1]["campaigns"] == []
    assert api("GET", f"/campaigns/{a['id']}", claims=alice, route="/campaigns/{id}", params={"id": a["id"]})[0] == 404
    assert api("GET", SETTINGS, claims=alice)[1]["time_zone"] is None
    assert api("GET", "/owner/spotify", claims=alice)[1]["connected"] is False
    assert api("GET", "/campaigns", claims=bob)[1]["campaigns"][0]["id"] == b["id"]


def test_a_deletion_that_failed_midway_finishes_on_the_next_call(api, aws, pool, monkeypatch):
    from soundlink.owners.deletion import OwnerDeletion

    user, users = pool
    alice, bob = user("alice@example.com"), user("bob@example.com")
    a, _ = _world(api, aws, alice, bob)
    original = OwnerDeletion._delete_clicks

    def broken(self, campaign_id):
        raise RuntimeError("DynamoDB is unreachable")

    monkeypatch.setattr(OwnerDeletion, "_delete_clicks", broken)
    with pytest.raises(RuntimeError):
        api("DELETE", "/owner", claims=alice, body={"confirm_email": "alice@example.com"})
    # Stopped midway: the links are gone, the campaign and the user are still there to finish with.
    assert users() == {"alice@example.com", "bob@example.com"}
    assert api("GET", "/campaigns", claims=alice)[1]["campaigns"][0]["id"] == a["id"]

    monkeypatch.setattr(OwnerDeletion, "_delete_clicks", original)
    status, _, _ = api("DELETE", "/owner", claims=alice, body={"confirm_email": "alice@example.com"})
    assert status == 204
    assert _naming(_everything(aws), alice["sub"], a["id"]) == []
    assert users() == {"bob@example.com"}
    status, _, _ = api("DELETE", "/owner", claims=alice, body={"confirm_email": "alice@example.com"})
    assert status == 204


def test_a_deletion_out_of_time_says_so_and_goes_on_when_called_again(api, aws, pool, monkeypatch):
    user, users = pool
    alice, bob = user("alice@example.com"), user("bob@example.com")
    a, _ = _world(api, aws, alice, bob)
    monkeypatch.setattr(FakeContext, "get_remaining_time_in_millis", lambda self: 2_999)  # under the reserve

    status, body, _ = api("DELETE", "/owner", claims=alice, body={"confirm_email": "alice@example.com"})

    assert status == 202 and body["status"] == "in_progress" and "call again" in body["message"]
    assert users() == {"alice@example.com", "bob@example.com"}
    monkeypatch.setattr(FakeContext, "get_remaining_time_in_millis", lambda self: 3_001)
    status, _, _ = api("DELETE", "/owner", claims=alice, body={"confirm_email": "alice@example.com"})
    assert status == 204
    assert _naming(_everything(aws), alice["sub"], a["id"]) == []


def test_the_operator_command_does_the_same_for_a_user_deleted_in_cognito(api, aws, pool, monkeypatch, capsys):
    from scripts import delete_owner

    user, users = pool
    alice, bob = user("alice@example.com"), user("bob@example.com")
    a, _ = _world(api, aws, alice, bob)
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool_id = cognito.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    cognito.admin_delete_user(UserPoolId=pool_id, Username="alice@example.com")  # by an operator, in the console
    resources = {
        "DataTable": aws["DataTable"],
        "EventsTable": aws["EventsTable"],
        "StatsTable": aws["StatsTable"],
        "OwnerUserPool": pool_id,
    }
    monkeypatch.setattr(delete_owner, "stack_resources", lambda client, stack: resources)

    assert delete_owner.main(["--sub", alice["sub"], "--endpoint", "aws", "--stack", "soundlink-prod"]) == 0

    assert "1 campaign(s)" in capsys.readouterr().out
    assert _naming(_everything(aws), alice["sub"], a["id"]) == []
    assert users() == {"bob@example.com"}
    # By email while the user exists; a second run finds nothing and changes nothing.
    assert delete_owner.main(["--email", "bob@example.com", "--endpoint", "aws"]) == 0
    assert users() == set()
    assert delete_owner.main(["--sub", alice["sub"], "--endpoint", "aws"]) == 0
    assert "0 campaign(s), 0 item(s)" in capsys.readouterr().out.splitlines()[-1]
    assert delete_owner.main(["--sub", 'x" or sub = "y', "--endpoint", "aws"]) == 2
