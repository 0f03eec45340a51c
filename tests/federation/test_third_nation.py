"""A third nation by data only, everywhere (the Seoul summit's widening, as an administrator
would do it): KOR is added to a copy of the marking data — a nation with its agencies and
language, a scheme file, a column of the agreement — and nothing in code changes.

A KOR node made with that data keeps it (``init`` saves ``markings_dir``), and every face
uses it: the CLI parses and renders KOR labels, decides for a KOR principal and writes a
KOR document; the REST API and the document page show its banner in the Korean scheme,
in Korean, first for a Korean reader; and records cross between the KOR node and a USA
node with the same data, both ways.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

import nucsec
from nucsec import settings
from nucsec.assembly import init_node, open_node
from nucsec.cli import main
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.service.documents import DocumentInput, create_document, get_document
from tests.federation.conftest import outbox_objects, pin, receive
from tests.federation.nodes import database

SHIPPED = Path(nucsec.__file__).parent / "data" / "markings"
KOR_NATION = """
[[nation]]
code = "KOR"
name_en = "Republic of Korea"
name_ja = "韓国"
lang = "ko"
agencies = [
  { code = "NSSC", name_en = "Nuclear Safety and Security Commission" },
  { code = "KINAC", name_en = "Korea Institute of Nuclear Nonproliferation and Control" },
]
"""
KOR_SCHEME = """nation = "KOR"
[[level]]
name = "PYEONGMUN"
native = "평문"
abbrev = "PM"
[[level]]
name = "DAEOEBI"
native = "대외비"
abbrev = "DE"
[[level]]
name = "SAMGEUP BIMIL"
native = "3급비밀"
abbrev = "SG"
[[level]]
name = "IGEUP BIMIL"
native = "2급비밀"
abbrev = "IG"
[[level]]
name = "ILGEUP BIMIL"
native = "1급비밀"
abbrev = "LG"
"""
KOR_LEVELS = ("PYEONGMUN", "DAEOEBI", "SAMGEUP BIMIL", "IGEUP BIMIL", "ILGEUP BIMIL")
LABEL = "IGEUP BIMIL//REL TO KOR, USA"


def kor_markings(root: Path) -> Path:
    """A copy of the shipped marking data with KOR added (data only)."""
    target = root / "markings"
    shutil.copytree(SHIPPED, target)
    nations = target / "nations.toml"
    head, sep, tail = nations.read_text(encoding="utf-8").partition("[compartments]")
    nations.write_text(head + KOR_NATION.lstrip() + "\n" + sep + tail, encoding="utf-8")
    (target / "schemes" / "KOR.toml").write_text(KOR_SCHEME, encoding="utf-8")
    agreement = target / "agreements" / "nswg-demo.toml"
    text = agreement.read_text(encoding="utf-8")
    text = text.replace('nations = ["USA", "JPN"]', 'nations = ["USA", "JPN", "KOR"]')
    rows = text.split("[[rank]]")
    for i, level in enumerate(KOR_LEVELS, start=1):
        rows[i] = rows[i].rstrip("\n") + f'\nKOR = "{level}"\n\n'
    agreement.write_text("[[rank]]".join(rows), encoding="utf-8")
    return target


@pytest.fixture
def markings(tmp_path: Path) -> Path:
    return kor_markings(tmp_path)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, (args, err)
    return json.loads(out) if "--json" in args else out


def test_the_cli_uses_the_nodes_marking_data(
    tmp_path: Path,
    markings: Path,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NUCSEC_HOME", str(tmp_path / "kor"))
    monkeypatch.setenv("NUCSEC_DATABASE_URL", db_url)
    monkeypatch.setenv("NUCSEC_MARKINGS_DIR", str(markings))
    assert _run(capsys, "init", "--nation", "KOR", "--json")["nation"] == "KOR"
    monkeypatch.delenv("NUCSEC_MARKINGS_DIR")  # from now on, node.toml says where the data is
    parsed = _run(capsys, "label", "parse", LABEL, "--json")
    assert parsed["authority"] == "KOR" and parsed["level"] == "IGEUP BIMIL"
    assert parsed["banners"] == {
        "USA": "SECRET//REL TO KOR, USA",
        "JPN": "極秘//REL TO KOR, USA",
        "KOR": "2급비밀//REL TO KOR, USA",
    }
    principal = {
        "nation": "KOR",
        "agency": "NSSC",
        "clearance": "ILGEUP BIMIL",
        "roles": ["analyst"],
    }
    decision = _run(
        capsys, "policy", "check", "--principal", json.dumps(principal), "--label", LABEL, "--json"
    )
    assert decision["allowed"], decision["reasons"]
    _run(
        capsys,
        "user", "add", "--username", "kor.analyst", "--nation", "KOR", "--agency", "NSSC",
        "--clearance", "ILGEUP BIMIL", "--role", "analyst", "--json",
    )  # fmt: skip
    made = _run(
        capsys,
        "document", "add", "--as", "kor.analyst", "--title", "Seoul summit preparation",
        "--body", "Widening the working group.", "--label", LABEL, "--json",
    )  # fmt: skip
    got = _run(capsys, "document", "get", made["id"], "--as", "kor.analyst", "--json")
    assert got["banner"] == "IGEUP BIMIL//REL TO KOR, USA"
    assert got["banners"]["KOR"] == "2급비밀//REL TO KOR, USA"
    assert "2급비밀//REL TO KOR, USA" in _run(
        capsys, "document", "get", made["id"], "--as", "kor.analyst"
    )


def _kor_principal(agency: str = "NSSC") -> Principal:
    return Principal.create(
        id=f"kor-{agency.lower()}",
        nation="KOR",
        agency=agency,
        clearance="ILGEUP BIMIL",
        roles=("analyst",),
    )


def test_the_api_and_the_pages_show_the_korean_banner(
    tmp_path: Path, markings: Path, db_url: str
) -> None:
    from nucsec.service.users import create_user
    from nucsec.web.passwords import hash_password
    from tests.web.conftest import bearer, client_of, sign_in

    env = settings.load(
        env={}, home=tmp_path / "kor", database_url=db_url, markings_dir=str(markings)
    )
    init_node(env, "KOR").close()
    node = open_node(settings.load(env={}, home=tmp_path / "kor", database_url=db_url))
    try:
        assert node.ctx.is_nation("KOR")  # the saved markings_dir, not the shipped data
        with node.engine.begin() as conn:
            spec = {
                "username": "kor.analyst", "display_name": "KOR analyst", "nation": "KOR",
                "agency": "NSSC", "clearance": "ILGEUP BIMIL", "roles": ["analyst"],
            }  # fmt: skip
            create_user(node, conn, spec, actor="test", password_hash=hash_password("pw-kor-1"))
        label = parse_banner(LABEL, node.ctx)
        doc = create_document(
            node, _kor_principal(), DocumentInput("Seoul", "Summit preparation.", label, label)
        )
        client = client_of(node)
        api = client.get(f"/api/v1/documents/{doc.id}", headers=bearer(node, "kor.analyst"))
        assert api.status_code == 200, api.text
        assert api.json()["banners"]["KOR"] == "2급비밀//REL TO KOR, USA"
        rendered = client.post(
            "/api/v1/labels/render", json={"label": LABEL}, headers=bearer(node, "kor.analyst")
        ).json()
        assert rendered["renderings"]["KOR"] == "2급비밀//REL TO KOR, USA"
        sign_in(client, "kor.analyst", "pw-kor-1")
        page = client.get(f"/documents/{doc.id}").text
        first = page.index('class="marking primary"')
        assert 'lang="ko" data-nation="KOR">2급비밀//REL TO KOR, USA<' in page[first : first + 200]
    finally:
        node.close()


@pytest.fixture
def nodes(tmp_path: Path, markings: Path) -> Iterator[Callable[[str], Node]]:
    """Nodes in this process, each with its own database, all with the KOR data."""
    made: list[Node] = []
    with ExitStack() as stack:

        def make(nation: str) -> Node:
            home = tmp_path / nation.lower()
            home.mkdir()
            url = stack.enter_context(database(home))
            env = settings.load(env={}, home=home, database_url=url, markings_dir=str(markings))
            made.append(init_node(env, nation))
            return made[-1]

        try:
            yield make
        finally:
            for node in made:
                node.close()


def test_records_cross_between_kor_and_usa_both_ways(nodes: Callable[[str], Node]) -> None:
    kor, usa = nodes("KOR"), nodes("USA")
    pin(kor, usa, "usa")
    pin(usa, kor, "kor")
    label = parse_banner(LABEL, kor.ctx)
    sent = create_document(kor, _kor_principal(), DocumentInput("Seoul", "Summit.", label, label))
    kept = parse_banner("IGEUP BIMIL//NOFORN", kor.ctx)
    create_document(kor, _kor_principal(), DocumentInput("Home", "Stays.", kept, kept))
    result = receive(usa, "kor", outbox_objects(kor, "usa"))
    assert result.rejected == []
    doe = Principal.create(
        id="usa-doe", nation="USA", agency="DOE", clearance="TOP SECRET", roles=("analyst",)
    )
    seen = get_document(usa, doe, sent.id)
    assert (seen.title, seen.origin) == ("Seoul", "kor")
    assert seen.banners == {
        "USA": "SECRET//REL TO KOR, USA",
        "JPN": "極秘//REL TO KOR, USA",
        "KOR": "2급비밀//REL TO KOR, USA",
    }
    assert [r.title for r in _titles(usa, doe)] == ["Seoul"]  # the NOFORN one stayed home
    back_label = parse_banner("SECRET//REL TO USA, KOR", usa.ctx)
    back = create_document(usa, doe, DocumentInput("Reply", "From DOE.", back_label, back_label))
    result = receive(kor, "usa", outbox_objects(usa, "kor"))
    assert result.rejected == []
    reply = get_document(kor, _kor_principal("KINAC"), back.id)
    assert reply.banners["KOR"] == "2급비밀//REL TO USA, KOR"


def _titles(node: Node, principal: Principal) -> Any:
    from nucsec.service.documents import list_documents

    return list_documents(node, principal, origin="kor").items
