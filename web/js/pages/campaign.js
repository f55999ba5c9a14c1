// #/campaigns/<id>: one campaign: its verdict first, then its analytics, then its tracker link and QR code,
// refreshed every minute while the tab is visible (with ETag / 304 when the API allows it).

import { archiveCampaign, campaignAnalytics, campaignClicksExport, campaignExport, getCampaign } from "../api.js";
import { renderBreakdown } from "../campaign/breakdowns.js";
import { renderCompare, renderComparePicker } from "../campaign/compare.js";
import { renderConfidence } from "../campaign/confidence.js";
import { renderFans } from "../campaign/fans.js";
import { analyticsParams, fillConfidenceOptions, rangeProblem, syncControls } from "../campaign/controls.js";
import { renderFunnel, renderKpis } from "../campaign/kpis.js";
import { modelName } from "../campaign/labels.js";
import { renderListenerStates } from "../campaign/listeners.js";
import { renderModels } from "../campaign/models.js";
import { qualityNotices } from "../campaign/quality.js";
import { renderTimeline } from "../campaign/timeline.js";
import { renderTracker } from "../campaign/tracker.js";
import { renderTracks } from "../campaign/tracks.js";
import { renderVerdict } from "../campaign/verdict.js";
import { ChartSlot } from "../charts.js";
import { el, fromTemplate, refs } from "../dom.js";
import { saveBlob } from "../download.js";
import { formatDateTime, formatTime, ownerTimeZone, parseDate } from "../format.js";
import { focusHeading, setTitle } from "../page.js";
import { showCeiling } from "../quota.js";
import { spotifyPanel } from "../spotify-panel.js";
import { announce } from "../status.js";

const REFRESH_MS = 60 * 1000;

