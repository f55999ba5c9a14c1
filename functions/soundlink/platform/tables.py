"""PynamoDB models: the key design of every table, in one place.

DataTable (pk, sk; gsi1 = gsi1pk/gsi1sk; gsi2 = gsi2pk/gsi2sk; TTL expires_at)
  item                      pk                      sk                    index keys
  campaign                  CAMPAIGN#{id}           CAMPAIGN              gsi1: OWNER#{owner} / CAMPAIGN#{created}#{id}
  slug claim                SLUG#{slug}             SLUG                  -  (its owner deleted: a tombstone)
  OAuth state               STATE#{state}           STATE                 TTL minutes
  visitor-key secret        VISITOR_SECRET          DAY#{yyyy-mm-dd}      TTL two days (daily rotation)
  listener                  LISTENER#{account}      LISTENER              gsi1: POLL#{shard} / {next_poll_at}#{account}
  listener-campaign link    LISTENER#{account}      LINK#{campaign}       gsi2: CAMPAIGN#{campaign} / LISTENER#{account}
  play guard                LISTENER#{account}      PLAY#{played_at}#{owner}  TTL 30 days
  attribution               CAMPAIGN#{campaign}     ATTR#{played_at}#{account}
                            gsi2: LISTENER#{account} / ATTR#{campaign}#{played_at}
  owner Spotify connection  OWNER#{owner}           SPOTIFY               -
  owner settings            OWNER#{owner}           SETTINGS              -
  playlist state            PLAYLIST#{id}           CURRENT               -
  playlist cache            PLAYLIST#{id}           SNAPSHOT#{snapshot}   TTL 30 days
  Spotify back-off marker   SPOTIFY                 BACKOFF               TTL
EventsTable (pk, sk; TTL expires_at; stream NEW_IMAGE): clicks CAMPAIGN#{id} / CLICK#{time}#{click};
  first visit VISIT#{campaign}#{day}#{visitor} / VISIT (conditional put = unique click);
  hourly views RATE#{campaign}#{key} / {step}#{hour}; stream checkpoints COUNTED#{event id} / COUNTED.
StatsTable (pk, sk): counters CAMPAIGN#{id} / TOTAL#{shard}, HOUR#{yyyy-mm-ddThh}#{shard}, TRACK#{id}#{shard},
  DIM#{dimension}#{value}#{shard}, CONF#{bucket}#{shard}, MODEL#{model}#C{bucket}#{shard},
  SAVED#{chunk}#{shard} (people with a new save per track, an attribute `track:{id}` each:
  soundlink/attribution/saved_tracks.py);
  STATES (listeners by state) and POLL (last successful poll), unsharded: they change rarely;
  DAY#{yyyy-mm-dd}#PEOPLE: the day's listeners as a HyperLogLog sketch (unsharded, versioned:
  soundlink/platform/people.py); read with the day counters by the same Query;
  ROLLUP#{yyyy-mm-dd}: a settled day's DAY# counters summed over shards, and its people sketch
  (soundlink/analytics/rollups.py).
  Every other counter is split over COUNTER_SHARDS items (soundlink/platform/counters.py) so a busy
  campaign never exceeds one item's write limit; readers sum the shards.
IdempotencyTable: Powertools' own schema (id, expiration).

Only the models in use exist here; later features add theirs with the keys above.
Table names come from Settings at run time (`bind_tables`), never from code.
"""

from __future__ import annotations

import sys

import botocore.session
from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from soundlink.platform.settings import Settings


