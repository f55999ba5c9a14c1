"""CSV export (soundlink.export) against moto: RFC 4180, CSV injection, parts and
their cursors, tampered cursors, pseudonymous listeners."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from soundlink.analytics.export import COLUMNS, pseudonym
from soundlink.analytics.export import export_csv as export_with_secret
from soundlink.attribution.rules import MODELS
from soundlink.attribution.service import listener_key
from soundlink.platform.errors import BadRequest
from soundlink.platform.tables import AttributionItem, ListenerItem

SECRET = "deployment-secret-for-tests-0123456789abcdef"


def export_csv(campaign_id: str, **kwargs):
    """The export as the analytics function makes it: with the deployment's pseudonym secret."""
    return export_with_secret(campaign_id, secret=SECRET, **kwargs)


def shown(campaign_id: str, account_id: str) -> str:
    """A listener as an export shows them (since issue 13: an HMAC with the deployment's secret)."""
    return pseudonym(SECRET, campaign_id, listener_key(campaign_id, account_id))


CAMPAIGN = "6f1c2a8e-4b8f-4d55-9a3e-0c2f3b1d4e5f"
OTHER = "0b7a3c9d-1e2f-4a5b-8c6d-7e8f9a0b1c2d"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def attribution(
    account_id: str,
    played_at: datetime,
    *,
    campaign_id: str = CAMPAIGN,
    track_id: str = "4uLU6hMCjMI75M1A2tKUQC",
    track_name: str | None = "Song",
    artists: str | None = "Artist One, Artist Two",
    context_uri: str | None = "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M",
    confidence: float = 0.7,
    reasons: str = "playlist_track_no_context clicked_within_1d",
    cohort_week: str | None = None,
    week_after_click: int | None = None,
) -> AttributionItem:
    """An attribution as soundlink.attribution.service writes it."""
    played_iso = played_at.isoformat(timespec="milliseconds")
    item = AttributionItem(
        *AttributionItem.key(campaign_id, played_iso, account_id),
        gsi2pk=ListenerItem.key(account_id)[0],
        gsi2sk=f"ATTR#{campaign_id}#{played_iso}",
        campaign_id=campaign_id,
        owner_id="owner-a",
        listener_key=listener_key(campaign_id, account_id),
        track_id=track_id,
        track_name=track_name,
        artists=artists,
        played_at=played_at,
        context_uri=context_uri,
        confidence=confidence,
        reasons=reasons,
        credit={"last_touch": 1.0, "first_touch": 0.0, "linear": 0.5, "time_decay": 0.25},
        cohort_week=cohort_week,
        week_after_click=week_after_click,
    )
    item.save()
    return item


def rows(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body, newline="")))


def all_parts(campaign_id: str = CAMPAIGN, *, max_bytes: int) -> list[tuple[str, str | None]]:
    parts, cursor = [], None
    for _ in range(10_000):
        body, cursor = export_csv(campaign_id, cursor=cursor, max_bytes=max_bytes)
        parts.append((body, cursor))
        if cursor is None:
            return parts
    raise AssertionError("the cursors never ended")


def cursor_of(value: object) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# ---------------------------------------------------------------- the file


def test_header_once_then_one_row_per_attribution_in_order(tables):
    written = [attribution(f"acct-{i % 3}", T0 + timedelta(minutes=7 * i)) for i in range(7)]
    attribution("acct-x", T0, campaign_id=OTHER)  # another campaign's: not exported
    body, cursor = export_csv(CAMPAIGN, cursor=None)
    assert cursor is None
    assert body.endswith("\r\n")
    assert "\r\n".join(body.split("\r\n")) == body and "\n" not in body.replace("\r\n", "")
    table = rows(body)
    assert table[0] == list(COLUMNS)
    assert sum(row == list(COLUMNS) for row in table) == 1
    assert len(table) == 1 + len(written)
    assert [row[0] for row in table[1:]] == [pseudonym(SECRET, CAMPAIGN, item.listener_key) for item in written]
    assert [row[4] for row in table[1:]] == [item.played_at.isoformat() for item in written]
    first = dict(zip(COLUMNS, table[1], strict=True))
    assert first["track_id"] == "4uLU6hMCjMI75M1A2tKUQC"
    assert first["track_name"] == "Song"
    assert first["artists"] == "Artist One, Artist Two"
    assert first["context_uri"] == "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"
    assert float(first["confidence"]) == 0.7
    assert first["reasons"] == "playlist_track_no_context clicked_within_1d"
    assert first["reasons_in_words"] == (
        "a track of the playlist, played from nowhere Spotify names; within a day of the click"
    )
    assert [float(first[f"credit_{model}"]) for model in MODELS] == [1.0, 0.0, 0.5, 0.25]


