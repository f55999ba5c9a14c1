// #/campaigns: the owner's campaigns as a comparison table (the campaign pages' figures, cost per
// stream, a 7-day line), sortable by each column, newest first, paged.

import { listCampaigns } from "../api.js";
import { COLUMNS, nextSort, rowOf, sortRows, sparklineLabel, sparklinePoints } from "../campaign-table.js";
import { el, fromTemplate, refs } from "../dom.js";
import { formatDate, formatNumber, formatPercent } from "../format.js";
import { formatMoney } from "../money.js";
import { showCeiling } from "../quota.js";
import { setTitle } from "../page.js";
import { navigate } from "../router.js";
import { spotifyPanel } from "../spotify-panel.js";

const FILTERS = { active: "active", archived: "archived", all: "" };
const SVG = "http://www.w3.org/2000/svg";

export function renderCampaigns(main, { query }) {
  setTitle("Your campaigns");
  const page = fromTemplate("tpl-campaigns");
  const ui = refs(page);
  const chosen = query.get("status") in FILTERS ? query.get("status") : "active";
  const status = FILTERS[chosen];
  let cursor = null;
  let alive = true;
  let rows = [];
  let sort = null; // null: the API's order, newest first

  ui.spotify.append(spotifyPanel().element);
  ui.filter.value = status;
  ui.filter.addEventListener("change", () => {
    const next = Object.keys(FILTERS).find((key) => FILTERS[key] === ui.filter.value) ?? "active";
    navigate(next === "active" ? "#/campaigns" : `#/campaigns?status=${next}`);
  });

  function draw(focusKey = null) {
    const shown = sort ? sortRows(rows, sort.key, sort.direction) : rows;
    ui.tableWrap.replaceChildren(campaignTable(shown, sort, (key) => {
      sort = nextSort(sort, key);
      draw(key);
    }));
    ui.tableWrap.hidden = rows.length === 0;
    ui.tableHint.hidden = rows.length === 0;
    ui.empty.hidden = rows.length > 0;
    if (focusKey) ui.tableWrap.querySelector(`button[data-sort="${focusKey}"]`)?.focus();
  }

  async function load() {
    ui.loading.hidden = false;
    ui.error.hidden = true;
    ui.more.hidden = true;
    page.setAttribute("aria-busy", "true");
    try {
      const answer = await listCampaigns({ limit: 25, cursor, status });
      if (!alive) return;
      rows = rows.concat((answer.campaigns ?? []).map(rowOf));
      cursor = answer.next_cursor ?? null;
      ui.more.hidden = !cursor;
      showCeiling(ui.ceiling, answer.spotify);
      draw();
    } catch (error) {
      if (!alive) return;
      ui.errorText.textContent = error.message;
      ui.error.hidden = false;
    } finally {
      ui.loading.hidden = true;
      page.removeAttribute("aria-busy");
    }
  }

  ui.more.addEventListener("click", () => load().then(() => ui.tableWrap.querySelector("tbody tr:last-child a")?.focus()));
  ui.retry.addEventListener("click", load);
  main.append(page);
  load();
  return () => {
    alive = false;
  };
}

function campaignTable(rows, sort, onSort) {
  const head = el(
    "tr",
    {},
    COLUMNS.map(([key, label, kind]) => {
      const sorted = sort?.key === key ? sort.direction : null;
      return el(
        "th",
        { scope: "col", class: kind === "number" ? "num" : null, "aria-sort": sorted ?? "none" },
        el(
          "button",
          { type: "button", class: "sort-button", "data-sort": key, "data-testid": `sort-${key}`, on: { click: () => onSort(key) } },
          label,
          el("span", { class: "sort-mark", "aria-hidden": "true", text: sorted === "ascending" ? " ▲" : sorted === "descending" ? " ▼" : "" }),
        ),
      );
    }),
    el("th", { scope: "col", text: "Last 7 days" }),
  );
  return el(
    "table",
    { class: "campaign-table", "data-testid": "campaign-list" },
    el("caption", { class: "visually-hidden", text: "Your campaigns" }),
    el("thead", {}, head),
    el("tbody", {}, rows.map(campaignRow)),
  );
}

function campaignRow(row) {
  const archived = row.status === "archived";
  const cell = (name, text, num = true) => el("td", { class: num ? "num" : null, "data-testid": `row-${name}`, text });
  return el(
    "tr",
    { "data-testid": "campaign-row", "data-campaign-id": row.id },
    el("th", { scope: "row" }, el("a", { href: `#/campaigns/${encodeURIComponent(row.id)}`, "data-testid": "campaign-link", text: row.name })),
    cell("playlist", row.playlist || "—", false),
    el("td", { "data-testid": "row-dates", text: `${formatDate(row.starts)} – ${row.ends ? formatDate(row.ends) : "no end"}` }),
    el("td", {}, el("span", { class: archived ? "badge is-archived" : "badge", text: archived ? "Archived" : "Active" })),
    cell("clicks", formatNumber(row.clicks)),
    cell("connect_rate", formatPercent(row.connect_rate)),
    cell("listeners", formatNumber(row.listeners)),
    cell("weighted_streams", formatNumber(Math.round(row.weighted_streams * 10) / 10)),
    cell("cost_per_stream", formatMoney(row.cost_text, row.currency)),
    el("td", {}, sparkline(row.last_7_days)),
  );
}

function sparkline(values) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 84 24");
  svg.setAttribute("width", "84");
  svg.setAttribute("height", "24");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", sparklineLabel(values));
  svg.setAttribute("class", "sparkline");
  svg.dataset.testid = "sparkline";
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", sparklinePoints(values));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "currentColor");
  line.setAttribute("stroke-width", "2");
  svg.append(line);
  return svg;
}
