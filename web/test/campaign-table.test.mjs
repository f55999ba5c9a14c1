// The campaign list as a comparison table: rows, sorting, the sparkline; money and the spend form.

import assert from "node:assert/strict";
import { test } from "node:test";

import { nextSort, rowOf, sortRows, sparklineLabel, sparklinePoints } from "../js/campaign-table.js";
import { currencyForLocale, formatMoney, spendOf } from "../js/money.js";

const rows = [
  { id: "a", name: "Beta", clicks: 10, connect_rate: 0.5, cost_per_stream: 0.2, starts: "2026-03-02T00:00:00Z" },
  { id: "b", name: "alpha", clicks: 30, connect_rate: null, cost_per_stream: null, starts: "2026-03-01T00:00:00Z" },
  { id: "c", name: "Gamma", clicks: 10, connect_rate: 0.1, cost_per_stream: 0.05, starts: "2026-03-03T00:00:00Z" },
];
const ids = (list) => list.map((row) => row.id);

test("numbers sort both ways; ties keep the list's order", () => {
  assert.deepEqual(ids(sortRows(rows, "clicks", "ascending")), ["a", "c", "b"]);
  assert.deepEqual(ids(sortRows(rows, "clicks", "descending")), ["b", "a", "c"]);
});

test("a missing figure (no click, no spend) goes last in either direction", () => {
  assert.deepEqual(ids(sortRows(rows, "connect_rate", "ascending")), ["c", "a", "b"]);
  assert.deepEqual(ids(sortRows(rows, "connect_rate", "descending")), ["a", "c", "b"]);
  assert.deepEqual(ids(sortRows(rows, "cost_per_stream", "ascending")), ["c", "a", "b"]);
});

test("text sorts as people read it (case aside) and dates by time", () => {
  assert.deepEqual(ids(sortRows(rows, "name", "ascending")), ["b", "a", "c"]);
  assert.deepEqual(ids(sortRows(rows, "starts", "descending")), ["c", "a", "b"]);
});

test("sorting does not change the rows it was given", () => {
  const before = ids(rows);
  sortRows(rows, "clicks", "descending");
  assert.deepEqual(ids(rows), before);
  assert.deepEqual(sortRows([], "clicks"), []);
});

test("a click on the sorted column flips it; a new number column starts with the most", () => {
  assert.deepEqual(nextSort(null, "clicks"), { key: "clicks", direction: "descending" });
  assert.deepEqual(nextSort({ key: "clicks", direction: "descending" }, "clicks"), { key: "clicks", direction: "ascending" });
  assert.deepEqual(nextSort({ key: "clicks", direction: "ascending" }, "name"), { key: "name", direction: "ascending" });
});

test("a row carries the list's figures; a cost is a number to sort and a string to show", () => {
  const row = rowOf({
    id: "x",
    name: "Launch",
    playlist_name: "Spring",
    status: "active",
    created_at: "2026-03-01T00:00:00Z",
    headline: { clicks: 4, connect_rate: 0.25, listeners: 1, weighted_streams: 2.5, cost_per_weighted_stream: "1.2000", cost_currency: "EUR", last_7_days: [0, 1] },
  });
  assert.equal(row.cost_per_stream, 1.2);
  assert.equal(row.cost_text, "1.2000");
  assert.equal(row.starts, "2026-03-01T00:00:00Z");
  assert.deepEqual(rowOf({ id: "y" }).last_7_days, []);
  assert.equal(rowOf({ id: "y", headline: { connect_rate: null } }).connect_rate, null);
});

test("the sparkline spans the box; the highest day touches the top, a zero day the bottom", () => {
  assert.equal(sparklinePoints([0, 5, 10], 84, 24, 2), "2,22 42,12 82,2");
  assert.equal(sparklinePoints([0, 0, 0], 84, 24, 2), "2,22 42,22 82,22");
  assert.equal(sparklinePoints([], 84, 24, 2), "");
  assert.equal(sparklinePoints([3], 84, 24, 2), "42,2");
  assert.equal(sparklinePoints([-1, Number.NaN, null, 2], 84, 24, 2), "2,22 28.7,22 55.3,22 82,2");
});

test("the sparkline says its numbers in words", () => {
  assert.equal(sparklineLabel([0, 1.25, 3]), "Streams on each of the last 3 days (UTC), oldest first: 0, 1.3, 3");
  assert.equal(sparklineLabel([]), "No streams yet");
});