class _DataTable(Model):
    class Meta:
        table_name = "DataTable"  # replaced by bind_tables

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class OwnerIndex(GlobalSecondaryIndex["CampaignItem"]):
    """gsi1 as used by campaigns: an owner's campaigns, newest first."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class CampaignItem(_DataTable):
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_owner = OwnerIndex()

    campaign_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    playlist_id = UnicodeAttribute()
    destination_url = UnicodeAttribute()
    attribution_window_days = NumberAttribute()
    attribution_model = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute(null=True)
    ends_at = UTCDateTimeAttribute(null=True)
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    archived_at = UTCDateTimeAttribute(null=True)
    presented_by = UnicodeAttribute(null=True)
    playlist_name = UnicodeAttribute(null=True)
    playlist_image_url = UnicodeAttribute(null=True)
    measure_fans = BooleanAttribute(null=True)  # absent on campaigns made before the option
    spend = UnicodeAttribute(null=True)  # JSON with decimal strings (soundlink/campaigns/spend.py)
    playlist_warning = UnicodeAttribute(null=True)
    version = VersionAttribute()

    @staticmethod
    def key(campaign_id: str) -> tuple[str, str]:
        return f"CAMPAIGN#{campaign_id}", "CAMPAIGN"

    @staticmethod
    def owner_key(owner_id: str) -> str:
        return f"OWNER#{owner_id}"


class SlugClaim(_DataTable):
    """Makes a slug unique: created in the same transaction as its campaign.

    When the campaign's owner deletes their account the claim stays as a tombstone:
    no campaign id, only where the link still leads (the playlist on Spotify), so the
    tracker answers "this campaign has ended" and the slug is never given out again.
    """

    campaign_id = UnicodeAttribute(null=True)  # None: a tombstone
    created_at = UTCDateTimeAttribute()
    ended_at = UTCDateTimeAttribute(null=True)
    ended_destination = UnicodeAttribute(null=True)

    @staticmethod
    def key(slug: str) -> tuple[str, str]:
        return f"SLUG#{slug}", "SLUG"


class VisitorSecretItem(_DataTable):
    """The day's secret of visitor keys; deleted by TTL, so old keys cannot be recomputed."""

    secret = UnicodeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(day: str) -> tuple[str, str]:
        return "VISITOR_SECRET", f"DAY#{day}"


class OAuthStateItem(_DataTable):
    """A consent in progress: single use (deleted on use), expiring within minutes.

    `purpose` tells the callback what it finishes: a listener's consent for a
    campaign, an owner's Spotify connection, or a listener's disconnect.
    """

    purpose = UnicodeAttribute()
    code_verifier = UnicodeAttribute()
    # sha256 of the __Host- cookie's value set with the state (None: no cookie binding).
    cookie_hash = UnicodeAttribute(null=True)
    redirect_uri = UnicodeAttribute()  # the exchange must send exactly the one authorized
    campaign_id = UnicodeAttribute(null=True)
    owner_id = UnicodeAttribute(null=True)
    slug = UnicodeAttribute(null=True)
    destination_url = UnicodeAttribute(null=True)
    click = MapAttribute(null=True)  # the click that started it: id, time and dimensions
    # Set (conditionally) before the one code exchange a state allows: a second callback with
    # another code finds it claimed and costs Spotify nothing.
    claimed = BooleanAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()  # Unix seconds; TTL deletes late, so readers check it too

    @staticmethod
    def key(state: str) -> tuple[str, str]:
        return f"STATE#{state}", "STATE"


class DeclineItem(_DataTable):
    """A visitor declined a campaign's consent today: a second decline is not counted again."""

    expires_at = NumberAttribute()

    @staticmethod
    def key(campaign_id: str, day: str, visitor: str) -> tuple[str, str]:
        return f"DECLINE#{campaign_id}#{day}#{visitor}", "DECLINE"


