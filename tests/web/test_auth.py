"""Accounts: sign-in and throttling, session cookies, sign-out, API tokens (hashed,
scoped, revocable, expiring), the ``nucsec token`` commands, and their audit events."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from nucsec.audit.queries import query_events
from nucsec.cli import main
from nucsec.demo import DEMO_PASSWORD
from nucsec.node import Node
from nucsec.web.app import create_app
from nucsec.web.auth import MAX_ADDRESS_FAILURES, MAX_USER_FAILURES
from nucsec.web.tables import api_tokens, web_sessions
from tests.web.conftest import TestClient, bearer, client_of, csrf_of, sign_in


def _actions(node: Node) -> list[tuple[str, str]]:
    with node.engine.connect() as conn:
        events, _ = query_events(conn, limit=100_000)
    return [(e.event.action, e.event.outcome) for e in events]


def _post_login(client, username: str, password: str):  # type: ignore[no-untyped-def]
    client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "login_token": client.cookies.get("nucsec_login") or "",
        },
        follow_redirects=False,
    )


def test_sign_in_sets_a_strict_httponly_cookie_and_is_audited(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    r = _post_login(client, "doe.analyst", DEMO_PASSWORD)
    assert r.status_code == 303
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("nucsec_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie
    assert ("auth.login", "success") in _actions(fresh_node)


def test_secure_cookie_behind_tls(fresh_node: Node) -> None:
    fresh_node.settings = replace(fresh_node.settings, secure_cookies=True)
    client = TestClient(create_app(fresh_node), base_url="https://127.0.0.1:8700")
    r = _post_login(client, "doe.analyst", DEMO_PASSWORD)
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("nucsec_session="))
    assert "Secure" in cookie
    assert "strict-transport-security" in r.headers


def test_wrong_password_and_unknown_user_get_the_same_answer(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    wrong = _post_login(client, "doe.analyst", "not the password")
    unknown = _post_login(client, "nobody.here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "wrong user name or password" in wrong.text
    assert "wrong user name or password" in unknown.text
    assert "nucsec_session" not in client.cookies
    assert _actions(fresh_node).count(("auth.login_failed", "failure")) == 2


def test_login_without_the_form_token_is_refused(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    r = client.post(
        "/login",
        data={"username": "doe.analyst", "password": DEMO_PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "nucsec_session" not in client.cookies


def test_throttling_per_user_then_released_after_the_window(fresh_node: Node) -> None:
    t0 = fresh_node.clock()
    fresh_node.clock = lambda: t0
    client = client_of(fresh_node)
    for _ in range(MAX_USER_FAILURES):
        assert _post_login(client, "npa.analyst", "guess").status_code == 401
    blocked = _post_login(client, "npa.analyst", DEMO_PASSWORD)  # even the right password
    assert blocked.status_code == 429
    assert "try again in about 15 minutes" in blocked.text  # a human duration, not "898 s"
    assert ("auth.login_failed", "denied") in _actions(fresh_node)
    other = _post_login(client_of(fresh_node), "doe.analyst", DEMO_PASSWORD)
    assert other.status_code == 303, "other users are not locked out"
    fresh_node.clock = lambda: t0 + timedelta(minutes=16)
    assert _post_login(client, "npa.analyst", DEMO_PASSWORD).status_code == 303


def test_throttling_per_address(fresh_node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_ADDRESS_FAILURES > MAX_USER_FAILURES
    monkeypatch.setattr("nucsec.web.auth.MAX_ADDRESS_FAILURES", MAX_USER_FAILURES + 2)  # faster
    client = client_of(fresh_node)
    for i in range(MAX_USER_FAILURES + 2):
        assert _post_login(client, f"guess{i}", "guess").status_code == 401
    assert _post_login(client, "doe.analyst", DEMO_PASSWORD).status_code == 429


def _concurrent_attempts(
    node: Node, monkeypatch: pytest.MonkeyPatch, usernames: list[str]
) -> tuple[int, list[int]]:
    """Wrong passwords for ``usernames``, all at once (16 threads, each request on its own
    event loop against one app and database), from one address. Returns how many
    passwords were checked and the statuses."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from nucsec.web import auth

    checked, lock = [0], threading.Lock()
    real = auth.verify_password

    def counting(stored: str, password: str) -> bool:
        with lock:
            checked[0] += 1
        time.sleep(0.02)  # a slow verification widens any race window
        return real(stored, password)

    monkeypatch.setattr(auth, "verify_password", counting)
    client = client_of(node)

    def attempt(username: str) -> int:
        form = {"username": username, "password": "wrong guess", "login_token": "t"}
        headers = {"Cookie": "nucsec_login=t"}
        return client.post("/login", data=form, headers=headers).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(attempt, usernames))
    return checked[0], statuses


