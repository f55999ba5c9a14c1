// Numbers and dates as an artist reads them. Pure functions (tested with node --test).

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });

export const MISSING = "—";

// The owner's time zone (Settings), or undefined: the browser's. Every date names its zone either way.
let ownerZone;

/** Show dates in `zone` (an IANA name) from now on; a zone this browser does not know, or none, is its own. */
export function useTimeZone(zone) {
  ownerZone = isTimeZone(zone) ? zone : undefined;
  return ownerZone;
}

/** The zone dates are shown in: the owner's, or the browser's. */
export function displayZone() {
  return ownerZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function isTimeZone(zone) {
  if (typeof zone !== "string" || !zone) return false;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function isNumber(value) {
  return typeof value === "number" && Number.isFinite(value);
}

/** 1234 -> "1,234"; 12.345 -> "12.3"; a missing value -> "—". */
export function formatNumber(value) {
  if (!isNumber(value)) return MISSING;
  return Number.isInteger(value) ? integer.format(value) : decimal.format(value);
}

/**
 * A count of people: "about 1,234" when it is an estimate (analytics' `listeners_about`: a
 * range's people merged from daily sketches), else the number as formatNumber shows it.
 */
export function formatPeople(value, about = false) {
  const shown = formatNumber(value);
  return about && shown !== MISSING ? `about ${shown}` : shown;
}

/** 0.1234 -> "12.3%". */
export function formatPercent(value) {
  return isNumber(value) ? percent.format(value) : MISSING;
}

/** A share a/b as a percentage, or "—" when b is 0 or unknown. */
export function formatShare(part, whole) {
  return isNumber(part) && isNumber(whole) && whole > 0 ? percent.format(part / whole) : MISSING;
}

export function formatDate(iso) {
  const date = parseDate(iso);
  return date
    ? date.toLocaleDateString(undefined, {
        year: "numeric",
        month: "short",
        day: "numeric",
        timeZoneName: "short",
        timeZone: ownerZone,
      })
    : MISSING;
}

export function formatDateTime(iso) {
  const date = parseDate(iso);
  return date
    ? date.toLocaleString(undefined, {
        year: "numeric",
        month: "short",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        timeZoneName: "short",
        timeZone: ownerZone,
      })
    : MISSING;
}

export function formatTime(date) {
  return date.toLocaleTimeString(undefined, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "short",
    timeZone: ownerZone,
  });
}

/**
 * The owner's time zone (IANA name): day points, date pickers and dates use it. The owner's
 * setting (#/settings) when there is one, else the browser's.
 */
export function ownerTimeZone() {
  try {
    return displayZone() || "UTC";
  } catch {
    return "UTC";
  }
}

/**
 * A series point's label, its zone named: "Nov 26 (Europe/Paris)" for days in `dayZone`
 * (the answer's day_zone, "UTC" by default), "Nov 26, 14:00 CET" for hours.
 */
export function formatPoint(iso, granularity, dayZone = "UTC") {
  const date = parseDate(iso);
  if (!date) return String(iso ?? "");
  if (granularity === "hour") {
    return date.toLocaleString(undefined, {
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZoneName: "short",
      timeZone: ownerZone,
    });
  }
  const zone = safeZone(dayZone);
  return `${date.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: zone })} ${zone === "UTC" ? "UTC" : `(${zone})`}`;
}

function safeZone(zone) {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return zone;
  } catch {
    return "UTC";
  }
}

/** How far the clock of `zone` is ahead of UTC at `date`, in milliseconds. */
function offsetMs(date, zone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: safeZone(zone),
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(date)
      .map((part) => [part.type, part.value]),
  );
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wall - Math.floor(date.getTime() / 1000) * 1000;
}

/** "YYYY-MM-DD" of a Date in `zone`. */
export function zoneDay(date, zone = "UTC") {
  return new Date(date.getTime() + offsetMs(date, zone)).toISOString().slice(0, 10);
}

/** The instant a "YYYY-MM-DD" day starts in `zone` (DST days included). */
export function zoneMidnight(day, zone = "UTC") {
  const wall = Date.parse(`${day}T00:00:00Z`);
  let at = wall - offsetMs(new Date(wall), zone);
  at = wall - offsetMs(new Date(at), zone); // the offset at midnight itself, not at midnight UTC
  return new Date(at);
}

/** "YYYY-MM-DD" + n days. */
export function addDays(day, n) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** "5 minutes ago", "3 hours ago", "2 days ago". */
export function formatAgo(iso, now = new Date()) {
  const date = parseDate(iso);
  if (!date) return MISSING;
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  if (Math.abs(seconds) < 60) return relative.format(-seconds, "second");
  const minutes = Math.round(seconds / 60);
  if (Math.abs(minutes) < 60) return relative.format(-minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 48) return relative.format(-hours, "hour");
  return relative.format(-Math.round(hours / 24), "day");
}

export function parseDate(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** An ISO timestamp -> the value of an <input type="datetime-local"> in the browser's time zone. */
export function toLocalInput(iso) {
  const date = parseDate(iso);
  if (!date) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** An <input type="datetime-local"> value (local time) -> ISO 8601 in UTC, or null when empty/invalid. */
export function fromLocalInput(value) {
  if (!value) return null;
  const date = new Date(value); // a date-time without an offset is local time
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** "YYYY-MM-DD" of a Date, in UTC (the API's days are UTC days). */
export function utcDay(date) {
  return date.toISOString().slice(0, 10);
}

/** The name of a country from its ISO code ("DE" -> "Germany"); other values unchanged. */
export function countryName(code) {
  if (typeof code !== "string" || !/^[A-Z]{2}$/.test(code)) return code;
  try {
    return new Intl.DisplayNames(undefined, { type: "region" }).of(code) ?? code;
  } catch {
    return code;
  }
}
