// Pure pieces of the pages: API field errors, the analytics query, safe Spotify links,
// the password policy, Cognito errors and JWT claims.

import assert from "node:assert/strict";
import { test } from "node:test";

import { jwtClaims } from "../js/auth.js";
import { valueLabel } from "../js/campaign/breakdowns.js";
import { analyticsParams } from "../js/campaign/controls.js";
import { trackUrl } from "../js/campaign/tracks.js";
import { cognito, CognitoError, cognitoField, cognitoMessage } from "../js/cognito.js";
import { humanize } from "../js/forms.js";
import { changesOf } from "../js/pages/campaign-form.js";
import { passwordProblem } from "../js/pages/password-policy.js";

function controls(values) {
  return { elements: Object.fromEntries(Object.entries(values).map(([name, value]) => [name, { value }])) };
}

test("analytics query: relative ranges end on the next full hour or the owner's midnight (repeatable for ETags)", () => {
  const form = controls({ granularity: "hour", model: "linear", min_confidence: "0.5", range: "1" });
  const a = analyticsParams(form, new Set(), new Date("2026-11-26T10:05:00Z"), "UTC");
  const b = analyticsParams(form, new Set(), new Date("2026-11-26T10:55:00Z"), "UTC");
  assert.deepEqual(a, b);
  assert.deepEqual(a, {
    model: "linear",
    min_confidence: "0.5",
    granularity: "hour",
    tz: "UTC",
    from: "2026-11-25T11:00:00.000Z",
    to: "2026-11-26T11:00:00.000Z",
  });
  const week = controls({ granularity: "day", model: "last_touch", min_confidence: "0.0", range: "7" });
  const daily = analyticsParams(week, new Set(["x", "y"]), new Date("2026-11-26T10:05:00Z"), "UTC");
  assert.equal(daily.from, "2026-11-20T00:00:00.000Z");
  assert.equal(daily.to, "2026-11-27T00:00:00.000Z");
  assert.equal(daily.compare, "x,y");
  // 23:30 UTC is already the 27th in Paris: the week ends at Paris's next midnight
  const paris = analyticsParams(week, new Set(), new Date("2026-11-26T23:30:00Z"), "Europe/Paris");
  assert.equal(paris.tz, "Europe/Paris");
  assert.equal(paris.from, "2026-11-20T23:00:00.000Z");
  assert.equal(paris.to, "2026-11-27T23:00:00.000Z");
});

test("analytics query: the whole campaign sends no dates; chosen dates are whole days of the owner's zone", () => {
  const all = analyticsParams(controls({ granularity: "day", model: "linear", min_confidence: "0.0", range: "all" }), new Set(), new Date(), "UTC");
  assert.equal("from" in all || "to" in all, false);
  const form = controls({ granularity: "day", model: "first_touch", min_confidence: "0.0", range: "custom", from: "2026-11-01", to: "2026-11-03" });
  assert.equal(analyticsParams(form, new Set(), new Date(), "UTC").from, "2026-11-01T00:00:00.000Z");
  assert.equal(analyticsParams(form, new Set(), new Date(), "UTC").to, "2026-11-04T00:00:00.000Z");
  const summer = controls({ granularity: "day", model: "first_touch", min_confidence: "0.0", range: "custom", from: "2026-03-29", to: "2026-03-29" });
  const paris = analyticsParams(summer, new Set(), new Date(), "Europe/Paris");
  assert.equal(paris.from, "2026-03-28T23:00:00.000Z"); // midnight, winter time
  assert.equal(paris.to, "2026-03-29T22:00:00.000Z"); // the next midnight, summer time: a 23-hour day
});

test("track links go to open.spotify.com only", () => {
  assert.equal(trackUrl({ track_id: "fObgYHl6zX1y4PPOSDZqFF" }), "https://open.spotify.com/track/fObgYHl6zX1y4PPOSDZqFF");
  assert.equal(trackUrl({ track_id: "bad id", url: "javascript:alert(1)" }), null);
  assert.equal(trackUrl({ track_id: "x", url: "https://open.spotify.com/track/abc" }), "https://open.spotify.com/track/abc");
});

