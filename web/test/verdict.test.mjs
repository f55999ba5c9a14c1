// The verdict at the top of a campaign's page (its figures, when Spotify was checked, its sentence);
// the models table only where models differ.

import assert from "node:assert/strict";
import { test } from "node:test";

import { changeText, sentenceOf, sourcesText, verdictOf } from "../js/campaign/verdict.js";

const NOW = new Date("2026-11-26T12:00:00Z");
const totals = { clicks: 80, authorizations: 40, conversion_rate: 0.5, listeners: 37, new_listeners: 21, streams: 112, weighted_streams: 87.46 };

test("the verdict's figures come first, in the order they are read, rounded as an artist reads them", () => {
  const verdict = verdictOf({ totals, data_quality: { last_successful_poll: "2026-11-26T11:55:00Z" } }, NOW);
  assert.deepEqual(
    verdict.figures.map((figure) => [figure.name, figure.value]),
    [["weighted_streams", 87.46], ["listeners", 37], ["new_listeners", 21], ["conversion_rate", 0.5]],
  );
  assert.equal(verdict.figures[0].text, "87.5");
  assert.match(verdict.figures[3].text, /^50\s?%$/);
  assert.equal(verdict.checked, "Spotify last checked 5 minutes ago");
  assert.equal(verdict.sentence, "37 people who clicked have played your playlist 112 times; 21 of them had never played it before.");
});

test("before any check of Spotify the verdict says so; missing figures show a dash", () => {
  const verdict = verdictOf({ totals: {}, data_quality: { last_successful_poll: null } }, NOW);
  assert.equal(verdict.checked, "Spotify not checked yet");
  assert.deepEqual(new Set(verdict.figures.map((figure) => figure.text)), new Set(["—"]));
});

test("the sentence says where the campaign stands at each step, in plain words", () => {
  assert.match(sentenceOf({ clicks: 0 }), /^Nobody has opened your link yet/);
  assert.equal(sentenceOf({ clicks: 1, authorizations: 0 }), "1 person opened your link; nobody has connected Spotify yet, so no plays can be counted.");
  assert.equal(sentenceOf({ clicks: 9, authorizations: 2, listeners: 0 }), "2 people who clicked connected Spotify; none has played your playlist yet.");
  assert.equal(
    sentenceOf({ clicks: 3, authorizations: 1, listeners: 1, streams: 1, new_listeners: 0 }),
    "1 person who clicked has played your playlist 1 time; they had played it before.",
  );
  assert.match(sentenceOf({ clicks: 9, authorizations: 5, listeners: 4, streams: 7, new_listeners: 4 }), /; none of them had played it before\.$/);
  assert.match(sentenceOf({ clicks: 9, authorizations: 5, listeners: 4, streams: 7, new_listeners: 0 }), /; all of them had played it before\.$/);
});

test("the models table is shown only where the models differ", async () => {
  const { modelsDiffer } = await import("../js/campaign/models.js");
  const same = { streams: 4, weighted_streams: 3.2 };
  assert.equal(modelsDiffer({ last_touch: same, first_touch: { ...same }, linear: { ...same }, time_decay: { ...same } }), false);
  assert.equal(modelsDiffer({ last_touch: same, first_touch: { ...same }, linear: { streams: 3.5, weighted_streams: 2.8 } }), true);
});

test("each headline says its change against the previous period of the same length", () => {
  const previous = {
    from: "2026-11-12T00:00:00Z",
    to: "2026-11-19T00:00:00Z",
    totals: { weighted_streams: 75.46, listeners: 37, new_listeners: 25, conversion_rate: 0.475 },
  };
  const verdict = verdictOf({ totals, previous }, NOW, { startedAt: "2026-11-01T09:00:00Z" });
  assert.deepEqual(
    verdict.figures.map((figure) => figure.change),
    ["+12 vs previous 7 days", "no change vs previous 7 days", "−4 vs previous 7 days", "+2.5 pts vs previous 7 days"],
  );
  const day = { from: "2026-11-25T12:00:00Z", to: "2026-11-26T12:00:00Z", totals: { listeners: 36 } };
  assert.equal(changeText("listeners", 37, day), "+1 vs previous 24 hours");
});

