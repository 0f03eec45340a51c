"""Every CLI read path of labelled records leaves an audit event (issue 3: "no read path can
skip it"). A new command must be classified below before the suite passes again.

The API's read paths join this walk when the web layer exists.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from sqlalchemy import func, select

from nucsec.audit.tables import audit_events
from nucsec.cli import COMMANDS, cli, main
from nucsec.node import Node
from tests.audit.test_cli import _init
from tests.library.samples import UCLO_SAMPLE

#: command -> (arguments after the command; {doc} is a document id, {incident} an incident
#: id, {analysis} an analysis id, {user} a username),
#: the audit action it must record
READ_PATHS: dict[str, tuple[list[str], str]] = {
    "document get": (["{doc}", "--as", "{user}"], "record.read"),
    "document history": (["{doc}", "--as", "{user}"], "record.read"),
    "document list": (["--as", "{user}"], "record.list"),
    "document list -q": (["--as", "{user}", "-q", "uranium"], "record.search"),
    "explain": (["--user", "{user}", "--document", "{doc}"], "policy.explain"),
    "release explain": (["--document", "{doc}", "--peer", "jpn"], "policy.explain"),
    "audit log": (["--as", "usa.auditor"], "audit.read"),
    "incident list": (["--as", "{user}"], "record.list"),
    "incident list -q": (["--as", "{user}", "-q", "uranium"], "record.search"),
    "incident show": (["{incident}", "--as", "{user}"], "record.read"),
    "incident export": (["--as", "{user}"], "record.export"),
    "incident stats": (["--as", "{user}"], "record.report"),
    "export stix": (["--as", "{user}"], "record.export"),
}

if "analysis" in COMMANDS:  # `nucsec analysis` (nucsec.cli.analyses:analysis_group)
    READ_PATHS["analysis list"] = (["--as", "{user}"], "record.list")
    READ_PATHS["analysis list -q"] = (["--as", "{user}", "-q", "spectrum"], "record.search")
    READ_PATHS["analysis show"] = (["{analysis}", "--as", "{user}"], "record.read")

if "practice" in COMMANDS:  # `nucsec practice|facility` (nucsec.cli.practices, .facilities)
    READ_PATHS["practice list"] = (["--as", "{user}"], "record.list")
    READ_PATHS["practice search"] = (["insider", "--as", "{user}"], "record.search")
    READ_PATHS["practice show"] = (["{practice}", "--as", "{user}"], "record.read")
    READ_PATHS["practice export"] = (["--as", "{user}"], "record.read")  # each one read
    READ_PATHS["practice adoption"] = (["--as", "{user}"], "record.list")  # then reads each
    READ_PATHS["facility list"] = (["--as", "{user}"], "record.list")
    READ_PATHS["facility show"] = (["{facility}", "--as", "{user}"], "record.read")
    READ_PATHS["facility score"] = (["{facility}", "--as", "{user}"], "record.read")
    READ_PATHS["facility survey results"] = (["{facility}", "--as", "{user}"], "record.search")
    READ_PATHS["facility report"] = (
        ["--as", "{user}", "--format", "csv", "--out", "{out}"],
        "record.read",
    )

if "case" in COMMANDS:  # `nucsec case` (nucsec.cli.cases:case_group)
    READ_PATHS["case show"] = (["{case}", "--as", "{user}"], "record.read")
    READ_PATHS["case list"] = (["--as", "{user}"], "record.list")  # one listing event
    READ_PATHS["case export"] = (["{case}", "--as", "{user}"], "record.export")
    READ_PATHS["case report"] = (
        ["{case}", "--as", "{user}", "--format", "html", "-o", "{out}"],
        "record.report",
    )
if "library" in COMMANDS:  # `nucsec library` (nucsec.cli.library:library_group)
    READ_PATHS["library list"] = (["--as", "{user}"], "record.list")
    READ_PATHS["library show"] = (["UCLO-1", "--as", "{user}"], "record.read")
    READ_PATHS["library export"] = (["--as", "{user}"], "record.export")
    READ_PATHS["library match"] = (["{sample}", "--as", "{user}"], "record.search")
    READ_PATHS["library queue"] = (["--as", "{user}"], "record.list")  # then reads each held

#: commands that are not reads of stored labelled records, and why
NOT_RECORD_READS: dict[str, str] = {
    "age chronometers": "lists built-in chronometer definitions",
    "age concordance": "computes from a file given on the command line",
    "categorize material": "pure calculation on arguments",
    "categorize source": "pure calculation on arguments",
    "demo": "creates a demo node (its writes are audited)",
    "init": "creates a node (audited: node.init, key.generate)",
    "serve": "starts the web server (its routes are read paths of their own)",
    "node info": "node identity, no records",
    "node public-key": "the public key, no records",
    "label parse": "parses the label given on the command line",
    "policy check": "decides on a principal and label given on the command line",
    "user add": "administrative write (audited: user.create)",
    "library add": "write (audited: record.create)",
    "library import": "write (audited: record.create)",
    "library query": "sends a sample to a peer (audited: release.send, exchange.receive) and "
    "keeps the answer (record.create); reads no library entry of this node",
    "user list": "accounts, not labelled records",
    "token create": "administrative write",
    "token list": "API tokens, not labelled records",
    "token revoke": "administrative write",
    "document add": "write (audited: record.create)",
    "document update": "write (audited: record.update)",
    "audit verify": "integrity check over hashes",
    "audit prove": "proof over hashes of one event",
    "audit consistency": "proof over tree hashes",
    "audit check-proof": "offline check of a file",
    "peer add": "administrative write (audited: peer.change)",
    "peer remove": "administrative write (audited: peer.change)",
    "peer list": "partner nodes, not labelled records",
    "release approve": "write (audited: release.approve)",
    "release recall": "write (audited: record.recall)",
    "sync": "pulls from a partner; what arrives is audited (exchange.receive)",
    "incident add": "write (audited: record.create)",
    "incident import": "write (audited: record.create)",
    "import stix": "write of a bundle file's objects (audited: record.create, record.update)",
    "import taxii": "pulls a TAXII collection into the import (audited: record.create, "
    "record.update)",
    "spectrum analyze": "analyses detector files given on the command line",
    "spectrum convert": "converts a detector file given on the command line",
    "spectrum info": "describes a detector file given on the command line",
    "archive analyze": "analyses files given on the command line; findings it stores are "
    "writes (audited: one record.create per batch)",
    "archive search": "searches the node's raw archive results (Parquet files, not labelled "
    "records)",
    "archive jobs": "archive job records (node files, not labelled records)",
    "archive show": "an archive job record and its raw results (node files, not labelled records)",
    "practice add": "write (audited: record.create)",
    "practice propose": "write (audited: record.update)",
    "practice endorse": "write (audited: record.update)",
    "practice adopt": "write (audited: record.create; the practice and facility read first)",
    "facility add": "write (audited: record.create)",
    "facility assess": "write (audited: record.create)",
    "facility survey add": "write (audited: record.create; the facility read first)",
    "framework import": "checks a framework file given on the command line",
    "framework show": "a shipped framework definition, not labelled records",
    "case open": "write (audited: record.create)",
    "case add-sample": "write (audited: record.update)",
    "case custody": "write by the receiving user (audited: record.update)",
    "case attach": "write (audited: record.update)",
    "case attach-match": "write (audited: record.update; the entries it names read first)",
    "library approve": "officer's decision (audited: release.approve, record.update)",
    "library refuse": "officer's decision (audited: release.decide denied, record.update)",
    "library poll": "asks the peer again (audited: exchange.send; the answer a new version)",
    "case assess": "write (audited: record.update)",
    "case issue-report": "write (audited: record.update)",
}


def _commands() -> Iterator[str]:
    ctx = click.Context(cli)

    def walk(group: click.Group, prefix: str) -> Iterator[str]:
        for name in group.list_commands(ctx):
            sub = group.get_command(ctx, name)
            if isinstance(sub, click.Group):
                yield from walk(sub, f"{prefix}{name} ")
            elif sub is not None:
                yield f"{prefix}{name}"

    yield from walk(cli, "")


def test_every_cli_command_is_classified() -> None:
    classified = {p.removesuffix(" -q") for p in READ_PATHS} | set(NOT_RECORD_READS)
    unclassified = sorted(set(_commands()) - classified)
    assert not unclassified, (
        f"classify {unclassified} in {Path(__file__).name}: a read of labelled records "
        "must be walked in READ_PATHS (and emit an audit event)"
    )


@pytest.fixture
def demo(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Node]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from nucsec.audit.keys import public_key_pem
    from nucsec.demo import seed

    node = _init(tmp_path / "node", db_url, monkeypatch, demo=True)
    seed(node, password_hash=None)
    partner = tmp_path / "jpn.pub.pem"
    partner.write_bytes(public_key_pem(Ed25519PrivateKey.generate().public_key()))
    peer = ["peer", "add", "jpn", "--nation", "JPN", "--url", "http://127.0.0.1:9"]
    assert main([*peer, "--public-key", str(partner)]) == 0
    incident = ["incident", "add", "--as", "doe.chief", "--label", "SECRET//REL TO USA, JPN"]
    facts = ["--reference", "T-1", "--report-date", "2024-05-01", "--country", "US"]
    assert main([*incident, *facts, "--type", "unauthorized possession", "--group", "I"]) == 0
    _an_analysis(node)
    if "practice" in COMMANDS:
        rel = ["--as", "doe.chief", "--label", "SECRET//REL TO USA, JPN"]
        text = ["--title", "Insider two-person rule", "--summary", "S", "--topic", "insider_threat"]
        assert main(["practice", "add", *rel, *text]) == 0
        lab = ["--name", "Lab", "--operator", "O", "--type", "laboratory"]
        assert main(["facility", "add", *rel, *lab]) == 0
    _a_case(node)
    from nucsec.demo import seed_library

    seed_library(node, {node.nation})
    (tmp_path / "sample.json").write_text(json.dumps(UCLO_SAMPLE))
    yield node
    node.close()


def _an_analysis(node: Node) -> None:
    """A shared age analysis (the service the web UI and API use)."""
    from nucsec.markings import parse_banner
    from nucsec.service.analyses import save_age_analysis
    from nucsec.service.users import principal_of

    params = {"chronometer": "Th-230/U-234", "ratio": 1.41148e-4, "ratio_unc": 7.06e-7}
    label = parse_banner("SECRET//REL TO USA, JPN", node.ctx)
    save_age_analysis(node, principal_of(node, "doe.chief"), params=params, label=label)


def _a_case(node: Node) -> None:
    """A case with its preliminary report issued (the services the CLI uses)."""
    from nucsec.markings import parse_banner
    from nucsec.service.case_reports import issue_report
    from nucsec.service.cases import open_case
    from nucsec.service.users import principal_of

    chief = principal_of(node, "doe.chief")
    label = parse_banner("SECRET//REL TO USA, JPN", node.ctx)
    case = open_case(node, chief, "Seized vial", label)
    issue_report(node, chief, case.id, "preliminary")


def _count(node: Node) -> int:
    with node.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_events)).scalar() or 0)


def _last(node: Node) -> dict[str, object]:
    with node.engine.connect() as conn:
        body = conn.execute(
            select(audit_events.c.body).order_by(audit_events.c.seq.desc()).limit(1)
        ).scalar_one()
    result: dict[str, object] = json.loads(body)
    return result


def _principal_id(node: Node, username: str) -> str:
    from nucsec.service.users import principal_of

    return principal_of(node, username).id


def _a_document(capsys: pytest.CaptureFixture[str], user: str) -> str:
    capsys.readouterr()
    assert main(["document", "list", "--as", user, "--json"]) == 0
    items = json.loads(capsys.readouterr().out)["items"]
    assert items, f"the demo gives {user} documents to read"
    return str(items[0]["id"])


@pytest.mark.parametrize("path", sorted(READ_PATHS))
def test_read_path_leaves_an_audit_event(
    demo: Node, capsys: pytest.CaptureFixture[str], path: str, tmp_path: Path
) -> None:
    user = "doe.chief"
    doc = _a_document(capsys, user)
    assert main(["incident", "list", "--as", user, "--json"]) == 0
    incident = json.loads(capsys.readouterr().out)["items"][0]["id"]
    analysis = ""
    if "analysis" in COMMANDS:
        assert main(["analysis", "list", "--as", user, "--json"]) == 0
        analysis = json.loads(capsys.readouterr().out)["items"][0]["id"]
    practice = facility = ""
    if "practice" in COMMANDS:
        assert main(["practice", "list", "--as", user, "--json"]) == 0
        practice = json.loads(capsys.readouterr().out)["items"][0]["id"]
        assert main(["facility", "list", "--as", user, "--json"]) == 0
        facility = json.loads(capsys.readouterr().out)["items"][0]["id"]
        label = ["--label", "SECRET//REL TO USA, JPN"]
        assert main(["facility", "assess", facility, "--as", user, *label]) == 0
        capsys.readouterr()
    case = ""
    if "case" in COMMANDS:
        assert main(["case", "list", "--as", user, "--json"]) == 0
        case = json.loads(capsys.readouterr().out)[0]["id"]
    args, action = READ_PATHS[path]
    values = {
        "doc": doc,
        "incident": incident,
        "analysis": analysis,
        "case": case,
        "user": user,
        "practice": practice,
        "facility": facility,
        "out": str(tmp_path / ("report.html" if path.startswith("case") else "report.csv")),
    }
    before = _count(demo)
    values["sample"] = str(tmp_path / "sample.json")
    argv = [*path.removesuffix(" -q").split(), *(a.format(**values) for a in args)]
    assert main(argv) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert _count(demo) > before
    event = _last(demo)
    assert event["action"] == action
    if path.startswith(
        ("document", "incident", "analysis", "case", "library")
    ):  # the reader acts on its own behalf
        assert event["actor"] == _principal_id(demo, user)


def _visible(capsys: pytest.CaptureFixture[str], user: str) -> set[str]:
    capsys.readouterr()
    assert main(["document", "list", "--as", user, "--json", "--limit", "500"]) == 0
    return {str(d["id"]) for d in json.loads(capsys.readouterr().out)["items"]}


def test_a_refused_read_is_recorded_as_denied(
    demo: Node, capsys: pytest.CaptureFixture[str]
) -> None:
    hidden = sorted(_visible(capsys, "doe.chief") - _visible(capsys, "dhs.analyst"))
    assert hidden, "the demo has documents a CONFIDENTIAL analyst may not read"
    before = _count(demo)
    assert main(["document", "get", hidden[0], "--as", "dhs.analyst"]) == 4  # "not found"
    capsys.readouterr()
    event = _last(demo)
    assert _count(demo) == before + 1
    assert (event["action"], event["outcome"]) == ("record.read", "denied")
    assert event["actor"] == _principal_id(demo, "dhs.analyst")