class PollIndex(GlobalSecondaryIndex["ListenerItem"]):
    """gsi1 as used by listeners: who is due for a poll, spread over shards."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class FollowedGuard(_DataTable):
    """Marks a Spotify account as counted in APP/LISTENERS (once); in the listener's partition,
    so their deletion takes it with the rest."""

    counted_at = UTCDateTimeAttribute()

    @staticmethod
    def key(account_id: str) -> tuple[str, str]:
        return f"LISTENER#{account_id}", "FOLLOWED"


class ListenerItem(_DataTable):
    gsi1pk = UnicodeAttribute(null=True)  # absent when the listener is not polled
    gsi1sk = UnicodeAttribute(null=True)
    by_poll_time = PollIndex()

    account_id = UnicodeAttribute()
    spotify_user_id = UnicodeAttribute()
    display_name = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    tokens = UnicodeAttribute()  # envelope ciphertext (soundlink/tokens/cipher.py), never plaintext
    scopes = UnicodeAttribute()
    # An earlier grant that holds the library scopes, kept when a later consent (for a campaign
    # without fans) granted fewer: fans checks use it, polls use `tokens`. Sealed like `tokens`.
    library_tokens = UnicodeAttribute(null=True)
    library_scopes = UnicodeAttribute(null=True)
    connected_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    next_poll_at = UTCDateTimeAttribute(null=True)
    # Polling (soundlink/polling): where the last poll stopped, and how often to poll.
    cursor_ms = NumberAttribute(null=True)  # newest played_at seen (Unix ms)
    # played_at (Unix ms) of the plays already queued within the lookback: a re-read
    # does not queue them again, yet a late-reported play with an older time is new.
    seen_ms = NumberSetAttribute(null=True)
    last_polled_at = UTCDateTimeAttribute(null=True)
    last_new_play_at = UTCDateTimeAttribute(null=True)
    quiet_polls = NumberAttribute(null=True)  # polls in a row without a new play: the cadence slows
    possible_gaps = NumberAttribute(null=True)
    status_reason = UnicodeAttribute(null=True)

    @staticmethod
    def key(account_id: str) -> tuple[str, str]:
        return f"LISTENER#{account_id}", "LISTENER"


class CampaignListenersIndex(GlobalSecondaryIndex["ListenerLinkItem"]):
    """gsi2 as used by links: a campaign's listeners."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class ListenerLinkItem(_DataTable):
    """A listener consented through a campaign's tracker (one per campaign)."""

    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    by_campaign = CampaignListenersIndex()

    account_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    first_click_at = UTCDateTimeAttribute()
    last_click_at = UTCDateTimeAttribute()
    consented_at = UTCDateTimeAttribute()
    # Dimensions of the first click (referrer, UTM, device, country): attribution
    # credits a listener's plays to where they came from.
    click = MapAttribute(null=True)
    # Tracks the listener played before the first click (read by the first poll after it).
    baseline_track_ids = UnicodeSetAttribute(null=True)
    baseline_at = UTCDateTimeAttribute(null=True)
    window_ends_at = UTCDateTimeAttribute(null=True)  # last click + the campaign's window (capped by ends_at)
    first_attributed_at = UTCDateTimeAttribute(null=True)  # set once: the listener counts once
    attributed_tracks = UnicodeSetAttribute(null=True)  # tracks credited so far: per-track listeners
    state = UnicodeAttribute(null=True)  # the listener's state as the campaign's STATES counter has it
    # Fans measured for this link: the poll before the window closes queues its end check, once.
    fans_end_due = BooleanAttribute(null=True)
    cohort_weeks = NumberSetAttribute(null=True)  # weeks after the first click with a counted stream

    @staticmethod
    def key(account_id: str, campaign_id: str) -> tuple[str, str]:
        return f"LISTENER#{account_id}", f"LINK#{campaign_id}"


class FansItem(_DataTable):
    """What a listener of a campaign measuring fans had saved or followed: one boolean per
    URI (the campaign's tracks, their artists, its playlist), nothing else of the library.
    In the listener's partition, so disconnecting deletes it with the rest."""

    baseline = MapAttribute(null=True)  # {uri: bool} at consent
    counted = UnicodeSetAttribute(null=True)  # URIs already counted as new saves / follows
    kinds = UnicodeSetAttribute(null=True)  # save, artist, playlist: the person counted once each
    checked_day = UnicodeAttribute(null=True)  # the day of the last re-check after a play
    not_measured = BooleanAttribute(null=True)  # the consent lacked the library scopes
    end_checked_at = UTCDateTimeAttribute(null=True)  # the check at the window's end ran

    @staticmethod
    def key(account_id: str, campaign_id: str) -> tuple[str, str]:
        return f"LISTENER#{account_id}", f"FANS#{campaign_id}"


class OwnerAccountIndex(GlobalSecondaryIndex["OwnerSpotifyItem"]):
    """gsi2 as used by owner connections: the owners connected with a Spotify account."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class OwnerSpotifyItem(_DataTable):
    """An owner's own Spotify connection, used to read their campaigns' playlists.

    In gsi2 under LISTENER#{account}: it names a Spotify account, so that account's
    disconnect (listeners/deletion.py) finds and removes it like the rest."""

    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_account = OwnerAccountIndex()
    owner_id = UnicodeAttribute()
    spotify_user_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    display_name = UnicodeAttribute(null=True)
    scopes = UnicodeAttribute()
    tokens = UnicodeAttribute()  # envelope ciphertext
    connected_at = UTCDateTimeAttribute()

    @staticmethod
    def key(owner_id: str) -> tuple[str, str]:
        return f"OWNER#{owner_id}", "SPOTIFY"


class OwnerSpotifyEndedItem(_DataTable):
    """Why an owner's Spotify connection ended without the owner (no personal data)."""

    ended_at = UTCDateTimeAttribute()
    reason = UnicodeAttribute()  # listener_disconnect: the account's holder disconnected on /privacy

    @staticmethod
    def key(owner_id: str) -> tuple[str, str]:
        return f"OWNER#{owner_id}", "SPOTIFY_ENDED"


