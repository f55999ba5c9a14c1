// Clicks, Spotify connections and streams over the chosen dates (line chart + table).

import { barConfig, COLORS, lineConfig } from "../charts.js";
import { table } from "../dom.js";
import { formatNumber, formatPoint } from "../format.js";

export function renderTimeline(ui, slot, analytics) {
  const series = Array.isArray(analytics.series) ? analytics.series : [];
  const dayZone = analytics.day_zone || "UTC";
  const labels = series.map((point) => formatPoint(point.t, analytics.granularity, dayZone));
  const lines = [
    { key: "clicks", label: "Clicks", color: COLORS.clicks },
    { key: "authorizations", label: "Connected Spotify", color: COLORS.authorizations },
    { key: "streams", label: "Streams", color: COLORS.streams },
  ].map((line) => ({ ...line, data: series.map((point) => point[line.key] ?? 0) }));
  const quiet = series.every((point) => !point.clicks && !point.authorizations && !point.streams);
  ui.timelineEmpty.hidden = !quiet;
  ui.timelineEmpty.textContent = series.length
    ? "Nothing happened in these dates yet."
    : "No timeline for these dates.";
  ui.timelineBox.hidden = series.length === 0;
  if (series.length) slot.render(series.length === 1 ? barConfig(labels, lines) : lineConfig(labels, lines));
  ui.timelineTable.replaceChildren(
    table(
      [
        { label: analytics.granularity === "hour" ? "Hour" : `Day (${dayZone === "UTC" ? "UTC days" : dayZone})`, value: (_, i) => labels[i] },
        { label: "Clicks", num: true, value: (p) => formatNumber(p.clicks) },
        { label: "Connected Spotify", num: true, value: (p) => formatNumber(p.authorizations) },
        { label: "Streams", num: true, value: (p) => formatNumber(p.streams) },
      ],
      series,
      { testid: "timeline-table" },
    ),
  );
}
