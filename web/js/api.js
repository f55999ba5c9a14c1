// The Soundlink owner API: JSON over fetch with the owner's ID token as a Bearer token.
// Errors become ApiError values: {status, code, message, details: [{field, message}]}.

import { idToken, refresh, signOut } from "./auth.js";

export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = Array.isArray(details) ? details : [];
  }
}

let apiUrl = "";

export function initApi(config) {
  apiUrl = config.apiUrl;
}

/** The API's base URL (its public pages, such as /privacy, live there too). */
export function apiBase() {
  return apiUrl;
}

/**
 * One API request. Returns the Response (status 2xx or 304); throws ApiError otherwise.
 * A 401 gets one token refresh and one retry; a second 401 ends the session.
 */
export async function request(path, { method = "GET", body, headers = {}, retried = false } = {}) {
  const token = await idToken();
  if (!token) {
    await signOut({ reason: "expired", revoke: false });
    throw new ApiError(401, "unauthorized", "Your session has ended. Sign in again.");
  }
  const init = {
    method,
    headers: { Authorization: `Bearer ${token}`, ...headers },
    cache: "no-store",
    credentials: "omit",
    referrerPolicy: "no-referrer",
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(apiUrl + path, init);
  } catch {
    throw new ApiError(0, "network", "Could not reach Soundlink. Check your connection and try again.");
  }
  if (response.status === 401) {
    if (!retried) {
      try {
        await refresh();
        return request(path, { method, body, headers, retried: true });
      } catch {
        // refresh refused: fall through
      }
    }
    await signOut({ reason: "expired", revoke: false });
    throw new ApiError(401, "unauthorized", "Your session has ended. Sign in again.");
  }
  if (response.ok || response.status === 304) return response;
  throw await errorOf(response);
}

async function errorOf(response) {
  const data = await response.json().catch(() => null);
  const message =
    data?.message && typeof data.message === "string"
      ? sentence(data.message)
      : response.status === 429
        ? "Too many requests right now. Wait a moment and try again."
        : response.status >= 500
          ? "Soundlink had a problem answering. Try again in a moment."
          : `The request failed (HTTP ${response.status}).`;
  return new ApiError(response.status, data?.error ?? "http_error", message, data?.details);
}

function sentence(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

async function json(path, options) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}

// ------------------------------------------------------------------ campaigns

export function listCampaigns({ limit = 50, cursor, status } = {}) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) query.set("cursor", cursor);
  if (status) query.set("status", status);
  return json(`/campaigns?${query}`);
}

export const getCampaign = (id) => json(`/campaigns/${encodeURIComponent(id)}`);
export const createCampaign = (draft) => json("/campaigns", { method: "POST", body: draft });
export const updateCampaign = (id, changes) =>
  json(`/campaigns/${encodeURIComponent(id)}`, { method: "PATCH", body: changes });
export const checkPlaylist = (playlist) => json("/campaigns/playlist-check", { method: "POST", body: { playlist } });
export const archiveCampaign = (id) => json(`/campaigns/${encodeURIComponent(id)}`, { method: "DELETE" });

export async function campaignQr(id) {
  const response = await request(`/campaigns/${encodeURIComponent(id)}/qr.svg`);
  return response.blob();
}

/**
 * Analytics with an ETag: pass the previous {etag, data}; a 304 answers it unchanged.
 * Returns {data, etag, changed}.
 */
export async function campaignAnalytics(id, params, previous) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, String(value));
  }
  const path = `/campaigns/${encodeURIComponent(id)}/analytics?${query}`;
  const conditional = previous?.etag && previous.path === path;
  let response;
  try {
    response = await request(path, { headers: conditional ? { "If-None-Match": previous.etag } : {} });
  } catch (error) {
    // An API whose CORS settings do not allow If-None-Match fails the preflight
    // (a network error): ask again without it.
    if (!(conditional && error instanceof ApiError && error.status === 0)) throw error;
    response = await request(path);
  }
  if (response.status === 304) return { ...previous, changed: false };
  // The ETag is readable only when the API exposes it (CORS Expose-Headers); without it
  // every refresh is a full answer.
  return { data: await response.json(), etag: response.headers.get("ETag"), path, changed: true };
}

/** Every part of the CSV export of plays in [from, to) (all when omitted; the API sends X-Next-Cursor while more rows follow). */
export const campaignExport = (id, options) => csvParts(id, "export.csv", options);

/** Every part of the CSV export of kept clicks in [from, to): hour, classification and source, no personal data. */
export const campaignClicksExport = (id, options) => csvParts(id, "clicks.csv", options);

async function csvParts(id, file, { from, to, maxParts = 50 } = {}) {
  const parts = [];
  let cursor = null;
  let filename = null;
  for (let part = 0; part < maxParts; part += 1) {
    const query = new URLSearchParams();
    if (from) query.set("from", from);
    if (to) query.set("to", to);
    if (cursor) query.set("cursor", cursor);
    const text = query.toString();
    const response = await request(`/campaigns/${encodeURIComponent(id)}/${file}${text ? `?${text}` : ""}`);
    filename ??= filenameOf(response.headers.get("Content-Disposition"));
    parts.push(await response.blob());
    cursor = response.headers.get("X-Next-Cursor");
    if (!cursor) break;
  }
  return { blob: new Blob(parts, { type: "text/csv;charset=utf-8" }), filename };
}

function filenameOf(disposition) {
  const match = /filename="?([^";]+)"?/i.exec(disposition || "");
  return match ? match[1].replace(/[^\w.-]/g, "_") : null;
}

// ------------------------------------------------------------------ the owner's Spotify

export const spotifyConnection = () => json("/owner/spotify");
export const connectSpotify = () => json("/owner/spotify/connect", { method: "POST" });
export const disconnectSpotify = () => json("/owner/spotify", { method: "DELETE" });

// ------------------------------------------------------------------ the owner's account

export const ownerSettings = () => json("/owner/settings");
export const saveOwnerSettings = (changes) => json("/owner/settings", { method: "PATCH", body: changes });

/**
 * Delete the account and everything it owns. A large account takes several calls (the API
 * answers 202 while work is left): called again until it answers 204.
 */
export async function deleteAccount(confirmEmail, { maxCalls = 30 } = {}) {
  for (let call = 0; call < maxCalls; call += 1) {
    const response = await request("/owner", { method: "DELETE", body: { confirm_email: confirmEmail } });
    if (response.status === 204) return;
  }
  throw new ApiError(0, "in_progress", "Your account is still being deleted. Try again in a minute to finish.");
}
