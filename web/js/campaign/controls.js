// The analytics controls (dates, points, model, minimum confidence) as API query parameters.

import { el } from "../dom.js";
import { addDays, ownerTimeZone, zoneDay, zoneMidnight } from "../format.js";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const MAX_HOURLY_DAYS = 31; // the API's longest hourly series

export function fillConfidenceOptions(select) {
  select.replaceChildren(
    ...Array.from({ length: 10 }, (_, step) => {
      const value = (step / 10).toFixed(1);
      const label = step === 0 ? "Any (0.0 or more)" : `${value} or more`;
      return el("option", { value, text: label });
    }),
  );
}

/**
 * Query parameters for GET /campaigns/{id}/analytics. The range bounds every figure; days are
 * the owner's (ownerTimeZone). "Whole campaign" sends no dates (the API's default: the campaign's
 * start to now). Relative ranges end at the next full hour (hourly) or the next midnight of the
 * owner's zone (daily), so the same request repeats within that hour or day and the API can
 * answer 304 to a refresh.
 */
export function analyticsParams(form, compare, now = new Date(), zone = ownerTimeZone()) {
  const granularity = form.elements.granularity.value === "hour" ? "hour" : "day";
  const params = {
    model: form.elements.model.value,
    min_confidence: form.elements.min_confidence.value || "0.0",
    granularity,
    tz: zone,
  };
  const range = form.elements.range.value;
  if (range === "custom") {
    const from = form.elements.from.value;
    const to = form.elements.to.value;
    if (from) params.from = zoneMidnight(from, zone).toISOString();
    if (to) params.to = zoneMidnight(addDays(to, 1), zone).toISOString();
  } else if (range !== "all") {
    const days = Number(range) || 30;
    if (granularity === "hour") {
      const end = Math.ceil((now.getTime() + 1) / HOUR) * HOUR;
      params.from = new Date(end - days * DAY).toISOString();
      params.to = new Date(end).toISOString();
    } else {
      const tomorrow = addDays(zoneDay(now, zone), 1);
      params.from = zoneMidnight(addDays(tomorrow, -days), zone).toISOString();
      params.to = zoneMidnight(tomorrow, zone).toISOString();
    }
  }
  if (compare.size) params.compare = [...compare].join(",");
  return params;
}

/** Keep the controls consistent: custom dates shown only for "Choose dates…", hours only for short ranges. */
export function syncControls(form, ui, changed) {
  const custom = form.elements.range.value === "custom";
  ui.customRange.hidden = !custom;
  ui.customRangeTo.hidden = !custom;
  if (custom && !form.elements.from.value) {
    const today = zoneDay(new Date(), ownerTimeZone());
    form.elements.to.value = today;
    form.elements.from.value = addDays(today, -29);
  }
  const days = rangeDays(form);
  const hourOption = form.elements.granularity.querySelector("option[value=hour]");
  hourOption.disabled = days > MAX_HOURLY_DAYS;
  if (hourOption.disabled && form.elements.granularity.value === "hour") form.elements.granularity.value = "day";
  if (changed === "range" && days <= 2) form.elements.granularity.value = "hour";
  if (changed === "range" && days > 2 && days <= MAX_HOURLY_DAYS) form.elements.granularity.value = "day";
}

function rangeDays(form) {
  if (form.elements.range.value === "all") return Infinity; // hour points: the API's last two days only
  if (form.elements.range.value !== "custom") return Number(form.elements.range.value) || 30;
  const from = Date.parse(`${form.elements.from.value}T00:00:00Z`);
  const to = Date.parse(`${form.elements.to.value}T00:00:00Z`);
  return Number.isFinite(from) && Number.isFinite(to) ? (to - from) / DAY + 1 : 30;
}

/** A problem with the custom dates, in words, or null. */
export function rangeProblem(form) {
  if (form.elements.range.value !== "custom") return null;
  const { from, to } = form.elements;
  if (!from.value || !to.value) return "Choose both dates.";
  if (from.value > to.value) return "The first date must be before the last one.";
  return null;
}
