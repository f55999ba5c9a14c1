"""The tracker's pure rules: who is a person, where they came from, what is kept of them.

No AWS here: classification, referrer and UTM parsing, IP anonymisation, the
consent cookie, counter keys, page escaping and device categories.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import crawleruseragents
import pytest

from soundlink.platform.counters import (
    CLICK_DIMENSIONS,
    COUNTER_NAMES,
    COUNTER_SHARDS,
    NONE,
    add_counts,
    campaign_key,
    counter_sort_keys,
    day_scoped,
    shard_of,
)
from soundlink.platform.pages import SECURITY_HEADERS, Link, Page, redirect
from soundlink.tracking import devices, oauth_state
from soundlink.tracking.classify import MAX_USER_AGENT, ClickKind, classify, is_bot
from soundlink.tracking.clicks import (
    DIRECT,
    MAX_DIMENSION,
    Click,
    anonymised_network,
    clean_value,
    referrer_domain,
    utm_parameters,
    viewer_country,
)
from soundlink.tracking.devices import UNKNOWN, describe

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
IPHONE_INSTAGRAM = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 Instagram 340.0.0.22.109"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; Lenovo TB-X606F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
ANDROID_FIREFOX_PHONE = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"

BROWSERS = [CHROME_WINDOWS, SAFARI_MAC, FIREFOX_LINUX, IPHONE, IPHONE_INSTAGRAM, IPAD, ANDROID_PHONE, ANDROID_TABLET]
MACHINES = {
    "slack": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "twitter": "Twitterbot/1.0",
    "whatsapp": "WhatsApp/2.23.20.0",
    "discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl": "curl/8.5.0",
    "python-requests": "python-requests/2.32.3",
    "empty": "",
    "spaces": "   ",
    "whitespace": " \t\r\n ",
}
OWN_HOST = "abc123.execute-api.us-east-1.amazonaws.com"


def _printable(value: str) -> bool:
    return all(unicodedata.category(ch)[0] not in ("C", "Z") or ch == " " for ch in value)


# ------------------------------------------------------------------ classify


@pytest.mark.parametrize("user_agent", BROWSERS)
def test_a_browser_navigating_with_get_is_a_person(user_agent):
    assert classify("GET", {"user-agent": user_agent}) is ClickKind.HUMAN
    assert classify("get", {"user-agent": user_agent}) is ClickKind.HUMAN


@pytest.mark.parametrize("user_agent", MACHINES.values(), ids=MACHINES.keys())
def test_unfurlers_libraries_and_missing_user_agents_are_bots(user_agent):
    assert classify("GET", {"user-agent": user_agent}) is ClickKind.BOT
    assert is_bot(user_agent)


def test_no_user_agent_header_at_all_is_a_bot():
    assert classify("GET", {}) is ClickKind.BOT


@pytest.mark.parametrize("method", ["HEAD", "head", "POST", "OPTIONS", ""])
def test_anything_but_get_is_a_bot_even_with_a_browser_user_agent(method):
    assert classify(method, {"user-agent": CHROME_WINDOWS}) is ClickKind.BOT


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-purpose": "prefetch"},
        {"sec-purpose": "prefetch;prerender"},
        {"sec-purpose": "Prefetch"},
        {"purpose": "prefetch"},
        {"x-purpose": "preview"},
        {"x-moz": "prefetch"},
    ],
)
def test_prefetches_are_neither_people_nor_bots(headers):
    assert classify("GET", {"user-agent": CHROME_WINDOWS, **headers}) is ClickKind.PREFETCH
    # A prefetch is never a visit, whoever sends it.
    assert classify("HEAD", {"user-agent": MACHINES["curl"], **headers}) is ClickKind.PREFETCH


@pytest.mark.parametrize("headers", [{"sec-purpose": ""}, {"sec-fetch-dest": "document"}, {"purpose": "navigate"}])
def test_other_purpose_values_are_not_prefetches(headers):
    assert classify("GET", {"user-agent": CHROME_WINDOWS, **headers}) is ClickKind.HUMAN


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 " + "a" * 100_000,
        "Mozilla/5.0 (" * 10_000,
        CHROME_WINDOWS + " " + "(KHTML, " * 12_000,
        "bot" * 40_000,
    ],
    ids=["letters", "open-parens", "repeated-token", "bot-repeated"],
)
def test_a_100_kb_user_agent_reaches_the_crawler_patterns_cut_to_max_user_agent(user_agent, monkeypatch):
    """The crawler list's regexes are the only costly step: they never see more than MAX_USER_AGENT
    characters, so a huge header costs what a 512-character one does (no timing: the machine is shared)."""
    seen: list[str] = []
    real = crawleruseragents.is_crawler
    monkeypatch.setattr(crawleruseragents, "is_crawler", lambda text: seen.append(text) or real(text))
    kind = classify("GET", {"user-agent": user_agent, "sec-purpose": "x" * 100_000})
    assert kind is classify("GET", {"user-agent": user_agent[:MAX_USER_AGENT]})
    assert len(seen) == 2 and all(len(text) <= MAX_USER_AGENT for text in seen)


def test_only_the_first_max_user_agent_characters_are_looked_at():
    browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    padded = browser + "x" * (MAX_USER_AGENT - len(browser))
    assert classify("GET", {"user-agent": padded + " Googlebot/2.1"}) is ClickKind.HUMAN
    assert classify("GET", {"user-agent": "Googlebot/2.1 " + padded}) is ClickKind.BOT


# ------------------------------------------------------------------ referrer


@pytest.mark.parametrize(
    ("referer", "expected"),
    [
        ("https://www.example.com/some/page?q=1", "example.com"),
        ("https://WWW.Example.COM/", "example.com"),
        ("https://example.com:8443/a", "example.com"),
        ("http://t.co/abc", "t.co"),
        ("  https://t.co/abc  ", "t.co"),
        ("https://user:secret@evil.example/", "evil.example"),
        ("https://www.www.example.com/", "www.example.com"),
        ("//example.com/x", "example.com"),
        ("android-app://com.google.android.gm/", "com.google.android.gm"),
    ],
)
def test_referrer_domain_is_the_lowercase_host_without_www_or_port(referer, expected):
    assert referrer_domain(referer, OWN_HOST) == expected


@pytest.mark.parametrize(
    ("referer", "own_host"),
    [
        (f"https://{OWN_HOST}/c/abcdefghjk", OWN_HOST),
        (f"https://{OWN_HOST.upper()}/", OWN_HOST),
        (f"https://{OWN_HOST}/", f"{OWN_HOST}:443"),
        (f"https://www.{OWN_HOST}/", OWN_HOST),
        ("https://links.example/c/abcdefghjk", "LINKS.example"),
    ],
)
def test_our_own_host_counts_as_direct(referer, own_host):
    assert referrer_domain(referer, own_host) == DIRECT


def test_our_own_www_host_counts_as_direct():
    # BUG: the referrer's "www." is dropped but the own host's is not, so a
    # tracker served on a www. domain counts its own pages as a referrer.
    assert referrer_domain("https://www.links.example/privacy", "www.links.example") == DIRECT


@pytest.mark.parametrize("referer", [None, "", "   "])
def test_no_referrer_is_direct(referer):
    assert referrer_domain(referer, OWN_HOST) == DIRECT


@pytest.mark.parametrize(
    "referer",
    [
        "http://[::1",
        "https://[not-an-ip]/",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "example.com/path",
        "not a url at all",
        "http://",
        "http://:80",
        "http://www./",
        "https://a.com:99999/",
        "https://a.com:port/",
        "https://evil.com\r\nSet-Cookie: x=1",
        "https://\u202eevil.com/",
        "https://\x00\x01\x02/",
        "https://a\ud800b.com/",
        "https://" + "a" * 5_000 + ".com/",
        "https://" + "é" * 300 + ".com/",
        "\x00",
        "%",
    ],
)
def test_a_garbage_referrer_never_raises_and_gives_a_storable_value(referer):
    value = referrer_domain(referer, OWN_HOST)
    assert value == DIRECT or (0 < len(value) <= MAX_DIMENSION and _printable(value) and value == value.strip())
    value.encode("utf-8")  # storable in DynamoDB: no lone surrogates


def test_a_referrer_without_a_scheme_is_direct():
    assert referrer_domain("example.com/path", OWN_HOST) == DIRECT
    assert referrer_domain("javascript:alert(1)", OWN_HOST) == DIRECT
    assert referrer_domain("http://[::1", OWN_HOST) == DIRECT


def test_a_referrer_without_an_own_host_still_parses():
    assert referrer_domain(f"https://{OWN_HOST}/", None) == OWN_HOST
    assert referrer_domain(f"https://{OWN_HOST}/", "") == OWN_HOST


# ----------------------------------------------------------------------- UTM


def test_utm_source_and_medium_are_lowercased_and_the_others_kept_as_given():
    found = utm_parameters(
        {
            "utm_source": "NewsLetter",
            "utm_medium": "EMAIL",
            "utm_campaign": "Spring Sale",
            "utm_term": "Indie Rock",
            "utm_content": "Hero Banner",
        }
    )
    assert found == {
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "Spring Sale",
        "utm_term": "Indie Rock",
        "utm_content": "Hero Banner",
    }


def test_repeated_parameters_joined_by_api_gateway_keep_the_first():
    assert utm_parameters({"utm_source": "First,second,third", "utm_campaign": "a,b"}) == {
        "utm_source": "first",
        "utm_campaign": "a",
    }


@pytest.mark.parametrize("value", ["", ",second", "   ", "\n\t", "\x00\x1f", "\u200b\u202e"])
def test_an_empty_or_invisible_utm_value_is_dropped(value):
    assert utm_parameters({"utm_source": value}) == {}


def test_unknown_parameters_are_ignored():
    query = {"redirect": "https://evil.example", "utm_id": "x", "UTM_SOURCE": "upper", "utm_sourcex": "y"}
    assert utm_parameters(query) == {}
    assert utm_parameters({}) == {}


def test_control_characters_and_newlines_are_stripped_from_utm_values():
    found = utm_parameters(
        {
            "utm_campaign": "Spring\r\nSet-Cookie: x\x00\x07",
            "utm_term": "a\u202eb\u200bc\u2028d",
            "utm_content": "  padded   inner   spaces  ",
        }
    )
    for value in found.values():
        assert _printable(value)
        assert "\n" not in value and "\r" not in value
    assert found["utm_campaign"].replace(" ", "") == "SpringSet-Cookie:x"
    # Format characters go; a line separator is whitespace, so it separates words like a space.
    assert found["utm_term"] == "abc d"
    assert found["utm_content"] == "padded inner spaces"


def test_a_utm_value_is_capped_at_100_characters():
    exactly = "x" * MAX_DIMENSION
    assert utm_parameters({"utm_campaign": exactly})["utm_campaign"] == exactly
    assert utm_parameters({"utm_campaign": exactly + "y"})["utm_campaign"] == exactly
    assert utm_parameters({"utm_campaign": "x" * 99})["utm_campaign"] == "x" * 99
    assert utm_parameters({"utm_campaign": "é" * 1_000_000})["utm_campaign"] == "é" * MAX_DIMENSION


def test_the_cap_applies_after_cleaning():
    value = "\x00" * 500 + "a" * MAX_DIMENSION
    assert utm_parameters({"utm_term": value})["utm_term"] == "a" * MAX_DIMENSION


# --------------------------------------------------------------- clean_value


@pytest.mark.parametrize("value", [None, "", " ", "\x00", "\n\r\t", "\u200b", "\ud800"])
def test_clean_value_of_nothing_printable_is_none(value):
    assert clean_value(value) is None


def test_clean_value_keeps_printable_text_and_collapses_spaces():
    assert clean_value("  Hello   World  ") == "Hello World"
    assert clean_value("Ünïcødé ♫ 🎵") == "Ünïcødé ♫ 🎵"
    assert clean_value("a\ud800b") == "ab"  # a lone surrogate (wrong encoding) would not store as UTF-8


def test_clean_value_limit_boundary():
    assert clean_value("abc", limit=3) == "abc"
    assert clean_value("abcd", limit=3) == "abc"
    assert clean_value("ab", limit=3) == "ab"


def test_clean_value_is_trimmed_even_when_the_cut_falls_after_a_space():
    # BUG: the cut to `limit` happens after the spaces were collapsed, so a
    # value whose 100th character is a space keeps it at the end.
    assert clean_value("a" * 99 + " b") == "a" * 99


# ------------------------------------------------------------ network, country


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.7", "203.0.113.0"),
        ("203.0.113.255", "203.0.113.0"),
        ("203.0.113.0", "203.0.113.0"),
        (" 10.1.2.3 ", "10.1.2.0"),
        ("2001:db8:1234:5678:9abc::1", "2001:db8:1234::"),
        ("2001:0db8:abcd:ffff:ffff:ffff:ffff:ffff", "2001:db8:abcd::"),
        ("fe80::1%eth0", "fe80::"),
    ],
)
def test_anonymised_network_is_the_slash_24_or_slash_48(ip, network):
    assert anonymised_network(ip) == network


@pytest.mark.parametrize(
    "ip",
    [None, "", " ", "999.1.1.1", "1.2.3", "1.2.3.4/24", "203.0.113.7, 10.0.0.1", "localhost", "::g", "1.2.3.4\x00"],
)
def test_anonymised_network_of_garbage_is_none(ip):
    assert anonymised_network(ip) is None


@pytest.mark.parametrize(("value", "expected"), [("DE", "DE"), ("de", "DE"), (" fr ", "FR"), ("gB", "GB")])
def test_viewer_country_is_an_upper_case_two_letter_code(value, expected):
    assert viewer_country({"cloudfront-viewer-country": value}) == expected


@pytest.mark.parametrize("value", ["", "X", "XXX", "1A", "A1", "ÄB", "ǅ", "\uff24\uff25", "D E", "<s"])
def test_viewer_country_refuses_anything_else(value):
    assert viewer_country({"cloudfront-viewer-country": value}) is None


def test_viewer_country_without_the_header_is_none():
    assert viewer_country({}) is None


# ------------------------------------------------------------- click message


def test_a_click_message_round_trips_and_cuts_the_user_agent():
    click = Click(
        id="c1",
        campaign_id="camp",
        owner_id="owner",
        at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        kind=ClickKind.HUMAN,
        visitor="v" * 32,
        utm={"utm_source": "news"},
        user_agent="U" * 10_000,
        network="203.0.113.0",
    )
    message = click.to_message()
    assert message["type"] == "click" and message["kind"] == "human"
    assert len(message["user_agent"]) == MAX_USER_AGENT
    back = Click.from_message(message)
    assert back.at == click.at and back.kind is ClickKind.HUMAN and back.utm == click.utm


@pytest.mark.parametrize("body", [{"type": "play"}, {}, {"type": "click", "kind": "alien"}])
def test_other_messages_are_not_clicks(body):
    with pytest.raises((ValueError, KeyError, TypeError)):
        Click.from_message(body)


# ------------------------------------------------------------ consent cookie

COOKIE = oauth_state.COOKIE_NAME


def test_the_consent_cookie_is_found_among_others():
    cookies = ["theme=dark", f"{COOKIE}=nonce-123", "_ga=GA1.2.3"]
    assert oauth_state.cookie_from(cookies) == "nonce-123"


def test_the_consent_cookie_inside_a_semicolon_joined_string():
    assert oauth_state.cookie_from([f"theme=dark; {COOKIE}=nonce-456; other=1"]) == "nonce-456"
    assert oauth_state.cookie_from([f"theme=dark;{COOKIE}=nonce-789"]) == "nonce-789"


@pytest.mark.parametrize(
    "cookies",
    [
        None,
        [],
        [""],
        ["theme=dark"],
        [f"{COOKIE}="],
        [f"{COOKIE}"],
        ["soundlink_consent=forged"],  # without the __Host- prefix anyone on a sibling domain can set it
        ["__host-soundlink_consent=forged"],
        [f"{COOKIE}x=forged"],
        [f"x{COOKIE}=forged"],
        [f"other={COOKIE}=forged"],
    ],
)
def test_no_or_another_cookie_gives_none(cookies):
    assert oauth_state.cookie_from(cookies) is None


def test_an_empty_consent_cookie_is_skipped_for_a_later_one():
    assert oauth_state.cookie_from([f"{COOKIE}=", f"{COOKIE}=later"]) == "later"
    assert oauth_state.cookie_from([f"{COOKIE}=; {COOKIE}=later"]) == "later"


def test_the_first_consent_cookie_wins_and_keeps_equals_signs():
    assert oauth_state.cookie_from([f"{COOKIE}=first", f"{COOKIE}=second"]) == "first"
    assert oauth_state.cookie_from([f"{COOKIE}=a=b"]) == "a=b"


def test_set_cookie_is_a_host_only_secure_cookie():
    header = oauth_state.set_cookie("nonce-123", 600)
    name_value, *attributes = [part.strip() for part in header.split(";")]
    assert name_value == f"{COOKIE}=nonce-123"
    assert COOKIE.startswith("__Host-")
    assert set(attributes) == {"Max-Age=600", "Path=/", "Secure", "HttpOnly", "SameSite=Lax"}
    assert "domain" not in header.lower()


def test_clear_cookie_expires_it_at_once():
    header = oauth_state.clear_cookie()
    assert header.startswith(f"{COOKIE}=;") and "Max-Age=0" in header and "Path=/" in header


# ------------------------------------------------------------------ counters


def test_shard_of_is_stable_and_in_range():
    assert shard_of("click-1") == shard_of("click-1")
    expected = int.from_bytes(hashlib.sha256(b"click-1").digest()[:4], "big") % COUNTER_SHARDS
    assert shard_of("click-1") == expected
    shards = {shard_of(f"event-{n}") for n in range(2_000)}
    assert shards == set(range(COUNTER_SHARDS))
    assert 0 <= shard_of("") < COUNTER_SHARDS
    assert 0 <= shard_of("é\ud7ff" * 10_000) < COUNTER_SHARDS


def test_counter_sort_keys_are_total_hour_day_and_each_given_dimension_in_order():
    at = datetime(2026, 3, 2, 1, 45, tzinfo=timezone(timedelta(hours=2)))  # 23:45 UTC the day before
    keys = counter_sort_keys(at, {"country": "DE", "referrer": "t.co", "utm_source": "", "unknown": "x"}, 5)
    assert keys == [
        "TOTAL#5",
        "HOUR#2026-03-01T23#5",
        "DAY#2026-03-01#5",
        "DAY#2026-03-01#DIM#referrer#t.co#5",
        f"DAY#2026-03-01#DIM#utm_source#{NONE}#5",
        "DAY#2026-03-01#DIM#country#DE#5",
    ]
    assert counter_sort_keys(at, {}, 0) == ["TOTAL#0", "HOUR#2026-03-01T23#0", "DAY#2026-03-01#0"]


def test_counter_sort_keys_for_every_dimension():
    dims = {name: f"v-{name}" for name in CLICK_DIMENSIONS}
    keys = counter_sort_keys(datetime(2026, 1, 1, tzinfo=UTC), dims, 7)
    assert keys[:3] == ["TOTAL#7", "HOUR#2026-01-01T00#7", "DAY#2026-01-01#7"]
    assert keys[3:] == [f"DAY#2026-01-01#DIM#{name}#v-{name}#7" for name in CLICK_DIMENSIONS]
    assert all(key.endswith("#7") for key in keys)


class RecordingTransaction:
    def __init__(self):
        self.updates = []

    def update(self, item, actions):
        self.updates.append((item.pk, item.sk, actions))


def test_add_counts_updates_each_counter_key_of_the_event_shard():
    writes = RecordingTransaction()
    at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    n = add_counts(
        writes, "camp", at, {"clicks": 1, "unique_clicks": 1}, event_id="e1", dimensions={"country": "FR"}, now=at
    )
    shard = shard_of("e1")
    assert n == 4
    assert [(pk, sk) for pk, sk, _ in writes.updates] == [
        (campaign_key("camp"), f"TOTAL#{shard}"),
        (campaign_key("camp"), f"HOUR#2026-03-01T09#{shard}"),
        (campaign_key("camp"), f"DAY#2026-03-01#{shard}"),
        (campaign_key("camp"), f"DAY#2026-03-01#DIM#country#FR#{shard}"),
    ]
    assert all(len(actions) == 2 for _, _, actions in writes.updates)


def test_counters_named_in_also_are_kept_per_utc_day_after_the_dimensions():
    at = datetime(2026, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=1)))  # 23:30 UTC the day before
    keys = counter_sort_keys(at, {"country": "DE"}, 3, also=("CONF#9", "TRACK#abc"))
    assert keys[3:] == ["DAY#2026-03-01#DIM#country#DE#3", "DAY#2026-03-01#CONF#9#3", "DAY#2026-03-01#TRACK#abc#3"]
    assert day_scoped(at, "MODEL#linear#C9#3") == "DAY#2026-03-01#MODEL#linear#C9#3"


def test_add_counts_with_only_zero_counts_writes_nothing():
    writes = RecordingTransaction()
    assert add_counts(writes, "camp", datetime.now(UTC), {"clicks": 0, "consents_started": 0}, event_id="e") == 0
    assert add_counts(writes, "camp", datetime.now(UTC), {}, event_id="e") == 0
    assert writes.updates == []


@pytest.mark.parametrize("name", ["plays", "Clicks", "", "clicks ", "version", "pk"])
def test_add_counts_refuses_unknown_counter_names(name):
    writes = RecordingTransaction()
    with pytest.raises(ValueError, match="unknown counters"):
        add_counts(writes, "camp", datetime.now(UTC), {"clicks": 1, name: 1}, event_id="e")
    assert writes.updates == []
    assert name not in COUNTER_NAMES


# --------------------------------------------------------------------- pages

EVIL = "<script>alert(\"x\")</script>' onmouseover='steal()"


def test_page_html_escapes_title_paragraphs_lists_and_links():
    page = Page(
        404,
        EVIL,
        (EVIL, "Tom & Jerry"),
        links=(Link('https://example.com/" onclick="steal()', EVIL, button=True),),
        lists=((EVIL,),),
    )
    html = page.html()
    assert "<script" not in html.lower()
    # The handlers' text stays inside its attribute: no quote of the markup's own survives.
    assert 'onclick="' not in html and "onmouseover='" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#x27; onmouseover=&#x27;steal()" in html
    assert 'href="https://example.com/&quot; onclick=&quot;steal()"' in html
    assert "Tom &amp; Jerry" in html
    assert html.count("<a ") == 1 and html.count("<p>") == 3  # 2 paragraphs and the link's, nothing injected


def test_page_response_carries_the_security_headers_and_no_body_for_head():
    page = Page(404, "Gone", ("Nothing here",))
    response = page.response()
    assert response["statusCode"] == 404
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    for name, value in SECURITY_HEADERS.items():
        assert response["headers"][name] == value
    assert "script-src" not in response["headers"]["Content-Security-Policy"]
    assert "default-src 'none'" in response["headers"]["Content-Security-Policy"]
    assert page.response(head=True)["body"] == ""
    assert "cookies" not in response
    assert page.response(cookies=["a=b"])["cookies"] == ["a=b"]


def test_redirect_sets_location_and_security_headers():
    response = redirect("https://open.spotify.com/playlist/x")
    assert response["statusCode"] == 302 and response["body"] == ""
    assert response["headers"]["Location"] == "https://open.spotify.com/playlist/x"
    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["headers"]["Referrer-Policy"] == "no-referrer"


# ------------------------------------------------------------------- devices


@pytest.mark.parametrize(
    ("user_agent", "device", "browser", "os"),
    [
        (IPHONE, "mobile", "Mobile Safari", "iOS"),
        (IPHONE_INSTAGRAM, "mobile", "Instagram", "iOS"),
        (IPAD, "tablet", "Mobile Safari", "iOS"),
        (ANDROID_PHONE, "mobile", "Chrome Mobile", "Android"),
        (ANDROID_FIREFOX_PHONE, "mobile", "Firefox Mobile", "Android"),
        (ANDROID_TABLET, "tablet", "Chrome", "Android"),
        (CHROME_WINDOWS, "desktop", "Chrome", "Windows"),
        (SAFARI_MAC, "desktop", "Safari", "Mac OS X"),
        (FIREFOX_LINUX, "desktop", "Firefox", "Linux"),
        # Tablets told apart from the user agent alone (no device rules are parsed).
        (
            "Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/108.3.1 "
            "like Chrome/108.0.5359.220 Safari/537.36",
            "tablet",
            "Amazon Silk",
            "Android",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-T870) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/130.0.0.0 Mobile Safari/537.36",
            "tablet",
            "Chrome Mobile",
            "Android",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/130.0.0.0 Mobile Safari/537.36",
            "mobile",
            "Chrome Mobile",
            "Android",
        ),
    ],
)
def test_describe_categorises_devices(user_agent, device, browser, os):
    assert describe(user_agent) == {"device": device, "browser": browser, "os": os}


@pytest.mark.parametrize("user_agent", ["", "   ", "\x00\x01"])
def test_describe_of_nothing_is_other_and_unknown(user_agent):
    assert describe(user_agent) == {"device": "other", "browser": UNKNOWN, "os": UNKNOWN}


def test_describe_of_a_bot_is_other():
    assert describe(MACHINES["curl"])["device"] == "other"


def test_describe_of_a_huge_or_hostile_user_agent_returns_storable_values(monkeypatch):
    # ua-parser's regexes (the costly step) see at most MAX_USER_AGENT characters: no timing here,
    # the machine is shared.
    parsed: list[str] = []
    real = devices._parser()
    monkeypatch.setattr(devices, "_parser", lambda: lambda text: parsed.append(text) or real(text))
    describe.cache_clear()
    described = describe("Mozilla/5.0 (" + "<script>\x00\n" * 20_000)
    assert len(parsed) == 1 and len(parsed[0]) == MAX_USER_AGENT
    assert set(described) == {"device", "browser", "os"}
    for value in described.values():
        assert 0 < len(value) <= MAX_DIMENSION and _printable(value)