def test_concurrent_guesses_for_one_user_are_checked_at_most_the_limit(
    fresh_node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """60 simultaneous wrong passwords for one user: each attempt is reserved before the
    password is verified, so at most the limit are checked (the review saw all 60)."""
    checked, statuses = _concurrent_attempts(fresh_node, monkeypatch, ["npa.analyst"] * 60)
    assert checked <= MAX_USER_FAILURES, checked
    assert statuses.count(401) == checked and statuses.count(429) == 60 - checked


def test_concurrent_guesses_from_one_address_are_checked_at_most_the_limit(
    fresh_node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """80 simultaneous wrong passwords from one address for 80 user names: at most the
    address limit are checked (the review saw 26 of a limit of 20)."""
    names = [f"guess{i}" for i in range(80)]
    checked, statuses = _concurrent_attempts(fresh_node, monkeypatch, names)
    assert checked <= MAX_ADDRESS_FAILURES, checked
    assert statuses.count(401) == checked and statuses.count(429) == 80 - checked


def test_sign_out_needs_csrf_and_ends_the_session(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "doe.analyst")
    assert client.post("/logout", data={"x": "1"}, follow_redirects=False).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert ("auth.logout", "success") in _actions(fresh_node)


def test_session_expires(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    sign_in(client, "doe.analyst")
    later = fresh_node.clock() + timedelta(hours=fresh_node.settings.session_hours + 1)
    fresh_node.clock = lambda: later
    assert client.get("/", follow_redirects=False).status_code == 303


def test_disabled_user_loses_session_and_tokens(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    sign_in(client, "npa.analyst")
    headers = bearer(fresh_node, "npa.analyst")
    officer = client_of(fresh_node)
    csrf = sign_in(officer, "jpn.security")
    page = officer.get("/admin/users/npa.analyst").text
    assert 'name="active"' in page
    r = officer.post(
        "/admin/users/npa.analyst",
        data={
            "csrf_token": csrf,
            "agency": "JPN.NPA",
            "clearance": "GOKUHI",
            "roles": ["analyst"],
            "compartments": ["FORENSICS"],
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    # the officer is told what happened, and can undo it in one step
    shown = officer.get(r.headers["location"]).text
    assert "User disabled: their sessions ended" in shown and 'id="undo"' in shown
    undo = officer.post(
        "/admin/users/npa.analyst/active",
        data={"csrf_token": csrf, "active": "on"},
        follow_redirects=False,
    )
    assert undo.status_code == 303
    assert "User enabled again" in officer.get(undo.headers["location"]).text
    assert _post_login(client_of(fresh_node), "npa.analyst", DEMO_PASSWORD).status_code == 303
    form = _officer_form(csrf)
    saved = officer.post("/admin/users/npa.analyst", data=form, follow_redirects=True)
    assert "Changes saved." in saved.text and 'id="undo"' not in saved.text


def _officer_form(csrf: str, **extra: str) -> dict[str, object]:
    """The admin form for npa.analyst as it stands (active), plus ``extra``."""
    return {
        "csrf_token": csrf,
        "agency": "JPN.NPA",
        "clearance": "GOKUHI",
        "roles": ["analyst"],
        "compartments": ["FORENSICS"],
        "active": "on",
        **extra,
    }


def test_a_password_reset_ends_sessions_and_tokens(fresh_node: Node) -> None:
    """A security officer resets npa.analyst's password: the sessions and API tokens
    opened with the old one stop working at once (the review kept using both)."""
    client = client_of(fresh_node)
    sign_in(client, "npa.analyst")
    headers = bearer(fresh_node, "npa.analyst")
    officer = client_of(fresh_node)
    csrf = sign_in(officer, "jpn.security")
    form = _officer_form(csrf, password="a new password of 2026")
    r = officer.post("/admin/users/npa.analyst", data=form, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303  # to the sign-in form
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    fresh = client_of(fresh_node)
    assert _post_login(fresh, "npa.analyst", "a new password of 2026").status_code == 303
    from nucsec.service.users import principal_of

    npa = principal_of(fresh_node, "npa.analyst").id
    with fresh_node.engine.connect() as conn:
        revoked = conn.execute(
            select(api_tokens.c.revoked_at).where(api_tokens.c.user_id == npa)
        ).scalars()
        assert all(t is not None for t in revoked)


def test_a_disabled_account_stays_signed_out_when_enabled_again(fresh_node: Node) -> None:
    """Disabling ends the user's sessions and tokens: enabling the account again (API or
    page) does not bring them back (the review found them working again)."""
    client = client_of(fresh_node)
    sign_in(client, "npa.analyst")
    headers = bearer(fresh_node, "npa.analyst")
    api = client_of(fresh_node)
    officer = bearer(fresh_node, "jpn.security", ("read", "write", "admin"))
    for active in (False, True):
        r = api.patch("/api/v1/users/npa.analyst", headers=officer, json={"active": active})
        assert r.status_code == 200, r.text
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    with fresh_node.engine.connect() as conn:
        sessions = conn.execute(select(web_sessions.c.user_id)).scalars().all()
    from nucsec.service.users import principal_of

    assert principal_of(fresh_node, "npa.analyst").id not in sessions


def test_no_secret_is_stored(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    sign_in(client, "doe.analyst")
    cookie = client.cookies["nucsec_session"]
    token = bearer(fresh_node, "doe.analyst")["Authorization"].split()[1]
    with fresh_node.engine.connect() as conn:
        stored = [
            str(v) for t in (web_sessions, api_tokens) for r in conn.execute(select(t)) for v in r
        ]
    assert stored
    assert not any(cookie in v or token in v for v in stored)


def test_token_scopes_bound_what_it_may_do(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    read_only = bearer(fresh_node, "doe.analyst", ("read",))
    assert client.get("/api/v1/documents", headers=read_only).status_code == 200
    r = client.post(
        "/api/v1/documents",
        headers=read_only,
        json={"title": "x", "body": "y", "label": "UNCLASSIFIED"},
    )
    assert r.status_code == 403
    assert "write" in r.json()["message"]


@pytest.mark.parametrize(
    "header",
    ["Basic ZG9lOnB3", "Bearer", "Token abc", "Bearer nsk_not-a-real-token"],
    ids=["basic", "empty-bearer", "other-scheme", "unknown-token"],
)
def test_bad_authorization_headers_get_401(fresh_node: Node, header: str) -> None:
    r = client_of(fresh_node).get("/api/v1/documents", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"] == "unauthenticated"


def test_token_in_query_string_is_not_accepted(fresh_node: Node) -> None:
    token = bearer(fresh_node, "doe.analyst")["Authorization"].split()[1]
    r = client_of(fresh_node).get("/api/v1/documents", params={"token": token})
    assert r.status_code == 401


def test_expired_token_is_refused(fresh_node: Node) -> None:
    from nucsec.service.users import get_user
    from nucsec.web.tokens import issue_token

    with fresh_node.engine.begin() as conn:
        secret, _ = issue_token(
            fresh_node, conn, get_user(conn, "doe.analyst"), expires_days=1, actor="test"
        )
    client = client_of(fresh_node)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    later = fresh_node.clock() + timedelta(days=2)
    fresh_node.clock = lambda: later
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_use_is_recorded_at_most_every_few_minutes(fresh_node: Node) -> None:
    from nucsec.web.tokens import LAST_USED_RESOLUTION

    headers = bearer(fresh_node, "doe.analyst")
    client = client_of(fresh_node)

    def last_used() -> object:
        with fresh_node.engine.connect() as conn:
            return conn.execute(select(api_tokens.c.last_used_at)).scalar_one()

    assert last_used() is None
    t0 = fresh_node.clock()
    fresh_node.clock = lambda: t0
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    first = last_used()
    assert first is not None
    soon = t0 + LAST_USED_RESOLUTION / 2
    fresh_node.clock = lambda: soon
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert last_used() == first  # authentication stayed a read
    later = t0 + LAST_USED_RESOLUTION * 2
    fresh_node.clock = lambda: later
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert last_used() != first


def _token_ids(node: Node, username: str) -> list[str]:
    from nucsec.service.users import get_user
    from nucsec.web.tokens import list_tokens

    with node.engine.connect() as conn:
        return [t.id for t in list_tokens(conn, get_user(conn, username).id) if not t.revoked_at]


def test_acting_on_others_tokens_needs_the_admin_scope_and_role(fresh_node: Node) -> None:
    """A security officer's read-scope token neither lists nor revokes another user's
    tokens (the review revoked and listed them with one); with the admin scope it does.
    Revoking one's own token needs the write scope."""
    client = client_of(fresh_node)
    bearer(fresh_node, "doe.analyst")
    victim = _token_ids(fresh_node, "doe.analyst")[0]
    officer_read = bearer(fresh_node, "usa.security", ("read",))
    listed = client.get("/api/v1/tokens", params={"user": "doe.analyst"}, headers=officer_read)
    assert listed.status_code == 403
    revoked = client.delete(f"/api/v1/tokens/{victim}", headers=officer_read)
    assert revoked.status_code == 403
    assert victim in _token_ids(fresh_node, "doe.analyst")
    # an analyst's read-only token does not revoke even its own token
    analyst_read = bearer(fresh_node, "doe.analyst", ("read",))
    (own,) = set(_token_ids(fresh_node, "doe.analyst")) - {victim}
    assert client.delete(f"/api/v1/tokens/{own}", headers=analyst_read).status_code == 403
    assert own in _token_ids(fresh_node, "doe.analyst")
    # the write scope revokes one's own; the admin scope (and role) anyone's
    analyst_write = bearer(fresh_node, "doe.analyst", ("read", "write"))
    assert client.delete(f"/api/v1/tokens/{own}", headers=analyst_write).status_code == 200
    officer_admin = bearer(fresh_node, "usa.security", ("read", "admin"))
    listed = client.get("/api/v1/tokens", params={"user": "doe.analyst"}, headers=officer_admin)
    assert listed.status_code == 200 and victim in {t["id"] for t in listed.json()}
    assert client.delete(f"/api/v1/tokens/{victim}", headers=officer_admin).status_code == 200
    assert victim not in _token_ids(fresh_node, "doe.analyst")


def test_admin_scope_only_for_security_officers(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    officer = bearer(fresh_node, "usa.security", ("read", "write", "admin"))
    ok = client.post(
        "/api/v1/tokens", headers=officer, json={"user": "usa.security", "scopes": ["admin"]}
    )
    assert ok.status_code == 201
    refused = client.post(
        "/api/v1/tokens", headers=officer, json={"user": "doe.analyst", "scopes": ["admin"]}
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "scope"


def test_token_commands_create_list_revoke(
    fresh_node: Node, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NUCSEC_HOME", str(fresh_node.settings.home))
    monkeypatch.setenv("NUCSEC_DATABASE_URL", fresh_node.settings.database_url)
    assert main(["token", "create", "--user", "npa.analyst", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["token"].startswith("nsk_")
    assert created["scopes"] == ["read", "write"]
    client = client_of(fresh_node)
    headers = {"Authorization": f"Bearer {created['token']}"}
    items = client.get("/api/v1/documents", headers=headers).json()["items"]
    assert items, "the token reads what npa.analyst may read"
    assert main(["token", "list", "--user", "npa.analyst", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["id"] for t in listed] == [created["id"]]
    assert created["token"] not in json.dumps(listed)
    assert main(["token", "revoke", created["id"], "--json"]) == 0
    capsys.readouterr()
    assert client.get("/api/v1/documents", headers=headers).status_code == 401
    actions = _actions(fresh_node)
    assert ("auth.token_issued", "success") in actions


def test_token_create_for_unknown_user_fails_cleanly(
    fresh_node: Node, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NUCSEC_HOME", str(fresh_node.settings.home))
    monkeypatch.setenv("NUCSEC_DATABASE_URL", fresh_node.settings.database_url)
    assert main(["token", "create", "--user", "nobody", "--json"]) == 4
    assert json.loads(capsys.readouterr().err)["error"] == "not_found"


def test_csrf_of_finds_the_session_token(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "doe.analyst")
    assert csrf == csrf_of(client.get("/documents").text)
    other = client_of(fresh_node)
    assert sign_in(other, "doe.analyst") != csrf, "each session has its own token"
