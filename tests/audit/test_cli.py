"""``nucsec audit ...`` end to end on a real node (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from nucsec.assembly import open_node
from nucsec.audit.keys import PUBLIC_KEY_FILE, public_key_pem
from nucsec.audit.tables import audit_events, create_audit_schema
from nucsec.cli import main
from nucsec.node import Node
from tests.audit.helpers import make_events, tamper
from tests.conftest import ON_POSTGRES

AUDITOR = {
    "username": "usa.auditor",
    "nation": "USA",
    "agency": "DOS",
    "clearance": "SECRET",
    "roles": ["auditor"],
}
ANALYST = {
    "username": "doe.analyst",
    "nation": "USA",
    "agency": "DOE",
    "clearance": "SECRET",
    "roles": ["analyst"],
}


def _init(home: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, demo: bool = False) -> Node:
    from nucsec.assembly import init_node
    from nucsec.settings import load

    monkeypatch.setenv("NUCSEC_HOME", str(home))
    if ON_POSTGRES:
        monkeypatch.setenv("NUCSEC_DATABASE_URL", db_url)
    else:
        monkeypatch.delenv("NUCSEC_DATABASE_URL", raising=False)
    node = init_node(load(), "USA", demo=demo)
    with node.engine.begin() as conn:
        create_audit_schema(conn)  # idempotent; until the migration creates the tables
    return node


@pytest.fixture
def node(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Node]:
    from nucsec.service.users import create_user

    n = _init(tmp_path / "node", db_url, monkeypatch)
    with n.engine.begin() as conn:
        for spec in (AUDITOR, ANALYST):
            create_user(n, conn, spec, actor="operator", password_hash=None)
        n.audit.append(conn, make_events(30, actor="u-0001"))
    yield n
    n.close()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_intact_log(node: Node, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "intact" in out
    code, out, _ = run(capsys, "audit", "verify", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True and data["events"] == 32  # 2 user.create + 30


def test_verify_names_the_first_bad_event(node: Node, capsys: pytest.CaptureFixture[str]) -> None:
    tamper(node.engine, "DELETE FROM audit_events WHERE seq = 7")
    code, out, err = run(capsys, "audit", "verify", "--json")
    assert code == 5
    assert json.loads(out)["first_bad_event"] == 7
    assert json.loads(err)["value"] == 7
    code, out, err = run(capsys, "audit", "verify")
    assert code == 5 and "first event that does not match: 7" in out and "7" in err


def test_prove_then_check_offline(
    node: Node, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "audit", "prove", "--event", "12")
    assert code == 0
    proof = tmp_path / "proof.json"
    proof.write_text(out, encoding="utf-8")
    doc = json.loads(out)
    assert doc["event"] == 12 and doc["tree_size"] >= 13
    # offline: only the public key, copied elsewhere
    pub = tmp_path / "partner-copy.pub.pem"
    pub.write_bytes((node.settings.home / "keys" / PUBLIC_KEY_FILE).read_bytes())
    code, out, _ = run(capsys, "audit", "check-proof", str(proof), "--key", str(pub))
    assert code == 0 and out.startswith("verified: event 12")
    code, out, _ = run(capsys, "audit", "check-proof", str(proof), "--json")
    assert json.loads(out)["event_data"]["object"] == "document:10"


def test_check_proof_rejects_wrong_key_and_altered_proofs(
    node: Node, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "audit", "prove", "--event", "5")
    doc = json.loads(out)
    other = tmp_path / "other.pub.pem"
    other.write_bytes(public_key_pem(Ed25519PrivateKey.generate().public_key()))
    good = tmp_path / "good.json"
    good.write_text(out, encoding="utf-8")
    assert run(capsys, "audit", "check-proof", str(good), "--key", str(other))[0] == 5
    forged = dict(doc, event_body=doc["event_body"].replace("u-0001", "u-0002"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(forged), encoding="utf-8")
    code, _, err = run(capsys, "audit", "check-proof", str(bad))
    assert code == 5 and "not proven" in err
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(dict(doc, event=doc["event"] + 1)), encoding="utf-8")
    assert run(capsys, "audit", "check-proof", str(moved))[0] == 5
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json", encoding="utf-8")
    assert run(capsys, "audit", "check-proof", str(garbage))[0] == 2


def test_prove_signs_a_checkpoint_when_the_event_is_newer(
    node: Node, capsys: pytest.CaptureFixture[str]
) -> None:
    with node.engine.begin() as conn:
        (seq,) = node.audit.append(conn, make_events(1, start=99))
    code, out, _ = run(capsys, "audit", "prove", "--event", str(seq), "--json")
    assert code == 0 and json.loads(out)["tree_size"] == seq + 1
    assert run(capsys, "audit", "prove", "--event", "9999")[0] == 4
    assert run(capsys, "audit", "prove", "--event", "-1")[0] == 2


def test_consistency(node: Node, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "audit", "consistency", "--from", "5", "--to", "20", "--json")
    data = json.loads(out)
    assert code == 0 and data["verified"] is True and data["consistency_path"]
    code, out, _ = run(capsys, "audit", "consistency", "--from", "5", "--to", "20")
    assert code == 0 and out.rstrip().endswith("consistent")
    assert run(capsys, "audit", "consistency", "--from", "20", "--to", "5")[0] == 2
    assert run(capsys, "audit", "consistency", "--from", "1", "--to", "999")[0] == 2


def test_log_is_an_audited_read_for_auditors(
    node: Node, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "audit", "log", "--user", "u-0001", "--as", "usa.auditor", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["events"]) == 30
    assert {e["actor"] for e in data["events"]} == {"u-0001"}
    with node.engine.connect() as conn:
        row = conn.execute(
            select(audit_events.c.action, audit_events.c.body).order_by(audit_events.c.seq.desc())
        ).first()
    assert row is not None and row[0] == "audit.read"
    read = json.loads(row[1])
    assert read["details"]["ids"] == [e["seq"] for e in data["events"]]
    assert read["details"]["query"]["user"] == "u-0001"
    code, out, _ = run(capsys, "audit", "log", "--since", "2999-01-01", "--as", "usa.auditor")
    assert code == 0 and "(0 events" in out


def test_log_refuses_non_auditors_and_records_the_refusal(
    node: Node, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "audit", "log", "--as", "doe.analyst")
    assert code == 3 and "not an auditor" in err
    with node.engine.connect() as conn:
        outcome = conn.execute(
            select(audit_events.c.outcome).order_by(audit_events.c.seq.desc())
        ).scalar()
    assert outcome == "denied"
    assert run(capsys, "audit", "log", "--as", "nobody")[0] == 4
    assert run(capsys, "audit", "log", "--as", "usa.auditor", "--since", "last tuesday")[0] == 2
    assert run(capsys, "audit", "log")[0] == 2  # --as is required


@pytest.mark.slow
def test_demo_node_events_verify(
    tmp_path: Path,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from nucsec.demo import seed

    node = _init(tmp_path / "demo", db_url, monkeypatch, demo=True)
    seed(node, password_hash=None)
    node.close()
    code, out, _ = run(capsys, "audit", "verify", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] and data["events"] > 10
    again = open_node()
    with again.engine.connect() as conn:
        actions = {a for (a,) in conn.execute(select(audit_events.c.action))}
    again.close()
    assert {"user.create", "record.create"} <= actions


def test_log_shows_record_ids_as_pseudonyms(node: Node, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime

    from nucsec.audit.events import AuditEvent

    record = "0b6f3c52-8a51-4a5e-9a3c-2f1e4d5c6b7a"
    with node.engine.begin() as conn:
        node.audit.append(
            conn,
            [
                AuditEvent(
                    datetime.now(UTC),
                    "u-0002",
                    "record.read",
                    f"document:{record}",
                    details={"ids": [record]},
                )
            ],
        )
    code, out, _ = run(capsys, "audit", "log", "--user", "u-0002", "--as", "usa.auditor", "--json")
    (event,) = json.loads(out)["events"]
    assert code == 0 and record not in out
    assert event["object"].startswith("document:ref:") and event["details"]["ids"][0] == (
        event["object"].removeprefix("document:")
    )