def test_each_row_names_its_cohort_week_and_the_week_after_the_click(tables):
    attribution("acct-old", T0)  # written before cohorts were kept: empty cells, not zeros
    attribution("acct-new", T0 + timedelta(days=9), cohort_week="2026-02-23", week_after_click=2)
    table = [dict(zip(COLUMNS, row, strict=True)) for row in rows(export_csv(CAMPAIGN, cursor=None)[0])[1:]]
    assert [(row["cohort_week"], row["week_after_click"]) for row in table] == [("", ""), ("2026-02-23", "2")]
    # New columns after the credits: existing ones keep their place.
    assert COLUMNS[-4:] == ("cohort_week", "week_after_click", "cost_currency", "cost_per_weighted_stream")


def test_an_empty_campaign_is_the_header_alone(tables):
    body, cursor = export_csv(CAMPAIGN, cursor=None)
    assert cursor is None
    assert rows(body) == [list(COLUMNS)]


@pytest.mark.parametrize(
    "name",
    [
        'He said "hi"',
        "Commas, commas, commas",
        "Two\nlines",
        "Windows\r\nlines",
        'All, of "them"\nat once',
        "  spaces kept  ",
        "Été 🎧 naïve — 東京",
    ],
)
def test_track_names_survive_rfc4180_quoting(tables, name):
    attribution("acct-1", T0, track_name=name, artists=name)
    body, _ = export_csv(CAMPAIGN, cursor=None)
    table = rows(body)
    assert len(table) == 2
    assert table[1][COLUMNS.index("track_name")] == name
    assert table[1][COLUMNS.index("artists")] == name
    if any(ch in name for ch in ',"\r\n'):
        quoted = '"' + name.replace('"', '""') + '"'
        assert quoted in body


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("https://evil.example","click")',
        "=1+1",
        "+1-1",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_formula_cells_start_with_an_apostrophe(tables, value):
    attribution("acct-1", T0, track_name=value, artists=value, context_uri=value, reasons=value)
    body, _ = export_csv(CAMPAIGN, cursor=None)
    row = dict(zip(COLUMNS, rows(body)[1], strict=True))
    for column in ("track_name", "artists", "context_uri", "reasons"):
        assert row[column] == "'" + value, column
    assert row["reasons_in_words"].startswith("'"), row["reasons_in_words"]  # unknown codes pass as they are


def test_harmless_cells_are_left_alone(tables):
    attribution("acct-1", T0, track_name="Song = Love", artists="AC/DC + friends", context_uri=None)
    row = dict(zip(COLUMNS, rows(export_csv(CAMPAIGN, cursor=None)[0])[1], strict=True))
    assert row["track_name"] == "Song = Love"
    assert row["artists"] == "AC/DC + friends"
    assert row["context_uri"] == ""


def test_the_listener_column_never_holds_the_account_id(tables):
    accounts = ["spotify-user-alice", "31abcdefghijklmnopqrstuvwxyz", "acct-3"]
    for i, account in enumerate(accounts):
        attribution(account, T0 + timedelta(minutes=i))
    body, _ = export_csv(CAMPAIGN, cursor=None)
    for account in accounts:
        assert account not in body
    listeners = [row[0] for row in rows(body)[1:]]
    assert listeners == [shown(CAMPAIGN, account) for account in accounts]
    assert all(len(key) == 20 and int(key, 16) >= 0 for key in listeners)
    # The same listener has another pseudonym in another campaign.
    assert shown(OTHER, accounts[0]) != shown(CAMPAIGN, accounts[0])
    # Whoever has a candidate account id cannot confirm it without the deployment's secret:
    # the stored per-campaign key (sha256 of campaign and account) is not what the export shows.
    for account in accounts:
        assert listener_key(CAMPAIGN, account) not in body
    other_deployment, _ = export_with_secret(CAMPAIGN, cursor=None, secret="another-deployment")
    assert not set(listeners) & {row[0] for row in rows(other_deployment)[1:]}


def test_the_export_needs_the_secret(tables):
    with pytest.raises(ValueError, match="secret"):
        export_with_secret(CAMPAIGN, cursor=None, secret="")


# ---------------------------------------------------------------- parts


@pytest.mark.parametrize("max_bytes", [1, 200, 700, 2_000])
def test_parts_chain_to_the_whole_export_without_losing_or_repeating_a_row(tables, max_bytes):
    written = [
        attribution(f"acct-{i % 5}", T0 + timedelta(seconds=37 * i), track_name=f'Track, {i}\n"{i}"') for i in range(40)
    ]
    whole, _ = export_csv(CAMPAIGN, cursor=None)
    parts = all_parts(max_bytes=max_bytes)
    assert len(parts) > 1
    assert "".join(body for body, _ in parts) == whole
    table = [row for body, _ in parts for row in rows(body)]
    assert table[0] == list(COLUMNS)
    assert sum(row == list(COLUMNS) for row in table) == 1
    got = [(row[0], row[4]) for row in table[1:]]
    assert got == [(pseudonym(SECRET, CAMPAIGN, item.listener_key), item.played_at.isoformat()) for item in written]
    for body, cursor in parts[1:]:
        assert not body.startswith(",".join(COLUMNS))
        assert cursor is None or len(cursor) <= 2048  # the handler takes cursors up to 2048 characters
    for body, _ in parts:
        assert body == "" or rows(body)  # every part is whole rows: each parses alone