test("listeners merged from daily sketches say 'about' in the figure, its change and the sentence", () => {
  const estimated = { ...totals, listeners: 1950, listeners_about: true };
  const previous = { from: "2026-11-12T00:00:00Z", to: "2026-11-19T00:00:00Z", totals: { listeners: 1900, listeners_about: true } };
  const verdict = verdictOf({ totals: estimated, previous }, NOW, { startedAt: "2026-11-01T09:00:00Z" });
  const listeners = verdict.figures.find((figure) => figure.name === "listeners");
  assert.equal(listeners.text, "about 1,950");
  assert.equal(listeners.value, 1950);
  assert.equal(listeners.change, "about +50 vs previous 7 days");
  assert.match(verdict.sentence, /^About 1,950 people who clicked have played your playlist 112 times; 21 of them/);
  // only the listeners are estimates: new listeners stay exact
  assert.equal(verdict.figures.find((figure) => figure.name === "new_listeners").text, "21");
  // exact now, an estimate before: the change is still "about"; equal estimates are "about the same"
  assert.equal(changeText("listeners", 37, { ...previous, totals: { listeners: 37, listeners_about: true } }), "about the same as previous 7 days");
  assert.equal(changeText("listeners", 37, { ...previous, totals: { listeners: 36, listeners_about: false } }), "+1 vs previous 7 days");
  const exact = verdictOf({ totals: { ...totals, listeners_about: false } }, NOW);
  assert.equal(exact.figures.find((figure) => figure.name === "listeners").text, "37");
  assert.match(exact.sentence, /^37 people/);
});

test("no change is shown when the previous period ends before the campaign started", () => {
  const previous = { from: "2026-10-01T00:00:00Z", to: "2026-11-01T00:00:00Z", totals: { listeners: 0 } };
  const verdict = verdictOf({ totals, previous }, NOW, { startedAt: "2026-11-01T00:00:00Z" });
  assert.deepEqual(new Set(verdict.figures.map((figure) => figure.change)), new Set([""]));
  assert.equal(changeText("listeners", 3, null), "");
});

test("with a spend entered, the verdict ends with the cost per stream; none without a stream is a dash", () => {
  const cost = { currency: "EUR", spend: "6.00", per_weighted_stream: "4.0000" };
  const verdict = verdictOf({ totals, cost, data_quality: {} }, NOW);
  const last = verdict.figures.at(-1);
  assert.equal(last.name, "cost_per_weighted_stream");
  assert.equal(last.value, 4);
  assert.match(last.text, /4\.00/);
  const none = verdictOf({ totals, cost: { ...cost, per_weighted_stream: null }, data_quality: {} }, NOW);
  assert.equal(none.figures.at(-1).text, "—");
  assert.equal(verdictOf({ totals, cost: null, data_quality: {} }, NOW).figures.length, 4);
});

test("a spend split by source shows each source's cost per stream and per click under the verdict", () => {
  const cost = {
    currency: "EUR",
    per_weighted_stream: "0.50",
    by_source: [
      { source: "instagram", spend: "100", clicks: 50, per_click: "2.00", streams: 40, per_stream: "2.50" },
      { source: "tiktok", spend: "10", clicks: 0, per_click: null, streams: 0, per_stream: null },
    ],
  };
  assert.equal(
    sourcesText(cost),
    "By UTM source (its share of the spend over its clicks and streams): instagram €2.50 a stream, €2.00 a click; tiktok — a stream, — a click.",
  );
  assert.equal(verdictOf({ totals, cost }, NOW).sources, sourcesText(cost));
  assert.equal(sourcesText({ currency: "EUR", by_source: [] }), "");
  assert.equal(verdictOf({ totals }, NOW).sources, "");
});
