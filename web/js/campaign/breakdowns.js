// Where clicks come from: one breakdown at a time (referrer, UTM, device, browser, OS, country).

import { barConfig, COLORS } from "../charts.js";
import { el, table } from "../dom.js";
import { countryName, formatNumber } from "../format.js";
import { DIMENSIONS } from "./labels.js";

const CHART_VALUES = 10;

/** Fill the dimension <select> with the breakdowns the answer has (keeping the choice). */
export function syncBreakdownOptions(select, analytics) {
  const available = Object.keys(DIMENSIONS).filter((name) => Array.isArray(analytics.breakdowns?.[name]));
  const extra = Object.keys(analytics.breakdowns ?? {}).filter((name) => !(name in DIMENSIONS));
  const names = [...available, ...extra];
  const current = select.value;
  if (names.join() !== [...select.options].map((o) => o.value).join()) {
    select.replaceChildren(...names.map((name) => el("option", { value: name, text: DIMENSIONS[name] ?? name })));
  }
  if (names.includes(current)) select.value = current;
  return names.length > 0;
}

export function renderBreakdown(ui, slot, analytics) {
  const has = syncBreakdownOptions(ui.breakdownSelect, analytics);
  const dimension = ui.breakdownSelect.value;
  const rows = has ? (analytics.breakdowns[dimension] ?? []) : [];
  const label = (row) => valueLabel(dimension, row.value);
  ui.breakdownEmpty.hidden = rows.length > 0;
  ui.breakdownBox.hidden = rows.length === 0;
  ui.breakdownSelect.disabled = !has;
  if (rows.length) {
    const top = rows.slice(0, CHART_VALUES);
    slot.render(
      barConfig(
        top.map(label),
        [
          { label: "Clicks", color: COLORS.clicks, data: top.map((r) => r.clicks ?? 0) },
          { label: "Connected Spotify", color: COLORS.authorizations, data: top.map((r) => r.authorizations ?? 0) },
          { label: "Streams", color: COLORS.streams, data: top.map((r) => r.streams ?? 0) },
        ],
        { horizontal: true },
      ),
    );
  }
  ui.breakdownTable.replaceChildren(
    rows.length
      ? table(
          [
            { label: DIMENSIONS[dimension] ?? dimension, value: label },
            { label: "Clicks", num: true, value: (r) => formatNumber(r.clicks) },
            { label: "Unique visitors", num: true, value: (r) => formatNumber(r.unique_clicks) },
            { label: "Connected Spotify", num: true, value: (r) => formatNumber(r.authorizations) },
            { label: "Streams", num: true, value: (r) => formatNumber(r.streams) },
          ],
          rows,
          { testid: "breakdown-table" },
        )
      : "",
  );
}

export function valueLabel(dimension, value) {
  if (value === "(unknown)" || value === "" || value === null || value === undefined) return "Unknown";
  if (value === "(direct)" || value === "(none)") return dimension === "referrer" ? "Direct (no referring site)" : "None";
  return dimension === "country" ? countryName(value) : String(value);
}