def test_a_part_ends_at_the_first_row_that_reaches_max_bytes(tables):
    for i in range(10):
        attribution(f"acct-{i}", T0 + timedelta(minutes=i))
    max_bytes = 600
    for body, cursor in all_parts(max_bytes=max_bytes):
        lines = body.split("\r\n")[:-1]
        without_last = sum(len(line) + 2 for line in lines[:-1])
        assert without_last < max_bytes
        if cursor is not None:
            assert len(body) >= max_bytes


def test_max_bytes_counts_bytes_not_characters(tables):
    """A part must stay under max_bytes as sent (UTF-8), give or take its last row:
    the limit protects Lambda's 6 MB response, which counts bytes."""
    name = "東京の夜 " * 50  # 250 characters, 3 bytes each but the spaces: 650 bytes
    for i in range(20):
        attribution(f"acct-{i}", T0 + timedelta(minutes=i), track_name=name, artists=name)
    max_bytes = 4_000
    parts = all_parts(max_bytes=max_bytes)
    assert len(parts) > 1
    for body, _ in parts:
        encoded_rows = [line.encode() + b"\r\n" for line in body.split("\r\n")[:-1]]
        before_last = sum(len(row) for row in encoded_rows[:-1])
        assert before_last < max_bytes, (
            f"a part holds {before_last} bytes before its last row; max_bytes is {max_bytes}"
        )


# ---------------------------------------------------------------- cursors


def test_a_cursor_continues_only_within_its_campaign(tables):
    """The cursor names a sort key only: handed to another campaign's export, it reads that campaign's rows."""
    for i in range(6):
        attribution(f"acct-{i}", T0 + timedelta(minutes=i))
        attribution(f"other-{i}", T0 + timedelta(minutes=i), campaign_id=OTHER)
    _, cursor = export_csv(CAMPAIGN, cursor=None, max_bytes=200)
    assert cursor
    rest, _ = export_csv(OTHER, cursor=cursor, max_bytes=10**6)
    listeners = [row[0] for row in rows(rest)]
    assert listeners
    assert set(listeners) <= {shown(OTHER, f"other-{i}") for i in range(6)}


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param(cursor_of({"sk": "CAMPAIGN"}), id="campaign-item"),
        pytest.param(cursor_of({"sk": "TOTAL#0"}), id="counter"),
        pytest.param(cursor_of({"sk": "LINK#x"}), id="other-prefix"),
        pytest.param(cursor_of({"sk": "attr#2026"}), id="lowercase-prefix"),
        pytest.param(cursor_of({"pk": "CAMPAIGN#" + OTHER, "sk": "CAMPAIGN"}), id="other-pk"),
        pytest.param(cursor_of({"sk": {"S": "ATTR#2026"}}), id="sk-not-a-string"),
        pytest.param(cursor_of({"sk": 1}), id="sk-number"),
        pytest.param(cursor_of({}), id="empty-object"),
        pytest.param(cursor_of(["ATTR#2026"]), id="list"),
        pytest.param(cursor_of("ATTR#2026"), id="string"),
        pytest.param(cursor_of(None), id="null"),
        pytest.param(cursor_of({"sk": "ATTR#" + "x" * 1000}), id="huge-sk"),
        pytest.param("!!!not base64!!!", id="not-base64"),
        pytest.param("é" * 10, id="not-ascii"),
        pytest.param(cursor_of(b"not json at all"), id="not-json"),
        pytest.param(cursor_of(b"\xff\xfe{}"), id="not-utf8"),
        pytest.param(cursor_of(b'{"sk":' + b"1" * 1400 + b"}"), id="huge-int"),
        # 2,048 characters: the longest cursor the handler accepts (Query max_length).
        pytest.param(cursor_of(b"[" * 1536), id="deeply-nested"),
        pytest.param("A" * 3000, id="huge"),
    ],
)
def test_a_tampered_cursor_is_bad_request(tables, cursor):
    attribution("acct-1", T0)
    with pytest.raises(BadRequest) as raised:
        export_csv(CAMPAIGN, cursor=cursor, max_bytes=1000)
    assert "cursor" in raised.value.message


