// The tracker link with a copy button, and the QR code (fetched with the owner's token,
// shown through a blob: URL that is revoked when the page goes away).

import { campaignQr } from "../api.js";
import { announce } from "../status.js";

/** Returns a cleanup function. */
export function renderTracker(ui, campaign) {
  ui.trackerLink.textContent = campaign.tracker_url ?? "";
  ui.playlist.textContent = campaign.playlist_url ?? campaign.playlist_uri ?? "";
  if (typeof campaign.playlist_url === "string" && campaign.playlist_url.startsWith("https://open.spotify.com/")) {
    ui.playlist.href = campaign.playlist_url;
  }
  ui.copy.addEventListener("click", async () => {
    const copied = await copyText(campaign.tracker_url ?? "");
    announce(copied ? "The tracker link is copied." : "Copying did not work: select the link and copy it yourself.", {
      error: !copied,
    });
    if (!copied) selectText(ui.trackerLink);
  });

  let url = null;
  let alive = true;
  campaignQr(campaign.id)
    .then((blob) => {
      if (!alive) return;
      url = URL.createObjectURL(blob.type ? blob : new Blob([blob], { type: "image/svg+xml" }));
      ui.qr.src = url;
      ui.qr.alt = `QR code of the tracker link ${campaign.tracker_url}`;
      ui.qr.hidden = false;
      ui.qrStatus.textContent = "Scanning it opens the tracker link.";
      ui.qrDownload.href = url;
      ui.qrDownload.download = `soundlink-${campaign.slug || campaign.id}-qr.svg`;
      ui.qrDownload.hidden = false;
    })
    .catch((error) => {
      if (alive) ui.qrStatus.textContent = `The QR code could not be loaded: ${error.message}`;
    });
  return () => {
    alive = false;
    if (url) URL.revokeObjectURL(url);
  };
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function selectText(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}
