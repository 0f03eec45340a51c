"""The leak hunt, extended to incidents, attachments and analyses: canary incidents (each
with a narrative token, a country of its own and an attached file) and canary analyses
under restrictive labels; every GET route of the API and the UI, as every demo user. No
canary reference, token, id or file may reach a user the reference monitor denies, in any
page, list, count, chart, map or export; a hidden record (and a file attached to it)
answers exactly as an absent one."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nucsec.incidents import incident_from_record
from nucsec.markings import Label, parse_banner
from nucsec.node import Node
from nucsec.policy import Resource, decide
from nucsec.service import analyses
from nucsec.service.attachments import attach_file
from nucsec.service.files import FileUpload
from nucsec.service.incidents import add_incident
from nucsec.service.users import User, get_user, list_users
from nucsec.web.app import create_app
from tests.web.conftest import TestClient, bearer, sign_in
from tests.web.test_leaks import ABSENT, _get_routes

SPECTRUM = Path(__file__).resolve().parents[1] / "data" / "spectra" / "suro_rc101_am241_EG3X.xml"

#: (author, label, country of its own) of the canary incidents
INCIDENTS = [
    ("dhs.chief", "SECRET//NOFORN", "KP"),
    ("dhs.chief", "CONFIDENTIAL//ITDB//REL TO USA, JPN", "IR"),
    ("npa.chief", "HI//ITDB//REL TO JPN, USA.DHS", "AF"),
    ("mofa.chief", "GOKUHI//NOFORN", "MM"),
]
#: (author, label) of the canary analyses
ANALYSES = [
    ("doe.analyst", "SECRET//NOFORN"),
    ("npa.analyst", "GOKUHI//FORENSICS//REL TO JPN, USA"),
]


@dataclass(frozen=True)
class Canary:
    kind: str  # incident or analysis
    id: str
    label: Label
    secrets: tuple[str, ...]  # texts only its readers may see
    country: str = ""
    sha256: str = ""


@dataclass
class Hunt:
    node: Node
    canaries: list[Canary]
    users: list[User]
    client: TestClient

    def may_read(self, user: User, label: Label) -> bool:
        return decide(user.principal, "read", Resource(label), self.node.ctx).allowed

    def hidden(self, user: User, kind: str | None = None) -> list[Canary]:
        return [
            c
            for c in self.canaries
            if (kind is None or c.kind == kind) and not self.may_read(user, c.label)
        ]


def _principal(node: Node, username: str):  # type: ignore[no-untyped-def]
    with node.engine.connect() as conn:
        return get_user(conn, username).principal


def _plant(node: Node) -> list[Canary]:
    out = []
    for author, banner, country in INCIDENTS:
        token = f"canary{secrets.token_hex(6)}"
        ref = f"CANARY-{secrets.token_hex(4)}"
        record = {
            "reference": ref,
            "report_date": "2024-02-01",
            "country": country,
            "incident_type": "theft",
            "itdb_group": "I",
            "narrative": [{"label": banner, "text": f"{token} narrative"}],
        }
        label = parse_banner(banner, node.ctx)
        principal = _principal(node, author)
        view = add_incident(node, principal, incident_from_record(record), label)
        data = f"{token} attached file".encode()
        view = attach_file(
            node, principal, "incident", view["id"], FileUpload(data, f"{token}.txt")
        )
        sha = view["incident"]["attachments"][0]["sha256"]
        out.append(
            Canary("incident", view["id"], label, (ref, token, view["id"], sha), country, sha)
        )
    for author, banner in ANALYSES:
        token = f"canary{secrets.token_hex(6)}"
        principal = _principal(node, author)
        _, ticket = analyses.stage_spectrum(node, principal, SPECTRUM.read_bytes(), "am.xml")
        label = parse_banner(banner, node.ctx)
        view = analyses.save_spectrum_analysis(
            node,
            principal,
            source={"upload": ticket, "name": f"{token}.xml"},
            label=label,
            title=f"{token} analysis",
        )
        sha = view["attachments"][0]["sha256"]
        out.append(Canary("analysis", view["id"], label, (token, view["id"]), sha256=sha))
    return out


@pytest.fixture(scope="module")
def hunt(demo_node: Node) -> Iterator[Hunt]:
    canaries = _plant(demo_node)
    with demo_node.engine.connect() as conn:
        users = list_users(conn)
    yield Hunt(
        demo_node,
        canaries,
        users,
        TestClient(create_app(demo_node), base_url="http://127.0.0.1:8700"),
    )


Person = tuple[User, dict[str, str], TestClient]


@pytest.fixture(scope="module")
def people(hunt: Hunt) -> list[Person]:
    out = []
    for user in hunt.users:
        client = TestClient(create_app(hunt.node), base_url="http://127.0.0.1:8700")
        sign_in(client, user.username)
        out.append((user, bearer(hunt.node, user.username), client))
    return out


def test_canaries_are_planted_and_hidden_from_the_npa_analyst(hunt: Hunt) -> None:
    npa = next(u for u in hunt.users if u.username == "npa.analyst")
    assert {c.country for c in hunt.hidden(npa, "incident")} == {"KP"}  # US SECRET//NOFORN
    assert len(hunt.hidden(npa, "analysis")) == 1
    doe = next(u for u in hunt.users if u.username == "doe.analyst")
    assert {"MM", "AF", "IR"} <= {c.country for c in hunt.hidden(doe, "incident")}


def test_counts_charts_map_and_export_include_only_readable_incidents(
    hunt: Hunt, people: list[Person]
) -> None:
    for user, token, session in people:
        hidden = hunt.hidden(user, "incident")
        stats = hunt.client.get("/api/v1/incidents/stats", headers=token).json()
        listed = hunt.client.get("/api/v1/incidents", headers=token, params={"limit": 500}).json()
        assert stats["total"] == listed["total"] == len(listed["items"]), user.username
        for canary in hunt.canaries:
            if canary.kind != "incident":
                continue
            n = 0 if canary in hidden else 1
            assert stats["by_country"].get(canary.country, 0) == n, (user.username, canary.country)
        export = hunt.client.get("/api/v1/incidents/export", headers=token).text
        trends = session.get("/incidents/trends").text
        world = session.get("/incidents/map").text
        for canary in hidden:
            for secret in canary.secrets:
                assert secret not in export, user.username
            assert f'data-country="{canary.country}" data-count="0"' in world, user.username
            assert f'data-code="{canary.country}"' not in trends, user.username
        total = re.search(r"Counted: <strong>(\d+)</strong>", trends)
        assert total is not None and int(total.group(1)) == stats["total"], user.username


@pytest.mark.slow
def test_no_route_leaks_a_record_canary(hunt: Hunt, people: list[Person]) -> None:
    routes = _get_routes(create_app(hunt.node).routes)
    record_params = {"incident_id", "analysis_id"}
    assert any(record_params & set(t.route.param_convertors) for t in routes)
    checked = 0
    for user, token, session in people:
        forbidden = [s for c in hunt.hidden(user) for s in c.secrets]
        for target in routes:
            path, route = target.path, target.route
            client, headers = (hunt.client, token) if path.startswith("/api/") else (session, {})
            params = set(route.param_convertors)
            kind = (
                "incident"
                if "incident_id" in params
                else "analysis"
                if "analysis_id" in params
                else None
            )
            if kind is not None:
                for canary in hunt.hidden(user, kind):
                    url = path.replace("{incident_id}", canary.id).replace(
                        "{analysis_id}", canary.id
                    )
                    url = url.replace("{sha256}", canary.sha256)
                    ref_url = url.replace(canary.id, ABSENT)
                    got, ref = (
                        client.get(url, headers=headers),
                        client.get(ref_url, headers=headers),
                    )
                    where = f"{user.username} {url}"
                    assert got.status_code == ref.status_code == 404, where
                    assert got.text.replace(canary.id, "ID") == ref.text.replace(ABSENT, "ID"), (
                        where
                    )
                    checked += 1
                continue
            url = path.replace("{doc_id}", ABSENT).replace("{username}", user.username)
            queries: list[dict[str, str]] = [{}]
            names = {p.name for p in route.dependant.query_params}
            if "q" in names:
                queries.append({"q": "canary"})
            if "sha256" in names:  # the spectrum page of an attached file: as if absent
                for c in hunt.hidden(user):
                    query = {"kind": c.kind, "id": c.id, "sha256": c.sha256}
                    got = client.get(url, params=query, headers=headers)
                    ref = client.get(url, params={**query, "id": ABSENT}, headers=headers)
                    assert got.status_code == ref.status_code == 404, (user.username, url)
                    assert got.text.replace(c.id, "ID") == ref.text.replace(ABSENT, "ID")
                    checked += 1
            for query in queries:
                text = client.get(url, params=query, headers=headers).text
                for secret in forbidden:
                    assert secret not in text, f"{user.username} {url} {query}"
                checked += 1
    assert checked > 300
