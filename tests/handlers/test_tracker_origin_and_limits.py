"""The tracker behind CloudFront (the secret origin header), its hourly limit of connects and
its suspicious class, in-process (issue 13). The make_app fixture: tests/handlers/conftest.py."""

from __future__ import annotations

import json

import pytest

from tests.handlers.test_tracker_handler import (
    API_URL,
    BROWSER,
    DESTINATION,
    SLUG,
    authorize_params,
    connect_href,
    page_cookies,
    state_items,
)

SECRET = "origin-secret-0123456789"


@pytest.fixture
def behind_cloudfront(monkeypatch):
    monkeypatch.setenv("ORIGIN_SECRET", SECRET)


def test_without_the_origin_secret_the_tracker_301s_to_the_public_url_and_counts_nothing(
    behind_cloudfront, make_app, aws
):
    app = make_app(campaign={})
    for step in ("", "connect", "play"):
        response = app.click(query={"utm_source": "x"}, step=step)
        path = f"/c/{SLUG}" + (f"/{step}" if step else "")
        assert response["statusCode"] == 301
        assert response["headers"]["Location"] == f"{API_URL}{path}?utm_source=x"
    assert app.messages() == [] and state_items(aws) == []


def test_with_the_origin_secret_cloudfronts_country_and_address_are_believed(behind_cloudfront, make_app):
    app = make_app(campaign={})
    headers = {
        "x-soundlink-origin": SECRET,
        "cloudfront-viewer-country": "kp",
        "cloudfront-viewer-address": "2001:db8:1234:5678:9abc::1:46120",
    }
    assert app.click(headers=headers, source_ip="130.176.0.1")["statusCode"] == 200
    [message] = [json.loads(raw) for raw in app.messages()]
    assert message["country"] == "KP"
    assert message["network"] == "2001:db8:1234::"  # the viewer's, not CloudFront's 130.176.0.1


def test_without_cloudfront_a_viewer_country_header_is_just_a_header(make_app):
    app = make_app(campaign={})
    app.click(headers={"cloudfront-viewer-country": "KP", "cloudfront-viewer-address": "198.51.100.9:443"})
    [message] = [json.loads(raw) for raw in app.messages()]
    assert message["country"] is None and message["network"] == "203.0.113.0"


def test_a_wrong_origin_secret_is_no_secret(behind_cloudfront, make_app):
    app = make_app(campaign={})
    assert app.click(headers={"x-soundlink-origin": SECRET[:-1] + "x"})["statusCode"] == 301


def test_a_visitor_starts_at_most_5_consents_an_hour_then_goes_to_the_destination(make_app, aws):
    app = make_app(campaign={})
    answers = [app.connect(user_agent=BROWSER.replace("131.0.0.0", f"131.0.{i}.0")) for i in range(8)]
    assert [authorize_params(a)["scope"] for a in answers[:5]] == ["user-read-recently-played"] * 5
    assert all(a["headers"]["Location"] == DESTINATION and "cookies" not in a for a in answers[5:])
    assert len(state_items(aws)) == 5
    connects = [json.loads(raw) for raw in app.messages() if json.loads(raw)["step"] == "connect"]
    assert [m["kind"] for m in connects] == ["human"] * 5 + ["suspicious"] * 3
    # Another person behind the same address (another browser) has their own limit.
    other = app.connect(user_agent=BROWSER.replace("Chrome/131", "Chrome/124"))
    assert authorize_params(other)


@pytest.mark.parametrize("agent", ["x", "Mozilla/5.0", "Mozilla/5.0 (compatible; nothing)", "Opera/9.80"])
def test_implausible_browsers_are_suspicious_and_start_nothing(make_app, aws, agent):
    app = make_app(campaign={})
    response = app.click(user_agent=agent)
    assert response["statusCode"] == 302 and response["headers"]["Location"] == DESTINATION
    assert "cookies" not in response and state_items(aws) == []
    [message] = [json.loads(raw) for raw in app.messages()]
    assert message["kind"] == "suspicious" and message["visitor"] is None


def test_a_request_the_waf_marked_is_suspicious(make_app, aws):
    app = make_app(campaign={})
    response = app.click(headers={"x-amzn-waf-soundlink-rate-limited": "1"})
    assert response["statusCode"] == 302 and response["headers"]["Location"] == DESTINATION
    assert json.loads(app.messages()[0])["kind"] == "suspicious"


def test_a_connect_from_another_page_or_without_the_cookie_starts_nothing(make_app, aws):
    app = make_app(campaign={})
    page = app.click()
    token = connect_href(page).split("t=")[1].split("&")[0]
    for cookies in (None, ["__Host-soundlink_page=someone-elses-cookie-value-000"]):
        answer = app.click(query={"t": token}, cookies=cookies, step="connect")
        assert answer["statusCode"] == 303 and answer["headers"]["Location"] == f"{API_URL}/c/{SLUG}"
    assert app.click(query={"t": "0" * 32}, cookies=page_cookies(page), step="connect")["statusCode"] == 303
    assert state_items(aws) == []
    assert [json.loads(raw)["step"] for raw in app.messages()] == ["view"]


def test_the_landing_page_is_small_escaped_and_scriptless(make_app):
    app = make_app(campaign={"name": "<b>Launch</b> & \u00e9t\u00e9", "presented_by": 'The "Owls"'})
    page = app.click()
    body = page["body"]
    assert page["statusCode"] == 200 and len(body.encode()) <= 10 * 1024
    assert "<b>" not in body and "&lt;b&gt;Launch&lt;/b&gt;" in body and "Presented by The &quot;Owls&quot;" in body
    assert "<script" not in body.lower() and " on" not in body.split("<body>", 1)[1].lower().replace(" only", "")
    csp = page["headers"]["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "img-src 'none'" in csp and "form-action 'none'" in csp
    assert page["headers"]["Cache-Control"] == "no-store" and page["headers"]["Content-Language"] == "en"
    assert "14 days" in body  # how long Soundlink reads: the campaign's attribution window
    assert f'href="{API_URL}/privacy"' in body


def test_a_playlist_cover_only_from_spotifys_image_host(make_app):
    cover = "https://i.scdn.co/image/ab67706c0000da84"
    app = make_app(campaign={"playlist_name": "Night Drive", "playlist_image_url": cover})
    page = app.click()
    assert f'src="{cover}"' in page["body"] and "Playlist: Night Drive" in page["body"]
    assert "img-src https://i.scdn.co" in page["headers"]["Content-Security-Policy"]


def test_a_cover_from_any_other_host_is_left_out(make_app):
    app = make_app(campaign={"playlist_image_url": "https://evil.example/x.png"})
    page = app.click()
    assert "evil.example" not in page["body"] and "<img" not in page["body"]
    assert "img-src 'none'" in page["headers"]["Content-Security-Policy"]