def test_a_part_that_reaches_exactly_max_bytes_ends_there(tables):
    for i in range(5):
        attribution(f"acct-{i}", T0 + timedelta(minutes=i))
    whole, cursor = export_csv(CAMPAIGN, cursor=None, max_bytes=10**6)
    assert cursor is None
    lines = whole.encode().split(b"\r\n")
    exactly = len(b"\r\n".join(lines[:3])) + 2  # the header and two rows, to the byte

    first, cursor = export_csv(CAMPAIGN, cursor=None, max_bytes=exactly)

    assert len(first.encode()) == exactly
    assert len(rows(first)) == 3 and cursor is not None
    rest, last = export_csv(CAMPAIGN, cursor=cursor, max_bytes=10**6)
    assert last is None
    assert first + rest == whole


def test_every_reason_has_words():
    from soundlink.attribution.rules import REASON_WORDS, Reason

    assert set(REASON_WORDS) == set(Reason)


def test_a_range_exports_the_plays_from_its_start_to_before_its_end(tables):
    for minutes in (-1, 0, 30, 60, 61):
        attribution(f"acct-{minutes}", T0 + timedelta(minutes=minutes))
    body, cursor = export_csv(CAMPAIGN, cursor=None, start=T0, end=T0 + timedelta(minutes=60))
    assert cursor is None
    played = [row[COLUMNS.index("played_at")] for row in rows(body)[1:]]
    assert played == [(T0 + timedelta(minutes=m)).isoformat() for m in (0, 30)]


def test_a_range_in_parts_resumes_inside_the_range(tables):
    for minutes in range(6):
        attribution(f"acct-{minutes}", T0 + timedelta(minutes=minutes))
    start, end = T0 + timedelta(minutes=1), T0 + timedelta(minutes=5)
    seen, cursor = [], None
    for _ in range(10):
        body, cursor = export_csv(CAMPAIGN, cursor=cursor, max_bytes=1, start=start, end=end)
        seen += [row[COLUMNS.index("played_at")] for row in rows(body) if row and row[0] != "listener"]
        if cursor is None:
            break
    assert seen == [(T0 + timedelta(minutes=m)).isoformat() for m in (1, 2, 3, 4)]


# ------------------------------------------------- mutation testing's survivors (issue 14)


def test_cursors_are_url_safe_without_padding_and_round_trip_every_sort_key(tables):
    from soundlink.analytics.export import _decode, _encode

    for n in range(300):
        sort_key = f"ATTR#2026-03-01T12:00:00.{n:03d}+00:00#{'x' * (n % 7)}"
        cursor = _encode(sort_key)
        assert "=" not in cursor and "+" not in cursor and "/" not in cursor
        assert _decode(cursor, CAMPAIGN) == {"pk": {"S": f"CAMPAIGN#{CAMPAIGN}"}, "sk": {"S": sort_key}}


def test_a_cursor_of_exactly_300_characters_is_taken_and_301_is_refused(tables):
    from soundlink.analytics.export import _decode

    longest = "ATTR#" + "x" * 295
    assert _decode(cursor_of({"sk": longest}), CAMPAIGN)["sk"] == {"S": longest}
    with pytest.raises(BadRequest) as raised:
        _decode(cursor_of({"sk": longest + "x"}), CAMPAIGN)
    assert raised.value.message == "cursor is not valid: use the X-Next-Cursor of the previous part, or omit it"


def test_the_export_without_a_secret_says_what_it_needs(tables):
    with pytest.raises(ValueError, match=r"^the export needs the deployment's pseudonym secret$"):
        export_with_secret(CAMPAIGN, cursor=None, secret="")


def test_other_items_of_the_campaigns_partition_are_not_exported(tables):
    attribution("acct-1", T0)
    stray = attribution("acct-2", T0 + timedelta(minutes=1))
    stray.sk = "LINK#acct-2"  # an item of the same partition that is no attribution
    stray.save()
    AttributionItem(
        *AttributionItem.key(CAMPAIGN, (T0 + timedelta(minutes=1)).isoformat(timespec="milliseconds"), "acct-2")
    ).delete()
    body, cursor = export_csv(CAMPAIGN, cursor=None, max_bytes=10**6)
    assert cursor is None
    assert [row[0] for row in rows(body)[1:]] == [shown(CAMPAIGN, "acct-1")]


def test_missing_credit_is_exported_as_zero(tables):
    whole = attribution("acct-1", T0)
    whole.credit = {}
    whole.save()
    partial = attribution("acct-2", T0 + timedelta(minutes=1))
    partial.credit = {"last_touch": 1.0}
    partial.save()
    body, _ = export_csv(CAMPAIGN, cursor=None, max_bytes=10**6)
    header, *data = rows(body)
    credit = [header.index(f"credit_{model}") for model in MODELS]
    assert [[row[i] for i in credit] for row in data] == [
        ["0"] * len(MODELS),
        ["1.0" if model == "last_touch" else "0" for model in MODELS],
    ]
