// Fans: saves and follows the campaign made (when it measures them) and who came back, week by
// week after their first click (every campaign). fansOf, cohortTable and fansSentence are pure
// (node --test), as are savedTracksOf (which tracks got new saves: a short list); renderFans fills
// the Fans section and, when the option is on, the verdict.

import { el, table } from "../dom.js";
import { formatNumber, formatShare, MISSING } from "../format.js";

export const NOT_MEASURED = "Not measured";
// The verdict's line, short enough for one line on a 360 px phone (the Fans section says it in full).
const VERDICT_WORDS = { new_saves: "saved", new_artist_followers: "artist", new_playlist_followers: "playlist follows" };

/** [name, label] of the Fans figures, in the order they are read. */
export const FANS = [
  ["new_saves", "People with a new save"],
  ["new_playlist_followers", "New playlist followers"],
  ["new_artist_followers", "New artist followers"],
  ["not_measured_listeners", "Listeners not measured"],
];

/** {figures: [{name, label, value, text}], sentence} from an analytics answer; null when the
 * campaign does not measure fans. A figure Soundlink could not measure reads "Not measured", never 0. */
export function fansOf(data) {
  const fans = data?.fans;
  if (!fans || typeof fans !== "object") return null;
  const figures = FANS.map(([name, label]) => {
    const value = typeof fans[name] === "number" && Number.isFinite(fans[name]) ? fans[name] : null;
    return { name, label, value, text: value === null ? NOT_MEASURED : formatNumber(value) };
  });
  return { figures, sentence: fansSentence(fans) };
}

function plural(count, one, many) {
  return count === 1 ? one : many;
}

export function fansSentence(fans) {
  const measured = Number(fans?.measured_listeners) || 0;
  const missing = Number(fans?.not_measured_listeners) || 0;
  const apart = missing
    ? ` ${formatNumber(missing)} ${plural(missing, "listener", "listeners")} connected before this was asked, or without allowing it: they are not measured, and not counted as zero.`
    : "";
  if (measured === 0) return `Nobody's saves and follows could be checked yet.${apart}`;
  return `Counted among the ${formatNumber(measured)} ${plural(measured, "listener", "listeners")} whose library Soundlink could check, each person once, only for saves and follows made after their click.${apart}`;
}

export const SAVED_TRACKS_SHOWN = 10;
const TRACK_ID = /^[A-Za-z0-9]{22}$/;

/** {rows: [{trackId, label, named, people, text, url}], more} of fans.saved_tracks, most people
 * first, at most `limit` rows (`more`: how many were left off); null when the answer has no list.
 * Entries without a Spotify track id or a positive whole count are dropped, never shown as links. */
export function savedTracksOf(fans, limit = SAVED_TRACKS_SHOWN) {
  if (!Array.isArray(fans?.saved_tracks)) return null;
  const valid = fans.saved_tracks
    .filter((row) => row && TRACK_ID.test(row.track_id ?? "") && Number.isInteger(row.people) && row.people > 0)
    .map((row) => {
      const named = typeof row.track_name === "string" && row.track_name.trim() !== "";
      return {
        trackId: row.track_id,
        label: named ? row.track_name : "A track not streamed in these dates",
        named,
        people: row.people,
        text: `${formatNumber(row.people)} ${plural(row.people, "person", "people")}`,
        url: `https://open.spotify.com/track/${row.track_id}`,
      };
    })
    .sort((a, b) => b.people - a.people);
  const shown = valid.slice(0, Math.max(0, limit));
  return { rows: shown, more: valid.length - shown.length };
}

function renderSaved(ui, fans) {
  const saved = fans ? savedTracksOf(fans) : null;
  ui.fansSaved.hidden = !saved;
  if (!saved) return;
  ui.fansSavedList.replaceChildren(
    ...saved.rows.map((row) =>
      el(
        "li",
        { "data-track-id": row.trackId, "data-people": row.people },
        el("a", { href: row.url, target: "_blank", rel: "noopener noreferrer", class: row.named ? null : "unnamed", text: row.label }),
        ` — ${row.text}`,
      ),
    ),
  );
  ui.fansSavedMore.textContent = saved.rows.length
    ? saved.more
      ? `and ${formatNumber(saved.more)} more ${plural(saved.more, "track", "tracks")}`
      : ""
    : "No new saves yet.";
}

