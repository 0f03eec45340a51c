"""Practices, facilities, assessments and adoptions federate by label like every record kind: what
the policy releases arrives (and is searchable on the partner), a NOFORN practice never
leaves, a facility's holdings and an assessment's detailed answers stay home while its
profile, findings and scores travel, evidence files stay home; the receiver checks every
version with the kind's own checks."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.adoptions import add_adoption, get_adoption, list_adoptions
from nucsec.service.assessments import assess_facility, get_assessment
from nucsec.service.attachments import attach_file, list_attachments
from nucsec.service.facilities import add_facility, get_facility
from nucsec.service.files import FileUpload
from nucsec.service.practice_search import PracticeFilter, search_practices
from nucsec.service.practices import add_practice
from nucsec.service.users import principal_of
from tests.federation.conftest import local_nodes, outbox_objects, pin, receive

REL = "SECRET//REL TO USA, JPN"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with local_nodes(tmp_path) as make:
        usa, jpn = make("USA"), make("JPN")
        pin(usa, jpn, "jpn")
        pin(jpn, usa, "usa")
        yield usa, jpn


def _practice(node: Node, banner: str, code: str, title: str) -> str:
    record = {"id": code, "title": title, "summary": "Shared.", "topic": "insider_threat"}
    doe = principal_of(node, "doe.analyst")
    return add_practice(node, doe, record, parse_banner(banner, node.ctx)).id


def test_released_practices_arrive_and_are_found_the_noforn_one_stays(pair):
    usa, jpn = pair
    shared = _practice(usa, REL, "BP-1", "Insider mentoring programme")
    _practice(usa, "SECRET//NOFORN", "BP-2", "Insider case files")
    sent = outbox_objects(usa, "jpn")
    assert [o["type"] for o in sent].count("x-nucsec-practice") == 1
    result = receive(jpn, "usa", sent)
    assert not result.rejected
    found = search_practices(jpn, principal_of(jpn, "npa.analyst"), PracticeFilter("insider"))
    assert [i.id for i in found.items] == [shared] and found.total == 1
    assert found.items[0].origin == "usa"


def test_holdings_and_answers_stay_home(pair):
    usa, jpn = pair
    doe = principal_of(usa, "doe.analyst")
    label = parse_banner(REL, usa.ctx)
    record = {
        "name": "Reactor",
        "operator": "Op",
        "type": "research_reactor",
        "holdings": [
            {
                "area": "vault",
                "items": [{"kind": "material", "material": "U", "mass_g": 9000,
                           "enrichment_pct": 90}],
            }
        ],
    }  # fmt: skip
    fac = add_facility(usa, doe, record, label)
    made = assess_facility(usa, doe, fac.id, {"assessed_on": "2026-01-01"}, label)
    sent = outbox_objects(usa, "jpn")
    ours = ("x-nucsec-facility", "x-nucsec-assessment")
    kinds = {o["type"]: o for o in sent if o["type"] in ours}
    names = {t: sorted(p["name"] for p in o["portions"]) for t, o in kinds.items()}
    assert names == {
        "x-nucsec-facility": ["identity", "profile"],
        "x-nucsec-assessment": ["findings", "header", "scores"],
    }
    assert not receive(jpn, "usa", sent).rejected
    npa = principal_of(jpn, "npa.analyst")
    there = get_facility(jpn, npa, fac.id)
    assert there.holdings is None and there.profile["material_categories"] == ["I"]
    scored = get_assessment(jpn, npa, made.id)
    assert scored.answers is None and scored.scores == made.scores


def test_receiver_checks_each_version_with_the_kinds_checks(pair):
    usa, jpn = pair
    _practice(usa, REL, "BP-1", "Vault two-person rule")
    sent = outbox_objects(usa, "jpn")
    record = next(o for o in sent if o["type"] == "x-nucsec-practice")
    bad = copy.deepcopy(record)
    bad["id"] = bad["id"][:-1] + ("0" if bad["id"][-1] != "0" else "1")
    meta = next(p for p in bad["portions"] if p["name"] == "meta")
    meta["value"]["topic"] = "gardening"
    result = receive(jpn, "usa", [*sent, bad])
    assert len(result.rejected) == 1 and "topic" in result.rejected[0]["reason"]


def test_adoptions_travel_by_label_their_evidence_files_stay_home(pair):
    usa, jpn = pair
    doe = principal_of(usa, "doe.analyst")
    label = parse_banner(REL, usa.ctx)
    practice = _practice(usa, REL, "BP-7", "Vault two-person rule")
    record = {"name": "Lab", "operator": "Op", "type": "laboratory", "holdings": []}
    fac = add_facility(usa, doe, record, label)

    def adopt(banner: str):
        return add_adoption(
            usa,
            doe,
            practice,
            on=date(2025, 6, 1),
            evidence="Procedure P-7 in force.",
            label=parse_banner(banner, usa.ctx),
            facility_id=fac.id,
        )

    shared, kept = adopt(REL), adopt("SECRET//NOFORN")
    attach_file(usa, doe, "adoption", shared.id, FileUpload(b"signed procedure", "p7.pdf"))
    assessed = assess_facility(usa, doe, fac.id, {"assessed_on": "2026-01-01"}, label)
    attach_file(usa, doe, "assessment", assessed.id, FileUpload(b"gate log", "gate.csv"))
    assert [a.name for a in list_attachments(usa, doe, "assessment", assessed.id)] == ["gate.csv"]
    sent = outbox_objects(usa, "jpn")
    adoptions = [o for o in sent if o["type"] == "x-nucsec-adoption"]
    assert {o["id"].split("--")[1] for o in adoptions} == {shared.id}  # NOFORN stays
    for o in [*adoptions, *(o for o in sent if o["type"] == "x-nucsec-assessment")]:
        assert not [p["name"] for p in o["portions"] if p["name"].startswith("attachment")]
    assert not receive(jpn, "usa", sent).rejected
    npa = principal_of(jpn, "npa.analyst")
    there = get_adoption(jpn, npa, shared.id)
    assert (there.practice, there.facility, there.status) == (practice, fac.id, "adopted")
    assert [a.id for a in list_adoptions(jpn, npa)] == [shared.id]
    assert kept.id not in {a.id for a in list_adoptions(jpn, npa)}
