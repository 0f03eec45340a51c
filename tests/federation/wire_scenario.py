"""A fixed federation scenario whose STIX objects are wire format 1.0, pinned byte for byte.

A USA node with a fixed origin, clock and record ids releases to its JPN peer one record
of each kind under each marking variety (unclassified with TLP:CLEAR and TLP:AMBER,
SECRET//REL TO, an agency in REL TO, a compartment, ORCON after the originator's
approval, portions under different labels, an update, a tightening to NOFORN and a
recall, both sent as revocations), and exports its incidents as a STIX bundle (where the
NOFORN marking, which never crosses, is seen too).

:func:`wire_cases` returns ``{case name: canonical JSON lines}``: for each case the
definitions its objects reference, then its objects, in outbox order, each exactly as the
outbox holds it (RFC 8785 bytes). ``tests/data/federation/golden/`` holds what the code of
commit 11523fb produced (``python -m tests.federation.wire_scenario --write`` wrote them;
wire format 1.0 is immutable: never rewrite them to make a change pass).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.service.kinds import KindRegistry

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "federation" / "golden"
T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)
#: the JPN peer's public key (any valid Ed25519 key: pages are not signed here)
PEER_KEY = (
    b"-----BEGIN PUBLIC KEY-----\n"
    b"MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
    b"-----END PUBLIC KEY-----\n"
)
RECORD_TYPES = ("x-nucsec-document", "x-nucsec-incident", "x-nucsec-analysis")
VERSIONS = {"nucsec": "0.1.0", "sandiaspecutils": "x", "numpy": "x", "scipy": "x"}


class SteppedClock:
    """A clock that stays where the scenario puts it (calls do not move it)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, minutes: int) -> None:
        self.now = T0 + dt.timedelta(minutes=minutes)


class _Ids:
    """Stands in for the ``uuid`` module of the record store: ids 1, 2, 3, ... as UUIDs."""

    def __init__(self) -> None:
        self.n = 0

    def uuid4(self) -> uuid.UUID:
        self.n += 1
        return uuid.UUID(int=0x6E756373 << 96 | self.n, version=4)


def _principal(agency: str, *roles: str) -> Principal:
    return Principal.create(
        id=f"usa-{agency.lower()}-{'-'.join(roles)}",
        nation="USA",
        agency=agency,
        clearance="TOP SECRET",
        compartments=("FORENSICS", "ITDB", "PHYSPROT"),
        roles=roles,
    )


DOE = _principal("DOE", "analyst")
DHS = _principal("DHS", "analyst")


def _incident(reference: str, *narrative: tuple[str, str]) -> dict[str, Any]:
    return {
        "reference": reference,
        "report_date": "2024-04-02",
        "incident_date": "2024-03-01",
        "country": "US",
        "incident_type": "theft",
        "itdb_group": "I",
        "place": "golden test site",
        "items": [
            {"kind": "material", "material": "U", "mass_g": 2.5, "enrichment_pct": 90.1},
            {"kind": "source", "nuclide": "Cs-137", "activity_bq": 1.9e11},
        ],
        "narrative": [{"label": label, "text": text} for label, text in narrative],
    }


class Scenario:
    """Runs the cases on one node and cuts its outbox into per-case object lists."""

    def __init__(self, node: Node, clock: SteppedClock) -> None:
        self.node = node
        self.clock = clock
        self.seen = 0
        self.cases: dict[str, list[bytes]] = {}
        self.bodies: dict[str, bytes] = {}  # stix id -> last body (definitions)

    def _outbox(self) -> list[bytes]:
        from tests.federation.wire_paths import exchange_outbox

        o = exchange_outbox.c
        with self.node.engine.connect() as conn:
            rows = conn.execute(select(o.body).where(o.peer == "jpn").order_by(o.seq)).scalars()
            return [b.encode("utf-8") for b in rows]

    def case(self, name: str, minutes: int, act: Callable[[], Any]) -> Any:
        """Run ``act`` at T0 + ``minutes``; the case's lines are the definitions its new
        objects reference (wherever they were first queued), then those objects."""
        self.clock.at(minutes)
        result = act()
        bodies = self._outbox()
        new, self.seen = bodies[self.seen :], len(bodies)
        for body in new:
            self.bodies.setdefault(json.loads(body)["id"], body)
        records = [b for b in new if "record_version" in json.loads(b)]
        wanted: list[str] = []
        for body in records:
            obj = json.loads(body)
            for ref in [obj["created_by_ref"], *obj["object_marking_refs"]]:
                wanted.append(ref)
            wanted += [g["marking_ref"] for g in obj.get("granular_markings", [])]
        ordered = [sid for sid in self.bodies if sid in set(wanted)]
        self.cases[name] = [self.bodies[sid] for sid in ordered] + records
        return result