/** The cohort rows as the table shows them: {week, listeners, weeks: [{count, share, text}]}. */
export function cohortTable(cohorts) {
  const rows = Array.isArray(cohorts) ? cohorts.filter((row) => row && typeof row.week_start === "string") : [];
  const width = Math.max(0, ...rows.map((row) => (Array.isArray(row.returned) ? row.returned.length : 0)));
  return {
    width,
    rows: rows.map((row) => {
      const listeners = Number(row.listeners) || 0;
      const returned = Array.isArray(row.returned) ? row.returned : [];
      const weeks = Array.from({ length: width }, (_, index) => {
        const count = Number(returned[index]) || 0;
        const share = formatShare(count, listeners);
        return { count, share, text: listeners ? `${formatNumber(count)} (${share})` : formatNumber(count) };
      });
      return { week: row.week_start, listeners, weeks };
    }),
  };
}

/** "2026-02-23" -> "Feb 23, 2026": the cohort's Monday, in UTC (the weeks are UTC weeks). */
export function weekText(day) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day ?? "")) return MISSING;
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return MISSING;
  return date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
}

/** The verdict's fans line: "2 saved · 1 artist · 0 playlist follows", or "Saves and follows: not measured yet". */
export function verdictLine(fans) {
  const shown = ["new_saves", "new_artist_followers", "new_playlist_followers"].map((name) =>
    fans.figures.find((figure) => figure.name === name),
  );
  if (shown.every((figure) => figure.value === null)) return ["Saves and follows: not measured yet"];
  return [
    ...shown.flatMap((figure, index) => [
      index ? " · " : "",
      el("strong", { "data-testid": `verdict-fans-${figure.name}`, "data-value": figure.value, text: figure.value === null ? "?" : figure.text }),
      ` ${VERDICT_WORDS[figure.name]}`,
    ]),
  ];
}

function figureList(node, figures, prefix) {
  node.replaceChildren(
    ...figures.map((figure) =>
      el(
        "div",
        { class: "verdict-figure" },
        el("dt", { text: figure.label }),
        el("dd", { "data-testid": `${prefix}-${figure.name}`, "data-value": figure.value, text: figure.text }),
      ),
    ),
  );
}

export function renderFans(ui, data) {
  const fans = fansOf(data);
  const cohorts = cohortTable(data?.cohorts ?? data?.fans?.cohorts);
  // In the verdict, one line (it must stay on a phone's first screen): the three figures that
  // say "it made fans", only when the option is on.
  ui.verdictFans.hidden = !fans;
  if (fans) ui.verdictFans.replaceChildren(...verdictLine(fans));
  ui.fansSection.hidden = !fans && cohorts.rows.length === 0;
  ui.fansFigures.hidden = !fans;
  if (fans) figureList(ui.fansFigures, fans.figures, "fans");
  renderSaved(ui, fans && data.fans);
  ui.fansNote.textContent = fans
    ? fans.sentence
    : "Saves and follows are not measured for this campaign (Edit: “Also measure saves and follows”).";
  ui.cohortsEmpty.hidden = cohorts.rows.length > 0;
  ui.cohorts.replaceChildren(
    cohorts.rows.length
      ? table(
          [
            { label: "Week of first click (UTC)", value: (row) => el("span", { class: "cohort-week", text: weekText(row.week) }) },
            { label: "Listeners", num: true, value: (row) => formatNumber(row.listeners) },
            ...Array.from({ length: cohorts.width }, (_, index) => ({
              label: `Week ${index + 1}`,
              num: true,
              value: (row) => row.weeks[index].text,
            })),
          ],
          cohorts.rows,
          { testid: "cohorts" },
        )
      : "",
  );
}
