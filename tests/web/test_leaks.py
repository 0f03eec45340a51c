"""The leak hunt: canary documents with restrictive labels; every GET route of the API and
the UI (found from the application's route table, so new routes are hunted too), as every
demo user, by session and by token. No canary title, id, version or count may reach a
user the reference monitor denies; a hidden record answers exactly as an absent one."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select
from starlette.routing import BaseRoute

from nucsec.markings import Label, parse_banner
from nucsec.node import Node
from nucsec.policy import Resource, decide
from nucsec.service.documents import DocumentInput, create_document, update_document
from nucsec.service.users import User, get_user, list_users
from nucsec.store.schema import labels, records
from nucsec.web.app import create_app
from tests.web.conftest import TestClient, bearer, sign_in

ABSENT = "00000000-0000-4000-8000-000000000000"

#: (author, label, second-version label or None)
CANARIES = [
    ("doe.chief", "TOP SECRET//FORENSICS//NOFORN", None),
    ("doe.analyst", "SECRET//NOFORN", None),
    ("doe.analyst", "SECRET//REL TO USA, JPN.NPA", None),
    ("dhs.chief", "CONFIDENTIAL//ITDB//REL TO USA, JPN", None),
    ("mofa.chief", "GOKUHI//NOFORN", None),
    ("npa.chief", "KIMITSU//REL TO JPN, USA", None),
    ("nisa.chief", "HI//PHYSPROT//REL TO JPN, USA.DOE", None),
    ("doe.analyst", "SECRET//ORCON/REL TO USA, JPN", None),
    ("doe.analyst", "SECRET//NOFORN", "SECRET//REL TO USA, JPN"),  # widened in version 2
]


@dataclass(frozen=True)
class Secret:
    """Something only some users may learn: a text, and the label that guards it."""

    text: str
    label: Label


@dataclass(frozen=True)
class Canary:
    id: str
    label: Label  # current
    secrets: tuple[Secret, ...]


@dataclass
class Hunt:
    node: Node
    canaries: list[Canary]
    users: list[User]
    client: TestClient

    def may_read(self, user: User, label: Label) -> bool:
        return decide(user.principal, "read", Resource(label), self.node.ctx).allowed

    def forbidden(self, user: User) -> list[str]:
        out = []
        for c in self.canaries:
            if not self.may_read(user, c.label):
                out.append(c.id)
            out += [s.text for s in c.secrets if not self.may_read(user, s.label)]
        return out

    def visible_count(self, user: User) -> int:
        with self.node.engine.connect() as conn:
            rows = conn.execute(
                select(labels.c.json, records.c.recalled)
                .join(labels, labels.c.id == records.c.label_id)
                .where(records.c.kind == "document")
            ).all()
        return sum(
            1
            for text, recalled in rows
            if not recalled
            and decide(
                user.principal, "read", Resource(Label.from_dict(_json(text))), self.node.ctx
            ).allowed
        )


def _json(text: str) -> dict[str, object]:
    import json

    data: dict[str, object] = json.loads(text)
    return data


def _plant(node: Node) -> list[Canary]:
    out = []
    for author, banner, widened in CANARIES:
        with node.engine.connect() as conn:
            principal = get_user(conn, author).principal
        token = f"canary{secrets.token_hex(6)}"
        label = parse_banner(banner, node.ctx)
        doc = create_document(
            node, principal, DocumentInput(f"Canary {token} title", f"{token}-body", label, label)
        )
        first = Label.from_dict(doc["label"])
        kept = [Secret(token, first)]
        if widened:
            token2 = f"canary{secrets.token_hex(6)}"
            label2 = parse_banner(widened, node.ctx)
            doc = update_document(
                node,
                principal,
                doc["id"],
                DocumentInput(f"Canary {token2} title", f"{token2}-body", label2, label2),
            )
            kept.append(Secret(token2, Label.from_dict(doc["label"])))
        out.append(Canary(doc["id"], Label.from_dict(doc["label"]), tuple(kept)))
    return out


@pytest.fixture(scope="module")
def hunt(demo_node: Node) -> Iterator[Hunt]:
    canaries = _plant(demo_node)
    with demo_node.engine.connect() as conn:
        users = list_users(conn)
    client = TestClient(create_app(demo_node), base_url="http://127.0.0.1:8700")
    yield Hunt(demo_node, canaries, users, client)


@dataclass(frozen=True)
class Target:
    path: str  # with the router's prefix
    route: APIRoute


def _get_routes(app_routes: list[BaseRoute]) -> list[Target]:
    """Every GET route of the application, included routers flattened."""
    out = []
    for rc in iter_route_contexts(app_routes):
        route = rc.original_route
        if isinstance(route, APIRoute) and "GET" in (rc.methods or ()) and rc.path:
            out.append(Target(rc.path, route))
    return out


def _variants(route: APIRoute) -> list[dict[str, str]]:
    names = {p.name for p in route.dependant.query_params}
    out: list[dict[str, str]] = [{}]
    if "q" in names:
        out.append({"q": "canary"})
    if "limit" in names:
        out.append({"limit": "200"})
    return out


def _norm(text: str, doc_id: str) -> str:
    return text.replace(doc_id, "ID")


Person = tuple[User, dict[str, str], TestClient, str]


@pytest.fixture(scope="module")
def people(hunt: Hunt) -> list[Person]:
    """Every demo user: an API token, a signed-in browser and its CSRF token."""
    out = []
    for user in hunt.users:
        client = TestClient(create_app(hunt.node), base_url="http://127.0.0.1:8700")
        csrf = sign_in(client, user.username)
        out.append((user, bearer(hunt.node, user.username, ("read", "write")), client, csrf))
    return out


def test_canaries_are_planted_with_their_labels(hunt: Hunt) -> None:
    assert len(hunt.canaries) == len(CANARIES)
    npa = next(u for u in hunt.users if u.username == "npa.analyst")
    forbidden = hunt.forbidden(npa)
    assert hunt.canaries[0].id in forbidden  # US TOP SECRET NOFORN
    assert hunt.canaries[-1].secrets[0].text in forbidden  # version 1 was NOFORN
    assert hunt.canaries[-1].secrets[1].text not in forbidden  # version 2 is REL TO JPN


@pytest.mark.slow
def test_no_route_leaks_a_canary_to_a_denied_user(hunt: Hunt, people: list[Person]) -> None:
    routes = _get_routes(create_app(hunt.node).routes)
    assert len(routes) >= 15, "the route table is where the hunt finds its targets"
    checked = 0
    for user, token, session, _ in people:
        forbidden = hunt.forbidden(user)
        hidden = [c for c in hunt.canaries if not hunt.may_read(user, c.label)]
        for target in routes:
            route, path = target.route, target.path
            api = path.startswith("/api/")
            # the API by token, the pages by session (test_auth covers sessions on the API)
            auths = [(hunt.client, token)] if api else [(session, {})]
            params = route.param_convertors
            for client, headers in auths:
                for query in _variants(route):
                    if "doc_id" in params:
                        for canary in hidden:
                            got = client.get(
                                path.replace("{doc_id}", canary.id),
                                params=query,
                                headers=headers,
                            )
                            ref = client.get(
                                path.replace("{doc_id}", ABSENT),
                                params=query,
                                headers=headers,
                            )
                            where = f"{user.username} {path} {query}"
                            assert got.status_code == ref.status_code == 404, where
                            assert _norm(got.text, canary.id) == _norm(ref.text, ABSENT), where
                            checked += 1
                        visible = [c for c in hunt.canaries if c not in hidden]
                        targets = [path.replace("{doc_id}", c.id) for c in visible]
                    else:
                        targets = [path.replace("{username}", "doe.analyst")]
                    for url in targets:
                        text = client.get(url, params=query, headers=headers).text.lower()
                        for secret in forbidden:
                            assert secret.lower() not in text, f"{user.username} {url} {query}"
                        checked += 1
    assert checked > 500


def test_counts_never_include_hidden_records(hunt: Hunt, people: list[Person]) -> None:
    for user, token, session, _ in people:
        expected = hunt.visible_count(user)
        canaries = sum(1 for c in hunt.canaries if hunt.may_read(user, c.label))
        api = hunt.client.get("/api/v1/documents/count", headers=token).json()["count"]
        assert api == expected, user.username
        found = hunt.client.get("/api/v1/documents/count", headers=token, params={"q": "canary"})
        assert found.json()["count"] == canaries, user.username
        listed = hunt.client.get("/api/v1/documents", headers=token, params={"limit": 500}).json()
        assert len(listed["items"]) == expected
        home = session.get("/").text
        assert re.search(rf'data-testid="visible-count">{expected}<', home), user.username
        page = session.get("/documents", params={"q": "canary"}).text
        assert re.search(rf'data-testid="result-count">{canaries} document', page), user.username


def test_writes_to_hidden_records_answer_as_absent_and_change_nothing(
    hunt: Hunt, people: list[Person]
) -> None:
    for user, token, session, csrf in people:
        if "analyst" not in user.roles and "officer" not in user.roles:
            continue
        for canary in (c for c in hunt.canaries if not hunt.may_read(user, c.label)):
            body = {"title": "overwrite", "body": "x", "label": "UNCLASSIFIED"}
            got = hunt.client.put(f"/api/v1/documents/{canary.id}", headers={**token}, json=body)
            ref = hunt.client.put(f"/api/v1/documents/{ABSENT}", headers={**token}, json=body)
            assert got.status_code == ref.status_code
            form = {
                "csrf_token": csrf,
                "title": "overwrite",
                "body": "x",
                "title_same": "on",
                "body_level": "UNCLASSIFIED",
            }
            page = session.post(f"/documents/{canary.id}/edit", data=form)
            assert page.status_code == 404, user.username
    with hunt.node.engine.connect() as conn:
        titles = [t for (t,) in conn.execute(select(records.c.title))]
    assert "overwrite" not in titles