class ConnectTicketItem(_DataTable):
    """A one-time ticket: the owner's browser opens it to start the Spotify connection there."""

    owner_id = UnicodeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(ticket: str) -> tuple[str, str]:
        return f"TICKET#{ticket}", "TICKET"


class PlayGuardItem(_DataTable):
    """A play of a listener already attributed for an owner's campaigns: the exactly-once guard."""

    track_id = UnicodeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(account_id: str, played_at_iso: str, owner_id: str) -> tuple[str, str]:
        return f"LISTENER#{account_id}", f"PLAY#{played_at_iso}#{owner_id}"


class AttributionItem(_DataTable):
    """One play attributed to one campaign, with its confidence, reasons and credit per model."""

    gsi2pk = UnicodeAttribute()  # LISTENER#{account}: reachable by the listener's deletion
    gsi2sk = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    listener_key = UnicodeAttribute()  # pseudonymous per campaign (exports show this, never the account)
    track_id = UnicodeAttribute()
    track_name = UnicodeAttribute(null=True)
    artists = UnicodeAttribute(null=True)
    played_at = UTCDateTimeAttribute()
    context_uri = UnicodeAttribute(null=True)
    confidence = NumberAttribute()
    reasons = UnicodeAttribute()  # space-separated reason codes (soundlink/attribution/rules.py)
    credit = MapAttribute()  # model -> share of the play
    cohort_week = UnicodeAttribute(null=True)  # Monday of the listener's first click (attribution/cohorts.py)
    week_after_click = NumberAttribute(null=True)  # 1: within 7 days of it, 2: the next 7, ...

    @staticmethod
    def key(campaign_id: str, played_at_iso: str, account_id: str) -> tuple[str, str]:
        return f"CAMPAIGN#{campaign_id}", f"ATTR#{played_at_iso}#{account_id}"


class PlaylistStateItem(_DataTable):
    """What Soundlink last learnt about a playlist: its snapshot, or why it cannot be read."""

    snapshot_id = UnicodeAttribute(null=True)
    readable = BooleanAttribute()
    reason = UnicodeAttribute(null=True)
    checked_at = UTCDateTimeAttribute()
    # What the landing page shows of it (as Spotify names and pictures it, read with the owner's connection).
    name = UnicodeAttribute(null=True)
    image_url = UnicodeAttribute(null=True)

    @staticmethod
    def key(playlist_id: str) -> tuple[str, str]:
        return f"PLAYLIST#{playlist_id}", "CURRENT"


class PlaylistSnapshotItem(_DataTable):
    """The track ids of a playlist at one snapshot_id (a snapshot never changes), and the
    ids of those tracks' artists (what a fans check asks about)."""

    track_ids = UnicodeSetAttribute(null=True)
    artist_ids = UnicodeSetAttribute(null=True)
    fetched_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(playlist_id: str, snapshot_id: str) -> tuple[str, str]:
        return f"PLAYLIST#{playlist_id}", f"SNAPSHOT#{snapshot_id}"


class BackoffItem(_DataTable):
    """Spotify said 429: every poller waits until `until` (fleet-wide)."""

    until = UTCDateTimeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key() -> tuple[str, str]:
        return "SPOTIFY", "BACKOFF"


# ------------------------------------------------------------ EventsTable


class _EventsTable(Model):
    class Meta:
        table_name = "EventsTable"  # replaced by bind_tables

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = NumberAttribute()


