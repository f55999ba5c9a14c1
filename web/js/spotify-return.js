// Spotify sends the owner back to the dashboard's root with ?spotify=connected|declined
// after POST /owner/spotify/connect. Before leaving, the dashboard remembers where the
// owner was, so they come back to the same page.

const KEY = "soundlink.beforeSpotify";

export function rememberBeforeSpotify(hash) {
  try {
    sessionStorage.setItem(KEY, hash || "#/campaigns");
  } catch {
    // the owner lands on their campaigns instead
  }
}

/** {message, declined, hash} when this load is Spotify's return, else null; the query is removed. */
export function takeSpotifyReturn() {
  const outcome = new URLSearchParams(location.search).get("spotify");
  if (!outcome) return null;
  let hash = location.hash || null;
  try {
    hash = sessionStorage.getItem(KEY) || hash;
    sessionStorage.removeItem(KEY);
  } catch {
    // keep the current hash
  }
  const target = `${location.pathname}${hash && hash.startsWith("#/") ? hash : "#/campaigns"}`;
  const declined = outcome !== "connected";
  return {
    declined,
    hash: target,
    message: declined
      ? "Your Spotify account was not connected (you declined, or Spotify did not finish). You can try again at any time."
      : "Your Spotify account is connected. Soundlink can now read your playlists' tracks.",
  };
}
