"""Listener pages speak en, es, pt, fr, de (issue 13): Accept-Language picks one gettext
catalogue; the compiled .mo files are committed and equal to their .po sources."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from soundlink.platform.i18n import LANGUAGES, LOCALE_DIR, negotiate, translator

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [language for language in LANGUAGES if language != "en"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("es", "es"),
        ("pt-BR,pt;q=0.9,en;q=0.8", "pt"),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "fr"),
        ("ja,de;q=0.5", "de"),
        ("en;q=0.2,de;q=0.9", "de"),
        ("DE-at", "de"),
        ("ja, zh", "en"),
        ("es;q=0", "en"),
        ("es;q=abc,fr;q=0.1", "fr"),
        ("x" * 10_000 + ",de", "en"),  # only the first 256 characters are read
    ],
)
def test_the_listeners_language_comes_from_accept_language(header, expected):
    assert negotiate(header) == expected


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_compiled_catalogue_equals_its_po_and_translates_every_message(language):
    po = LOCALE_DIR / language / "LC_MESSAGES" / "soundlink.po"
    with po.open("rb") as source:
        catalogue = read_po(source, locale=language)
    untranslated = [message.id for message in catalogue if message.id and not message.string]
    assert untranslated == [], f"{po}: run `make catalogues` and translate: {untranslated}"
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    mo = po.with_suffix(".mo")
    assert mo.read_bytes() == compiled.getvalue(), f"{mo} is stale: run `make catalogues`"


def test_every_message_in_the_code_is_in_every_catalogue(tmp_path):
    template = tmp_path / "soundlink.pot"
    extracted = subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(template),
            "--no-location",
            "functions/soundlink",
            "functions/oauth_callback",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert extracted.returncode == 0, extracted.stderr
    with template.open("rb") as source:
        wanted = {message.id for message in read_po(source) if message.id}
    assert len(wanted) > 40
    for language in TRANSLATED:
        with (LOCALE_DIR / language / "LC_MESSAGES" / "soundlink.po").open("rb") as source:
            have = {message.id for message in read_po(source) if message.id}
        assert wanted <= have, f"{language} lacks {sorted(wanted - have)}: run `make catalogues`"


def test_placeholders_survive_translation():
    for language in TRANSLATED:
        with (LOCALE_DIR / language / "LC_MESSAGES" / "soundlink.po").open("rb") as source:
            for message in read_po(source, locale=language):
                for placeholder in ("%(days)s", "%(name)s"):
                    if message.id and placeholder in message.id:
                        assert placeholder in message.string, (language, message.id)
        assert "Owls" in translator(language).gettext("Presented by %(name)s") % {"name": "Owls"}


def test_english_is_the_messages_as_written():
    assert translator("en").gettext("Connect Spotify") == "Connect Spotify"
    assert translator("de").gettext("Connect Spotify") == "Spotify verbinden"
    assert translator("xx").gettext("Connect Spotify") == "Connect Spotify"