class ClickItem(_EventsTable):
    """One click on a tracker link, raw, kept for the click retention period."""

    click_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    clicked_at = UTCDateTimeAttribute()
    kind = UnicodeAttribute()  # human, bot, prefetch, suspicious
    step = UnicodeAttribute(null=True)  # view (the landing page), connect, play
    consent_started = BooleanAttribute()
    unique = BooleanAttribute()
    visitor = UnicodeAttribute(null=True)  # daily-rotating HMAC, never the IP
    dimensions = MapAttribute(null=True)
    # Counted by count_clicks from the table's stream (tracking/counting.py); clicks written
    # before it (counted in record_clicks' own transaction) lack it and are not counted again.
    counted_from_stream = BooleanAttribute(null=True)

    @staticmethod
    def key(campaign_id: str, clicked_at_iso: str, click_id: str) -> tuple[str, str]:
        return f"CAMPAIGN#{campaign_id}", f"CLICK#{clicked_at_iso}#{click_id}"


class RateItem(_EventsTable):
    """A visitor's requests of one step (view, connect) on one campaign in one hour.

    Keyed on the header visitor key (address, browser family and major version,
    language), never on the visitor cookie, which a script can simply drop."""

    n = NumberAttribute(null=True)  # connects: counted by the tracker (tracking/rate.py)
    # views: the ids of the hour's first views (at most the limit), so a redelivered view is not
    # counted twice (tracking/recording.py)
    ids = UnicodeSetAttribute(null=True)

    @staticmethod
    def key(campaign_id: str, step: str, hour: str, rate_key: str) -> tuple[str, str]:
        return f"RATE#{campaign_id}#{rate_key}", f"{step}#{hour}"


class VisitItem(_EventsTable):
    """First click of a visitor key on a campaign on a day: its existence makes later clicks not unique."""

    click_id = UnicodeAttribute(null=True)  # the click it made unique (its redelivery is unique again)

    @staticmethod
    def key(campaign_id: str, day: str, visitor: str) -> tuple[str, str]:
        return f"VISIT#{campaign_id}#{day}#{visitor}", "VISIT"


class CountedItem(_EventsTable):
    """count_clicks counted the click stream's records from this one (its eventID) up to
    `last_sequence` (tracking/counting.py): written in the transaction of their counters."""

    last_sequence = UnicodeAttribute()

    @staticmethod
    def key(event_id: str) -> tuple[str, str]:
        return f"COUNTED#{event_id}", "COUNTED"


# ------------------------------------------------------------- StatsTable


class CounterItem(Model):
    """One shard of a campaign's counters (soundlink/platform/counters.py names them)."""

    class Meta:
        table_name = "StatsTable"  # replaced by bind_tables

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    clicks = NumberAttribute(null=True)
    unique_clicks = NumberAttribute(null=True)
    bot_clicks = NumberAttribute(null=True)
    prefetches = NumberAttribute(null=True)
    consents_started = NumberAttribute(null=True)
    suspicious_clicks = NumberAttribute(null=True)  # neither people nor declared bots: counted apart
    connect_clicks = NumberAttribute(null=True)  # "Connect Spotify" on the landing page
    just_play_clicks = NumberAttribute(null=True)  # "Just take me to the playlist"
    authorizations = NumberAttribute(null=True)
    declined = NumberAttribute(null=True)
    attributed_plays = NumberAttribute(null=True)  # play x campaign pairs, whatever the model
    listeners = NumberAttribute(null=True)  # listeners with at least one attributed play
    possible_gaps = NumberAttribute(null=True)
    new_listeners = NumberAttribute(null=True)  # ... whose baseline had none of the campaign's tracks
    streams = NumberAttribute(null=True)  # MODEL# items: credit under the model (fractional)
    weighted_streams = NumberAttribute(null=True)  # MODEL# items: credit x confidence
    # APP/LISTENERS: Spotify accounts followed across the app (soundlink/listeners/followed.py).
    followed_listeners = NumberAttribute(null=True)
    # TOTAL items: credit under each model (all confidences), for the campaigns list.
    streams_last_touch = NumberAttribute(null=True)
    streams_first_touch = NumberAttribute(null=True)
    streams_linear = NumberAttribute(null=True)
    streams_time_decay = NumberAttribute(null=True)
    # TOTAL, HOUR and DAY items: that credit x confidence (the list's weighted streams, no Query).
    weighted_last_touch = NumberAttribute(null=True)
    weighted_first_touch = NumberAttribute(null=True)
    weighted_linear = NumberAttribute(null=True)
    weighted_time_decay = NumberAttribute(null=True)
    # STATES item: the campaign's listeners by state (moved when a link's state changes).
    state_active = NumberAttribute(null=True)
    state_idle = NumberAttribute(null=True)
    state_reauth_required = NumberAttribute(null=True)
    state_not_allowlisted = NumberAttribute(null=True)
    # TRACK# items: what to show for the track (set, not added).
    track_name = UnicodeAttribute(null=True)
    track_artists = UnicodeAttribute(null=True)
    # TOTAL items: people with a new save / playlist follow / artist follow; listeners measured or not.
    new_saves = NumberAttribute(null=True)
    new_playlist_followers = NumberAttribute(null=True)
    new_artist_followers = NumberAttribute(null=True)
    fans_measured = NumberAttribute(null=True)
    fans_not_measured = NumberAttribute(null=True)
    # POLL item: when a listener of the campaign was last polled successfully.
    last_polled_at = UTCDateTimeAttribute(null=True)
    # ROLLUP# items: writes into the day after it settled (platform/counters.py late_marker).
    late_writes = NumberAttribute(null=True)
    # DAY#{day}#PEOPLE item: the day's listeners, a serialized HyperLogLog sketch (platform/people.py).
    people = BinaryAttribute(null=True, legacy_encoding=False)


