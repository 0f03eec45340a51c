"""Two national nodes as real processes: the set-up sequence of issue 5, verbatim, then
updates, ORCON approval, recall, explanations, receipts, witnessed checkpoints and a scan
of each receiving database.

The module's fixture runs the issue's sequence once; every test starts from there and only
adds its own documents, so the tests hold in any order and on any pytest-xdist worker.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from nucsec.audit.tables import audit_events
from nucsec.federation.tables import exchange_cosignatures, exchange_outbox, exchange_receipts
from nucsec.store.schema import orcon_approvals, records
from tests.federation.nodes import NodeProcess, database
from tests.federation.scan import assert_nothing_forbidden, received

#: USA demo documents the policy releases to JPN (ORCON and NOFORN ones stay)
USA_TO_JPN = {
    "Gamma survey of seized container, Port of Long Beach (exercise)",
    "Forensics library comparison protocol, draft 3",
    "Radiation portal monitor alarm statistics, FY2010",
    "Working group meeting minutes, November 2010",
}
#: USA demo incidents released to JPN: the four public cases and two REL TO USA, JPN ones
USA_INCIDENTS_TO_JPN = 6
JPN_TO_USA = {
    "押収物のガンマ線スペクトル解析 (seizure spectrum analysis)",
    "Trafficking case file 2010-JP-004 (exercise)",
    "JAEA ISCN training course roster",
}


def run(node: NodeProcess, *args: str) -> Any:
    result = node.cli(*args)
    assert result.code == 0, (args, result.err)
    return result.json if "--json" in args else result.out


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Node A (USA) and node B (JPN) set up exactly as the issue's sequence says (each in
    its own directory and database, served, peered, one document added, B synced)."""
    root: Path = tmp_path_factory.mktemp("pair")
    with ExitStack() as stack:
        a = NodeProcess("USA", root / "a", stack.enter_context(database(root)))
        b = NodeProcess("JPN", root / "b", stack.enter_context(database(root)))
        stack.callback(a.stop)
        stack.callback(b.stop)
        run(a, "init", "--nation", "USA", "--demo")
        (root / "a.pub").write_text(run(a, "node", "public-key"))
        run(b, "init", "--nation", "JPN", "--demo")
        (root / "b.pub").write_text(run(b, "node", "public-key"))
        a.start()
        b.start()
        run(
            a,
            "peer",
            "add",
            "jpn",
            "--nation",
            "JPN",
            "--url",
            b.url,
            "--public-key",
            str(root / "b.pub"),
        )
        run(
            b,
            "peer",
            "add",
            "usa",
            "--nation",
            "USA",
            "--url",
            a.url,
            "--public-key",
            str(root / "a.pub"),
        )
        doc = run(
            a, "document", "add", "--as", "doe.analyst", "--title", "T", "--body", "B",
            "--label", "SECRET//REL TO USA, JPN", "--json",
        )  # fmt: skip
        synced = run(b, "sync", "--peer", "usa", "--json")
        listed = run(b, "document", "list", "--as", "npa.analyst", "--json")
        yield {"a": a, "b": b, "doc": doc["id"], "synced": synced, "listed": listed}


def count(node: NodeProcess, table: Any, *where: Any) -> int:
    n = node.open()
    try:
        with n.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(table).where(*where)).scalar() or 0
            )
    finally:
        n.close()


def events(node: NodeProcess, action: str) -> list[dict[str, Any]]:
    n = node.open()
    try:
        with n.engine.connect() as conn:
            bodies = conn.execute(
                select(audit_events.c.body).where(audit_events.c.action == action)
            ).scalars()
            return [json.loads(b) for b in bodies]
    finally:
        n.close()


def approved(a: NodeProcess) -> frozenset[str]:
    """Ids of A's records whose originator approved release to JPN (ORCON)."""
    n = a.open()
    try:
        with n.engine.connect() as conn:
            rows = conn.execute(
                select(records.c.id)
                .join(orcon_approvals, orcon_approvals.c.record_pk == records.c.pk)
                .where(orcon_approvals.c.nation == "JPN")
            )
            return frozenset(rows.scalars())
    finally:
        n.close()


def add(a: NodeProcess, title: str, label: str, user: str = "doe.analyst") -> str:
    made = run(
        a, "document", "add", "--as", user, "--title", title, "--body", f"{title} body",
        "--label", label, "--json",
    )  # fmt: skip
    return str(made["id"])


def _id_of(node: NodeProcess, user: str, title_part: str) -> str:
    items = run(node, "document", "list", "--as", user, "--json", "--limit", "200")["items"]
    return next(d["id"] for d in items if title_part in d["title"] and d["origin"] is None)


