// The Fans section: figures never shown as zero when not measured; the cohort table as an artist reads it.

import assert from "node:assert/strict";
import { test } from "node:test";

import { cohortTable, fansOf, fansSentence, NOT_MEASURED, verdictLine, weekText } from "../js/campaign/fans.js";

test("no fans object (the option is off): no Fans figures at all", () => {
  assert.equal(fansOf({ fans: null }), null);
  assert.equal(fansOf({}), null);
  assert.equal(fansOf(undefined), null);
});

test("figures nobody could measure read 'Not measured', never 0; measured zeros stay 0", () => {
  const waiting = fansOf({
    fans: { new_saves: null, new_playlist_followers: null, new_artist_followers: null, measured_listeners: 0, not_measured_listeners: 3 },
  });
  assert.deepEqual(
    waiting.figures.map((figure) => [figure.name, figure.text]),
    [["new_saves", NOT_MEASURED], ["new_playlist_followers", NOT_MEASURED], ["new_artist_followers", NOT_MEASURED], ["not_measured_listeners", "3"]],
  );
  const measured = fansOf({
    fans: { new_saves: 2, new_playlist_followers: 0, new_artist_followers: 1, measured_listeners: 5, not_measured_listeners: 0 },
  });
  assert.deepEqual(measured.figures.map((figure) => figure.value), [2, 0, 1, 0]);
  assert.equal(measured.figures[1].text, "0");
});

test("the sentence names who was measured and who was not", () => {
  assert.equal(fansSentence({ measured_listeners: 0, not_measured_listeners: 0 }), "Nobody's saves and follows could be checked yet.");
  assert.match(fansSentence({ measured_listeners: 1, not_measured_listeners: 0 }), /^Counted among the 1 listener whose library/);
  assert.match(fansSentence({ measured_listeners: 4, not_measured_listeners: 2 }), /2 listeners connected before this was asked.*not counted as zero\.$/);
});

test("the cohort table: one row per week of first click, each week a count and its share of the row", () => {
  const shown = cohortTable([
    { week_start: "2026-02-23", listeners: 4, returned: [3, 2] },
    { week_start: "2026-03-02", listeners: 0, returned: [0, 1] },
  ]);
  assert.equal(shown.width, 2);
  assert.deepEqual(shown.rows.map((row) => row.weeks.map((week) => week.count)), [[3, 2], [0, 1]]);
  assert.match(shown.rows[0].weeks[0].text, /^3 \(75\s?%\)$/);
  assert.equal(shown.rows[1].weeks[1].text, "1"); // no share of an empty row
});

test("the cohort table survives what it does not expect: empty, ragged, hostile", () => {
  assert.deepEqual(cohortTable(undefined), { width: 0, rows: [] });
  assert.deepEqual(cohortTable([]), { width: 0, rows: [] });
  const ragged = cohortTable([{ week_start: "2026-02-23", listeners: 2, returned: [1] }, { week_start: "2026-03-02", listeners: 1, returned: [1, 1, 1] }, null, { listeners: 9 }]);
  assert.equal(ragged.width, 3);
  assert.deepEqual(ragged.rows[0].weeks.map((week) => week.count), [1, 0, 0]);
  assert.equal(ragged.rows.length, 2);
});

test("a cohort's week is its Monday in UTC, whatever the reader's zone", () => {
  assert.match(weekText("2026-02-23"), /23/);
  assert.match(weekText("2026-02-23"), /2026/);
  assert.equal(weekText("<img src=x>"), "—");
  assert.equal(weekText(undefined), "—");
});

test("the campaign form sends measure_fans only when it changes", async () => {
  const { changesOf } = await import("../js/pages/campaign-form.js");
  const original = { name: "Launch", attribution_window_days: 14, attribution_model: "last_touch", destination_url: "d", playlist_url: "d", measure_fans: false };
  const draft = { name: "Launch", attribution_window_days: "14", attribution_model: "last_touch", destination_url: "", starts_at: "", ends_at: "" };
  assert.deepEqual(changesOf(original, { ...draft, measure_fans: false }), {});
  assert.deepEqual(changesOf(original, { ...draft, measure_fans: true }), { measure_fans: true });
  assert.deepEqual(changesOf({ ...original, measure_fans: true }, { ...draft, measure_fans: false }), { measure_fans: false });
  assert.deepEqual(changesOf(original, draft), {}); // a draft without the box changes nothing
});

test("the verdict's line: nothing measured says so in words, never zeros", () => {
  const waiting = fansOf({ fans: { new_saves: null, new_playlist_followers: null, new_artist_followers: null, measured_listeners: 0, not_measured_listeners: 2 } });
  assert.deepEqual(verdictLine(waiting), ["Saves and follows: not measured yet"]);
});

test("saved tracks: most people first, top 10 and 'and N more', unnamed tracks say why", async () => {
  const { savedTracksOf, SAVED_TRACKS_SHOWN } = await import("../js/campaign/fans.js");
  assert.equal(SAVED_TRACKS_SHOWN, 10);
  assert.equal(savedTracksOf({ new_saves: 0 }), null); // an older answer without the list: no list
  assert.deepEqual(savedTracksOf({ saved_tracks: [] }), { rows: [], more: 0 });
  const id = (n) => String(n).padStart(22, "A");
  const many = Array.from({ length: 12 }, (_, n) => ({ track_id: id(n), track_name: `Song ${n}`, people: n + 1 }));
  const shown = savedTracksOf({ saved_tracks: many });
  assert.equal(shown.rows.length, 10);
  assert.equal(shown.more, 2);
  assert.deepEqual(shown.rows.slice(0, 2).map((row) => [row.label, row.text]), [["Song 11", "12 people"], ["Song 10", "11 people"]]);
  assert.equal(shown.rows[0].url, `https://open.spotify.com/track/${id(11)}`);
  const exactly = savedTracksOf({ saved_tracks: many.slice(0, 10) });
  assert.deepEqual([exactly.rows.length, exactly.more], [10, 0]); // ten: all shown, nothing more
  const one = savedTracksOf({ saved_tracks: [{ track_id: id(1), track_name: null, people: 1 }] });
  assert.deepEqual([one.rows[0].label, one.rows[0].named, one.rows[0].text], ["A track not streamed in these dates", false, "1 person"]);
});

test("saved tracks survive hostile entries: no link without a Spotify track id, no zero or fractional people", async () => {
  const { savedTracksOf } = await import("../js/campaign/fans.js");
  const good = { track_id: "4uLU6hMCjMI75M1A2tKUQC", track_name: "<img src=x onerror=alert(1)>", people: 2 };
  const shown = savedTracksOf({
    saved_tracks: [
      null,
      { track_id: "javascript:alert(1)", track_name: "x", people: 5 },
      { track_id: "4uLU6hMCjMI75M1A2tKUQ/", people: 5 },
      { track_id: "7ouMYWpwJ422jRcDASZB7P", people: 0 },
      { track_id: "7ouMYWpwJ422jRcDASZB7P", people: 1.5 },
      { track_id: "7ouMYWpwJ422jRcDASZB7P", people: "3" },
      good,
    ],
  });
  assert.equal(shown.rows.length, 1);
  assert.equal(shown.rows[0].label, good.track_name); // shown as text by el(), never as markup
  assert.equal(savedTracksOf({ saved_tracks: "nope" }), null);
});
