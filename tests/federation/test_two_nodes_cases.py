"""A forensic case between two national nodes as real processes (issue 14).

Node A (USA) opens a case with a sample, a linked NOFORN analysis and a releasable
assessment, and issues a preliminary report citing the analysis by reference only. Node B
(JPN) pulls: the case and its frozen report arrive, the analysis does not, and B renders
the report for its own reader. B's analyst answers with an assessment of its own (a JPN
case citing the shared one, under JPN's label); A pulls it back. Both audit logs show the
steps: A's release decision and B's receipt of the case, B's rendering, B's release and
A's receipt of the answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from nucsec.audit.tables import audit_events
from nucsec.markings import parse_banner
from nucsec.service.users import principal_of
from tests.federation.conftest import peer, process_nodes
from tests.federation.nodes import NodeProcess
from tests.federation.scan import assert_nothing_forbidden

REL = "SECRET//REL TO USA, JPN"
AGE = {"chronometer": "Th-230/U-234", "ratio": 1.41148e-4, "ratio_unc": 7.06e-7}


def run(node: NodeProcess, *args: str) -> Any:
    result = node.cli(*args)
    assert result.code == 0, (args, result.err)
    return result.json if "--json" in args else result.out


def sync(node: NodeProcess, peer_name: str) -> None:
    synced = run(node, "sync", "--peer", peer_name, "--json")
    assert synced["complete"] and synced["rejected"] == 0, synced["rejections"]


def events(node: NodeProcess) -> list[tuple[str, str | None, dict[str, Any]]]:
    n = node.open()
    try:
        with n.engine.connect() as conn:
            rows = conn.execute(
                select(audit_events.c.action, audit_events.c.object_ref, audit_events.c.body)
            ).all()
    finally:
        n.close()
    return [(a, o, json.loads(b)["details"]) for a, o, b in rows]


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from nucsec.service.analyses import save_age_analysis
    from nucsec.service.case_reports import issue_report
    from nucsec.service.cases import add_sample, assess, attach_analysis, open_case

    with process_nodes(tmp_path_factory.mktemp("cases")) as make:
        a, b = make("USA", start=True), make("JPN", start=True)
        peer(a, b, "jpn")
        peer(b, a, "usa")
        n = a.open()
        try:
            chief = principal_of(n, "doe.chief")
            rel, cui = parse_banner(REL, n.ctx), parse_banner("CUI//REL TO USA, JPN", n.ctx)
            analysis = save_age_analysis(
                n, chief, params=AGE, label=parse_banner("SECRET//NOFORN", n.ctx),
                title="FED national age of S-1",
            ).id  # fmt: skip
            case = open_case(n, chief, "FED shared case", cui).id
            add_sample(
                n, chief, case, sample_id="S-1", description="powder", mass_g=3.0,
                container="vial", where="port", label=rel,
            )  # fmt: skip
            attach_analysis(n, chief, case, analysis, cui)
            assess(
                n, chief, case, finding="FED finding: the powder is uranium oxide.",
                evidence=[analysis], confidence="strong", label=rel,
            )  # fmt: skip
            issue_report(n, chief, case, "preliminary", cite_only=True)
        finally:
            n.close()
        sync(b, "usa")
        yield {"a": a, "b": b, "case": case, "analysis": analysis}


def test_the_case_and_its_report_arrive_the_analysis_does_not(
    net: dict[str, Any], tmp_path: Any
) -> None:
    a, b = net["a"], net["b"]
    shown = run(b, "case", "show", net["case"], "--as", "npa.analyst", "--json")
    assert shown["origin"] == "usa" and shown["banner"] == REL
    assert [r["stage"] for r in shown["reports"]] == ["preliminary"]
    assert [x["id"] for x in shown["analyses"]] == [net["analysis"]]  # cited by id
    assert b.cli("analysis", "show", net["analysis"], "--as", "npa.analyst").code == 4
    held = assert_nothing_forbidden(b, {"usa": "USA"})
    assert net["case"] in held and net["analysis"] not in held
    out = tmp_path / "at-jpn.html"
    run(b, "case", "report", net["case"], "--as", "npa.analyst", "--format", "html", "-o",
        str(out))  # fmt: skip
    html = out.read_text(encoding="utf-8")
    assert "FED finding" in html and f"analysis:{net['analysis']}" in html
    assert "Th-230" not in html  # the analysis content stayed home
    assert "極秘" in html  # banners in the reader's (Japanese) scheme first
    # A: released to JPN (monitor decision); B: received, then rendered for its reader
    assert any(
        act == "release.decide" and (obj or "").startswith(f"case:{net['case']}")
        for act, obj, _ in events(a)
    )
    b_events = events(b)
    assert any(act == "exchange.receive" for act, _, _ in b_events)
    assert any(
        act == "record.report" and obj == f"case:{net['case']}#v5" for act, obj, _ in b_events
    )


def test_the_partners_own_assessment_comes_back(net: dict[str, Any]) -> None:
    a, b = net["a"], net["b"]
    answer = run(
        b, "case", "open", "--as", "npa.analyst", "--title", "FED JPN review of the shared case",
        "--label", "GOKUHI//REL TO JPN, USA", "--cites", net["case"], "--json",
    )  # fmt: skip
    assessed = b.cli(
        "case", "assess", answer["id"], "--as", "npa.analyst", "--finding",
        "FED JPN concurs with the preliminary finding.",  # no analysis of its own
        "--confidence", "moderate", "--label", "GOKUHI//REL TO JPN, USA", "--json",
    )  # fmt: skip
    assert assessed.code == 0, assessed.err
    sync(a, "jpn")
    back = run(a, "case", "show", answer["id"], "--as", "doe.chief", "--json")
    assert back["origin"] == "jpn" and back["cites"] == [net["case"]]
    assert back["assessments"][0]["finding"] == "FED JPN concurs with the preliminary finding."
    assert back["label"]["authority"] == "JPN"  # its own record, its own label
    assert any(
        act == "release.decide" and (obj or "").startswith(f"case:{answer['id']}")
        for act, obj, _ in events(b)
    )
    assert any(act == "exchange.receive" for act, _, _ in events(a))
