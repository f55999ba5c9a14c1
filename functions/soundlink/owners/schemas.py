"""The owner API's shapes of settings and account deletion (pydantic, with their input rules)."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field, StrictStr, field_validator

from soundlink.owners.preferences import CURRENCIES, check_currency, check_time_zone
from soundlink.platform.schema import Schema

MAX_EMAIL_LENGTH = 320


class SettingsUpdate(Schema):
    """Only the fields sent change; null clears one (the dashboard then uses the browser's zone)."""

    model_config = ConfigDict(extra="forbid")

    time_zone: StrictStr | None = Field(
        default=None, max_length=200, description="IANA time zone name, e.g. Europe/Berlin", examples=["Europe/Berlin"]
    )
    currency: StrictStr | None = Field(
        default=None, max_length=200, description="ISO 4217 currency code, e.g. EUR", examples=["EUR"]
    )

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_time_zone(value)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else check_currency(value)


class OwnerSettings(Schema):
    time_zone: str | None = Field(description="IANA name; null: not set (the dashboard uses the browser's)")
    currency: str | None = Field(description="ISO 4217 code; null: not set")
    updated_at: datetime | None = None
    currencies: list[str] = Field(
        default_factory=lambda: sorted(CURRENCIES), description="The currency codes this API accepts"
    )


class AccountDeletion(Schema):
    model_config = ConfigDict(extra="forbid")

    confirm_email: StrictStr = Field(
        min_length=1,
        max_length=MAX_EMAIL_LENGTH,
        description="Your account's email address, typed to confirm: everything you own is deleted",
    )


class DeletionInProgress(Schema):
    status: str = Field(description="in_progress: call DELETE /owner again (same body) to go on")
    message: str
    campaigns_deleted: int
