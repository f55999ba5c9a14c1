"""The few HTML pages listeners see: small, self-contained, escaped, no scripts.

Every dynamic string goes through html.escape; the Content-Security-Policy
allows no script, no frame and no external resource at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:2rem 1rem;background:#121212;color:#eee}"
    "main{max-width:34rem;margin:auto}h1{font-size:1.4rem}a{color:#1ed760}"
    ".button{display:inline-block;margin-top:1rem;padding:.6rem 1.2rem;border-radius:2rem;"
    "background:#1ed760;color:#000;text-decoration:none;font-weight:600}"
)


@dataclass(frozen=True)
class Link:
    href: str
    text: str
    button: bool = False


@dataclass(frozen=True)
class Page:
    status: int
    title: str
    paragraphs: tuple[str, ...] = ()
    links: tuple[Link, ...] = field(default_factory=tuple)
    lists: tuple[tuple[str, ...], ...] = ()
    lang: str = "en"

    def html(self) -> str:
        parts = [f"<h1>{escape(self.title)}</h1>"]
        parts += [f"<p>{escape(text)}</p>" for text in self.paragraphs]
        for items in self.lists:
            parts.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>")
        for link in self.links:
            css = ' class="button"' if link.button else ""
            parts.append(f'<p><a{css} href="{escape(link.href, quote=True)}">{escape(link.text)}</a></p>')
        return document(self.lang, self.title, "".join(parts))

    def response(self, *, head: bool = False, cookies: list[str] | None = None) -> dict:
        """The page as an API Gateway payload 2.0 response."""
        return html_response(self.status, "" if head else self.html(), cookies=cookies, language=self.lang)


def document(lang: str, title: str, body_html: str, style: str = "") -> str:
    """A whole page around `body_html` (already escaped)."""
    return (
        f'<!doctype html><html lang="{escape(lang, quote=True)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)} · Soundlink</title><style>{_STYLE}{style}</style></head>"
        f"<body><main>{body_html}</main></body></html>"
    )


def html_response(
    status: int,
    body: str,
    *,
    cookies: list[str] | None = None,
    language: str = "en",
    csp: str = CONTENT_SECURITY_POLICY,
) -> dict:
    response = {
        "statusCode": status,
        "headers": {
            "Content-Type": "text/html; charset=utf-8",
            **SECURITY_HEADERS,
            "Content-Security-Policy": csp,
            "Content-Language": language,
            "Vary": "Accept-Language, Cookie",
        },
        "body": body,
    }
    if cookies:
        response["cookies"] = cookies
    return response


def redirect(location: str, *, status: int = 302, cookies: list[str] | None = None) -> dict:
    response = {
        "statusCode": status,
        "headers": {"Location": location, **SECURITY_HEADERS},
        "body": "",
    }
    if cookies:
        response["cookies"] = cookies
    return response
