"""An owner's settings: the time zone dates are shown in, and the currency costs are in.

One small item per owner (OWNER#{owner} / SETTINGS, platform/tables.py). Unset
values are None: the dashboard then uses the browser's zone and no currency.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import lru_cache

from soundlink.platform.tables import OwnerSettingsItem

# ISO 4217 codes legal tender somewhere on 2026-12-01 (from the Unicode CLDR, through Babel).
CURRENCIES = frozenset(
    (
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    )
)
MAX_ZONE_LENGTH = 64  # the longest IANA name is 32 characters


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """The IANA zone names this runtime knows (tzdata), read once per container."""
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(value: str) -> str:
    """The zone name as given if it is an IANA zone; ValueError with a sentence otherwise.

    Checked against the list of zones, never by opening the name as a file
    (ZoneInfo would take "../" paths as far as it can)."""
    if value not in time_zones():
        shown = value if len(value) <= MAX_ZONE_LENGTH else value[:MAX_ZONE_LENGTH] + "…"
        raise ValueError(
            f"{shown!r} is not a time zone name: use an IANA name such as Europe/Berlin, America/New_York or UTC"
        )
    return value


def check_currency(value: str) -> str:
    code = value.upper() if len(value) == 3 else value
    if code not in CURRENCIES:
        shown = value if len(value) <= 10 else value[:10] + "…"
        raise ValueError(f"{shown!r} is not a currency code: use an ISO 4217 code such as EUR, USD or GBP")
    return code


def get(owner_id: str) -> OwnerSettingsItem | None:
    try:
        return OwnerSettingsItem.get(*OwnerSettingsItem.key(owner_id), consistent_read=True)
    except OwnerSettingsItem.DoesNotExist:
        return None


def save(owner_id: str, *, changes: dict[str, str | None], now: datetime) -> OwnerSettingsItem:
    """Set the values in `changes` (None clears one); the others stay as stored."""
    actions = [OwnerSettingsItem.updated_at.set(now)]
    for name, value in changes.items():
        attribute = getattr(OwnerSettingsItem, name)
        actions.append(attribute.set(value) if value is not None else attribute.remove())
    item = OwnerSettingsItem(*OwnerSettingsItem.key(owner_id))
    item.update(actions=actions)  # one UpdateItem: creates the item on the first save
    return item