def run(node: Node, clock: SteppedClock) -> dict[str, list[bytes]]:
    """The cases, in order (see the module docstring)."""
    from tests.federation.wire_paths import (
        add_incident,
        add_peer,
        approve_orcon,
        attach_file,
        backfill,
        create_document,
        document_input,
        export_incidents_stix,
        file_upload,
        parse_incident,
        recall_document,
        recall_incident,
        save_age_analysis,
        update_document,
    )

    ctx = node.ctx
    s = Scenario(node, clock)

    def label(text: str) -> Any:
        return parse_banner(text, ctx)

    def doc(title: str, body: str, title_label: str, body_label: str | None = None) -> Any:
        made = create_document(
            node,
            DOE,
            document_input(title, body, label(title_label), label(body_label or title_label)),
        )
        return made["id"]

    def peer() -> Any:
        with node.engine.begin() as conn:
            p = add_peer(
                node, conn, name="jpn", nation="JPN", url="http://127.0.0.1:9", public_key=PEER_KEY
            )
            return backfill(node, conn, p)

    s.case("peer_added", 0, peer)
    del s.cases["peer_added"]  # nothing to release yet
    s.case(
        "document_unclassified_tlp_clear",
        1,
        lambda: doc("Public note", "Open text.", "UNCLASSIFIED"),
    )
    s.case(
        "document_unclassified_rel_to_tlp_amber",
        2,
        lambda: doc("Shared note", "Partners only.", "UNCLASSIFIED//REL TO USA, JPN"),
    )
    rel = s.case(
        "document_secret_rel_to",
        3,
        lambda: doc("Seizure summary", "Material seized at the border.", "SECRET//REL TO USA, JPN"),
    )
    s.case(
        "document_rel_to_agency",
        4,
        lambda: doc("Police liaison", "For the NPA.", "SECRET//REL TO USA, JPN.NPA"),
    )
    s.case(
        "document_compartment",
        5,
        lambda: doc("Forensic plan", "Sampling plan.", "SECRET//FORENSICS//REL TO USA, JPN"),
    )
    s.case(
        "document_portions",
        6,
        lambda: doc(
            "Mixed portions",
            "Body under a higher label.",
            "CUI//REL TO USA, JPN",
            "SECRET//FORENSICS//REL TO USA, JPN",
        ),
    )
    orcon = doc("Originator controlled", "ORCON body.", "SECRET//ORCON/REL TO USA, JPN")

    def approve() -> Any:
        with node.engine.begin() as conn:
            return approve_orcon(node, conn, DOE, "document", orcon, "jpn")

    s.case("document_orcon_approved", 7, approve)
    s.case(
        "document_update",
        8,
        lambda: update_document(
            node,
            DOE,
            rel,
            document_input(
                "Seizure summary (rev. 1)",
                "Material seized at the border; assay pending.",
                label("SECRET//REL TO USA, JPN"),
                label("SECRET//REL TO USA, JPN"),
            ),
        ),
    )
    s.case(
        "document_attachment_stays_home",
        9,
        lambda: attach_file(
            node,
            DOE,
            "document",
            rel,
            file_upload(b"annex\n", "annex.txt", "text/plain", "an annex"),
            label=label("SECRET//REL TO USA, JPN"),
        ),
    )
    tighten = doc("Later restricted", "Released, then tightened.", "CONFIDENTIAL//REL TO USA, JPN")
    s.case(
        "document_tightened_to_noforn",
        10,
        lambda: update_document(
            node,
            DOE,
            tighten,
            document_input(
                "Later restricted",
                "Released, then tightened.",
                label("SECRET//NOFORN"),
                label("SECRET//NOFORN"),
            ),
        ),
    )
    recalled = doc("To be recalled", "Recalled text.", "SECRET//REL TO USA, JPN")
    s.case("document_recall", 11, lambda: recall_document(node, DOE, recalled))

    def incident(reference: str, facts: str, *narrative: tuple[str, str]) -> Any:
        made = add_incident(
            node,
            DHS,
            parse_incident(_incident(reference, *narrative), today=clock().date()),
            label(facts),
        )
        return made["id"]

    inc = s.case(
        "incident_portions",
        12,
        lambda: incident(
            "GOLD-1",
            "SECRET//REL TO USA, JPN",
            ("CONFIDENTIAL//REL TO USA, JPN", "First paragraph."),
            ("SECRET//ITDB//REL TO USA, JPN", "Second paragraph, 日本語も."),
        ),
    )
    s.case(
        "incident_attachment",
        13,
        lambda: attach_file(
            node,
            DHS,
            "incident",
            inc,
            file_upload(b"detector file bytes\n", "spectrum.n42", "application/xml", "a spectrum"),
        ),
    )
    s.case(
        "incident_unclassified_tlp_clear",
        14,
        lambda: incident("GOLD-2", "UNCLASSIFIED", ("UNCLASSIFIED", "Public paragraph.")),
    )
    hidden = incident("GOLD-3", "SECRET//NOFORN", ("SECRET//NOFORN", "Stays home."))
    gone = incident("GOLD-4", "SECRET//REL TO USA, JPN", ("SECRET//REL TO USA, JPN", "Withdrawn."))
    s.case("incident_recall", 15, lambda: recall_incident(node, DHS, gone))
    params = {
        "chronometer": "Th-230/U-234",
        "ratio": 1.41148e-4,
        "ratio_unc": 7.06e-7,
        "measured_on": "2024-05-01",
        "age_on": "2024-05-01",
    }
    s.case(
        "analysis_age",
        16,
        lambda: save_age_analysis(
            node,
            DOE,
            params=params,
            label=label("SECRET//FORENSICS//REL TO USA, JPN"),
            parent={"kind": "incident", "id": inc},
        ),
    )
    s.case(
        "analysis_source_withheld",
        17,
        lambda: save_age_analysis(
            node,
            DOE,
            params=params,
            label=label("SECRET//REL TO USA, JPN"),
            parent={"kind": "incident", "id": hidden},
            title="Age of a sample of a NOFORN incident",
        ),
    )
    clock.at(18)
    exported = export_incidents_stix(node, DHS)
    base = [
        b
        for b in s.bodies.values()
        if json.loads(b)["type"] not in ("marking-definition", *RECORD_TYPES)
    ]
    return {
        "definitions": base,
        **s.cases,
        "export_incidents_bundle": [exported.encode("utf-8")],
    }


