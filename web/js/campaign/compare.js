// Campaign comparison: pick up to 5 other campaigns; their totals side by side with this one's.

import { listCampaigns } from "../api.js";
import { el, table } from "../dom.js";
import { formatNumber, formatPeople, formatPercent } from "../format.js";

export const MAX_COMPARED = 5;

const ROWS = [
  ["clicks", "Clicks"],
  ["unique_clicks", "Unique visitors"],
  ["authorizations", "Connected Spotify"],
  ["conversion_rate", "Connect rate", "percent"],
  ["listeners", "Listeners"],
  ["streams", "Streams"],
  ["weighted_streams", "Confidence-weighted streams"],
  ["streams_per_listener", "Streams per listener"],
];

/** Checkboxes of the owner's other campaigns; onChange(ids) when the choice changes. */
export async function renderComparePicker(container, campaignId, chosen, onChange) {
  let campaigns;
  try {
    campaigns = await otherCampaigns(campaignId);
  } catch (error) {
    container.replaceChildren(el("p", { class: "form-error", text: error.message }));
    return;
  }
  if (!campaigns.length) {
    container.replaceChildren(el("p", { class: "hint", text: "You have no other campaign to compare with yet." }));
    return;
  }
  const boxes = campaigns.map((campaign) =>
    el("input", {
      type: "checkbox",
      id: `compare-${campaign.id}`,
      value: campaign.id,
      checked: chosen.has(campaign.id),
      "data-testid": "compare-option",
    }),
  );
  const limit = () => {
    const full = chosen.size >= MAX_COMPARED;
    for (const box of boxes) box.disabled = full && !box.checked;
  };
  for (const box of boxes) {
    box.addEventListener("change", () => {
      if (box.checked) chosen.add(box.value);
      else chosen.delete(box.value);
      limit();
      onChange(chosen);
    });
  }
  limit();
  container.replaceChildren(
    ...campaigns.map((campaign, index) =>
      el(
        "div",
        { class: "field field-check" },
        boxes[index],
        el("label", {
          for: `compare-${campaign.id}`,
          text: campaign.status === "archived" ? `${campaign.name} (archived)` : campaign.name,
        }),
      ),
    ),
  );
}

async function otherCampaigns(campaignId) {
  const found = [];
  let cursor = null;
  for (let page = 0; page < 4; page += 1) {
    const answer = await listCampaigns({ limit: 100, cursor });
    found.push(...(answer.campaigns ?? []).filter((c) => c.id !== campaignId));
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return found;
}

export function renderCompare(container, analytics, campaign, chosen) {
  if (!chosen.size) {
    container.replaceChildren(el("p", { class: "hint", text: "Pick campaigns above to see their numbers next to this one's." }));
    return;
  }
  if (!Array.isArray(analytics.compare)) {
    container.replaceChildren(el("p", { class: "empty", text: "Comparing campaigns is not available yet." }));
    return;
  }
  const columns = [{ name: `${campaign.name} (this one)`, totals: analytics.totals ?? {} }].concat(
    analytics.compare.map((other) => ({ name: other.name ?? other.campaign_id, totals: other.totals ?? {} })),
  );
  container.replaceChildren(
    table(
      [
        { label: "Figure", value: ([, label]) => label },
        ...columns.map((column) => ({
          label: column.name,
          num: true,
          value: ([name, , kind]) => {
            if (name === "listeners") return formatPeople(column.totals.listeners, column.totals.listeners_about === true);
            return (kind === "percent" ? formatPercent : formatNumber)(column.totals[name]);
          },
        })),
      ],
      ROWS,
      { testid: "compare" },
    ),
  );
}
