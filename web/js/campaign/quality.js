// What an artist should know about the numbers, in plain words: the playlist Spotify
// could not read, missed plays, listeners who cannot be followed, stale checks.
// Pure: quality notices from the analytics answer (tested with node --test).

import { formatAgo, formatDateTime, formatNumber, parseDate } from "../format.js";

const STALE_AFTER_MS = 60 * 60 * 1000; // no successful check for an hour while listeners are followed

/**
 * [{id, level: "warning"|"info", text, action?: "connect-spotify"}].
 * connection: GET /owner/spotify's answer, or null when unknown.
 */
export function qualityNotices({ analytics, campaign, connection, now = new Date() }) {
  const notices = [];
  const quality = analytics?.data_quality ?? {};
  const totals = analytics?.totals ?? {};
  const states = analytics?.listener_states ?? {};
  const notConnected = connection && connection.connected === false;

  if (campaign?.status === "archived") {
    notices.push({
      id: "archived",
      level: "info",
      text: "This campaign is archived: its link no longer asks new listeners to connect Spotify. Its numbers are kept.",
    });
  } else {
    const ends = parseDate(campaign?.ends_at);
    const starts = parseDate(campaign?.starts_at);
    if (ends && ends <= now) {
      notices.push({
        id: "ended",
        level: "info",
        text: `This campaign ended on ${formatDateTime(campaign.ends_at)}: plays after that no longer count.`,
      });
    } else if (starts && starts > now) {
      notices.push({
        id: "not-started",
        level: "info",
        text: `This campaign starts on ${formatDateTime(campaign.starts_at)}: until then its link sends people to the playlist without counting their plays.`,
      });
    }
  }

  const notYetRead = quality.playlist_readable === null || quality.playlist_readable === undefined;
  if (campaign?.playlist_warning && notYetRead) {
    // What the check at creation found (Spotify hid the playlist, or was busy): shown before any listener.
    notices.push({
      id: "playlist-warning",
      level: "warning",
      text: campaign.playlist_warning,
      action: notConnected ? "connect-spotify" : undefined,
    });
  } else if (quality.playlist_readable === false) {
    const said = quality.playlist_reason ? ` (At our last check: ${quality.playlist_reason}.)` : "";
    if (notConnected) {
      notices.push({
        id: "playlist-unreadable",
        level: "warning",
        text: "Spotify could not read your playlist: connect your Spotify account so plays of its tracks from anywhere count. Until then, only plays started from the playlist itself count.",
        action: "connect-spotify",
      });
    } else if (connection?.connected && connectedSinceLastCheck(connection, quality)) {
      notices.push({
        id: "playlist-pending",
        level: "info",
        text: "You connected your Spotify account after our last look at this playlist. Soundlink reads it again at the next check of your listeners, within minutes; until then only plays started from the playlist itself count.",
      });
    } else if (connection?.connected) {
      notices.push({
        id: "playlist-unreadable",
        level: "warning",
        text: `Spotify could not read your playlist, so only plays started from the playlist itself count. Check that the Spotify account you connected owns the playlist or collaborates on it.${said}`,
      });
    } else {
      notices.push({
        id: "playlist-unreadable",
        level: "warning",
        text: `Spotify could not read your playlist, so only plays started from the playlist itself count. Connect the Spotify account that owns the playlist (or collaborates on it).${said}`,
      });
    }
  } else if (quality.playlist_readable === null && notConnected) {
    notices.push({
      id: "connect-suggested",
      level: "info",
      text: "Connect your Spotify account so Soundlink can read your playlist's tracks: then plays of those tracks count even when listeners start them somewhere else.",
      action: "connect-spotify",
    });
  }

  const gaps = quality.possible_gaps ?? totals.possible_gaps ?? 0;
  if (gaps > 0) {
    notices.push({
      id: "possible-gaps",
      level: "warning",
      text: `Some listeners played more than 50 tracks between two of our checks (${formatNumber(gaps)} ${gaps === 1 ? "time" : "times"}). Spotify only shows each listener's last 50 plays, so a few plays may be missing.`,
    });
  }

  if (states.reauth_required > 0) {
    notices.push({
      id: "reauth",
      level: "warning",
      text: `${formatNumber(states.reauth_required)} ${plural(states.reauth_required, "listener")} disconnected from Spotify and can no longer be counted, until they click your link and connect again.`,
    });
  }
  if (states.not_allowlisted > 0) {
    notices.push({
      id: "not-allowlisted",
      level: "warning",
      text: `${formatNumber(states.not_allowlisted)} ${plural(states.not_allowlisted, "listener")} connected but Spotify will not share their plays: your Spotify app is in Development Mode and they are not on its allow-list.`,
    });
  }

  const lastPoll = parseDate(quality.last_successful_poll);
  if ((totals.authorizations ?? 0) > 0 && "last_successful_poll" in quality) {
    if (!lastPoll) {
      notices.push({
        id: "not-checked",
        level: "info",
        text: "We have not checked your listeners' plays yet. The first check happens within minutes of a listener connecting.",
      });
    } else if ((states.active ?? 0) > 0 && now - lastPoll > STALE_AFTER_MS) {
      notices.push({
        id: "stale",
        level: "warning",
        text: `Our last successful check of your listeners' plays was ${formatAgo(quality.last_successful_poll, now)}. The numbers may be behind; Spotify may be slow or unavailable.`,
      });
    }
  }
  return notices;
}

function connectedSinceLastCheck(connection, quality) {
  const connected = parseDate(connection.connected_at);
  const checked = parseDate(quality.last_successful_poll);
  return Boolean(connected && (!checked || connected > checked));
}

function plural(count, word) {
  return count === 1 ? word : `${word}s`;
}
