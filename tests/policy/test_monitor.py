"""The reference monitor: rule by rule, with reasons a security officer can read."""

from __future__ import annotations

import pytest

from nucsec.markings import parse_banner, parse_label
from nucsec.policy import Principal, Resource, decide
from tests.strategies import CTX


def P(nation: str, agency: str, clearance: str, compartments=(), roles=("analyst",)) -> Principal:
    return Principal.create(
        id=f"{nation}.{agency}",
        nation=nation,
        agency=agency,
        clearance=clearance,
        compartments=compartments,
        roles=roles,
    )


DOE_S = P("USA", "DOE", "SECRET", ["FORENSICS"])
DHS_C = P("USA", "DHS", "CONFIDENTIAL")
NPA_GK = P("JPN", "NPA", "GOKUHI", ["FORENSICS"])
NPA_US_NAME = P("JPN", "NPA", "SECRET", ["FORENSICS"])  # clearance named in the US scheme
MOFA_HI = P("JPN", "MOFA", "秘")

READ_CASES = [
    # (principal, banner, allowed, reason fragment)
    (DOE_S, "SECRET//REL TO USA, JPN", True, "dominates"),
    (
        DHS_C,
        "SECRET//REL TO USA, JPN",
        False,
        "SECRET exceeds the principal's CONFIDENTIAL clearance (equivalence: NSWG-DEMO/v1)",
    ),
    (NPA_GK, "SECRET//REL TO USA, JPN", True, "JPN is in REL TO"),
    (NPA_US_NAME, "SECRET//REL TO USA, JPN", True, "dominates"),
    (MOFA_HI, "SECRET//REL TO USA, JPN", False, "exceeds the principal's HI clearance"),
    (NPA_GK, "CONFIDENTIAL//NOFORN", False, "NOFORN keeps this information in USA"),
    (NPA_GK, "CONFIDENTIAL", False, "without REL TO"),
    (NPA_GK, "UNCLASSIFIED", True, "unclassified without controls"),
    (NPA_GK, "UNCLASSIFIED//ORCON", False, "without REL TO"),
    (NPA_GK, "SECRET//REL TO USA, JPN.NPA", True, "JPN.NPA is named"),
    (MOFA_HI, "CONFIDENTIAL//REL TO USA, JPN.NPA", False, "REL TO names only JPN.NPA"),
    (DHS_C, "CONFIDENTIAL//FORENSICS//REL TO USA, JPN", False, "needs compartment(s) FORENSICS"),
    (DOE_S, "GOKUHI//REL TO JPN, USA", True, "USA is in REL TO"),
    (DOE_S, "KIMITSU//REL TO JPN, USA", False, "KIMITSU exceeds"),
    (DOE_S, "GOKUHI//NOFORN", False, "NOFORN keeps this information in JPN"),
]


@pytest.mark.parametrize(
    ("principal", "banner", "allowed", "fragment"),
    READ_CASES,
    ids=[f"{p.id}-{p.clearance}-{b}" for p, b, _, _ in READ_CASES],
)
def test_read(principal, banner, allowed, fragment):
    decision = decide(principal, "read", Resource(parse_banner(banner, CTX)), CTX)
    assert decision.allowed is allowed
    assert any(fragment in reason for reason in decision.reasons), decision.reasons


def test_recalled_records_are_read_by_no_one():
    decision = decide(
        DOE_S, "read", Resource(parse_banner("UNCLASSIFIED", CTX), recalled=True), CTX
    )
    assert not decision.allowed
    assert "recalled" in decision.reasons[0]


ORCON = parse_label(
    '{"authority":"USA","level":"SECRET","rel_to":["USA","JPN"],"orcon":true,'
    '"originator":"USA.DOE"}',
    CTX,
)


@pytest.mark.parametrize(
    ("principal", "allowed"),
    [(DOE_S, True), (P("USA", "DHS", "SECRET"), False), (NPA_GK, False)],
    ids=["originator", "other-us-agency", "partner"],
)
def test_orcon_export_only_by_originator(principal, allowed):
    decision = decide(principal, "export", Resource(ORCON), CTX)
    assert decision.allowed is allowed
    if not allowed:
        assert any("ORCON" in r for r in decision.reasons)


