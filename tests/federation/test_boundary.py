"""The boundary check: an independent second path that must agree with the monitor."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from nucsec.federation import boundary, stix
from nucsec.markings import Label, LabelError, parse_banner
from nucsec.policy import Principal, Resource, decide
from nucsec.service.registry import RECORD_KINDS
from tests.strategies import CTX, NATIONS, labels


def peer(nation: str) -> Principal:
    return Principal.create(
        id=f"peer:{nation}",
        nation=nation,
        agency=None,
        clearance=CTX.schemes[nation].levels[-1].name,
        compartments=CTX.compartments,
        roles=["peer"],
        kind="peer",
    )


def props(label: Label) -> dict[str, Any]:
    return {k: v for k, v in json.loads(label.to_json()).items() if v not in (None, [])}


@given(
    label=labels(with_meta=True),
    sender=st.sampled_from(NATIONS),
    recipient=st.sampled_from(NATIONS),
    approved=st.booleans(),
)
def test_boundary_agrees_with_the_reference_monitor(
    label: Label, sender: str, recipient: str, approved: bool
) -> None:
    assume(sender != recipient)
    try:
        label.validate(CTX, stored=True)
    except LabelError:
        assume(False)
    approvals = frozenset({recipient}) if approved else frozenset()
    monitor = decide(
        peer(recipient),
        "release",
        Resource(label, custodian=sender, orcon_approvals=approvals),
        CTX,
    )
    reasons = boundary.check_label(
        props(label), sender=sender, recipient=recipient, ctx=CTX, orcon_approved=approved
    )
    assert monitor.allowed == (not reasons), (monitor.denials, reasons)


@pytest.mark.parametrize(
    ("banner", "reason"),
    [
        ("SECRET//NOFORN", "NOFORN"),
        ("SECRET", "without REL TO"),
        ("SECRET//REL TO USA, GBR", None),  # unknown nation: refused before (parse)
        ("//JPN SECRET//REL TO JPN, USA", "third party"),
        ("SECRET//ORCON/REL TO USA, JPN", "ORCON"),
        ("UNCLASSIFIED//FORENSICS", "without REL TO"),
    ],
)
def test_boundary_reasons_name_the_rule(banner: str, reason: str | None) -> None:
    try:
        label = parse_banner(banner, CTX).with_(legal_basis=CTX.default_basis)
    except LabelError:
        assert reason is None
        return
    reasons = boundary.check_label(
        props(label), sender="USA", recipient="JPN", ctx=CTX, orcon_approved=False
    )
    assert reason is not None and any(reason in r for r in reasons), reasons


def test_public_unclassified_material_passes() -> None:
    label = parse_banner("UNCLASSIFIED", CTX).with_(legal_basis=CTX.default_basis)
    assert (
        boundary.check_label(
            props(label), sender="USA", recipient="JPN", ctx=CTX, orcon_approved=False
        )
        == []
    )


def test_unknown_label_fields_are_refused() -> None:
    label = props(parse_banner("SECRET//REL TO USA, JPN", CTX).with_(legal_basis=CTX.default_basis))
    reasons = boundary.check_label(
        {**label, "declassify_on": "2030-01-01"},
        sender="USA",
        recipient="JPN",
        ctx=CTX,
        orcon_approved=False,
    )
    assert reasons == ["the label has fields the boundary does not know"]


def _object(banner: str, tlp: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    label = parse_banner(banner, CTX).with_(originator="USA.DOE", legal_basis=CTX.default_basis)
    marking = stix.label_marking(label, CTX, "identity--00000000-0000-4000-8000-000000000000")
    obj = stix.record_object(
        RECORD_KINDS.get("document"),
        record_id="6f1c2a9e-3b7d-4c1e-9a2b-0c4d5e6f7a8b",
        created="2024-01-01T00:00:00.000000Z",
        modified="2024-01-01T00:00:00.000000Z",
        version=1,
        portions={"title": ("t", marking["id"]), "body": ("b", marking["id"])},
        banner_marking=marking["id"],
        tlp_marking=stix.tlp_markings()["clear"]["id"] if tlp else None,
        created_by="identity--00000000-0000-4000-8000-000000000000",
    )
    return obj, {marking["id"]: marking}


def test_an_object_passes_only_with_markings_the_boundary_can_read() -> None:
    obj, markings = _object("SECRET//REL TO USA, JPN")
    check = boundary.check_object
    kwargs: dict[str, Any] = {
        "sender": "USA",
        "recipient": "JPN",
        "ctx": CTX,
        "orcon_approvals": (),
    }
    assert check(obj, markings, recalled=False, **kwargs).allowed
    assert not check(obj, {}, recalled=False, **kwargs).allowed  # marking unknown: closed
    assert "recalled" in check(obj, markings, recalled=True, **kwargs).reasons[0]
    swapped = dict(
        obj, granular_markings=[{"marking_ref": "marking-definition--x", "selectors": ["body"]}]
    )
    assert not check(swapped, markings, recalled=False, **kwargs).allowed


def test_tlp_on_classified_material_is_refused_and_allowed_on_unclassified() -> None:
    kwargs: dict[str, Any] = {
        "sender": "USA",
        "recipient": "JPN",
        "ctx": CTX,
        "orcon_approvals": (),
    }
    obj, markings = _object("SECRET//REL TO USA, JPN", tlp=True)
    assert (
        "TLP marking on classified material"
        in boundary.check_object(obj, markings, recalled=False, **kwargs).reasons
    )
    obj, markings = _object("UNCLASSIFIED", tlp=True)
    assert boundary.check_object(obj, markings, recalled=False, **kwargs).allowed


def test_a_revocation_passes_and_a_revocation_with_content_does_not() -> None:
    kwargs: dict[str, Any] = {
        "sender": "USA",
        "recipient": "JPN",
        "ctx": CTX,
        "orcon_approvals": (),
    }
    obj, _ = _object("SECRET//NOFORN")
    revocation = {k: v for k, v in obj.items() if k not in ("title", "body", "granular_markings")}
    assert boundary.check_object(
        {**revocation, "revoked": True}, {}, recalled=True, **kwargs
    ).allowed
    assert not boundary.check_object({**obj, "revoked": True}, {}, recalled=True, **kwargs).allowed


def test_the_boundary_knows_the_same_identifiers_as_the_wire_format() -> None:
    assert boundary._EXT_LABEL == stix.EXT_LABEL
    tlp = stix.tlp_markings()
    assert {tlp["clear"]["id"], tlp["amber"]["id"]} == boundary._TLP_IDS
