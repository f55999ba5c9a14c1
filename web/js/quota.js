// Spotify's Development Mode, said plainly wherever listener numbers appear. Pure (node --test).

import { formatNumber } from "./format.js";

/**
 * "Spotify lets this app follow 5 listeners; 3 used." while the app has no extended quota; "" otherwise.
 * The long form says why (where there is room: the list, the listeners section).
 */
export function ceilingText(spotify, { short = false } = {}) {
  if (!spotify || spotify.extended_quota !== false || typeof spotify.listener_ceiling !== "number") return "";
  const used = typeof spotify.listeners_followed === "number" ? `; ${formatNumber(spotify.listeners_followed)} used` : "";
  const full = spotify.listeners_followed >= spotify.listener_ceiling ? " New listeners cannot be followed until one leaves." : "";
  const head = `Spotify lets this app follow ${formatNumber(spotify.listener_ceiling)} listeners${used}`;
  if (short) return `${head}.${full}`;
  return `${head} (Development Mode: the operator adds each listener's Spotify account to the app's allow-list).${full}`;
}

/** Show the ceiling in a node (hidden when there is none). */
export function showCeiling(node, spotify, options = {}) {
  node.textContent = ceilingText(spotify, options);
  node.hidden = !node.textContent;
}
