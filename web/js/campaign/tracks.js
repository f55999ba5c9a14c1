// Top tracks, linked to open.spotify.com (Spotify's terms: attribute and link back).

import { el, table } from "../dom.js";
import { formatNumber } from "../format.js";

const TRACK_ID = /^[A-Za-z0-9]{22}$/;

/** The track's page on open.spotify.com, built from its id (never a URL the data could make javascript:). */
export function trackUrl(track) {
  if (TRACK_ID.test(track.track_id ?? "")) return `https://open.spotify.com/track/${track.track_id}`;
  return typeof track.url === "string" && track.url.startsWith("https://open.spotify.com/") ? track.url : null;
}

export function renderTracks(ui, analytics) {
  const tracks = Array.isArray(analytics.top_tracks) ? analytics.top_tracks : [];
  ui.tracksEmpty.hidden = tracks.length > 0;
  ui.tracks.replaceChildren(
    tracks.length
      ? table(
          [
            { label: "#", num: true, value: (_, index) => String(index + 1) },
            {
              label: "Track",
              value: (track) => {
                const name = track.name || track.track_id || "Unknown track";
                const url = trackUrl(track);
                return url
                  ? el("a", { href: url, rel: "noopener noreferrer", target: "_blank", "data-testid": "track-link", text: name })
                  : name;
              },
            },
            { label: "Artists", value: (track) => artists(track.artists) },
            { label: "Streams", num: true, value: (track) => formatNumber(track.streams) },
            { label: "Listeners", num: true, value: (track) => formatNumber(track.listeners) },
          ],
          tracks,
          { testid: "top-tracks-table" },
        )
      : "",
  );
}

function artists(value) {
  if (Array.isArray(value)) return value.map((a) => (typeof a === "string" ? a : a?.name ?? "")).filter(Boolean).join(", ");
  return value ?? "";
}
