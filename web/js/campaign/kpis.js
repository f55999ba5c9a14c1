// KPI cards (data-testid="kpi-<name>") and the funnel of people (streams apart).

import { el } from "../dom.js";
import { formatNumber, formatPeople, formatPercent, formatShare, MISSING } from "../format.js";
import { KPI_CARDS, KPIS } from "./labels.js";

export function renderKpis(container, totals = {}) {
  const cards = KPIS.map(([name, label, about, kind]) => {
    const raw = totals[name];
    let shown = kind === "percent" ? formatPercent(raw) : formatNumber(raw);
    if (name === "listeners") shown = formatPeople(raw, totals.listeners_about === true);
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
      el("dd", { class: "hint", text: name === "listeners" && totals.listeners_about === true ? `${about} (an estimate, within about 3%)` : about }),
    );
  });
  const open = container.querySelector("details")?.open ?? false;
  container.replaceChildren(
    el("div", { class: "kpis" }, ...cards.slice(0, KPI_CARDS)),
    el(
      "details",
      { class: "more-figures", "data-testid": "more-figures", open },
      el("summary", { text: "More figures" }),
      el("div", { class: "kpis" }, ...cards.slice(KPI_CARDS)),
    ),
  );
}

// People, step by step; streams (plays, not people) are shown apart, never as a bar.
const STEPS = [
  ["clicks", "Clicked your link"],
  ["authorizations", "Connected Spotify"],
  ["listeners", "Listeners with a counted stream"],
];

/** Each step's bar is as long as its share of the first step; the note says what it is of the one before. */
export function renderFunnel(list, totals = {}, apart = null) {
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
        el("span", {}, el("strong", { text: name === "listeners" ? formatPeople(current, totals.listeners_about === true) : formatNumber(current) }), " ", label),
        el("div", { class: "funnel-bar", "aria-hidden": "true" }, fill),
        index === 0 ? null : el("span", { class: "funnel-note", text: `${formatShare(current, values[index - 1])} of the step before` }),
      );
    }),
  );
  if (!apart) return;
  const streams = typeof totals.streams === "number" ? totals.streams : null;
  const listeners = values[2];
  apart.replaceChildren(
    el("strong", { text: formatNumber(streams) }),
    " streams by these listeners",
    listeners && streams !== null ? ` (${formatNumber(Math.round((streams / listeners) * 10) / 10)} each)` : "",
    ": plays, not people, so not a step above.",
  );
}