test("money keeps the small places of a cost per stream, and a dash when there is none", () => {
  assert.equal(formatMoney("1.2000", "EUR", "en-US"), "€1.20");
  assert.equal(formatMoney("0.0042", "EUR", "en-US"), "€0.0042");
  assert.equal(formatMoney("3000", "JPY", "en-US"), "¥3,000");
  assert.equal(formatMoney("428.57", "JPY", "en-US"), "¥428.57");
  assert.equal(formatMoney(null, "EUR"), "—");
  assert.equal(formatMoney("1", null), "—");
});

test("the spend form's default currency follows the browser's region", () => {
  assert.equal(currencyForLocale("de-DE"), "EUR");
  assert.equal(currencyForLocale("en-GB"), "GBP");
  assert.equal(currencyForLocale("ja"), "JPY");
  assert.equal(currencyForLocale("xx-invalid-!!", "USD"), "USD");
});

test("the spend form gives the API's object or a message for the field", () => {
  assert.deepEqual(spendOf({ amount: "250", currency: "eur", basis: "total" }), { spend: { currency: "EUR", total: "250" } });
  assert.deepEqual(spendOf({ amount: "12,50", currency: "EUR", basis: "per_day" }), { spend: { currency: "EUR", per_day: "12.50" } });
  assert.deepEqual(spendOf({ amount: "", currency: "EUR", basis: "total" }), { spend: null });
  assert.equal(spendOf({ amount: "-5", currency: "EUR", basis: "total" }).error.field, "spend_amount");
  assert.equal(spendOf({ amount: "1e9", currency: "EUR", basis: "total" }).error.field, "spend_amount");
  assert.equal(spendOf({ amount: "5", currency: "EURO", basis: "total" }).error.field, "spend_currency");
});

test("Development Mode's ceiling is said plainly; nothing with extended quota", async () => {
  const { ceilingText } = await import("../js/quota.js");
  assert.match(ceilingText({ extended_quota: false, listener_ceiling: 5, listeners_followed: 3 }), /^Spotify lets this app follow 5 listeners; 3 used \(Development Mode/);
  assert.match(ceilingText({ extended_quota: false, listener_ceiling: 5, listeners_followed: 5 }), /cannot be followed until one leaves\.$/);
  assert.doesNotMatch(ceilingText({ extended_quota: false, listener_ceiling: 5, listeners_followed: 4 }), /cannot be followed/);
  assert.equal(ceilingText({ extended_quota: true, listener_ceiling: null, listeners_followed: 40 }), "");
  assert.equal(ceilingText(null), "");
  assert.equal(ceilingText({ extended_quota: false, listener_ceiling: 5, listeners_followed: 3 }, { short: true }), "Spotify lets this app follow 5 listeners; 3 used.");
});

test("the spend form's sources become by_source: parts of the amount on its basis, each line checked", () => {
  const base = { amount: "300", currency: "EUR", basis: "total" };
  assert.deepEqual(spendOf({ ...base, sources: "instagram: 100\n\n  tiktok : 12,50 \n" }), {
    spend: { currency: "EUR", total: "300", by_source: { instagram: "100", tiktok: "12.50" } },
  });
  // Equal to the amount is fine; a cent more is not.
  assert.deepEqual(spendOf({ ...base, sources: "a: 200\nb: 100" }).spend.by_source, { a: "200", b: "100" });
  assert.match(spendOf({ ...base, sources: "a: 200\nb: 100.01" }).error.message, /add up to 300\.01, more than the amount \(300\)/);
  // A source may hold a colon (the last one separates the amount); blank lines only: no by_source.
  assert.deepEqual(spendOf({ ...base, sources: "utm:odd: 5" }).spend.by_source, { "utm:odd": "5" });
  assert.deepEqual(spendOf({ ...base, sources: " \n " }), { spend: { currency: "EUR", total: "300" } });
  for (const [sources, fragment] of [
    ["instagram 100", 'like "instagram: 100"'],
    [": 100", 'like "instagram: 100"'],
    ["instagram: -5", 'after "instagram:"'],
    ["instagram: ", 'after "instagram:"'],
    ["a: 1\na: 2", "named twice"],
    [`${"x".repeat(101)}: 1`, "at most 100 characters"],
    [Array.from({ length: 21 }, (_, n) => `s${n}: 1`).join("\n"), "at most 20 sources (21 lines now)"],
  ]) {
    const { error } = spendOf({ ...base, sources });
    assert.equal(error.field, "spend_sources", sources);
    assert.ok(error.message.includes(fragment), `${sources}: ${error.message}`);
  }
  assert.equal(spendOf({ ...base, sources: Array.from({ length: 20 }, (_, n) => `s${n}: 1`).join("\n") }).error, undefined);
  // Sources without an amount: the amount is asked for first.
  assert.equal(spendOf({ amount: "", currency: "EUR", basis: "total", sources: "a: 1" }).error.field, "spend_amount");
});