def test_the_setup_sequence_of_the_issue_works_verbatim(pair: dict[str, Any]) -> None:
    synced, listed = pair["synced"], pair["listed"]
    assert synced["complete"] is True
    assert synced["received"] == len(USA_TO_JPN) + 1 + USA_INCIDENTS_TO_JPN
    assert synced["rejected"] == 0 and synced["rejections"] == []
    from_usa = {d["title"]: d for d in listed["items"] if d["origin"] == "usa"}
    assert set(from_usa) == USA_TO_JPN | {"T"}
    assert from_usa["T"]["id"] == pair["doc"]  # the same record id on both nodes


def test_received_records_keep_the_originators_marking_and_show_the_equivalent(
    pair: dict[str, Any],
) -> None:
    b = pair["b"]
    shown = run(b, "document", "get", pair["doc"], "--as", "npa.analyst", "--json")
    assert shown["banner"] == "SECRET//REL TO USA, JPN"
    assert shown["banner_ja"] == "極秘//REL TO USA, JPN"  # the recipient's equivalent level
    assert shown["origin"] == "usa"
    assert shown["label"]["authority"] == "USA"
    assert shown["label"]["originator"] == "USA.DOE"
    assert shown["label"]["legal_basis"] == "NSWG-DEMO/v1"
    assert shown["portions"]["title"]["portion"] == "(S//REL TO USA, JPN)"
    # the recipient's own monitor governs it: a HI-cleared JAEA analyst does not see it
    hidden = b.cli("document", "get", pair["doc"], "--as", "mext.analyst", "--json")
    assert hidden.code == 4


def test_nothing_reaches_the_partner_that_its_nation_may_not_receive(pair: dict[str, Any]) -> None:
    held = assert_nothing_forbidden(pair["b"], {"usa": "USA"}, approved(pair["a"]))
    assert {r.title for r in held.values()} >= USA_TO_JPN | {"T"}
    assert not any("Talking points" in r.title or "plutonium" in r.title for r in held.values())


def test_a_second_sync_changes_nothing(pair: dict[str, Any]) -> None:
    b = pair["b"]
    run(b, "sync", "--peer", "usa", "--json")
    before = received(b)
    again = run(b, "sync", "--peer", "usa", "--json")
    assert again["received"] == 0 and again["rejected"] == 0
    assert received(b) == before


def test_sync_works_the_other_way_too(pair: dict[str, Any]) -> None:
    a = pair["a"]
    synced = run(a, "sync", "--peer", "jpn", "--json")
    assert synced["complete"]
    held = assert_nothing_forbidden(a, {"jpn": "JPN"})
    assert {r.title for r in held.values() if r.kind == "document"} == JPN_TO_USA
    # REL TO JPN, USA.DHS: on the US node only DHS users with ITDB see the case file
    listed = run(a, "document", "list", "--as", "dhs.chief", "--origin", "jpn", "--json")
    assert "Trafficking case file 2010-JP-004 (exercise)" in {d["title"] for d in listed["items"]}
    listed = run(a, "document", "list", "--as", "doe.chief", "--origin", "jpn", "--json")
    assert "Trafficking case file 2010-JP-004 (exercise)" not in {
        d["title"] for d in listed["items"]
    }


def test_explain_says_why_a_record_was_or_was_not_released(pair: dict[str, Any]) -> None:
    a = pair["a"]
    noforn = _id_of(a, "doe.chief", "Reactor-grade plutonium")
    why = run(a, "release", "explain", "--document", noforn, "--peer", "jpn", "--json")
    assert why["allowed"] is False
    assert any("NOFORN" in r for r in why["monitor"]["reasons"])
    assert any("NOFORN" in r for r in why["boundary"]["reasons"])
    assert why["outbox"] == []
    released = run(a, "release", "explain", "--document", pair["doc"], "--peer", "jpn", "--json")
    assert released["allowed"] is True
    assert released["outbox"][0]["acknowledged_at"] is not None  # the signed receipt came back
    assert events(a, "policy.explain")


def test_orcon_needs_the_originators_approval(pair: dict[str, Any]) -> None:
    a, b = pair["a"], pair["b"]
    orcon = add(a, "ORCON test", "SECRET//ORCON/REL TO USA, JPN")
    run(b, "sync", "--peer", "usa", "--json")
    assert orcon not in received(b)  # not without the originator's approval
    hidden = a.cli(
        "release", "approve", "--document", orcon, "--peer", "jpn", "--as", "dhs.analyst"
    )
    assert hidden.code == 4  # a CONFIDENTIAL-cleared analyst may not even know it exists
    other = a.cli("release", "approve", "--document", orcon, "--peer", "jpn", "--as", "dos.chief")
    assert other.code == 3  # DOS reads it, but only the originator DOE approves release
    ok = run(
        a,
        "release",
        "approve",
        "--document",
        orcon,
        "--peer",
        "jpn",
        "--as",
        "doe.analyst",
        "--json",
    )
    assert ok["outcome"] == "queued"
    synced = run(b, "sync", "--peer", "usa", "--json")
    assert synced["received"] == 1
    held = assert_nothing_forbidden(b, {"usa": "USA"}, approved(a))
    assert held[orcon].banner["orcon"] is True


