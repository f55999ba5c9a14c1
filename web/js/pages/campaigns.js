// #/campaigns: the owner's campaigns with their headline numbers, newest first, paged.

import { listCampaigns } from "../api.js";
import { el, fromTemplate, refs } from "../dom.js";
import { formatDate, formatNumber } from "../format.js";
import { setTitle } from "../page.js";
import { navigate } from "../router.js";
import { spotifyPanel } from "../spotify-panel.js";

const FILTERS = { active: "active", archived: "archived", all: "" };

export function renderCampaigns(main, { query }) {
  setTitle("Your campaigns");
  const page = fromTemplate("tpl-campaigns");
  const ui = refs(page);
  const chosen = query.get("status") in FILTERS ? query.get("status") : "active";
  const status = FILTERS[chosen];
  let cursor = null;
  let alive = true;

  ui.spotify.append(spotifyPanel().element);
  ui.filter.value = status;
  ui.filter.addEventListener("change", () => {
    const next = Object.keys(FILTERS).find((key) => FILTERS[key] === ui.filter.value) ?? "active";
    navigate(next === "active" ? "#/campaigns" : `#/campaigns?status=${next}`);
  });

  async function load() {
    ui.loading.hidden = false;
    ui.error.hidden = true;
    ui.more.hidden = true;
    page.setAttribute("aria-busy", "true");
    try {
      const answer = await listCampaigns({ limit: 25, cursor, status });
      if (!alive) return;
      const campaigns = answer.campaigns ?? [];
      ui.list.append(...campaigns.map(campaignRow));
      cursor = answer.next_cursor ?? null;
      ui.more.hidden = !cursor;
      ui.empty.hidden = ui.list.children.length > 0;
    } catch (error) {
      if (!alive) return;
      ui.errorText.textContent = error.message;
      ui.error.hidden = false;
    } finally {
      ui.loading.hidden = true;
      page.removeAttribute("aria-busy");
    }
  }

  ui.more.addEventListener("click", () => load().then(() => ui.list.lastElementChild?.querySelector("a")?.focus()));
  ui.retry.addEventListener("click", load);
  main.append(page);
  load();
  return () => {
    alive = false;
  };
}

function campaignRow(campaign) {
  const headline = campaign.headline ?? {};
  const figure = (name, label) =>
    el("div", {}, el("dt", { text: label }), el("dd", { "data-testid": `row-${name}`, text: formatNumber(headline[name]) }));
  const archived = campaign.status === "archived";
  return el(
    "li",
    { class: "campaign-row", "data-testid": "campaign-row", "data-campaign-id": campaign.id },
    el(
      "div",
      {},
      el("a", { href: `#/campaigns/${encodeURIComponent(campaign.id)}`, "data-testid": "campaign-link", text: campaign.name }),
      el(
        "p",
        { class: "meta" },
        el("span", { class: archived ? "badge is-archived" : "badge", text: archived ? "Archived" : "Active" }),
        el("span", { text: `Created ${formatDate(campaign.created_at)}` }),
      ),
    ),
    el(
      "dl",
      { class: "headline", "aria-label": `Numbers of ${campaign.name}` },
      figure("clicks", "Clicks"),
      figure("listeners", "Listeners"),
      figure("streams", "Streams"),
    ),
  );
}
