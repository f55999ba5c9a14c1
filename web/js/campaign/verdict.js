// The verdict at the top of a campaign's page: the few figures that answer "did it work?",
// when Spotify was last checked, and one plain sentence. verdictOf is pure (node --test).

import { el } from "../dom.js";
import { formatAgo, formatNumber, formatPeople, formatPercent, MISSING, parseDate } from "../format.js";
import { formatMoney } from "../money.js";

/** [name, label] of the verdict's figures, in the order they are read. */
export const VERDICT = [
  ["weighted_streams", "Confidence-weighted streams"],
  ["listeners", "Listeners"],
  ["new_listeners", "New listeners"],
  ["conversion_rate", "Connect rate"],
];

/**
 * {figures: [{name, label, value, text, change}], checked, sentence} from an analytics answer.
 * `change` compares with the previous period of the same length ("+12 vs previous 7 days"); it
 * is empty when that period ends before `startedAt` (the campaign's start): nothing to compare.
 */
export function verdictOf(data, now = new Date(), { startedAt } = {}) {
  const totals = data?.totals ?? {};
  const previous = comparable(data?.previous, startedAt);
  const figures = VERDICT.map(([name, label]) => {
    const value = typeof totals[name] === "number" ? totals[name] : null;
    const about = name === "listeners" && totals.listeners_about === true;
    let text = formatNumber(round1(value));
    if (name === "conversion_rate") text = formatPercent(value);
    else if (name === "listeners") text = formatPeople(value, about);
    return { name, label, value, text, change: changeText(name, value, previous, about) };
  });
  const cost = data?.cost;
  if (cost) {
    // Only once a spend was entered: what the range cost per confidence-weighted stream.
    const amount = cost.per_weighted_stream;
    figures.push({
      name: "cost_per_weighted_stream",
      label: "Cost per stream",
      value: amount === null || amount === undefined ? null : Number(amount),
      text: formatMoney(amount, cost.currency),
    });
  }
  return {
    figures,
    checked: checkedText(data?.data_quality, now),
    sentence: sentenceOf(totals),
    sources: sourcesText(cost),
  };
}

/** "By UTM source: instagram €2.00 a stream, €0.50 a click; tiktok — a stream, €1.00 a click." ("" without). */
export function sourcesText(cost) {
  const rows = cost?.by_source ?? [];
  if (!rows.length) return "";
  const parts = rows.map(
    (row) =>
      `${row.source} ${formatMoney(row.per_stream, cost.currency)} a stream, ${formatMoney(row.per_click, cost.currency)} a click`,
  );
  return `By UTM source (its share of the spend over its clicks and streams): ${parts.join("; ")}.`;
}

function comparable(previous, startedAt) {
  if (!previous?.totals) return null;
  const end = parseDate(previous.to);
  const started = parseDate(startedAt);
  if (!end || !parseDate(previous.from) || (started && end <= started)) return null;
  return previous;
}

/** "previous 7 days", "previous 24 hours": the length of the previous period in words. */
export function periodText(previous) {
  const hours = Math.round((parseDate(previous.to) - parseDate(previous.from)) / 3_600_000);
  if (hours < 48) return `previous ${hours} ${plural(hours, "hour", "hours")}`;
  const days = Math.round(hours / 24);
  return `previous ${days} ${plural(days, "day", "days")}`;
}

/**
 * "+12 vs previous 7 days", "−2.5 pts vs previous 30 days", "no change vs previous 7 days";
 * "about +12 vs ..." / "about the same as ..." when either figure is an estimate (`about`, or
 * the previous period's `listeners_about` for listeners).
 */
export function changeText(name, value, previous, about = false) {
  const before = previous?.totals?.[name];
  if (!previous || typeof value !== "number" || typeof before !== "number") return "";
  const estimated = about || (name === "listeners" && previous.totals.listeners_about === true);
  const points = name === "conversion_rate";
  const delta = points ? Math.round((value - before) * 1000) / 10 : round1(value - before);
  const period = periodText(previous);
  if (delta === 0) return estimated ? `about the same as ${period}` : `no change vs ${period}`;
  const sign = delta > 0 ? "+" : "−";
  return `${estimated ? "about " : ""}${sign}${formatNumber(Math.abs(delta))}${points ? " pts" : ""} vs ${period}`;
}

function round1(value) {
  return typeof value === "number" ? Math.round(value * 10) / 10 : value;
}

function checkedText(quality, now) {
  if (!quality || !("last_successful_poll" in quality)) return "";
  if (!parseDate(quality.last_successful_poll)) return "Spotify not checked yet";
  return `Spotify last checked ${formatAgo(quality.last_successful_poll, now)}`;
}

function plural(count, one, many) {
  return count === 1 ? one : many;
}

/**
 * "37 people who clicked have played your playlist 112 times; 21 of them had never played it before."
 * ("About 1,950 people ..." when the listeners are an estimate.)
 */
export function sentenceOf(totals) {
  const clicks = totals.clicks ?? 0;
  const connected = totals.authorizations ?? 0;
  const listeners = totals.listeners ?? 0;
  const streams = Math.round(totals.streams ?? 0);
  const fresh = totals.new_listeners ?? 0;
  if (clicks === 0) return "Nobody has opened your link yet. Share it (below) and the numbers start here.";
  if (connected === 0) {
    return `${formatNumber(clicks)} ${plural(clicks, "person", "people")} opened your link; nobody has connected Spotify yet, so no plays can be counted.`;
  }
  if (listeners === 0) {
    return `${formatNumber(connected)} ${plural(connected, "person", "people")} who clicked connected Spotify; none has played your playlist yet.`;
  }
  const about = totals.listeners_about === true ? "About " : "";
  const who = `${about}${formatNumber(listeners)} ${plural(listeners, "person", "people")} who clicked ${plural(listeners, "has", "have")}`;
  const times = `${formatNumber(streams)} ${plural(streams, "time", "times")}`;
  let newcomers = `${formatNumber(fresh)} of them had never played it before`;
  if (listeners === 1) newcomers = fresh ? "they had never played it before" : "they had played it before";
  else if (fresh === 0) newcomers = "all of them had played it before";
  else if (fresh === listeners) newcomers = "none of them had played it before";
  return `${who} played your playlist ${times}; ${newcomers}.`;
}

export function renderVerdict(ui, data, now = new Date(), options = {}) {
  const verdict = verdictOf(data, now, options);
  ui.verdictFigures.replaceChildren(
    ...verdict.figures.map((figure) =>
      el(
        "div",
        { class: "verdict-figure" },
        el("dt", { text: figure.label }),
        el("dd", {
          "data-testid": `verdict-${figure.name}`,
          "data-value": figure.value,
          title: figure.text === MISSING ? "Not available yet" : null,
          text: figure.text,
        }),
        figure.change
          ? el("dd", { class: "verdict-change hint", "data-testid": `verdict-change-${figure.name}`, text: figure.change })
          : null,
      ),
    ),
  );
  ui.verdictChecked.textContent = verdict.checked;
  ui.verdictSentence.textContent = verdict.sentence;
  ui.verdictSources.textContent = verdict.sources;
  ui.verdictSources.hidden = !verdict.sources;
  ui.verdict.hidden = false;
}
