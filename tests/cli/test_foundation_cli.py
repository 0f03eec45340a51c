"""The CLI shapes of the foundation issue, on the demo data."""

from __future__ import annotations

import json

PRINCIPAL = '{"nation":"JPN","agency":"NPA","clearance":"SECRET","compartments":["FORENSICS"]}'


def test_user_list(demo):
    users = demo("user", "list", "--json").json
    chiefs = {u["username"] for u in users if u["username"].endswith(".chief")}
    assert chiefs == {f"{a}.chief" for a in ("doe", "dhs", "dos", "mext", "mofa", "npa", "nisa")}
    npa = next(u for u in users if u["username"] == "npa.analyst")
    assert (npa["nation"], npa["agency"], npa["clearance"]) == ("JPN", "NPA", "GOKUHI")
    assert set(npa) >= {"nation", "agency", "roles", "clearance", "compartments"}


def test_document_add_get_list(demo):
    added = demo(
        "document",
        "add",
        "--as",
        "doe.analyst",
        "--title",
        "Canary T",
        "--body",
        "B",
        "--label",
        "SECRET//REL TO USA, JPN",
        "--json",
    )
    assert added.code == 0, added.err
    doc_id = added.json["id"]
    got = demo("document", "get", doc_id, "--as", "npa.analyst", "--json")
    assert got.code == 0 and got.json["banner"] == "SECRET//REL TO USA, JPN"
    assert got.json["banner_ja"] == "極秘//REL TO USA, JPN"
    hidden = demo("document", "get", doc_id, "--as", "mext.analyst", "--json")
    missing = demo("document", "get", "no-such-id", "--as", "mext.analyst", "--json")
    assert hidden.code == missing.code == 4
    assert "not found" in hidden.err and "not found" in missing.err
    assert hidden.out == missing.out == ""
    listed = demo("document", "list", "--as", "npa.analyst", "--json").json
    assert doc_id in {d["id"] for d in listed["items"]}
    assert "next" in listed
    assert doc_id not in {
        d["id"] for d in demo("document", "list", "--as", "mext.analyst", "--json").json["items"]
    }


def test_policy_check(demo):
    allowed = demo(
        "policy",
        "check",
        "--principal",
        PRINCIPAL,
        "--label",
        "SECRET//REL TO USA, JPN",
        "--action",
        "read",
        "--json",
    ).json
    assert allowed["allowed"] is True and allowed["reasons"]
    low = PRINCIPAL.replace('"SECRET"', '"秘"')
    denied = demo(
        "policy",
        "check",
        "--principal",
        low,
        "--label",
        "SECRET//REL TO USA, JPN",
        "--action",
        "read",
        "--json",
    ).json
    assert denied["allowed"] is False
    assert "exceeds the principal's HI clearance" in denied["reasons"][0]


def test_policy_check_needs_originator_for_orcon_release(demo):
    label = json.dumps(
        {
            "authority": "USA",
            "level": "SECRET",
            "rel_to": ["USA", "JPN"],
            "orcon": True,
            "originator": "USA.DOE",
        }
    )
    peer = '{"nation":"JPN","clearance":"KIMITSU","compartments":[],"roles":["viewer"]}'
    out = demo(
        "policy", "check", "--principal", peer, "--label", label, "--action", "release", "--json"
    ).json
    assert out["allowed"] is False and "ORCON" in out["reasons"][0]


def test_label_parse(demo):
    parsed = demo("label", "parse", "SECRET//REL TO USA, JPN", "--json").json
    assert parsed["authority"] == "USA" and parsed["level"] == "SECRET"
    assert sorted(parsed["rel_to"]) == ["JPN", "USA"]
    bad = demo("label", "parse", "SECRET//NOFORN/REL TO USA, JPN", "--json")
    assert bad.code == 2
    assert json.loads(bad.err)["field"] == "noforn"


def test_explain(demo):
    doc_id = demo(
        "document",
        "add",
        "--as",
        "doe.chief",
        "--title",
        "t",
        "--body",
        "b",
        "--label",
        "CONFIDENTIAL//NOFORN",
        "--json",
    ).json["id"]
    out = demo("explain", "--user", "npa.analyst", "--document", doc_id, "--json").json
    assert out["allowed"] is False
    assert "NOFORN" in out["reasons"][0]
    text = demo("explain", "--user", "dos.chief", "--document", doc_id)
    assert "ALLOWED" in text.out


def test_uninitialised_home_is_a_clear_error(nucsec):
    result = nucsec("user", "list")
    assert result.code == 7
    assert "nucsec init" in result.err