test("breakdown values in words", () => {
  assert.equal(valueLabel("referrer", "(direct)"), "Direct (no referring site)");
  assert.equal(valueLabel("device", "(unknown)"), "Unknown");
  assert.equal(valueLabel("utm_source", "newsletter"), "newsletter");
});

test("API field names read as words in messages", () => {
  const words = { ends_at: "the end", starts_at: "the start" };
  assert.equal(humanize("ends_at must be later than starts_at", words), "the end must be later than the start");
  assert.equal(humanize("playlist 'x' is not a playlist link", words), "playlist 'x' is not a playlist link");
});

test("editing sends only what changed; an emptied landing address or date resets it", () => {
  const original = {
    name: "Launch",
    attribution_window_days: 14,
    attribution_model: "last_touch",
    playlist_url: "https://open.spotify.com/playlist/p",
    destination_url: "https://example.com/landing",
    starts_at: null,
    ends_at: "2030-01-01T10:00:00Z",
  };
  const same = {
    name: "Launch",
    attribution_window_days: "14",
    attribution_model: "last_touch",
    destination_url: "https://example.com/landing",
    starts_at: "",
    ends_at: (() => {
      const date = new Date("2030-01-01T10:00:00Z");
      const pad = (n) => String(n).padStart(2, "0");
      return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
    })(),
  };
  assert.deepEqual(changesOf(original, same), {});
  assert.deepEqual(changesOf(original, { ...same, name: "Launch 2", attribution_window_days: "30", destination_url: "", ends_at: "" }), {
    name: "Launch 2",
    attribution_window_days: 30,
    destination_url: null,
    ends_at: null,
  });
  // Who presents it (issue 13): set, changed, removed.
  assert.deepEqual(changesOf(original, { ...same, presented_by: "The Owls" }), { presented_by: "The Owls" });
  assert.deepEqual(changesOf({ ...original, presented_by: "The Owls" }, { ...same, presented_by: "" }), { presented_by: null });
});

test("password policy: 12+ characters, upper, lower, digit", () => {
  assert.equal(passwordProblem("Abcdefgh1234"), null);
  assert.equal(passwordProblem("abc"), "Your password needs at least 12 characters, an upper-case letter and a digit.");
  assert.equal(passwordProblem("ABCDEFGHIJKL1"), "Your password needs a lower-case letter.");
});

test("Cognito: unsigned JSON calls; errors named by __type become sentences", async () => {
  const calls = [];
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return new Response(JSON.stringify({ __type: "com.amazonaws#CodeMismatchException", message: "Invalid code" }), { status: 400 });
  };
  const config = { cognito: { endpoint: "http://127.0.0.1:5000/", clientId: "c" } };
  await assert.rejects(cognito(config, "ConfirmSignUp", { ClientId: "c" }), (error) => {
    assert.ok(error instanceof CognitoError);
    assert.equal(error.type, "CodeMismatchException");
    assert.equal(cognitoField(error), "code");
    assert.match(cognitoMessage(error), /code is not right/);
    return true;
  });
  assert.equal(calls[0].url, "http://127.0.0.1:5000/");
  assert.equal(calls[0].init.headers["X-Amz-Target"], "AWSCognitoIdentityProviderService.ConfirmSignUp");
  assert.equal(calls[0].init.headers["Content-Type"], "application/x-amz-json-1.1");
  assert.equal(calls[0].init.credentials, "omit");
  assert.equal(cognitoMessage(new CognitoError("SomethingNew", "")), "Sign-in failed (SomethingNew). Try again.");
});

test("JWT claims are read (not trusted) for expiry and email, UTF-8 included", () => {
  const payload = Buffer.from(JSON.stringify({ exp: 1900000000, email: "zoë@example.com" })).toString("base64url");
  assert.deepEqual(jwtClaims(`x.${payload}.y`), { exp: 1900000000, email: "zoë@example.com" });
  assert.deepEqual(jwtClaims("garbage"), {});
});
