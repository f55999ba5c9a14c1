"""The pages a callback answers with when it cannot finish: each says what happened,
that nothing was saved, and where to go next (in the listener's language)."""

from __future__ import annotations

from dataclasses import dataclass, field
from gettext import NullTranslations

from soundlink.platform.pages import Link, Page
from soundlink.platform.tables import OAuthStateItem
from soundlink.tracking.oauth_state import Purpose, StateRefused


@dataclass(frozen=True)
class Answers:
    api_url: str  # this API's public base URL
    dashboard_url: str
    language: str = "en"
    translations: NullTranslations = field(default_factory=NullTranslations)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def retry_link(self, state: OAuthStateItem | None) -> Link:
        _ = self.gettext
        if state is not None and state.purpose == Purpose.OWNER.value:
            return Link(f"{self.dashboard_url}/", _("Back to the dashboard"), button=True)
        if state is not None and state.purpose == Purpose.DISCONNECT.value:
            return Link(f"{self.api_url}/privacy/disconnect", _("Try again"), button=True)
        if state is not None and state.slug:
            return Link(f"{self.api_url}/c/{state.slug}", _("Try again"), button=True)
        return Link(f"{self.api_url}/privacy", _("About Soundlink"))

    def page(self, status: int, title: str, paragraphs: tuple[str, ...], links: tuple[Link, ...] = ()) -> Page:
        return Page(status, title, paragraphs, links, lang=self.language)

    def refused(self, refusal: StateRefused) -> dict:
        _ = self.gettext
        reasons = {
            "expired": _("This sign-in took too long and has expired."),
            "cookie_mismatch": _("This sign-in was started in another browser or tab."),
        }
        return self.page(
            400,
            _("This link cannot be used"),
            (
                reasons.get(refusal.reason, _("This sign-in link is not valid or was already used.")),
                _("Nothing was saved. Open the campaign link again to start over."),
            ),
            (self.retry_link(refusal.item),),
        ).response()

    def problem(self, state: OAuthStateItem, status: int, what: str) -> dict:
        _ = self.gettext
        return self.page(
            status,
            _("Something went wrong"),
            (what, _("Nothing was saved. Please try again.")),
            (self.retry_link(state),),
        ).response()

    def not_allowlisted(self, state: OAuthStateItem) -> dict:
        _ = self.gettext
        return self.page(
            403,
            _("Spotify has not allowed this account yet"),
            (
                _(
                    "This Soundlink installation is in Spotify's Development Mode, which lets only accounts "
                    "the operator added to its allow-list connect. Nothing was saved."
                ),
                _("Ask the person who shared the link to add your Spotify account, then try again."),
            ),
            (self.retry_link(state),),
        ).response()
