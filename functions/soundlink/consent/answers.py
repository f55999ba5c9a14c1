"""The pages a callback answers with when it cannot finish: each says what happened,
that nothing was saved, and where to go next."""

from __future__ import annotations

from dataclasses import dataclass

from soundlink.platform.pages import Link, Page
from soundlink.platform.tables import OAuthStateItem
from soundlink.tracking.oauth_state import Purpose, StateRefused


@dataclass(frozen=True)
class Answers:
    api_url: str  # this API's public base URL
    dashboard_url: str

    def retry_link(self, state: OAuthStateItem | None) -> Link:
        if state is not None and state.purpose == Purpose.OWNER.value:
            return Link(f"{self.dashboard_url}/", "Back to the dashboard", button=True)
        if state is not None and state.purpose == Purpose.DISCONNECT.value:
            return Link(f"{self.api_url}/privacy/disconnect", "Try again", button=True)
        if state is not None and state.slug:
            return Link(f"{self.api_url}/c/{state.slug}", "Try again", button=True)
        return Link(f"{self.api_url}/privacy", "About Soundlink")

    def refused(self, refusal: StateRefused) -> dict:
        reasons = {
            "expired": "This sign-in took too long and has expired.",
            "cookie_mismatch": "This sign-in was started in another browser or tab.",
        }
        page = Page(
            400,
            "This link cannot be used",
            (
                reasons.get(refusal.reason, "This sign-in link is not valid or was already used."),
                "Nothing was saved. Open the campaign link again to start over.",
            ),
            (self.retry_link(refusal.item),),
        )
        return page.response()

    def problem(self, state: OAuthStateItem, status: int, what: str) -> dict:
        return Page(
            status,
            "Something went wrong",
            (what, "Nothing was saved. Please try again."),
            (self.retry_link(state),),
        ).response()

    def not_allowlisted(self, state: OAuthStateItem) -> dict:
        return Page(
            403,
            "Spotify has not allowed this account yet",
            (
                "This Soundlink installation is in Spotify's Development Mode, which lets only accounts "
                "the operator added to its allow-list connect. Nothing was saved.",
                "Ask the person who shared the link to add your Spotify account, then try again.",
            ),
            (self.retry_link(state),),
        ).response()
