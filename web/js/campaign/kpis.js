// KPI cards (data-testid="kpi-<name>") and the click-to-stream funnel.

import { el } from "../dom.js";
import { formatNumber, formatPercent, formatShare, MISSING } from "../format.js";
import { KPIS } from "./labels.js";

export function renderKpis(container, totals = {}) {
  container.replaceChildren(
    ...KPIS.map(([name, label, about, kind]) => {
      const raw = totals[name];
      const shown = kind === "percent" ? formatPercent(raw) : formatNumber(raw);
      return el(
        "dl",
        { class: "kpi", "data-kpi": name },
        el("dt", { text: label }),
        el("dd", {
          "data-testid": `kpi-${name}`,
          "data-value": typeof raw === "number" ? raw : null,
          title: shown === MISSING ? "Not available yet" : null,
          text: shown,
        }),
        el("dd", { class: "hint", text: about }),
      );
    }),
  );
}

const STEPS = [
  ["clicks", "Clicks"],
  ["unique_clicks", "Unique visitors"],
  ["authorizations", "Connected Spotify"],
  ["listeners", "Listeners with a counted play"],
  ["streams", "Streams"],
];

/** Each step's bar is as long as its share of the largest step; the note says what it is of the one before. */
export function renderFunnel(list, totals = {}) {
  const values = STEPS.map(([name]) => (typeof totals[name] === "number" ? totals[name] : null));
  const largest = Math.max(1, ...values.filter((v) => v !== null));
  list.replaceChildren(
    ...STEPS.map(([name, label], index) => {
      const current = values[index];
      const fill = el("div", { class: "funnel-fill" });
      // CSSOM (element.style), not a style attribute: allowed by style-src 'self'.
      fill.style.width = `${current === null ? 0 : Math.min(100, (current / largest) * 100)}%`;
      return el(
        "li",
        { class: "funnel-step", "data-testid": `funnel-${name}` },
        el("span", {}, el("strong", { text: formatNumber(current) }), " ", label),
        el("div", { class: "funnel-bar", "aria-hidden": "true" }, fill),
        index === 0 ? null : el("span", { class: "funnel-note", text: stepNote(name, values, index) }),
      );
    }),
  );
}

function stepNote(name, values, index) {
  const [clicks, , , listeners, streams] = values;
  if (name === "streams") {
    return listeners ? `${formatNumber(Math.round((streams / listeners) * 10) / 10)} per listener` : "";
  }
  if (name === "authorizations") return `${formatShare(values[index], clicks)} of clicks`;
  return `${formatShare(values[index], values[index - 1])} of the step before`;
}