class RollupItem(CounterItem):
    """ROLLUP#{day}: a settled UTC day's DAY# counters summed over shards (analytics/rollups.py)."""

    summed_late = NumberAttribute(null=True)  # the late_writes the sums include
    sums = BinaryAttribute(null=True, legacy_encoding=False)  # zlib-compressed JSON


class PeopleSketchItem(CounterItem):
    """A DAY#{day}#PEOPLE item as its writer sees it: PynamoDB's VersionAttribute makes each
    save conditional on the version read (optimistic concurrency). CounterItem itself has no
    version: its counters are added to, never read and written back."""

    version = VersionAttribute()


def bind_tables(settings: Settings) -> None:
    """Point every model at the deployed table names, all through one DynamoDB client (once per container).

    PynamoDB gives each model class a connection of its own, and each makes its own
    botocore client on first use (~50 ms each: the service model is read again): a
    click reads three models, so its first request made three. One client, created
    here, serves every model and every transaction (platform/transactions.py).
    """
    tables = (
        (_DataTable, settings.data_table),
        (_EventsTable, settings.events_table),
        (CounterItem, settings.stats_table),
    )
    client = shared_connection(settings.region, None).client
    for model, table_name in tables:
        model.Meta.table_name = table_name
        model.Meta.region = settings.region
        for cls in (model, *_subclasses(model)):
            cls._connection = None
            if getattr(cls.Meta, "abstract", False) or cls.__name__.startswith("_"):
                continue
            # PynamoDB 6.1 (pinned) keeps the botocore client in Connection._client and makes
            # one only while it is unset; tests/handlers/test_tables.py holds this to one client.
            cls._get_connection().connection._client = client


_connections: dict[tuple[str | None, str | None], Connection] = {}


def shared_connection(region: str | None, host: str | None) -> Connection:
    """The container's one PynamoDB connection per region and endpoint."""
    connection = _connections.get((region, host))
    if connection is None:
        connection = _connections[(region, host)] = Connection(region=region, host=host)
        # PynamoDB would start a botocore session of its own and read every data file again
        # (~80-120 ms of cold start); boto3's default session has them loaded already.
        connection._local.session = default_botocore_session()
    return connection


def default_botocore_session() -> botocore.session.Session:
    """The botocore session behind ``boto3.client`` when the handler uses boto3 (its data files
    are loaded once per container); a session of its own otherwise, so a handler without boto3
    does not load it for this."""
    boto3 = sys.modules.get("boto3")
    if boto3 is None:
        return botocore.session.get_session()
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    return boto3.DEFAULT_SESSION._session


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


class OwnerSettingsItem(_DataTable):
    """An owner's preferences (soundlink/owners/preferences.py): time zone and currency."""

    time_zone = UnicodeAttribute(null=True)  # IANA name, e.g. Europe/Berlin
    currency = UnicodeAttribute(null=True)  # ISO 4217 code, e.g. EUR
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def key(owner_id: str) -> tuple[str, str]:
        return f"OWNER#{owner_id}", "SETTINGS"