export function renderCampaign(main, { params }) {
  setTitle("Campaign");
  const page = fromTemplate("tpl-campaign");
  const ui = refs(page);
  const form = ui.controls;
  main.append(page);

  const cleanups = [];
  const compare = new Set();
  const charts = {
    timeline: new ChartSlot(ui.timeline, ui.timelineBox),
    breakdown: new ChartSlot(ui.breakdownChart, ui.breakdownBox),
    histogram: new ChartSlot(ui.histogram, ui.histogramBox),
  };
  let alive = true;
  let campaign = null;
  let panel = null;
  let connection = null;
  let last = null; // {data, etag, path}
  let sequence = 0;
  let loadedAt = 0;
  let pickerShown = false;

  fillConfidenceOptions(form.elements.min_confidence);
  ui.rangeZone.textContent = `(${ownerTimeZone()})`;

  getCampaign(params.id)
    .then((answer) => {
      if (!alive) return;
      campaign = answer;
      ui.loading.hidden = true;
      ui.content.hidden = false;
      showHeader();
      cleanups.push(renderTracker(ui, campaign));
      panel = spotifyPanel();
      panel.onChange((state) => {
        connection = state;
        if (last) showQuality();
      });
      ui.spotify.append(panel.element);
      form.elements.model.value = campaign.attribution_model ?? "last_touch";
      focusHeading(main);
      load();
    })
    .catch((error) => {
      if (!alive) return;
      ui.loading.hidden = true;
      ui.errorText.textContent =
        error.status === 404 ? "This campaign does not exist, or it belongs to another account." : error.message;
      ui.error.hidden = false;
      setTitle("Campaign not found");
    });

  function showHeader() {
    setTitle(campaign.name);
    ui.name.textContent = campaign.name;
    const archived = campaign.status === "archived";
    ui.status.textContent = archived ? "Archived" : "Active";
    ui.status.classList.toggle("is-archived", archived);
    ui.period.textContent = period(campaign);
    ui.edit.href = `#/campaigns/${encodeURIComponent(campaign.id)}/edit`;
    ui.edit.hidden = archived;
    ui.archive.hidden = archived;
  }

  async function load() {
    if (!campaign) return;
    const problem = rangeProblem(form);
    if (problem) {
      ui.analyticsError.textContent = problem;
      ui.analyticsError.hidden = false;
      return;
    }
    const mine = ++sequence;
    if (!last) ui.analyticsLoading.hidden = false;
    else ui.updated.textContent = "Updating…";
    ui.analytics.setAttribute("aria-busy", "true");
    try {
      const result = await campaignAnalytics(campaign.id, analyticsParams(form, compare), last);
      if (!alive || mine !== sequence) return;
      last = result;
      loadedAt = Date.now();
      ui.analyticsError.hidden = true;
      if (result.changed) showAnalytics(result.data);
      ui.updated.textContent = `Updated at ${formatTime(new Date())}${result.changed ? "" : " (no change)"}.`;
    } catch (error) {
      if (!alive || mine !== sequence) return;
      ui.analyticsError.textContent = last
        ? `The numbers could not be refreshed: ${error.message} The numbers shown are from ${formatTime(new Date(loadedAt))}.`
        : error.message;
      ui.analyticsError.hidden = false;
      ui.updated.textContent = "";
    } finally {
      if (mine === sequence) {
        ui.analyticsLoading.hidden = true;
        ui.analytics.removeAttribute("aria-busy");
      }
    }
  }

  function showAnalytics(data) {
    ui.analytics.hidden = false;
    const min = Number(data.min_confidence ?? 0).toFixed(1);
    ui.modelNote.textContent = `${modelName(data.model)} · confidence ${min} or more · ${rangeText(data)}`;
    const startedAt = [campaign.created_at, campaign.starts_at].filter(Boolean).sort()[0];
    section("verdict", () => renderVerdict(ui, data, new Date(), { startedAt }));
    section("fans", () => renderFans(ui, data));
    section("quality", showQuality);
    section("kpis", () => renderKpis(ui.kpis, data.totals));
    section("funnel", () => renderFunnel(ui.funnel, data.totals, ui.funnelStreams));
    section("timeline", () => renderTimeline(ui, charts.timeline, data));
    section("tracks", () => renderTracks(ui, data));
    section("breakdowns", () => renderBreakdown(ui, charts.breakdown, data));
    section("confidence", () => renderConfidence(ui, charts.histogram, data));
    section("models", () => renderModels(ui.models, data));
    section("compare", () => renderCompare(ui.compare, data, campaign, compare));
    section("listeners", () => renderListenerStates(ui.states, data));
    // Development Mode's ceiling beside the listeners' states (the verdict stays short: a phone's first screen).
    section("ceiling", () => showCeiling(ui.statesCeiling, data.spotify));
    if (!pickerShown) {
      pickerShown = true;
      renderComparePicker(ui.compareOptions, campaign.id, compare, () => load());
    }
  }

  function showQuality() {
    const notices = qualityNotices({ analytics: last?.data, campaign, connection });
    ui.quality.replaceChildren(
      ...notices.map((notice) =>
        el(
          "li",
          { class: `notice notice-${notice.level === "warning" ? "warning" : "info"}`, "data-testid": `notice-${notice.id}` },
          el("p", { text: notice.text }),
          notice.action === "connect-spotify" && panel
            ? el("button", { type: "button", class: "button", text: "Connect Spotify", on: { click: () => panel.connect() } })
            : null,
        ),
      ),
    );
    ui.qualitySection.hidden = notices.length === 0;
  }

  form.addEventListener("submit", (event) => event.preventDefault());
  form.addEventListener("change", (event) => {
    syncControls(form, ui, event.target.name);
    if (event.target.name !== "auto_refresh") load();
  });
  ui.refresh.addEventListener("click", () => load());
  ui.breakdownSelect.addEventListener("change", () => last && renderBreakdown(ui, charts.breakdown, last.data));
  ui.export.addEventListener("click", () => exportCsv(ui.export, campaignExport, `soundlink-${campaign.slug}.csv`));
  ui.exportClicks.addEventListener("click", () =>
    exportCsv(ui.exportClicks, campaignClicksExport, `soundlink-${campaign.slug}-clicks.csv`),
  );
  ui.archive.addEventListener("click", () => archive());

  async function exportCsv(button, fetchParts, fallbackName) {
    const label = button.textContent;
    button.disabled = true;
    button.textContent = "Preparing the CSV…";
    try {
      const range = last?.data ? { from: last.data.from, to: last.data.to } : {};
      const { blob, filename } = await fetchParts(campaign.id, range);
      saveBlob(blob, filename ?? fallbackName);
      announce("The CSV file is downloading.");
    } catch (error) {
      announce(`The CSV file could not be made: ${error.message}`, { error: true });
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  async function archive() {
    const sure = window.confirm(
      `Archive “${campaign.name}”? Its link will stop asking new listeners to connect Spotify. Its numbers are kept. This cannot be undone.`,
    );
    if (!sure) return;
    ui.archive.disabled = true;
    try {
      campaign = await archiveCampaign(campaign.id);
      showHeader();
      if (last) showQuality(); // the numbers may not change (304), the notices do
      announce("The campaign is archived.");
      load();
    } catch (error) {
      announce(error.message, { error: true });
    } finally {
      ui.archive.disabled = false;
    }
  }

  // Auto-refresh: every minute while the tab is visible; at once when it becomes visible
  // again after more than a minute.
  const timer = setInterval(() => {
    if (!document.hidden && form.elements.auto_refresh.checked) load();
  }, REFRESH_MS);
  const onVisibility = () => {
    if (!document.hidden && form.elements.auto_refresh.checked && Date.now() - loadedAt >= REFRESH_MS) load();
  };
  document.addEventListener("visibilitychange", onVisibility);

  return () => {
    alive = false;
    clearInterval(timer);
    document.removeEventListener("visibilitychange", onVisibility);
    for (const chart of Object.values(charts)) chart.destroy();
    for (const cleanup of cleanups) cleanup();
  };
}

function section(name, render) {
  try {
    render();
  } catch (error) {
    // One section with data it does not understand must not blank the others.
    console.error(`campaign page: the ${name} section failed`, error);
  }
}

/** "Mar 3 – Mar 9, 2026 (Europe/Paris)": the range every figure counts, in the owner's zone. */
function rangeText(data) {
  const zone = ownerTimeZone();
  const from = parseDate(data.from);
  const to = parseDate(data.to);
  if (!from || !to) return "";
  const day = (date) => date.toLocaleDateString(undefined, { month: "short", day: "numeric", year: "numeric", timeZone: zone });
  const last = new Date(to.getTime() - 1); // `to` is exclusive
  const span = day(from) === day(last) ? day(from) : `${day(from)} – ${day(last)}`;
  return `${span} (${zone})`;
}

function period(campaign) {
  const parts = [];
  if (campaign.starts_at && campaign.ends_at) {
    parts.push(`Runs ${formatDateTime(campaign.starts_at)} – ${formatDateTime(campaign.ends_at)}`);
  } else if (campaign.starts_at) {
    parts.push(`Starts ${formatDateTime(campaign.starts_at)}`);
  } else if (campaign.ends_at) {
    parts.push(`Ends ${formatDateTime(campaign.ends_at)}`);
  }
  parts.push(`${campaign.attribution_window_days}-day window`);
  parts.push(`${modelName(campaign.attribution_model)} by default`);
  return parts.join(" · ");
}
