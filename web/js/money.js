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

/**
 * The spend form's fields -> the API's spend object, or {error: {field, message}}.
 * amount is what the owner typed (a decimal with a point or a comma); basis "total" | "per_day".
 */
export function spendOf({ amount, currency, basis }) {
  const text = String(amount ?? "").trim().replace(/\s/g, "");
  if (!text) return { spend: null };
  const normal = /^\d+(,\d{1,3})$/.test(text) ? text.replace(",", ".") : text;
  if (!/^\d+(\.\d+)?$/.test(normal)) {
    return { error: { field: "spend_amount", message: "Enter an amount like 250 or 12.50 (no minus sign)." } };
  }
  if (!/^[A-Za-z]{3}$/.test(currency ?? "")) {
    return { error: { field: "spend_currency", message: "Enter the currency's 3-letter code, like EUR or USD." } };
  }
  const key = basis === "per_day" ? "per_day" : "total";
  return { spend: { currency: currency.toUpperCase(), [key]: normal } };
}
