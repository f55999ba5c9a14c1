import assert from "node:assert/strict";
import { test } from "node:test";

import { qualityNotices } from "../js/campaign/quality.js";

const NOW = new Date("2026-11-26T12:00:00Z");
const campaign = { status: "active", starts_at: null, ends_at: null };
const ids = (notices) => notices.map((notice) => notice.id);

function analytics(quality = {}, extra = {}) {
  return {
    totals: { authorizations: 3, possible_gaps: 0 },
    listener_states: { active: 2, idle: 1, reauth_required: 0, not_allowlisted: 0 },
    data_quality: { possible_gaps: 0, playlist_readable: true, playlist_reason: null, last_successful_poll: "2026-11-26T11:55:00Z", ...quality },
    ...extra,
  };
}

test("nothing to say about a healthy campaign", () => {
  assert.deepEqual(qualityNotices({ analytics: analytics(), campaign, connection: { connected: true }, now: NOW }), []);
});

test("an unreadable playlist without a Spotify connection asks the owner to connect, in plain words", () => {
  const [notice] = qualityNotices({
    analytics: analytics({ playlist_readable: false, playlist_reason: "the campaign owner has not connected Spotify" }),
    campaign,
    connection: { connected: false },
    now: NOW,
  });
  assert.equal(notice.id, "playlist-unreadable");
  assert.equal(notice.action, "connect-spotify");
  assert.match(notice.text, /^Spotify could not read your playlist: connect your Spotify account/);
});

test("an unreadable playlist with a connection made after the last check says it will be read soon", () => {
  const notices = qualityNotices({
    analytics: analytics({ playlist_readable: false }),
    campaign,
    connection: { connected: true, connected_at: "2026-11-26T11:58:00Z" },
    now: NOW,
  });
  assert.deepEqual(ids(notices), ["playlist-pending"]);
});

test("an unreadable playlist with an older connection explains what to check, with the reason", () => {
  const [notice] = qualityNotices({
    analytics: analytics({ playlist_readable: false, playlist_reason: "Spotify refused to read the playlist: not found" }),
    campaign,
    connection: { connected: true, connected_at: "2026-11-01T00:00:00Z" },
    now: NOW,
  });
  assert.equal(notice.id, "playlist-unreadable");
  assert.equal(notice.action, undefined);
  assert.match(notice.text, /owns the playlist or collaborates on it.*not found/);
});

test("possible gaps, listeners to reconnect, allow-list and stale checks are each explained", () => {
  const notices = qualityNotices({
    analytics: analytics(
      { possible_gaps: 2, last_successful_poll: "2026-11-26T09:00:00Z" },
      { listener_states: { active: 1, idle: 0, reauth_required: 1, not_allowlisted: 3 } },
    ),
    campaign,
    connection: { connected: true },
    now: NOW,
  });
  assert.deepEqual(ids(notices), ["possible-gaps", "reauth", "not-allowlisted", "stale"]);
  assert.match(notices[0].text, /last 50 plays/);
  assert.match(notices[1].text, /^1 listener disconnected/);
  assert.match(notices[2].text, /^3 listeners connected but/);
});

test("archived, ended and future campaigns say so; an answer without data_quality is no error", () => {
  assert.deepEqual(ids(qualityNotices({ analytics: {}, campaign: { status: "archived" }, connection: null, now: NOW })), ["archived"]);
  assert.deepEqual(
    ids(qualityNotices({ analytics: {}, campaign: { status: "active", ends_at: "2026-11-01T00:00:00Z" }, connection: null, now: NOW })),
    ["ended"],
  );
  assert.deepEqual(
    ids(qualityNotices({ analytics: {}, campaign: { status: "active", starts_at: "2027-01-01T00:00:00Z" }, connection: null, now: NOW })),
    ["not-started"],
  );
  assert.deepEqual(qualityNotices({ analytics: undefined, campaign, connection: null, now: NOW }), []);
});

test("listeners connected but never checked", () => {
  const notices = qualityNotices({ analytics: analytics({ last_successful_poll: null }), campaign, connection: { connected: true }, now: NOW });
  assert.deepEqual(ids(notices), ["not-checked"]);
});

test("the playlist check's warning shows before any listener, and gives way once Spotify read the playlist", () => {
  const warned = { ...campaign, playlist_warning: "Spotify did not show this playlist to Soundlink (you have not connected Spotify)." };
  const before = { totals: { authorizations: 0 }, listener_states: {}, data_quality: { playlist_readable: null, last_successful_poll: null } };
  const [notice] = qualityNotices({ analytics: before, campaign: warned, connection: { connected: false }, now: NOW });
  assert.equal(notice.id, "playlist-warning");
  assert.equal(notice.text, warned.playlist_warning);
  assert.equal(notice.action, "connect-spotify");
  assert.deepEqual(ids(qualityNotices({ analytics: analytics(), campaign: warned, connection: { connected: true }, now: NOW })), []);
  assert.deepEqual(ids(qualityNotices({ analytics: before, campaign, connection: { connected: true }, now: NOW })), []);
});
