"""The listener's language: Accept-Language picks one catalogue; English is the fallback.

Messages live in gettext catalogues, one per language, under
soundlink/platform/locale/<lang>/LC_MESSAGES/soundlink.po (edited by people)
and .mo (compiled by `make catalogues` with Babel, committed, so `sam build`
copies them as they are and nothing compiles at deploy time; a test keeps
each .mo equal to its .po). At run time only the standard library's gettext
reads them, and only the one catalogue a request needs, once per container.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

DOMAIN = "soundlink"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "en"
LANGUAGES = ("en", "es", "pt", "fr", "de")
MAX_HEADER = 256  # longer Accept-Language headers are cut before they are parsed


def negotiate(accept_language: str | None) -> str:
    """The supported language the listener prefers most (q-values honoured), else English."""
    best, best_q = DEFAULT, 0.0
    for part in (accept_language or "")[:MAX_HEADER].split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().split("-")[0].lower()
        if primary not in LANGUAGES:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                continue
        # Equal weights keep the header's order (earlier wins).
        if q > best_q and 0.0 < q <= 1.0:
            best, best_q = primary, q
    return best


@lru_cache(maxsize=len(LANGUAGES))
def translator(language: str) -> gettext.NullTranslations:
    """The catalogue of `language` (English: the messages as written)."""
    if language not in LANGUAGES or language == DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def for_request(headers: dict[str, str]) -> tuple[str, gettext.NullTranslations]:
    """(language, its translator) for a request's lower-case headers."""
    language = negotiate(headers.get("accept-language"))
    return language, translator(language)
