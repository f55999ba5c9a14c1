// The campaign list as a comparison table: its rows' figures, sorting and the 7-day sparkline.
// Pure functions (node --test); web/js/pages/campaigns.js draws them.

/** The columns a person can sort by: [key, label, kind]. */
export const COLUMNS = [
  ["name", "Campaign", "text"],
  ["playlist", "Playlist", "text"],
  ["starts", "Dates", "date"],
  ["status", "Status", "text"],
  ["clicks", "Clicks", "number"],
  ["connect_rate", "Connect rate", "number"],
  ["listeners", "Listeners", "number"],
  ["weighted_streams", "Weighted streams", "number"],
  ["cost_per_stream", "Cost per stream", "number"],
];

/** A campaign from GET /campaigns -> the values its row shows and sorts by. */
export function rowOf(campaign) {
  const h = campaign.headline ?? {};
  const cost = h.cost_per_weighted_stream;
  return {
    id: campaign.id,
    name: campaign.name ?? "",
    playlist: campaign.playlist_name ?? "",
    starts: campaign.starts_at ?? campaign.created_at ?? null,
    ends: campaign.ends_at ?? null,
    status: campaign.status ?? "",
    clicks: h.clicks ?? 0,
    connect_rate: typeof h.connect_rate === "number" ? h.connect_rate : null,
    listeners: h.listeners ?? 0,
    weighted_streams: h.weighted_streams ?? 0,
    cost_per_stream: cost === null || cost === undefined ? null : Number(cost),
    cost_text: cost ?? null,
    currency: h.cost_currency ?? null,
    last_7_days: Array.isArray(h.last_7_days) ? h.last_7_days : [],
  };
}

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

/**
 * Rows sorted by one column, "ascending" or "descending". Missing values (no click yet, no spend)
 * go last in either direction; ties keep the list's order (newest first), so sorting is stable.
 */
export function sortRows(rows, key, direction = "ascending") {
  const kind = COLUMNS.find(([name]) => name === key)?.[2] ?? "text";
  const sign = direction === "descending" ? -1 : 1;
  const missing = (value) => value === null || value === undefined || value === "" || (kind === "number" && Number.isNaN(value));
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => {
      const x = a.row[key];
      const y = b.row[key];
      if (missing(x) || missing(y)) return missing(x) === missing(y) ? a.index - b.index : missing(x) ? 1 : -1;
      let order;
      if (kind === "number") order = x - y;
      else if (kind === "date") order = Date.parse(x) - Date.parse(y);
      else order = collator.compare(String(x), String(y));
      return order === 0 ? a.index - b.index : sign * order;
    })
    .map(({ row }) => row);
}

/** The next sort after a click on a column's button: the same column flips, another starts ascending
 * (numbers start descending: "most streams first" is what a person asks of a number column). */
export function nextSort(current, key) {
  if (current?.key === key) return { key, direction: current.direction === "ascending" ? "descending" : "ascending" };
  const kind = COLUMNS.find(([name]) => name === key)?.[2];
  return { key, direction: kind === "number" ? "descending" : "ascending" };
}

/**
 * An SVG polyline's points for values drawn in a width x height box (y grows downwards), with a
 * pad so the line is not cut at the edges. All zeros (or nothing) draw a flat line along the bottom.
 */
export function sparklinePoints(values, width = 84, height = 24, pad = 2) {
  const numbers = (values ?? []).map((v) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : 0));
  if (numbers.length === 0) return "";
  const top = Math.max(...numbers);
  const step = numbers.length > 1 ? (width - 2 * pad) / (numbers.length - 1) : 0;
  const round = (n) => Math.round(n * 10) / 10;
  return numbers
    .map((v, i) => {
      const x = numbers.length > 1 ? pad + i * step : width / 2;
      const y = top > 0 ? height - pad - (v / top) * (height - 2 * pad) : height - pad;
      return `${round(x)},${round(y)}`;
    })
    .join(" ");
}

/** What a screen reader hears for the sparkline: "Streams over the last 7 days: 0, 0, 3, 5, 2, 0, 1". */
export function sparklineLabel(values) {
  const numbers = (values ?? []).map((v) => (typeof v === "number" ? Math.round(v * 10) / 10 : 0));
  return numbers.length ? `Streams on each of the last ${numbers.length} days (UTC), oldest first: ${numbers.join(", ")}` : "No streams yet";
}
