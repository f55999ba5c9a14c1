"""GET /privacy and GET /privacy/disconnect: what Soundlink keeps about a listener, and how to leave.

The README's privacy section says the same, word for word (a test keeps them equal).
"""

from __future__ import annotations

from gettext import NullTranslations

from soundlink.platform.pages import Link, Page


def privacy_texts(click_retention_days: int, translations: NullTranslations | None = None) -> tuple[str, ...]:
    """The page's paragraphs then its list, in order (the README quotes them)."""
    _ = (translations or NullTranslations()).gettext
    return (
        _(
            "Soundlink measures whether music campaigns lead to real listening. When you follow a campaign "
            "link and connect Spotify, the campaign's owner learns that its link led to plays of its tracks. "
            "The owner never sees who you are."
        ),
        _("What Soundlink keeps about you:"),
        _(
            "Your Spotify account id and display name, and Spotify tokens that let Soundlink read your "
            "recently played tracks (permission user-read-recently-played only), encrypted with AWS KMS."
        ),
        _("Which campaign links you followed and when."),
        _(
            "Plays of a campaign's tracks after you followed its link, within the campaign's attribution "
            "window; plays of other music are read and discarded, never stored."
        ),
        _(
            "For each click on a campaign link: the time, the referring site, campaign tags (UTM), device "
            "type, browser, operating system and country, for %(days)s days."
        )
        % {"days": click_retention_days},
        _(
            "Your IP address is never stored, neither with your clicks nor in Soundlink's access logs: a key "
            "derived from it with a secret that changes every day tells repeated clicks apart on that day only."
        ),
        _(
            "A campaign page sets one cookie for statistics only: a random value, kept 7 days, that tells a "
            "returning browser from a new one. Two more cookies last only while you connect, so that the "
            "browser that started a consent is the one that finishes it."
        ),
        _(
            "In a campaign's export you appear as a code that differs from campaign to campaign and that "
            "nobody can compute from your Spotify account without Soundlink's secret."
        ),
        _(
            "Only if a campaign you joined measures fans (its page says so): for its tracks, their artists "
            "and its playlist, whether you saved or follow each (permissions user-library-read, "
            "user-follow-read, playlist-read-private), kept as yes or no per item, nothing else of your library."
        ),
        _("Campaign totals (counts of clicks, consents and plays) contain no personal data and are kept."),
        _(
            "Soundlink stops reading your listening when every campaign window you joined has closed, when "
            "Spotify refuses its token (6 months after you connected at the latest), or when you disconnect."
        ),
    )


def privacy_page(
    api_url: str, click_retention_days: int, translations: NullTranslations | None = None, language: str = "en"
) -> Page:
    texts = privacy_texts(click_retention_days, translations)
    _ = (translations or NullTranslations()).gettext
    return Page(
        200,
        _("Soundlink and your Spotify data"),
        texts[:2],
        (Link(f"{api_url}/privacy/disconnect", _("Disconnect and delete my data"), button=True),),
        (texts[2:],),
        lang=language,
    )


def disconnect_intro(api_url: str, translations: NullTranslations | None = None, language: str = "en") -> Page:
    _ = (translations or NullTranslations()).gettext
    return Page(
        200,
        _("Disconnect from Soundlink"),
        (
            _(
                "To delete your data, Soundlink asks Spotify who you are: you will sign in to Spotify and "
                "come back here. Soundlink then deletes your tokens, your profile, the plays it stored, their "
                "attributions and your campaign links, and stops reading your listening."
            ),
        ),
        (
            Link(f"{api_url}/privacy/disconnect?confirm=yes", _("Continue with Spotify"), button=True),
            Link(f"{api_url}/privacy", _("What Soundlink keeps")),
        ),
        lang=language,
    )
