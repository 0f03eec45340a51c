"""Bad input: oversized bodies, malformed JSON, wrong content types, invalid labels,
missing anti-forgery tokens. Each gets a clear 4xx with a message, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from nucsec.node import Node
from nucsec.service.documents import count_documents
from nucsec.service.users import get_user, list_users
from nucsec.web.app import create_app
from tests.web.conftest import TestClient, bearer, sign_in

LIMIT = 4096
GOOD = {"title": "ok", "body": "ok", "label": "SECRET//REL TO USA, JPN"}


@pytest.fixture(scope="module")
def small(demo_node: Node) -> TestClient:
    """The demo node served with a small body limit."""
    node = replace(demo_node, settings=replace(demo_node.settings, max_upload_bytes=LIMIT))
    return TestClient(create_app(node), base_url="http://127.0.0.1:8700")


@pytest.fixture(scope="module")
def doe(demo_node: Node) -> dict[str, str]:
    return bearer(demo_node, "doe.analyst")


def _state(node: Node) -> tuple[int, int]:
    with node.engine.connect() as conn:
        officer = get_user(conn, "usa.security").principal
        users = len(list_users(conn))
    return count_documents(node, officer), users


@pytest.fixture
def unchanged(demo_node: Node) -> Iterator[None]:
    """The test must leave the documents and users as they were."""
    before = _state(demo_node)
    yield
    assert _state(demo_node) == before


def _is_clear(r: Any, status: int) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] and body["message"]
    assert "Traceback" not in r.text


def test_declared_oversized_body_is_413(
    small: TestClient, doe: dict[str, str], unchanged: None
) -> None:
    big = {**GOOD, "body": "x" * (LIMIT * 2)}
    _is_clear(small.post("/api/v1/documents", headers=doe, json=big), 413)


def test_streamed_oversized_body_is_413(
    small: TestClient, doe: dict[str, str], unchanged: None
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"title": "t", "body": "'
        for _ in range(4):
            yield b"x" * LIMIT
        yield b'", "label": "UNCLASSIFIED"}'

    r = small.post(
        "/api/v1/documents",
        headers={**doe, "Content-Type": "application/json"},
        content=chunks(),
    )
    _is_clear(r, 413)


def test_oversized_form_is_413(small: TestClient, unchanged: None) -> None:
    sign_in(small, "doe.analyst")
    r = small.post("/documents/new", data={"title": "t", "body": "x" * (LIMIT * 2)})
    assert r.status_code == 413
    assert "larger than" in r.text


@pytest.mark.parametrize(
    ("content", "ctype"),
    [
        (b'{"title": "t", "body": ', "application/json"),
        (b"not json at all", "application/json"),
        (b'{"title": "t"}}', "application/json"),
    ],
    ids=["truncated", "not-json", "trailing-garbage"],
)
def test_malformed_json_is_400(
    api_of: Callable[..., Any], content: bytes, ctype: str, unchanged: None
) -> None:
    client, h = api_of("doe.analyst")
    r = client.post("/api/v1/documents", headers={**h, "Content-Type": ctype}, content=content)
    _is_clear(r, 400)
    assert "not valid JSON" in r.json()["message"]


@pytest.mark.parametrize(
    ("content", "ctype"),
    [
        (b"title=t&body=b&label=UNCLASSIFIED", "application/x-www-form-urlencoded"),
        (b'{"title": "t", "body": "b", "label": "UNCLASSIFIED"}', "text/plain"),
        (b'{"title": "t", "body": "b", "label": "UNCLASSIFIED"}', ""),
    ],
    ids=["form-to-json-api", "text-plain", "no-content-type"],
)
def test_wrong_content_type_is_415(
    api_of: Callable[..., Any], content: bytes, ctype: str, unchanged: None
) -> None:
    client, h = api_of("doe.analyst")
    headers = {**h, "Content-Type": ctype} if ctype else h
    r = client.post("/api/v1/documents", headers=headers, content=content)
    _is_clear(r, 415)
    assert "application/json" in r.json()["message"]


def test_json_to_a_form_page_is_415(session_of: Callable[..., Any], unchanged: None) -> None:
    client, csrf = session_of("doe.analyst")
    r = client.post("/documents/new", json={"csrf_token": csrf, "title": "t"})
    assert r.status_code == 415


@pytest.mark.parametrize(
    ("label", "field", "words"),
    [
        ("TOP SEKRIT", "label.level", "unknown classification level"),
        ("SECRET//REL TO USA, XYZ", "label.rel_to", "unknown nation"),
        ("SECRET//NOFORN/REL TO USA, JPN", "label.noforn", "NOFORN cannot be combined"),
        ("SECRET//NUKES//REL TO USA, JPN", "label.compartments", "NUKES"),
        ("SECRET//REL TO JPN", "label.rel_to", "must include the classifying authority"),
        ("", "label", "empty banner"),
        ({"authority": "USA", "level": "SECRET", "colour": "red"}, "label.colour", "unknown"),
    ],
    ids=["level", "nation", "noforn-and-relto", "compartment", "authority", "empty", "json"],
)
def test_invalid_labels_are_422_naming_the_field(
    api_of: Callable[..., Any], label: object, field: str, words: str, unchanged: None
) -> None:
    client, h = api_of("doe.analyst")
    r = client.post("/api/v1/documents", headers=h, json={**GOOD, "label": label})
    _is_clear(r, 422)
    assert r.json()["field"] == field
    assert words in r.json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "t", "body": "b"}, "label"),
        ({**GOOD, "extra": 1}, "extra"),
        ({**GOOD, "title": 5}, "title"),
        ({**GOOD, "title": "   "}, "title"),
        ({**GOOD, "title": "t" * 501}, "title"),
        ([GOOD], None),
    ],
    ids=["missing-label", "unknown-field", "wrong-type", "blank-title", "long-title", "a-list"],
)
def test_schema_violations_are_422(
    api_of: Callable[..., Any], body: object, field: str | None, unchanged: None
) -> None:
    client, h = api_of("doe.analyst")
    r = client.post("/api/v1/documents", headers=h, json=body)
    _is_clear(r, 422)
    if field:
        assert r.json()["field"] == field


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 501}, {"q": "x" * 201}, {"after": "no-such-cursor"}, {"limit": "ten"}],
    ids=["limit-0", "limit-501", "long-query", "bad-cursor", "limit-not-int"],
)
def test_bad_list_parameters_are_422(api_of: Callable[..., Any], params: dict[str, Any]) -> None:
    client, h = api_of("doe.analyst")
    _is_clear(client.get("/api/v1/documents", headers=h, params=params), 422)


def test_form_posts_without_csrf_are_403(session_of: Callable[..., Any], unchanged: None) -> None:
    client, csrf = session_of("usa.security")
    doc = {"title": "t", "body": "b", "title_same": "on", "body_level": "UNCLASSIFIED"}
    user = {
        "username": "csrf.victim",
        "agency": "USA.DOE",
        "clearance": "SECRET",
        "roles": "analyst",
    }
    for path, data in (
        ("/documents/new", doc),
        ("/admin/users/new", user),
        ("/logout", {"x": "1"}),
    ):
        for token in (None, "wrong-token", csrf[:-1]):
            form = {**data, **({"csrf_token": token} if token else {})}
            r = client.post(path, data=form, follow_redirects=False)
            assert r.status_code == 403, (path, token)
            assert "anti-forgery" in r.text
    assert client.get("/", follow_redirects=False).status_code == 200, "still signed in"


def test_session_api_writes_need_the_csrf_header(
    session_of: Callable[..., Any], demo_node: Node
) -> None:
    client, csrf = session_of("doe.analyst")
    before = _state(demo_node)
    r = client.post("/api/v1/documents", json=GOOD)
    _is_clear(r, 403)
    assert _state(demo_node) == before
    ok = client.post("/api/v1/documents", json=GOOD, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201


def test_unknown_routes_and_methods(api_of: Callable[..., Any]) -> None:
    client, h = api_of("doe.analyst")
    _is_clear(client.get("/api/v1/nothing-here", headers=h), 404)
    _is_clear(client.delete("/api/v1/documents", headers=h), 405)


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/api/v1/documents", {"json": {**GOOD, "title": "a\x00b"}}),
        ("POST", "/api/v1/documents", {"json": {**GOOD, "label": {"authority": "USA\x00"}}}),
        ("GET", "/api/v1/documents", {"params": {"q": "gamma\x00"}}),
        ("GET", "/api/v1/documents/abc%00def", {}),
        ("GET", "/api/v1/tokens", {"params": {"user": "\x00"}}),
    ],
    ids=["title", "label-object", "query", "path", "token-user"],
)
def test_nul_characters_are_422_on_every_backend(
    api_of: Callable[..., Any], method: str, path: str, kwargs: dict[str, Any], unchanged: None
) -> None:
    """PostgreSQL cannot store NUL; no nucsec text needs one: refused before any query."""
    client, h = api_of("usa.security", ("read", "write", "admin"))
    r = client.request(method, path, headers=h, **kwargs)
    _is_clear(r, 422)
    assert "NUL" in r.json()["message"]


def test_nul_in_a_form_is_422(session_of: Callable[..., Any], unchanged: None) -> None:
    client, csrf = session_of("doe.analyst")
    form = {
        "csrf_token": csrf,
        "title": "a\x00",
        "body": "b",
        "title_same": "on",
        "body_level": "UNCLASSIFIED",
    }
    r = client.post("/documents/new", data=form)
    assert r.status_code == 422
    assert "NUL" in r.text


@pytest.mark.parametrize("depth", [1_000, 100_000], ids=["deep", "very-deep"])
@pytest.mark.parametrize("where", ["label", "body"])
def test_deeply_nested_json_is_a_clear_error(
    api_of: Callable[..., Any], depth: int, where: str, unchanged: None
) -> None:
    """JSON nested deeper than any label or record needs (held by the review: keep it so)
    is refused with a clear 4xx, never a 500 or a crash of the worker."""
    client, h = api_of("doe.analyst")
    nested = "[" * depth + "]" * depth
    fields = {"title": '"t"', "body": '"b"', "label": '"UNCLASSIFIED"'}
    fields[where] = nested
    content = ("{" + ",".join(f'"{k}": {v}' for k, v in fields.items()) + "}").encode()
    r = client.post(
        "/api/v1/documents", headers={**h, "Content-Type": "application/json"}, content=content
    )
    assert 400 <= r.status_code < 500, r.text[:200]
    assert "Traceback" not in r.text
