// Spotify's Development Mode, said plainly wherever listener numbers appear. Pure (node --test).

import { formatNumber } from "./format.js";

/** "Spotify lets this app follow 5 listeners; 3 used (…)" while the app has no extended quota; "" otherwise. */
export function ceilingText(spotify) {
  if (!spotify || spotify.extended_quota !== false || typeof spotify.listener_ceiling !== "number") return "";
  const used = typeof spotify.listeners_followed === "number" ? `; ${formatNumber(spotify.listeners_followed)} used` : "";
  const full = spotify.listeners_followed >= spotify.listener_ceiling ? " New listeners cannot be followed until one leaves." : "";
  return `Spotify lets this app follow ${formatNumber(spotify.listener_ceiling)} listeners${used} (Development Mode: the operator adds each listener's Spotify account to the app's allow-list).${full}`;
}

/** Show the ceiling in a node (hidden when there is none). */
export function showCeiling(node, spotify) {
  node.textContent = ceilingText(spotify);
  node.hidden = !node.textContent;
}