#: the record kinds wire format 1.0 shipped (the golden files were written with these)
WIRE_1_0_KINDS = ("document", "incident", "analysis")


@contextmanager
def golden_node(make: Callable[[], Node], monkeypatch: Any) -> Iterator[tuple[Node, SteppedClock]]:
    """A node from ``make`` with the scenario's fixed origin, clock and record ids."""
    from tests.federation.wire_paths import fix_versions, records_module

    clock = SteppedClock()
    monkeypatch.setattr(records_module(), "uuid", _Ids())
    fix_versions(monkeypatch, VERSIONS)
    node = make()
    # wire format 1.0 pins the kinds it shipped; a kind added later (cases) has its own
    # extension definition, which 1.0's bundles did not list
    node.kinds = KindRegistry(tuple(k for k in node.kinds if k.name in WIRE_1_0_KINDS))
    node.origin = "nucsec.usa/golden"
    node.clock = clock
    yield node, clock


def lines(cases: dict[str, list[bytes]]) -> dict[str, bytes]:
    """Each case as the bytes of its golden file (one canonical object per line)."""
    return {name: b"".join(line + b"\n" for line in objs) for name, objs in cases.items()}


def _write() -> None:  # pragma: no cover - run once, by hand, on the pinned commit
    import tempfile

    import pytest

    from nucsec import settings
    from tests.federation.wire_paths import init_node

    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        home = Path(tmp)

        def make() -> Node:
            return init_node(settings.load(env={}, home=home / "usa"), "USA", demo=False)

        with golden_node(make, mp) as (node, clock):
            files = lines(run(node, clock))
            node.close()
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (GOLDEN / file_name(name)).write_bytes(data)


def file_name(case: str) -> str:
    """A case's golden file: JSON lines, but the export is one indented bundle."""
    return f"{case}.json" if case.startswith("export") else f"{case}.jsonl"


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["--write"]:
        _write()
    else:
        print("usage: python -m tests.federation.wire_scenario --write")
