"""The README's privacy section is what GET /privacy tells a listener, word for word."""

from __future__ import annotations

import re
from pathlib import Path

from local.cfn import cached_template
from soundlink.consent.privacy import privacy_texts

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "## Privacy: what `/privacy` tells a listener"


def _section() -> str:
    text = README.read_text()
    start = text.index(HEADING) + len(HEADING)
    end = text.index("\n**What makes it true on AWS.**", start)
    body = re.sub(r"<!--.*?-->", "", text[start:end], flags=re.S)
    return " ".join(body.split())


def test_the_readme_says_what_the_privacy_page_says_word_for_word():
    days = cached_template()["Parameters"]["ClickRetentionDays"]["Default"]
    texts = privacy_texts(int(days))
    expected = " ".join([*texts[:2], *(f"- {item}" for item in texts[2:])])
    assert _section() == " ".join(expected.split())
