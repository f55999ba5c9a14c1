import assert from "node:assert/strict";
import { test } from "node:test";

import {
  countryName,
  displayZone,
  formatDate,
  formatDateTime,
  formatNumber,
  formatPercent,
  formatPoint,
  formatShare,
  formatTime,
  fromLocalInput,
  MISSING,
  toLocalInput,
  useTimeZone,
  utcDay,
} from "../js/format.js";
import { zoneChoices } from "../js/pages/settings.js";

test("numbers: whole numbers stay whole, others get one decimal, missing ones a dash", () => {
  assert.equal(formatNumber(1234), new Intl.NumberFormat().format(1234));
  assert.equal(formatNumber(2.345), new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(2.3));
  assert.equal(formatNumber(undefined), MISSING);
  assert.equal(formatNumber(null), MISSING);
  assert.equal(formatNumber(Number.NaN), MISSING);
  assert.equal(formatNumber("12"), MISSING);
});

test("percentages and shares", () => {
  const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });
  assert.equal(formatPercent(0.6667), percent.format(0.6667));
  assert.equal(formatShare(1, 4), percent.format(0.25));
  assert.equal(formatShare(1, 0), MISSING);
  assert.equal(formatPercent(undefined), MISSING);
});

test("datetime-local values round-trip through ISO timestamps", () => {
  const iso = fromLocalInput("2030-05-06T07:08");
  assert.match(iso, /^2030-05-0\dT\d\d:08:00\.000Z$/);
  assert.equal(toLocalInput(iso), "2030-05-06T07:08");
  assert.equal(fromLocalInput(""), null);
  assert.equal(fromLocalInput("not a date"), null);
  assert.equal(toLocalInput(null), "");
});

test("UTC days and country names", () => {
  assert.equal(utcDay(new Date("2026-11-26T23:30:00Z")), "2026-11-26");
  assert.equal(countryName("DE"), new Intl.DisplayNames(undefined, { type: "region" }).of("DE"));
  assert.equal(countryName("(unknown)"), "(unknown)");
});

test("every date names its zone: UTC days say UTC, times and hours name the browser's zone", () => {
  const before = process.env.TZ;
  process.env.TZ = "Europe/Berlin";
  try {
    assert.match(formatPoint("2026-11-26T00:00:00Z", "day"), /^Nov 26 UTC$/);
    assert.match(formatPoint("2026-11-26T00:00:00+01:00", "day", "Europe/Paris"), /^Nov 26 \(Europe\/Paris\)$/);
    assert.match(formatPoint("2026-11-26T13:00:00Z", "hour"), /(14|02):00.*(GMT\+1|CET)/);
    assert.match(formatDateTime("2026-11-26T13:00:00Z"), /(GMT\+1|CET)$/);
    assert.match(formatDate("2026-11-26T13:00:00Z"), /(GMT\+1|CET)$/);
    assert.match(formatTime(new Date("2026-11-26T13:00:05Z")), /(14|02):00:05.*(GMT\+1|CET)$/);
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
});

test("the owner's time zone, when set, is the one every date is shown in, and named", () => {
  const before = process.env.TZ;
  process.env.TZ = "Europe/Berlin";
  try {
    assert.equal(useTimeZone("Asia/Tokyo"), "Asia/Tokyo");
    assert.equal(displayZone(), "Asia/Tokyo");
    assert.match(formatDateTime("2026-11-26T13:00:00Z"), /(22|10):00.*(GMT\+9|JST)$/);
    assert.match(formatDate("2026-11-26T20:00:00Z"), /Nov 27.*(GMT\+9|JST)$/); // already the next day in Tokyo
    assert.match(formatPoint("2026-11-26T13:00:00Z", "hour"), /(22|10):00.*(GMT\+9|JST)/);
    assert.match(formatTime(new Date("2026-11-26T13:00:05Z")), /(22|10):00:05.*(GMT\+9|JST)$/);
    assert.match(formatPoint("2026-11-26T00:00:00Z", "day"), /^Nov 26 UTC$/); // UTC days stay UTC days
    assert.equal(useTimeZone("Mars/Olympus"), undefined); // unknown: the browser's
    assert.equal(displayZone(), "Europe/Berlin");
    assert.match(formatDateTime("2026-11-26T13:00:00Z"), /(GMT\+1|CET)$/);
    assert.equal(useTimeZone(null), undefined);
  } finally {
    useTimeZone(null);
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
});

test("the settings' zone list holds UTC first, and a stored zone this browser does not list", () => {
  assert.deepEqual(zoneChoices(["Europe/Berlin", "America/New_York"], null), ["UTC", "America/New_York", "Europe/Berlin"]);
  assert.deepEqual(zoneChoices(["UTC", "Europe/Berlin"], "Asia/Calcutta"), ["UTC", "Asia/Calcutta", "Europe/Berlin"]);
});

test("people are 'about' a number only when the count is an estimate", async () => {
  const { formatPeople } = await import("../js/format.js");
  assert.equal(formatPeople(1950, true), "about 1,950");
  assert.equal(formatPeople(37, false), "37");
  assert.equal(formatPeople(37), "37");
  assert.equal(formatPeople(0, true), "about 0");
  assert.equal(formatPeople(null, true), "—"); // missing stays missing, never "about —"
});
