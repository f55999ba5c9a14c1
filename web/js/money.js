// Money as an owner reads it: the API sends decimal strings ("12.50", "0.0042") in a currency.
// Pure functions (node --test).

import { MISSING } from "./format.js";

/** "0.0042", "EUR" -> "€0.0042"; whole amounts keep the currency's own places; null -> "—". */
export function formatMoney(amount, currency, locale = undefined) {
  if (amount === null || amount === undefined || amount === "" || !currency) return MISSING;
  const number = Number(amount);
  if (!Number.isFinite(number)) return MISSING;
  const places = (String(amount).split(".")[1] ?? "").length;
  try {
    const minimum = new Intl.NumberFormat(locale, { style: "currency", currency }).resolvedOptions().minimumFractionDigits;
    return new Intl.NumberFormat(locale, {
      style: "currency",
      currency,
      minimumFractionDigits: Math.min(minimum, places),
      maximumFractionDigits: Math.max(minimum, Math.min(places, 6)),
    }).format(number);
  } catch {
    return `${amount} ${currency}`;
  }
}

// The currency of a region, for the spend form's default (the owner can change it).
const REGION_CURRENCY = {
  US: "USD", GB: "GBP", CA: "CAD", AU: "AUD", NZ: "NZD", IE: "EUR", DE: "EUR", FR: "EUR", ES: "EUR", IT: "EUR",
  NL: "EUR", BE: "EUR", AT: "EUR", PT: "EUR", FI: "EUR", GR: "EUR", LU: "EUR", SK: "EUR", SI: "EUR", EE: "EUR",
  LV: "EUR", LT: "EUR", HR: "EUR", MT: "EUR", CY: "EUR", SE: "SEK", NO: "NOK", DK: "DKK", IS: "ISK", CH: "CHF",
  PL: "PLN", CZ: "CZK", HU: "HUF", RO: "RON", BG: "BGN", JP: "JPY", KR: "KRW", CN: "CNY", IN: "INR", BR: "BRL",
  MX: "MXN", AR: "ARS", CL: "CLP", CO: "COP", ZA: "ZAR", NG: "NGN", KE: "KES", TR: "TRY", IL: "ILS", AE: "AED",
  SG: "SGD", HK: "HKD", TW: "TWD", TH: "THB", ID: "IDR", PH: "PHP", MY: "MYR", VN: "VND", UA: "UAH",
};

/** "de-DE" -> "EUR", "en-GB" -> "GBP"; a locale without a known region -> fallback. */
export function currencyForLocale(locale, fallback = "USD") {
  try {
    const region = new Intl.Locale(locale).maximize().region;
    return REGION_CURRENCY[region] ?? fallback;
  } catch {
    return fallback;
  }
}

const MAX_SOURCES = 20; // the API's limit (campaigns/spend.py)

function decimalOf(text) {
  const compact = String(text ?? "").trim().replace(/\s/g, "");
  const normal = /^\d+(,\d{1,3})$/.test(compact) ? compact.replace(",", ".") : compact;
  return /^\d+(\.\d+)?$/.test(normal) ? normal : null;
}

/** "12.5", 3 -> 12500n: decimal strings compared exactly (no float rounding). */
function units(decimal, places) {
  const [whole, fraction = ""] = decimal.split(".");
  return BigInt(whole + fraction.padEnd(places, "0"));
}

function placesOf(decimal) {
  return (decimal.split(".")[1] ?? "").length;
}

/**
 * The spend form's fields -> the API's spend object, or {error: {field, message}}.
 * amount is what the owner typed (a decimal with a point or a comma); basis "total" | "per_day";
 * sources (optional) one "utm_source: amount" a line, parts of the amount on the same basis.
 */
export function spendOf({ amount, currency, basis, sources = "" }) {
  const text = String(amount ?? "").trim();
  const lines = String(sources ?? "").split("\n").map((line) => line.trim()).filter(Boolean);
  if (!text) {
    if (lines.length) {
      return { error: { field: "spend_amount", message: "Enter the amount first: the sources below are parts of it." } };
    }
    return { spend: null };
  }
  const normal = decimalOf(text);
  if (normal === null) {
    return { error: { field: "spend_amount", message: "Enter an amount like 250 or 12.50 (no minus sign)." } };
  }
  if (!/^[A-Za-z]{3}$/.test(currency ?? "")) {
    return { error: { field: "spend_currency", message: "Enter the currency's 3-letter code, like EUR or USD." } };
  }
  const key = basis === "per_day" ? "per_day" : "total";
  const spend = { currency: currency.toUpperCase(), [key]: normal };
  const { bySource, error } = sourcesOf(lines, normal);
  if (error) return { error: { field: "spend_sources", message: error } };
  if (Object.keys(bySource).length) spend.by_source = bySource;
  return { spend };
}

function sourcesOf(lines, amount) {
  if (lines.length > MAX_SOURCES) return { error: `Name at most ${MAX_SOURCES} sources (${lines.length} lines now).` };
  const bySource = {};
  for (const line of lines) {
    const at = line.lastIndexOf(":");
    const shown = line.length > 40 ? `${line.slice(0, 40)}…` : line;
    const source = at < 0 ? "" : line.slice(0, at).trim();
    if (!source) return { error: `Write each line as "source: amount", like "instagram: 100" (not "${shown}").` };
    if (source.length > 100) return { error: `A source is at most 100 characters ("${shown}").` };
    const part = decimalOf(line.slice(at + 1));
    if (part === null) return { error: `Enter an amount like 100 or 12.50 after "${source.slice(0, 40)}:".` };
    if (Object.hasOwn(bySource, source)) return { error: `"${source.slice(0, 40)}" is named twice: give each source one line.` };
    bySource[source] = part;
  }
  const parts = Object.values(bySource);
  const places = Math.max(placesOf(amount), ...parts.map(placesOf));
  const sum = parts.reduce((total, part) => total + units(part, places), 0n);
  if (sum > units(amount, places)) {
    const shownSum = places ? `${sum / 10n ** BigInt(places)}.${String(sum % 10n ** BigInt(places)).padStart(places, "0")}` : `${sum}`;
    return { error: `The sources add up to ${shownSum}, more than the amount (${amount}): they are parts of it.` };
  }
  return { bySource };
}
