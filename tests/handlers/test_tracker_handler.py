"""GET|HEAD /c/{slug} (the landing page), GET /c/{slug}/connect and /c/{slug}/play end to end
in-process: payload-2.0 events into track_click/app.py, moto DynamoDB (tables from template.yaml)
and a moto SQS click queue underneath.

Issue 13 changed the contract: a person is answered with a 200 landing page, and consent starts
only from its "Connect Spotify" link (`App.connect` follows it with the page's cookies), so the
tests that used to read the authorize redirect off the first GET now follow the link."""

from __future__ import annotations

import base64
import hashlib
import html
import importlib
import json
import re
import sys
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.client
import pytest
from pynamodb.exceptions import PutError

from soundlink.campaigns.campaign import AttributionModel, Campaign, CampaignStatus
from soundlink.campaigns.repository import DynamoCampaignRepository
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import OAuthStateItem
from soundlink.tracking.tracker import CAMPAIGN_CACHE_SECONDS, MISSING_CACHE_SECONDS, CampaignCache
from soundlink.tracking.visitors import VisitorSecrets, day_of
from tests.support.events import DOMAIN, FakeContext, http_event

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
SLUG = "abcdefghjk"
DESTINATION = "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M"
API_URL = "https://api.example.test"
CLIENT_ID = "soundlink-client-id"
COOKIE = "__Host-soundlink_consent"
SOURCE_IP = "203.0.113.7"
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
NOT_FOUND_TEXT = "This link does not lead anywhere"


class Clock:
    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class App:
    module: Any
    clock: Clock
    queue_url: str
    sqs: Any
    campaign: Campaign | None = None

    def click(
        self,
        slug: str | None = SLUG,
        *,
        method: str = "GET",
        user_agent: str = BROWSER,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        source_ip: str = SOURCE_IP,
        cookies: list[str] | None = None,
        step: str = "",
    ) -> dict:
        suffix = f"/{step}" if step else ""
        event = http_event(
            method,
            f"/c/{slug}{suffix}",
            route="/c/{slug}" + suffix,
            path_parameters=None if slug is None else {"slug": slug},
            query=query,
            headers={"user-agent": user_agent, "accept": "text/html", **(headers or {})},
        )
        event["requestContext"]["http"]["sourceIp"] = source_ip
        if cookies:
            event["cookies"] = cookies
        return self.module.handler(event, FakeContext())

    def connect(self, slug: str = SLUG, *, query: dict[str, str] | None = None, **request: Any) -> dict:
        """The landing page, then its "Connect Spotify" link with the page's cookies (as a browser)."""
        page = self.click(slug, query=query, **request)
        assert page["statusCode"] == 200, page
        href = connect_href(page)
        link = urlsplit(href)
        assert link.path == f"/c/{slug}/connect"
        link_query = {k: v[0] for k, v in parse_qs(link.query).items()}
        return self.click(slug, query=link_query, cookies=page_cookies(page), step="connect", **request)

    def messages(self) -> list[str]:
        bodies = []
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            if not answer.get("Messages"):
                return bodies
            bodies += [message["Body"] for message in answer["Messages"]]


@pytest.fixture
def dynamo_calls(monkeypatch):
    """Every DynamoDB request any client (boto3 or PynamoDB's) makes: (operation, parameters)."""
    calls: list[tuple[str, dict]] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self, operation_name, api_params):
        if self.meta.service_model.service_name == "dynamodb":
            calls.append((operation_name, api_params))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    return calls


@pytest.fixture
def make_app(aws, monkeypatch):
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="soundlink-test-clicks")["QueueUrl"]

    def make(
        *,
        queue: str | None = None,
        client_id: str = CLIENT_ID,
        public_api_url: str = API_URL,
        campaign: dict | None = None,
    ) -> App:
        monkeypatch.setenv("DATA_TABLE", aws["DataTable"])
        monkeypatch.setenv("EVENTS_TABLE", aws["EventsTable"])
        monkeypatch.setenv("STATS_TABLE", aws["StatsTable"])
        monkeypatch.setenv("CLICK_QUEUE_URL", queue or queue_url)
        monkeypatch.setenv("SPOTIFY_CLIENT_ID", client_id)
        monkeypatch.setenv("PUBLIC_API_URL", public_api_url)
        get_settings.cache_clear()
        name = "track_click.app"
        module = importlib.reload(sys.modules[name]) if name in sys.modules else importlib.import_module(name)
        clock = Clock()
        monkeypatch.setattr(module.tracker, "_campaigns", CampaignCache(clock=clock))
        app = App(module, clock, queue_url, sqs)
        if campaign is not None:
            app.campaign = create_campaign(**campaign)
        return app

    yield make
    get_settings.cache_clear()


