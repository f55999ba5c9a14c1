// The owner's own Spotify connection: status, connect (a trip to Spotify's consent page)
// and disconnect. Used on the campaigns list and on a campaign's page.

import { connectSpotify, disconnectSpotify, spotifyConnection } from "./api.js";
import { fromTemplate, refs } from "./dom.js";
import { formatDate } from "./format.js";
import { rememberBeforeSpotify } from "./spotify-return.js";
import { announce } from "./status.js";

/** {element, connection(): Promise<state|null>, onChange(fn)}; state is GET /owner/spotify's answer. */
export function spotifyPanel() {
  const element = fromTemplate("tpl-spotify");
  const ui = refs(element);
  const listeners = new Set();
  let state = null;

  function show(next) {
    state = next;
    ui.error.hidden = true;
    if (next?.connected) {
      const who = next.display_name || next.spotify_user_id || "your account";
      const since = next.connected_at ? ` since ${formatDate(next.connected_at)}` : "";
      ui.status.textContent = `Connected as ${who}${since}. Plays of your playlists' tracks count wherever listeners start them.`;
    } else if (next?.ended?.reason === "listener_disconnect") {
      ui.status.textContent =
        `Not connected. On ${formatDate(next.ended.at)} the owner of the Spotify account you had connected ` +
        "disconnected it from Soundlink on its privacy page, which deleted the connection. Connect an account of yours again.";
    } else {
      ui.status.textContent = "Not connected.";
    }
    element.dataset.connected = next?.connected ? "true" : "false";
    ui.why.hidden = Boolean(next?.connected);
    ui.connect.hidden = Boolean(next?.connected);
    ui.disconnect.hidden = !next?.connected;
    for (const fn of listeners) fn(state);
  }

  function fail(message) {
    ui.error.textContent = message;
    ui.error.hidden = false;
  }

  const loaded = spotifyConnection()
    .then((answer) => {
      show(answer);
      return answer;
    })
    .catch((error) => {
      ui.status.textContent = "We could not check your Spotify connection.";
      fail(error.message);
      return null;
    });

  ui.connect.addEventListener("click", async () => {
    ui.connect.disabled = true;
    try {
      // A one-time link on the API: opened in this browser, it binds the connection to it.
      const { connect_url: url } = await connectSpotify();
      if (!/^https?:\/\//.test(url)) throw new Error("Soundlink answered an unexpected address.");
      rememberBeforeSpotify(location.hash);
      ui.status.textContent = "Taking you to Spotify…";
      location.assign(url);
    } catch (error) {
      fail(error.message);
      ui.connect.disabled = false;
    }
  });

  ui.disconnect.addEventListener("click", async () => {
    const sure = window.confirm(
      "Disconnect your Spotify account? Soundlink will then count only plays started from your playlists themselves.",
    );
    if (!sure) return;
    ui.disconnect.disabled = true;
    try {
      show(await disconnectSpotify());
      announce("Your Spotify account is disconnected.");
    } catch (error) {
      fail(error.message);
    } finally {
      ui.disconnect.disabled = false;
    }
  });

  return {
    element,
    connection: () => loaded.then(() => state),
    onChange(fn) {
      listeners.add(fn);
    },
    connect: () => ui.connect.click(),
  };
}
