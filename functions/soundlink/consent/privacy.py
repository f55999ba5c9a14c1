"""GET /privacy and GET /privacy/disconnect: what Soundlink keeps about a listener, and how to leave."""

from __future__ import annotations

from soundlink.platform.pages import Link, Page


def privacy_page(api_url: str, click_retention_days: int) -> Page:
    return Page(
        200,
        "Soundlink and your Spotify data",
        (
            "Soundlink measures whether music campaigns lead to real listening. When you follow a campaign "
            "link and connect Spotify, the campaign's owner learns that its link led to plays of its tracks. "
            "The owner never sees who you are.",
            "What Soundlink keeps about you:",
        ),
        (Link(f"{api_url}/privacy/disconnect", "Disconnect and delete my data", button=True),),
        (
            (
                "Your Spotify account id and display name, and Spotify tokens that let Soundlink read your "
                "recently played tracks (permission user-read-recently-played only), encrypted with AWS KMS.",
                "Which campaign links you followed and when.",
                "Plays of a campaign's tracks after you followed its link, within the campaign's attribution "
                "window; plays of other music are read and discarded, never stored.",
                f"For each click on a campaign link: the time, the referring site, campaign tags (UTM), device "
                f"type, browser, operating system and country, for {click_retention_days} days. Your IP address "
                "is never stored: a key derived from it with a secret that changes every day tells repeated "
                "clicks apart on that day only.",
                "Campaign totals (counts of clicks, consents and plays) contain no personal data and are kept.",
                "Soundlink stops reading your listening when every campaign window you joined has closed, when "
                "Spotify refuses its token (6 months after you connected at the latest), or when you disconnect.",
            ),
        ),
    )


def disconnect_intro(api_url: str) -> Page:
    return Page(
        200,
        "Disconnect from Soundlink",
        (
            "To delete your data, Soundlink asks Spotify who you are: you will sign in to Spotify and "
            "come back here. Soundlink then deletes your tokens, your profile, the plays it stored, their "
            "attributions and your campaign links, and stops reading your listening.",
        ),
        (
            Link(f"{api_url}/privacy/disconnect?confirm=yes", "Continue with Spotify", button=True),
            Link(f"{api_url}/privacy", "What Soundlink keeps"),
        ),
    )
