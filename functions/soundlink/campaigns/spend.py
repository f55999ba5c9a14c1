"""What a campaign cost: an amount in one currency, for the whole campaign or per day,
optionally split by UTM source.

Amounts are Decimals from input to storage (stored as text: DynamoDB numbers come
back from PynamoDB as floats); the cost arithmetic is in soundlink/analytics/cost.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

# ISO 4217 currencies in use today (CLDR's tender currencies), by digits after the point.
_BY_DIGITS = {
    2: (
        "AED AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP "
        "CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR "
        "ILS INR JMD KES KGS KHR KYD KZT LKR LRD LSL MAD MDL MKD MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN "
        "NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RUB SAR SBD SCR SDG SEK SGD SHP SLE SRD SSP STN SZL "
        "THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD XCG ZAR ZMW ZWG"
    ),
    0: (
        "AFN ALL BIF CLP DJF GNF IQD IRR ISK JPY KMF KPW KRW LAK LBP MGA MMK PYG RSD RWF SOS SYP UGX VND VUV "
        "XAF XOF XPF YER"
    ),
    3: "BHD JOD KWD LYD OMR TND",
}
CURRENCY_DIGITS: dict[str, int] = {code: digits for digits, codes in _BY_DIGITS.items() for code in codes.split()}
MAX_AMOUNT = Decimal("1000000000")  # a billion: past that it is a typo, not a music campaign
MAX_SOURCES = 20


@dataclass(frozen=True)
class Spend:
    currency: str
    total: Decimal | None = None
    per_day: Decimal | None = None
    # Part of the amount (same basis: total or per day) that went to each utm_source.
    by_source: dict[str, Decimal] = field(default_factory=dict)

    @property
    def amount(self) -> Decimal:
        return self.total if self.total is not None else (self.per_day or Decimal(0))

    def to_json(self) -> str:
        body: dict[str, object] = {"currency": self.currency}
        if self.total is not None:
            body["total"] = str(self.total)
        if self.per_day is not None:
            body["per_day"] = str(self.per_day)
        if self.by_source:
            body["by_source"] = {source: str(amount) for source, amount in self.by_source.items()}
        return json.dumps(body, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Spend | None:
        if not text:
            return None
        body = json.loads(text)

        def amount(name: str) -> Decimal | None:
            return Decimal(body[name]) if body.get(name) is not None else None

        return cls(
            currency=body["currency"],
            total=amount("total"),
            per_day=amount("per_day"),
            by_source={source: Decimal(value) for source, value in (body.get("by_source") or {}).items()},
        )


def check_amount(value: Decimal, currency: str, name: str) -> Decimal:
    """The amount, or ValueError with a message a person can act on."""
    if not value.is_finite():
        raise ValueError(f"{name} must be a number (not NaN or infinity)")
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    if value > MAX_AMOUNT:
        raise ValueError(f"{name} must be at most {MAX_AMOUNT:,} {currency}")
    digits = CURRENCY_DIGITS[currency]
    if value != value.quantize(Decimal(1).scaleb(-digits)):
        raise ValueError(f"{name} has more decimals than {currency} has ({digits})")
    return value
