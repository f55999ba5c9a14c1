"""Spend on a campaign (POST/PATCH /campaigns) and the cost it gives in GET .../analytics."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from soundlink.campaigns.repository import DynamoCampaignRepository
from tests.handlers.test_analytics_api import T0, click, new_campaign, play, window
from tests.handlers.test_analytics_api import api as analytics_api  # noqa: F401 (fixture)
from tests.handlers.test_campaigns_api import PID, api, create, one, table_items  # noqa: F401 (fixture)


def post(api, spend):  # noqa: F811
    return api("POST", "/campaigns", body={"name": "Launch", "playlist": PID, "spend": spend})


def patch(api, campaign_id, body):  # noqa: F811
    return api("PATCH", f"/campaigns/{campaign_id}", route="/campaigns/{id}", params={"id": campaign_id}, body=body)


def test_a_total_spend_is_kept_as_exact_decimals(api):  # noqa: F811
    status, body, _ = post(api, {"currency": "eur", "total": "250.50"})
    assert status == 201, body
    assert body["spend"] == {"currency": "EUR", "total": "250.50", "per_day": None, "by_source": {}}
    _, again, _ = one(api, body["id"])
    assert again["spend"] == body["spend"]


def test_a_json_number_stays_what_was_typed(api):  # noqa: F811
    status, body, _ = post(api, {"currency": "USD", "per_day": 0.1, "by_source": {"instagram": 0.05}})
    assert status == 201, body
    assert body["spend"]["per_day"] == "0.1"
    assert body["spend"]["by_source"] == {"instagram": "0.05"}


@pytest.mark.parametrize(
    ("spend", "fragment"),
    [
        ({"currency": "EUR", "total": -1}, "must not be negative"),
        ({"currency": "EUR", "total": "NaN"}, "finite number"),
        ({"currency": "EUR", "total": "Infinity"}, "finite number"),
        ({"currency": "EUR", "total": "1000000000.01"}, "at most 1,000,000,000 EUR"),
        ({"currency": "EUR", "total": "1e400"}, "at most"),
        ({"currency": "EUR", "total": "12.345"}, "more decimals than EUR has (2)"),
        ({"currency": "JPY", "per_day": "10.5"}, "more decimals than JPY has (0)"),
        ({"currency": "XYZ", "total": 10}, "not an ISO 4217 currency"),
        ({"currency": "euro", "total": 10}, "not an ISO 4217 currency"),
        ({"total": 10}, "currency"),
        ({"currency": "EUR", "total": 10, "per_day": 1}, "not both"),
        ({"currency": "EUR"}, "give total"),
        ({"currency": "EUR", "total": 10, "by_source": {"ig": 11}}, "add up to more than total"),
        ({"currency": "EUR", "total": 10, "by_source": {"": 1}}, "utm_source of 1 to 100"),
        ({"currency": "EUR", "total": 10, "by_source": {f"s{i}": 0 for i in range(21)}}, "at most 20 sources"),
        ({"currency": "EUR", "total": 10, "tax": 1}, "tax"),
        ({"currency": "EUR", "total": True}, "total"),
    ],
)
def test_bad_spend_is_400_with_a_message_and_stores_nothing(api, aws, spend, fragment):  # noqa: F811
    status, body, _ = post(api, spend)
    assert status == 400, body
    assert fragment in json.dumps(body), body
    assert table_items(aws) == []


def test_equal_bounds_are_accepted(api):  # noqa: F811
    assert post(api, {"currency": "EUR", "total": "1000000000"})[0] == 201
    assert post(api, {"currency": "EUR", "total": 0})[0] == 201
    assert post(api, {"currency": "EUR", "total": 10, "by_source": {"ig": 10}})[0] == 201
    assert post(api, {"currency": "KWD", "total": "1.125"})[0] == 201  # three places for the dinar


def test_patch_sets_changes_and_removes_the_spend(api):  # noqa: F811
    campaign = create(api)
    assert campaign["spend"] is None
    status, body, _ = patch(api, campaign["id"], {"spend": {"currency": "GBP", "per_day": "5"}})
    assert status == 200, body
    assert body["spend"]["per_day"] == "5" and body["spend"]["currency"] == "GBP"
    status, body, _ = patch(api, campaign["id"], {"spend": {"currency": "GBP", "per_day": -5}})
    assert status == 400
    assert one(api, campaign["id"])[1]["spend"]["per_day"] == "5"  # a refused change leaves it as it was
    status, body, _ = patch(api, campaign["id"], {"spend": None})
    assert status == 200 and body["spend"] is None


def test_analytics_carry_the_cost_of_the_range(analytics_api):  # noqa: F811
    from dataclasses import replace
    from decimal import Decimal

    from soundlink.campaigns.spend import Spend

    campaign = new_campaign()
    repository = DynamoCampaignRepository()
    stored = repository.get(campaign.id)
    repository.save(replace(stored, spend=Spend("EUR", per_day=Decimal("2.00"))))
    for n in range(4):
        click(campaign.id, T0 + timedelta(hours=n), authorized=n < 2)
    play(campaign.id, T0 + timedelta(hours=5), confidence=0.5, first=True)
    play(campaign.id, T0 + timedelta(hours=6), confidence=1.0)
    status, body, _ = analytics_api(campaign.id, query=window(T0, T0 + timedelta(days=3)))
    assert status == 200, body
    # 3 days at 2.00 = 6.00; 4 clicks, 2 connected, 1.5 weighted streams, 1 new listener.
    assert body["cost"] == {
        "currency": "EUR",
        "basis": "per_day",
        "spend": "6.00",
        "days": 3.0,
        "per_click": "1.5000",
        "per_connected_listener": "3.0000",
        "per_weighted_stream": "4.0000",
        "per_new_listener": "6.0000",
        "by_source": [],
    }


def test_analytics_without_spend_have_no_cost(analytics_api):  # noqa: F811
    campaign = new_campaign()
    status, body, _ = analytics_api(campaign.id, query=window(T0, T0 + timedelta(days=3)))
    assert status == 200
    assert body["cost"] is None


def test_the_export_carries_the_cost_per_weighted_stream(analytics_api, monkeypatch):  # noqa: F811
    import csv
    import importlib
    import io
    from dataclasses import replace
    from decimal import Decimal

    from soundlink.attribution.service import listener_key
    from soundlink.campaigns.spend import Spend
    from soundlink.platform.tables import AttributionItem
    from tests.support.events import FakeContext, http_event, owner_claims

    module = importlib.import_module("analytics.app")
    monkeypatch.setattr(module, "_export_secret", lambda: "secret-for-tests")
    campaign = new_campaign()
    repository = DynamoCampaignRepository()
    repository.save(replace(repository.get(campaign.id), spend=Spend("EUR", total=Decimal("9.00"))))
    play(campaign.id, T0 - timedelta(days=1), confidence=0.5, first=True)
    play(campaign.id, T0 - timedelta(days=1, hours=-1), confidence=1.0)
    AttributionItem(
        *AttributionItem.key(campaign.id, (T0 - timedelta(days=1)).isoformat(), "acct"),
        gsi2pk="LISTENER#acct",
        gsi2sk=f"CAMPAIGN#{campaign.id}",
        campaign_id=campaign.id,
        owner_id="alice-sub",
        listener_key=listener_key(campaign.id, "acct"),
        track_id="4uLU6hMCjMI75M1A2tKUQC",
        played_at=T0 - timedelta(days=1),
        confidence=0.5,
        reasons="in_playlist",
        credit={"last_touch": 1.0},
    ).save()

    def export():
        event = http_event(
            "GET",
            f"/campaigns/{campaign.id}/export.csv",
            route="/campaigns/{id}/export.csv",
            path_parameters={"id": campaign.id},
            claims=owner_claims("alice-sub"),
        )
        response = module.handler(event, FakeContext())
        assert response["statusCode"] == 200, response
        return list(csv.DictReader(io.StringIO(response["body"])))

    [row] = export()
    # The whole campaign: 9.00 over 1.5 weighted streams.
    assert (row["cost_currency"], row["cost_per_weighted_stream"]) == ("EUR", "6.0000")
    assert row["track_id"] == "4uLU6hMCjMI75M1A2tKUQC"  # the existing columns are kept
    repository.save(replace(repository.get(campaign.id), spend=None))
    [row] = export()
    assert (row["cost_currency"], row["cost_per_weighted_stream"]) == ("", "")