def test_updates_by_originator_or_security_officer_only():
    narrower = ORCON.with_(rel_to=[])
    dhs = P("USA", "DHS", "SECRET")
    decision = decide(dhs, "update", Resource(ORCON, new_label=narrower), CTX)
    assert decision.denials == ("not_originator",)
    officer = P("USA", "DHS", "SECRET", roles=("security_officer",))
    assert decide(officer, "update", Resource(ORCON, new_label=narrower), CTX).allowed
    widened = ORCON.with_(level="CONFIDENTIAL")
    decision = decide(officer, "update", Resource(ORCON, new_label=widened), CTX)
    assert decision.denials == ("orcon_widen",)
    assert "ORCON" in decision.reasons[0]
    assert decide(DOE_S, "update", Resource(ORCON, new_label=ORCON.with_(orcon=False)), CTX).allowed
    moved = ORCON.with_(originator="USA.DHS")
    assert "originator" in decide(DOE_S, "update", Resource(ORCON, new_label=moved), CTX).denials


@pytest.mark.parametrize(
    ("principal", "banner", "allowed", "denial"),
    [
        (DOE_S, "SECRET//REL TO USA, JPN", True, None),
        (DOE_S, "TOP SECRET//NOFORN", False, "level"),
        (DOE_S, "GOKUHI//REL TO JPN, USA", False, "authority"),
        (P("USA", "DOE", "SECRET", roles=("viewer",)), "SECRET//REL TO USA, JPN", False, "role"),
        (DOE_S, "SECRET//ITDB//REL TO USA, JPN", False, "compartments"),
    ],
    ids=["ok", "above-clearance", "foreign-authority", "viewer", "compartment"],
)
def test_create(principal, banner, allowed, denial):
    decision = decide(principal, "create", Resource(parse_banner(banner, CTX)), CTX)
    assert decision.allowed is allowed
    if denial:
        assert denial in decision.denials


def peer(nation: str) -> Principal:
    top = CTX.schemes[nation].levels[-1].name
    return Principal.create(
        id=f"peer:{nation}",
        nation=nation,
        agency=None,
        clearance=top,
        compartments=CTX.compartments,
        roles=["peer"],
        kind="peer",
    )


@pytest.mark.parametrize(
    ("banner", "approvals", "custodian", "allowed", "denial"),
    [
        ("SECRET//REL TO USA, JPN", (), "USA", True, None),
        ("SECRET//NOFORN", (), "USA", False, "nationality"),
        ("SECRET", (), "USA", False, "nationality"),
        (
            '{"authority":"USA","level":"SECRET","rel_to":["USA","JPN"],"orcon":true,'
            '"originator":"USA.DOE"}',
            (),
            "USA",
            False,
            "orcon_release",
        ),
        (
            '{"authority":"USA","level":"SECRET","rel_to":["USA","JPN"],"orcon":true,'
            '"originator":"USA.DOE"}',
            ("JPN",),
            "USA",
            True,
            None,
        ),
        ("GOKUHI//REL TO JPN, USA", (), "USA", False, "third_party"),
    ],
    ids=["rel-to", "noforn", "no-rel-to", "orcon-unapproved", "orcon-approved", "third-party"],
)
def test_release_to_partner(banner, approvals, custodian, allowed, denial):
    resource = Resource(
        parse_label(banner, CTX), custodian=custodian, orcon_approvals=frozenset(approvals)
    )
    decision = decide(peer("JPN"), "release", resource, CTX)
    assert decision.allowed is allowed, decision.reasons
    if denial:
        assert denial in decision.denials


def test_unknown_action_and_unknown_marking_fail_closed():
    label = parse_banner("UNCLASSIFIED", CTX)
    assert not decide(DOE_S, "delete", Resource(label), CTX).allowed
    broken = label.with_(legal_basis="NO-SUCH-AGREEMENT/v9")
    decision = decide(DOE_S, "read", Resource(broken), CTX)
    assert not decision.allowed
    assert "fail closed" in decision.reasons[0]