def test_updates_and_downgrades_propagate_as_new_versions(pair: dict[str, Any]) -> None:
    a, b = pair["a"], pair["b"]
    doc = add(a, "U1", "SECRET//REL TO USA, JPN")
    run(b, "sync", "--peer", "usa", "--json")
    run(
        a, "document", "update", doc, "--as", "doe.analyst", "--title", "U2",
        "--body", "B2", "--label", "CONFIDENTIAL//REL TO USA, JPN", "--json",
    )  # fmt: skip
    synced = run(b, "sync", "--peer", "usa", "--json")
    assert synced["received"] == 1
    rec = received(b)[doc]
    assert (rec.title, rec.body, rec.banner["level"], rec.versions) == (
        "U2",
        "B2",
        "CONFIDENTIAL",
        2,
    )
    history = run(b, "document", "history", doc, "--as", "npa.analyst", "--json")
    assert [v["title"] for v in history] == ["U1", "U2"]


def test_a_tightened_label_withdraws_the_record_from_the_partner(pair: dict[str, Any]) -> None:
    a, b = pair["a"], pair["b"]
    doc = add(a, "W1", "CONFIDENTIAL//REL TO USA, JPN")
    run(b, "sync", "--peer", "usa", "--json")
    run(
        a, "document", "update", doc, "--as", "doe.analyst", "--title", "W2",
        "--body", "secret now", "--label", "SECRET//NOFORN", "--json",
    )  # fmt: skip
    synced = run(b, "sync", "--peer", "usa", "--json")
    assert synced["recalled"] == 1
    rec = received(b)[doc]
    assert rec.recalled and rec.title == "" and rec.banner["level"] == "CONFIDENTIAL"
    assert b.cli("document", "get", doc, "--as", "npa.chief").code == 4
    assert_nothing_forbidden(b, {"usa": "USA"}, approved(a))


def test_a_recall_removes_the_record_from_the_partners_view_and_is_audited(
    pair: dict[str, Any],
) -> None:
    a, b = pair["a"], pair["b"]
    doc = add(a, "R1", "SECRET//REL TO USA, JPN")
    run(b, "sync", "--peer", "usa", "--json")
    assert run(b, "document", "get", doc, "--as", "npa.analyst", "--json")["title"] == "R1"
    run(a, "release", "recall", "--document", doc, "--as", "doe.analyst", "--json")
    synced = run(b, "sync", "--peer", "usa", "--json")
    assert synced["recalled"] == 1
    assert b.cli("document", "get", doc, "--as", "npa.analyst").code == 4
    assert received(b)[doc].recalled
    assert [e for e in events(a, "record.recall") if doc in e["object"]]
    logged = [
        e for e in events(b, "exchange.receive") if doc in json.dumps(e["details"]["recalled"])
    ]
    assert logged  # the recipient audited the recall


def test_both_sides_log_release_receipt_and_checkpoints(pair: dict[str, Any]) -> None:
    a, b = pair["a"], pair["b"]
    for action in ("release.decide", "release.send", "exchange.receipt", "exchange.checkpoint"):
        assert events(a, action), action
    for action in ("exchange.receive", "exchange.checkpoint"):
        assert events(b, action), action
    # receipts: issued by B, received by A, one per page, all delivered
    issued = count(b, exchange_receipts, exchange_receipts.c.direction == "out")
    assert issued == count(a, exchange_receipts, exchange_receipts.c.direction == "in") > 0
    assert count(b, exchange_receipts, exchange_receipts.c.delivered.is_(False)) == 0
    # A's checkpoints were witnessed by B, and B's cosignatures are kept on A
    assert count(a, exchange_cosignatures, exchange_cosignatures.c.direction == "ours") > 0
    assert count(b, exchange_cosignatures, exchange_cosignatures.c.direction == "witnessed") > 0
    for node in (a, b):
        verify = node.cli("audit", "verify", "--json")
        assert verify.code == 0, verify.out


def test_every_released_version_is_acknowledged_by_a_signed_receipt(pair: dict[str, Any]) -> None:
    a, b = pair["a"], pair["b"]
    run(b, "sync", "--peer", "usa", "--json")
    pending = count(
        a, exchange_outbox, exchange_outbox.c.peer == "jpn", exchange_outbox.c.acked_at.is_(None)
    )
    assert pending == 0
