"""The HTML consent page: lists users, escapes everything, submits like a browser would."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

from .conftest import LISTENER_SCOPE, REDIRECT_URI

EVIL = '<script>alert("x")</script>'


class FormParser(HTMLParser):
    """Collects the consent form: action, hidden inputs, select options and buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action = None
        self.hidden: dict[str, str] = {}
        self.options: list[tuple[str, str]] = []
        self.buttons: list[tuple[str, str]] = []
        self._option: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action")
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a["value"]
        elif tag == "option":
            self._option, self._text = a["value"], ""
        elif tag == "button":
            self.buttons.append((a["name"], a["value"]))

    def handle_data(self, data):
        if self._option is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            self.options.append((self._option, self._text))
            self._option = None


def open_page(http, emu, app, **extra):
    params = {
        "client_id": app["client_id"],
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": "s1",
        "scope": LISTENER_SCOPE,
        "show_dialog": "true",
        **extra,
    }
    resp = http.get(f"{emu.url}/authorize", params=params, timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    parser = FormParser()
    parser.feed(resp.text)
    return resp, parser


def test_page_lists_users_and_escapes_names(http, emu, ctl, app):
    ctl.create_user(id="alice", display_name="Alice")
    ctl.create_user(id="mallory", display_name=EVIL)
    resp, form = open_page(http, emu, app)
    assert EVIL not in resp.text
    assert "&lt;script&gt;" in resp.text
    values = dict(form.options)
    assert values["alice"] == "Alice (alice)"
    assert values["mallory"] == f"{EVIL} (mallory)"  # parsed back to the original text
    assert "__new__" in values
    assert ("decision", "approve") in form.buttons and ("decision", "deny") in form.buttons
    assert LISTENER_SCOPE in resp.text


def test_request_parameters_are_escaped_in_hidden_fields(http, emu, app):
    hostile_state = '"><script>alert(1)</script>'
    resp, form = open_page(http, emu, app, state=hostile_state)
    assert "<script>alert(1)</script>" not in resp.text
    assert form.hidden["state"] == hostile_state
    assert form.hidden["redirect_uri"] == REDIRECT_URI


def test_submitting_the_form_approves_as_the_picked_user(http, emu, ctl, app, api):
    ctl.create_user(id="alice", display_name="Alice")
    _, form = open_page(http, emu, app)
    resp = http.post(
        emu.url + form.action,
        data={**form.hidden, "login_as": "alice", "decision": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302
    q = parse_qs(urlparse(resp.headers["Location"]).query)
    assert q["state"] == ["s1"]
    tokens = ctl.token(
        {"grant_type": "authorization_code", "code": q["code"][0], "redirect_uri": REDIRECT_URI},
        app["client_id"],
        app["client_secret"],
    )
    assert api(tokens["access_token"], "/me").json()["id"] == "alice"


def test_submitting_deny(http, emu, ctl, app):
    ctl.create_user(id="alice")
    _, form = open_page(http, emu, app)
    resp = http.post(
        emu.url + form.action,
        data={**form.hidden, "login_as": "alice", "decision": "deny"},
        allow_redirects=False,
        timeout=10,
    )
    assert parse_qs(urlparse(resp.headers["Location"]).query) == {"error": ["access_denied"], "state": ["s1"]}


def test_creating_a_user_from_the_page(http, emu, ctl, app, api):
    _, form = open_page(http, emu, app)
    resp = http.post(
        emu.url + form.action,
        allow_redirects=False,
        timeout=10,
        data={**form.hidden, "login_as": "__new__", "new_user_name": "Nina <New>", "decision": "approve"},
    )
    assert resp.status_code == 302
    users = ctl.call("GET", "/_emulator/users")["items"]
    assert [u["display_name"] for u in users] == ["Nina <New>"]
    code = parse_qs(urlparse(resp.headers["Location"]).query)["code"][0]
    tokens = ctl.token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        app["client_id"],
        app["client_secret"],
    )
    me = api(tokens["access_token"], "/me").json()
    assert me["id"] == users[0]["id"]
    assert me["display_name"] == "Nina <New>"


def test_new_user_without_a_name_shows_the_page_again(http, emu, app):
    _, form = open_page(http, emu, app)
    resp = http.post(
        emu.url + form.action,
        data={**form.hidden, "login_as": "__new__", "decision": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 200
    assert "Pick a user or create one." in resp.text


def test_login_as_without_decision_preselects_the_user(http, emu, ctl, app):
    ctl.create_user(id="alice")
    ctl.create_user(id="bob")
    resp, _ = open_page(http, emu, app, login_as="bob")
    assert '<option value="bob" selected>' in resp.text


def test_an_existing_user_is_picked_by_default(http, emu, ctl, app):
    empty, _form = open_page(http, emu, app)
    assert 'value="__new__" selected' in empty.text  # nobody to pick yet
    ctl.create_user(id="alice", display_name="Alice")
    ctl.create_user(id="bob", display_name="Bob")
    resp, _form = open_page(http, emu, app)
    assert '<option value="alice" selected>' in resp.text
    assert 'value="__new__" selected' not in resp.text