def create_campaign(**fields) -> Campaign:
    now = datetime.now(UTC)
    values = {
        "id": str(uuid.uuid4()),
        "owner_id": "owner-sub-1",
        "name": "Launch",
        "slug": SLUG,
        "playlist_id": "37i9dQZF1DXcBWIGoYBM5M",
        "destination_url": DESTINATION,
        "attribution_window_days": 14,
        "attribution_model": AttributionModel.LAST_TOUCH,
        "starts_at": None,
        "ends_at": None,
        "status": CampaignStatus.ACTIVE,
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    campaign = Campaign(**values)
    DynamoCampaignRepository().create(campaign)
    return campaign


def data_item(aws, pk: str, sk: str) -> dict | None:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(aws["DataTable"])
    return table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")


def state_items(aws) -> list[dict]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(aws["DataTable"])
    return [item for item in table.scan()["Items"] if item["pk"].startswith("STATE#")]


def authorize_params(response: dict) -> dict[str, str]:
    location = urlsplit(response["headers"]["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "accounts.spotify.com", "/authorize")
    params = parse_qs(location.query, keep_blank_values=True)
    assert all(len(values) == 1 for values in params.values()), params
    return {name: values[0] for name, values in params.items()}


def cookie_value(response: dict) -> str:
    [header] = response["cookies"]
    name, _, rest = header.partition("=")
    assert name == COOKIE
    return rest.split(";", 1)[0]


def connect_href(page: dict) -> str:
    match = re.search(r'<a id="connect"[^>]*href="([^"]+)"', page["body"])
    assert match, page["body"]
    return html.unescape(match.group(1))


def page_cookies(page: dict) -> list[str]:
    """The cookies a browser sends back after the landing page ("name=value")."""
    return [header.split(";", 1)[0] for header in page.get("cookies", [])]


def warm_visitor_secret() -> None:
    today = datetime.now(UTC)
    for day in (today, today + timedelta(days=1)):  # a test that crosses midnight stays warm
        VisitorSecrets().ensure(day_of(day))


def campaign_reads(calls: list[tuple[str, dict]]) -> list[str]:
    return [
        params["Key"]["pk"]["S"]
        for operation, params in calls
        if operation == "GetItem" and params["Key"]["pk"]["S"].startswith(("SLUG#", "CAMPAIGN#"))
    ]


# -------------------------------------------------------------------- a human


def test_a_human_click_goes_to_spotifys_consent_with_a_stored_state_and_a_cookie(make_app, aws):
    app = make_app(campaign={})
    response = app.connect(
        query={"utm_source": "NewsLetter", "utm_campaign": "Spring"}, headers={"referer": "https://www.t.co/x"}
    )

    assert response["statusCode"] == 302 and response["body"] == ""
    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["headers"]["Referrer-Policy"] == "no-referrer"
    params = authorize_params(response)
    assert params["client_id"] == CLIENT_ID
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == f"{API_URL}/oauth/callback"
    assert params["scope"] == "user-read-recently-played"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) == 43
    assert params["show_dialog"] == "true"  # Spotify shows its dialog even for a scope granted before

    state = data_item(aws, f"STATE#{params['state']}", "STATE")
    assert state is not None
    assert state["purpose"] == "listen"
    assert state["campaign_id"] == app.campaign.id and state["owner_id"] == app.campaign.owner_id
    assert state["slug"] == SLUG and state["destination_url"] == DESTINATION
    assert state["redirect_uri"] == f"{API_URL}/oauth/callback"
    verifier = state["code_verifier"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == params["code_challenge"]
    created = datetime.fromisoformat(state["created_at"].replace("+0000", "+00:00"))
    assert int(state["expires_at"]) == int((created + timedelta(minutes=10)).timestamp())

    cookie = cookie_value(response)
    assert hashlib.sha256(cookie.encode()).hexdigest() == state["cookie_hash"]
    header = response["cookies"][0]
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=600"):
        assert attribute in header
    assert "domain" not in header.lower()

    view, raw = app.messages()
    assert json.loads(view)["step"] == "view" and json.loads(view)["consent_started"] is False
    assert SOURCE_IP not in raw
    message = json.loads(raw)
    assert message["type"] == "click" and message["kind"] == "human" and message["consent_started"] is True
    assert message["step"] == "connect"
    assert message["network"] == "203.0.113.0"
    assert message["campaign_id"] == app.campaign.id and message["owner_id"] == app.campaign.owner_id
    assert len(message["visitor"]) == 32 and int(message["visitor"], 16) >= 0
    assert message["referrer"] == "t.co"
    assert message["utm"] == {"utm_source": "newsletter", "utm_campaign": "Spring"}
    assert message["user_agent"] == BROWSER
    assert state["click"]["click_id"] == message["id"]
    assert state["click"]["utm_source"] == "newsletter" and state["click"]["referrer"] == "t.co"


def test_forwarding_headers_cannot_change_the_network_or_the_visitor(make_app):
    app = make_app(campaign={})
    plain = app.click()
    forged = app.click(
        headers={"x-forwarded-for": "198.51.100.9", "forwarded": "for=198.51.100.9", "x-real-ip": "198.51.100.9"}
    )
    assert plain["statusCode"] == forged["statusCode"] == 200
    first, second = (json.loads(raw) for raw in app.messages())
    assert first["network"] == second["network"] == "203.0.113.0"
    assert first["visitor"] == second["visitor"]
    assert "198.51.100" not in json.dumps(second)


def test_an_ipv6_visitor_is_reduced_to_its_slash_48(make_app):
    app = make_app(campaign={})
    app.click(source_ip="2001:db8:1234:5678:9abc:def0:1234:5678")
    [raw] = app.messages()
    assert json.loads(raw)["network"] == "2001:db8:1234::"
    assert "5678" not in raw and "9abc" not in raw


def test_another_visitor_gets_another_visitor_key(make_app):
    app = make_app(campaign={})
    app.click()
    app.click(source_ip="203.0.113.8")
    app.click(user_agent=BROWSER.replace("131", "132"))
    keys = [json.loads(raw)["visitor"] for raw in app.messages()]
    assert len(set(keys)) == 3


@pytest.mark.parametrize(
    "query",
    [
        {"redirect": "https://evil.example"},
        {"destination_url": "https://evil.example"},
        {"next": "https://evil.example"},
        {"redirect_uri": "https://evil.example/oauth/callback"},
        {"return_to": "//evil.example"},
        {"client_id": "evil-client"},
        {"scope": "user-library-modify playlist-modify-private"},
        {"state": "A" * 43},
        {"show_dialog": "true"},
        {"utm_source": "https://evil.example", "utm_campaign": "\r\nLocation: https://evil.example"},
    ],
)
def test_the_query_string_never_changes_where_anyone_is_sent(make_app, query):
    app = make_app(campaign={})
    human = app.connect(query=query)
    params = authorize_params(human)
    assert params["redirect_uri"] == f"{API_URL}/oauth/callback"
    assert params["client_id"] == CLIENT_ID
    assert params["scope"] == "user-read-recently-played"
    assert set(params) == {
        "client_id",
        "response_type",
        "redirect_uri",
        "state",
        "scope",
        "code_challenge_method",
        "code_challenge",
        "show_dialog",
    }
    assert params["show_dialog"] == "true"
    assert params["state"] != query.get("state")
    assert "evil" not in human["headers"]["Location"]
    bot = app.click(query=query, user_agent=SLACKBOT)
    assert bot["statusCode"] == 302 and bot["headers"]["Location"] == DESTINATION


def test_forged_host_headers_do_not_change_the_redirect_uri(make_app):
    app = make_app(campaign={})
    headers = {"host": "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "http"}
    assert authorize_params(app.connect(headers=headers))["redirect_uri"] == f"{API_URL}/oauth/callback"


def test_without_a_public_api_url_the_redirect_uri_is_the_domain_api_gateway_received_the_request_on(make_app):
    app = make_app(campaign={}, public_api_url="")
    response = app.connect(headers={"host": "evil.example", "x-forwarded-host": "evil.example"})
    assert authorize_params(response)["redirect_uri"] == f"https://{DOMAIN}/oauth/callback"


# ---------------------------------------------------------- bots, prefetches


@pytest.mark.parametrize(
    ("method", "user_agent"),
    [("GET", SLACKBOT), ("GET", "facebookexternalhit/1.1"), ("GET", "curl/8.5.0"), ("GET", ""), ("HEAD", BROWSER)],
    ids=["slack", "facebook", "curl", "no-user-agent", "head"],
)
def test_bots_go_straight_to_the_stored_destination_and_start_nothing(make_app, aws, method, user_agent):
    app = make_app(campaign={})
    response = app.click(method=method, user_agent=user_agent, query={"utm_source": "x"})
    assert response["statusCode"] == 302
    assert response["headers"]["Location"] == DESTINATION
    assert "cookies" not in response
    assert state_items(aws) == []
    [raw] = app.messages()
    message = json.loads(raw)
    assert message["kind"] == "bot" and message["consent_started"] is False
    assert message["visitor"] is None and message["network"] is None and message["user_agent"] == ""
    assert message["utm"] == {} and SOURCE_IP not in raw


@pytest.mark.parametrize(
    "headers", [{"sec-purpose": "prefetch"}, {"sec-purpose": "prefetch;prerender"}, {"purpose": "prefetch"}]
)
def test_a_prefetch_is_answered_without_a_redirect_or_a_state(make_app, aws, headers):
    app = make_app(campaign={})
    response = app.click(headers=headers)
    assert response["statusCode"] == 503
    assert "Location" not in response["headers"] and "cookies" not in response
    assert response["headers"]["Cache-Control"] == "no-store"
    assert state_items(aws) == []
    [raw] = app.messages()
    assert json.loads(raw)["kind"] == "prefetch"


# -------------------------------------------------------------- not found

MALFORMED = {
    "too-long": SLUG + "m",
    "too-short": SLUG[:-1],
    "empty": "",
    "upper-case": SLUG.upper(),
    "zero": "abcdefghj0",
    "letter-l": "abcdefghjl",
    "letter-o": "abcdefghjo",
    "letter-i": "abcdefghji",
    "crlf": SLUG + "\r\n",
    "encoded-crlf": SLUG[:4] + "%0d%0a",
    "header-injection": SLUG + "\r\nLocation: https://evil.example",
    "traversal": "../../../x",
    "slash": "abcde/ghjk",
    "space": "abcde ghjk",
    "cyrillic": SLUG[:-1] + "\u043a",
    "fullwidth": "".join(chr(ord(ch) + 0xFEE0) for ch in SLUG),  # U+FF41...
    "nul": "abcdefghj\x00",
    "huge": "a" * 100_000,
}


@pytest.mark.parametrize("slug", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_slug_is_a_404_page_without_any_dynamodb_read(make_app, dynamo_calls, slug):
    app = make_app(campaign={})
    dynamo_calls.clear()
    for method in ("GET", "HEAD"):
        response = app.click(slug, method=method)
        assert response["statusCode"] == 404
        assert "Location" not in response["headers"] and "cookies" not in response
        assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
        if method == "GET":
            assert NOT_FOUND_TEXT in response["body"] and "evil" not in response["body"]
        else:
            assert response["body"] == ""
    assert dynamo_calls == []
    assert app.messages() == []


def test_no_path_parameter_at_all_is_a_404_without_any_read(make_app, dynamo_calls):
    app = make_app(campaign={})
    dynamo_calls.clear()
    assert app.click(None)["statusCode"] == 404
    assert dynamo_calls == []


def test_an_unknown_slug_is_read_once_then_remembered_for_a_few_seconds(make_app, dynamo_calls):
    app = make_app(campaign={})
    unknown = "zzzzzzzzzz"
    dynamo_calls.clear()
    response = app.click(unknown)
    assert response["statusCode"] == 404 and NOT_FOUND_TEXT in response["body"]
    assert campaign_reads(dynamo_calls) == [f"SLUG#{unknown}"]
    assert [operation for operation, _ in dynamo_calls] == ["GetItem"]  # no write, no visitor secret

    dynamo_calls.clear()
    app.clock.now += MISSING_CACHE_SECONDS - 0.001
    assert app.click(unknown)["statusCode"] == 404
    assert dynamo_calls == []

    app.clock.now += 0.001
    assert app.click(unknown)["statusCode"] == 404
    assert campaign_reads(dynamo_calls) == [f"SLUG#{unknown}"]
    assert app.messages() == []


# ---------------------------------------------------------- campaign cache


def test_the_campaign_is_read_once_a_minute(make_app, dynamo_calls):
    app = make_app(campaign={})
    dynamo_calls.clear()
    assert app.click(user_agent=SLACKBOT)["headers"]["Location"] == DESTINATION
    assert campaign_reads(dynamo_calls) == [f"SLUG#{SLUG}", f"CAMPAIGN#{app.campaign.id}"]

    dynamo_calls.clear()
    app.clock.now += CAMPAIGN_CACHE_SECONDS - 0.001
    assert app.click(user_agent=SLACKBOT)["headers"]["Location"] == DESTINATION
    assert app.click()["statusCode"] == 200
    assert campaign_reads(dynamo_calls) == []

    dynamo_calls.clear()
    app.clock.now += 0.001
    app.click(user_agent=SLACKBOT)
    assert campaign_reads(dynamo_calls) == [f"SLUG#{SLUG}", f"CAMPAIGN#{app.campaign.id}"]


def test_an_owners_change_reaches_the_tracker_within_a_minute(make_app):
    app = make_app(campaign={})
    assert app.click(user_agent=SLACKBOT)["headers"]["Location"] == DESTINATION
    repository = DynamoCampaignRepository()
    stored = repository.get(app.campaign.id)
    moved = "https://open.spotify.com/playlist/3cEYpjA9oz9GiPac4AsH4n"
    repository.save(replace(stored, destination_url=moved))

    app.clock.now += CAMPAIGN_CACHE_SECONDS - 1
    assert app.click(user_agent=SLACKBOT)["headers"]["Location"] == DESTINATION
    app.clock.now += 1
    assert app.click(user_agent=SLACKBOT)["headers"]["Location"] == moved


@pytest.mark.parametrize(
    "fields",
    [
        {"status": CampaignStatus.ARCHIVED, "archived_at": datetime.now(UTC)},
        {"ends_at": datetime.now(UTC) - timedelta(seconds=1)},
        {"starts_at": datetime.now(UTC) + timedelta(days=1)},
    ],
    ids=["archived", "ended", "not-started"],
)
def test_a_campaign_that_takes_no_consents_sends_people_to_the_destination(make_app, aws, fields):
    app = make_app(campaign=fields)
    response = app.click()
    assert response["statusCode"] == 302 and response["headers"]["Location"] == DESTINATION
    assert "cookies" not in response and state_items(aws) == []
    [raw] = app.messages()
    message = json.loads(raw)
    assert message["kind"] == "human" and message["consent_started"] is False


def test_a_redirect_uri_spotify_would_refuse_sends_people_to_the_destination_and_stores_no_state(make_app, aws):
    # BUG: consent.start saves the OAuth state before authorize_url() checks the
    # redirect URI, so every click of a deployment whose PUBLIC_API_URL is plain
    # http (not loopback) writes a state that can never be used.
    app = make_app(campaign={}, public_api_url="http://api.example.test")
    response = app.connect()
    assert response["statusCode"] == 302 and response["headers"]["Location"] == DESTINATION
    assert "cookies" not in response
    assert json.loads(app.messages()[1])["consent_started"] is False
    assert state_items(aws) == []


def test_without_a_spotify_client_id_people_go_to_the_destination(make_app, aws):
    app = make_app(campaign={}, client_id="")
    response = app.connect()
    assert response["headers"]["Location"] == DESTINATION and "cookies" not in response
    assert state_items(aws) == []
    assert json.loads(app.messages()[1])["consent_started"] is False


# ------------------------------------------------------------------ failures


def test_when_the_click_cannot_be_queued_the_visitor_still_goes_on_and_an_error_is_logged(
    make_app, monkeypatch, capsys
):
    app = make_app(campaign={}, queue="https://sqs.us-east-1.amazonaws.com/123456789012/no-such-queue")
    errors: list[tuple[str, dict]] = []
    monkeypatch.setattr(app.module.logger, "error", lambda message, **kwargs: errors.append((message, kwargs)))

    human = app.connect()
    assert human["statusCode"] == 302
    authorize_params(human)
    assert cookie_value(human)
    bot = app.click(user_agent=SLACKBOT)
    assert bot["statusCode"] == 302 and bot["headers"]["Location"] == DESTINATION

    assert [message for message, _ in errors] == ["click not queued"] * 3  # the view, the connect, the bot
    parked = errors[1][1]["extra"]["click"]
    assert parked["kind"] == "human" and parked["campaign_id"] == app.campaign.id and parked["consent_started"] is True
    assert "user_agent" not in parked and "network" not in parked
    assert SOURCE_IP not in json.dumps(errors[0][1], default=str) and BROWSER not in json.dumps(
        errors[0][1], default=str
    )
    assert errors[0][1]["extra"]["error"]
    assert capsys.readouterr().out.count('"ClickNotQueued"') >= 2
    assert app.messages() == []  # nothing reached the real queue either


def test_when_the_state_cannot_be_stored_the_visitor_goes_to_the_destination(make_app, aws, monkeypatch):
    app = make_app(campaign={})
    warnings: list[str] = []
    monkeypatch.setattr(app.module.logger, "warning", lambda message, **kwargs: warnings.append(message))

    def refuse(self, *args, **kwargs):
        raise PutError("ProvisionedThroughputExceededException: the table is throttled")

    monkeypatch.setattr(OAuthStateItem, "save", refuse)
    response = app.connect()
    assert response["statusCode"] == 302 and response["headers"]["Location"] == DESTINATION
    assert "cookies" not in response
    assert state_items(aws) == []
    assert len(warnings) == 1 and "destination" in warnings[0]
    _view, raw = app.messages()
    message = json.loads(raw)
    assert message["kind"] == "human" and message["consent_started"] is False


# ------------------------------------------------------- cost of a click


def test_a_warm_page_view_costs_no_write_a_connect_two_and_a_bot_click_none(make_app, dynamo_calls):
    app = make_app(campaign={})
    warm_visitor_secret()

    dynamo_calls.clear()
    page = app.click()
    assert page["statusCode"] == 200
    assert [operation for operation, _ in dynamo_calls if operation in WRITES] == []

    dynamo_calls.clear()
    href = urlsplit(connect_href(page))
    query = {k: v[0] for k, v in parse_qs(href.query).items()}
    assert app.click(query=query, cookies=page_cookies(page), step="connect")["statusCode"] == 302
    writes = [
        (operation, params["Key" if operation == "UpdateItem" else "Item"]["pk"]["S"])
        for operation, params in dynamo_calls
        if operation in WRITES
    ]
    # The visitor's hour (the limit of 5 connects) and the OAuth state; campaign and secret cached: no read.
    assert [(operation, pk.split("#")[0]) for operation, pk in writes] == [("UpdateItem", "RATE"), ("PutItem", "STATE")]
    assert [operation for operation, _ in dynamo_calls] == ["UpdateItem", "PutItem"]

    dynamo_calls.clear()
    assert app.click(user_agent=SLACKBOT)["statusCode"] == 302
    assert dynamo_calls == []  # a bot of a cached campaign costs no DynamoDB request at all

    dynamo_calls.clear()
    assert app.click(headers={"sec-purpose": "prefetch"})["statusCode"] == 503
    assert dynamo_calls == []


def test_a_cold_journey_creates_the_days_secret_and_costs_at_most_three_writes(make_app, dynamo_calls, aws):
    app = make_app(campaign={})
    dynamo_calls.clear()
    assert app.connect()["statusCode"] == 302
    writes = [
        params["Key" if operation == "UpdateItem" else "Item"]["pk"]["S"]
        for operation, params in dynamo_calls
        if operation in WRITES
    ]
    assert [pk.split("#")[0] for pk in writes] == ["VISITOR_SECRET", "RATE", "STATE"]
    assert data_item(aws, "VISITOR_SECRET", f"DAY#{day_of(datetime.now(UTC))}") is not None


def test_a_campaign_measuring_fans_asks_for_the_library_scopes_too(make_app, aws):
    app = make_app(campaign={"measure_fans": True})
    params = authorize_params(app.connect())
    assert params["scope"].split() == [
        "user-read-recently-played",
        "user-library-read",
        "user-follow-read",
        "playlist-read-private",
    ]


def test_the_landing_page_says_in_words_what_a_fans_campaign_reads(make_app):
    app = make_app(campaign={"measure_fans": True})
    page = app.click()
    assert 'id="fans-consent"' in page["body"] and "saved or follow" in page["body"]
    french = app.click(headers={"accept-language": "fr"})
    assert "si vous les suivez" in french["body"]


def test_without_the_option_the_landing_page_is_unchanged(make_app):
    assert 'id="fans-consent"' not in make_app(campaign={}).click()["body"]
