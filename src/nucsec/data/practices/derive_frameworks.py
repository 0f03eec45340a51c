"""Write ``nti_index.toml`` and ``nucsec_facility.toml`` from the CSV copies beside this file.

Run ``python src/nucsec/data/practices/derive_frameworks.py`` after changing a CSV; the
test suite fails if the TOML files are not what this script writes. Not imported at run
time. Titles are the CSV's short labels (cited, not copied from the documents); the
questions, grouping, scales, weight sets and crosswalk are ours (``status = "ours"``);
a node built on an ``unverified`` row keeps ``status = "unverified"``.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

NSS13 = "IAEA NSS 13 (INFCIRC/225/Rev.5), measure {id} (local label)"
NSS14 = "IAEA NSS 14 security level {level}, function {fn} (from NSS 11 summaries)"
NSS7 = "IAEA NSS 7 nuclear security culture model, layer {layer}"
NTI = "NTI Nuclear Security Index, node {code}"

IMPLEMENTATION = {
    "id": "implementation",
    "title": "How far a measure is in place (ours)",
    "options": [
        {"code": "0", "label": "Not in place", "score": 0, "compliant": False},
        {"code": "1", "label": "Planned or ad hoc", "score": 25, "compliant": False},
        {"code": "2", "label": "In place, partly documented", "score": 50, "compliant": False},
        {"code": "3", "label": "In place and documented", "score": 75, "compliant": True},
        {"code": "4", "label": "In place, tested and improved", "score": 100, "compliant": True},
    ],
}

# (code, title, applicability) of the facility framework's categories, in order
CATEGORIES = [
    ("GM", "Security management at the facility (regime elements)", []),
    ("PP", "Physical protection against unauthorised removal", ["theft"]),
    ("SB", "Protection against sabotage", ["sabotage"]),
    ("TR", "Transport security", ["transport"]),
    ("RS", "Security of radioactive sources", ["level:A", "level:B", "level:C"]),
    ("MC", "Nuclear material accounting and control", ["cat:I", "cat:II", "cat:III"]),
    ("IN", "Insider threat prevention", []),
    ("RE", "Response capabilities", []),
    ("CY", "Computer security", []),
    ("SC", "Security culture (management systems and behaviour)", []),
]

# a second weight set: our proposal for discussion (version "1" weighs siblings equally)
PROPOSED_TOP = {
    "GM": 5,
    "PP": 20,
    "SB": 10,
    "TR": 10,
    "RS": 10,
    "MC": 10,
    "IN": 15,
    "RE": 10,
    "CY": 5,
    "SC": 5,
}

# facility framework node -> (NTI node, relation, rationale): our crosswalk
CROSSWALK = [
    ("PP", "2.1", "subset", "theft protection at one facility is part of on-site protection"),
    ("SB", "2.1", "subset", "sabotage protection at one facility is part of on-site protection"),
    ("MC", "2.2", "intersect", "facility MC&A against the national control and accounting node"),
    ("IN", "2.3", "intersect", "facility insider measures against the national indicator"),
    ("TR", "2.4", "intersect", "a shipper's transport security against the national indicator"),
    ("RE", "2.5", "intersect", "facility response arrangements against national capabilities"),
    ("CY", "2.6", "intersect", "facility computer security against the national indicator"),
    ("GEN-03", "4.2", "intersect", "the facility applies the domestic legislation NTI scores"),
    ("GEN-04", "2.1.3", "equal", "both concern the design basis threat"),
    ("GEN-07", "2.3.4", "intersect", "security culture appears in both"),
    ("TH-II-02", "2.3.1", "intersect", "trustworthiness checks are personnel vetting"),
    ("TH-III-03", "2.2.5", "intersect", "detecting removal is one of the control measures"),
    ("TH-I-10", "2.5.b", "intersect", "armed response where national law permits"),
    ("TH-I-11", "2.1.5", "intersect", "performance testing underlies a performance-based program"),
]


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((HERE / name).read_text(encoding="utf-8"))))


def _source(text: str, urls: str) -> str:
    first = urls.split(" ; ")[0].strip()
    return f"{text}; {first}" if first else text


def _node(code: str, kind: str, title: str, parent: str | None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "kind": kind, "title": title}
    if parent:
        out["parent"] = parent
    out.update({k: v for k, v in extra.items() if v not in (None, "", [])})
    return out


def _with_question(req: dict[str, Any]) -> list[dict[str, Any]]:
    """A requirement and its one question (ours; unverified if the requirement is)."""
    status = "unverified" if req.get("status") == "unverified" else "ours"
    question = _node(
        f"{req['code']}.q",
        "question",
        f"{req['title']}: how far is this in place here?",
        req["code"],
        scale="implementation",
        status=status,
    )
    return [req, question]


def nti_index() -> dict[str, Any]:
    """The NTI Index tree as the notes record it (country level; not assessable)."""
    kinds = {"category": "category", "indicator": "indicator", "subindicator": "subindicator"}
    nodes = []
    for row in _rows("nti_index_framework.csv"):
        tags = sorted({"theft" if r.startswith("theft") else r for r in row["rankings"].split(";")})
        nodes.append(
            _node(
                row["code"],
                kinds[row["level"]],
                row["title"],
                row["parent_code"],
                applicability=tags,
                status=row["status"],
                source=_source(NTI.format(code=row["code"]), row["source_url"]),
                note=f"rankings: {row['rankings']}",
            )
        )
    return {
        "framework": {
            "id": "nti-index",
            "version": "1",
            "title": "NTI Nuclear Security Index (partial tree, country level)",
            "default_weight_set": "equal-assumed",
            "provenance": "nti_index_framework.csv (see PROVENANCE.md)",
        },
        "scales": [],
        "nodes": nodes,
        "weight_sets": {
            "equal-assumed": {
                "note": "NTI's weights are not known: equal sibling weights, our assumption",
                "weights": {},
            }
        },
        "mappings": [],
    }


def _nss13(by_purpose: dict[str, list[dict[str, str]]]) -> list[dict[str, Any]]:
    groups = [
        ("GM", "GM.1", "Regime elements applied at the facility", [], "all"),
        (
            "PP",
            "PP.III",
            "Measures for Category I, II and III",
            ["cat:I", "cat:II", "cat:III"],
            "theft:III",
        ),
        ("PP", "PP.II", "Further measures for Category I and II", ["cat:I", "cat:II"], "theft:II"),
        ("PP", "PP.I", "Further measures for Category I", ["cat:I"], "theft:I"),
        ("SB", "SB.1", "Vital areas and graded protection", [], "sabotage"),
        ("TR", "TR.ALL", "Transport responsibilities", [], "transport:"),
        ("TR", "TR.I", "Category I shipments", ["cat:I"], "transport:I"),
        ("TR", "TR.II", "Category II and III shipments", ["cat:II", "cat:III"], "transport:II"),
    ]
    out: list[dict[str, Any]] = []
    for cat, code, title, tags, key in groups:
        out.append(_node(code, "indicator", title, cat, applicability=tags, status="ours"))
        for row in by_purpose[key]:
            tags_row = [f"cat:{c}" for c in row["applies_to"].split(";") if c]
            req = _node(
                row["id"],
                "requirement",
                row["measure"],
                code,
                applicability=tags_row,
                status=row["status"],
                source=_source(NSS13.format(id=row["id"]), row["source_url"]),
            )
            out += _with_question(req)
    return out


def _group_nss13() -> dict[str, list[dict[str, str]]]:
    groups: dict[str, list[dict[str, str]]] = {}
    for row in _rows("nss13_measures.csv"):
        rid = row["id"]
        if row["purpose"] in ("all", "sabotage"):
            key = row["purpose"]
        elif row["purpose"] == "theft":
            key = "theft:" + rid.split("-")[1]
        else:
            key = "transport:" + ("" if rid == "TR-01" else rid.split("-")[1])
        groups.setdefault(key, []).append(row)
    return groups


def _nss14() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in _rows("nss14_security_levels.csv"):
        level, fn = row["level"], row["function"]
        if level not in ("A", "B", "C"):
            continue  # prudent management (categories 4-5): no security level
        code = f"RS.{level}"
        if not any(n["code"] == code for n in out):
            out.append(
                _node(
                    code,
                    "indicator",
                    f"Security level {level}: {row['goal']} (category "
                    f"{row['default_source_categories']} sources by default)",
                    "RS",
                    applicability=[f"level:{level}"],
                    status=row["status"],
                    source=_source(f"IAEA NSS 14 security level {level}", row["source_url"]),
                )
            )
        goal = f": {row['objective']}" if row["objective"] else ""
        req = _node(
            f"{code}.{fn}",
            "requirement",
            f"Level {level} {fn.replace('_', ' ')}{goal}",
            code,
            status=row["status"],
            source=_source(NSS14.format(level=level, fn=fn), row["source_url"]),
        )
        out += _with_question(req)
    return out


def _nti_requirements() -> list[dict[str, Any]]:
    """Facility requirements from NTI subindicators (MC, IN, RE, CY)."""
    where = {"2.2": "MC", "2.3": "IN", "2.5": "RE", "2.6": "CY"}
    out: list[dict[str, Any]] = []
    for row in _rows("nti_index_framework.csv"):
        cat = where.get(row["parent_code"])
        if cat is None or row["level"] != "subindicator":
            continue
        req = _node(
            f"NTI-{row['code']}",
            "requirement",
            row["title"],
            cat,
            status=row["status"],
            source=_source(NTI.format(code=row["code"]), row["source_url"]),
        )
        out += _with_question(req)
    return out


def _culture() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    layers = ("management_systems", "leadership_behaviour", "personnel_behaviour")
    for n, row in enumerate(_rows("security_culture_nss7.csv")):
        layer = row["layer"]
        if layer not in layers:
            continue  # beliefs and principles: the culture survey asks about those
        code = f"SC.{layers.index(layer) + 1}"
        if not any(x["code"] == code for x in out):
            out.append(
                _node(
                    code,
                    "indicator",
                    layer.replace("_", " ").capitalize(),
                    "SC",
                    status="confirmed" if layer != "personnel_behaviour" else "unverified",
                    source=NSS7.format(layer=layer),
                )
            )
        req = _node(
            f"SC-{n + 1:02d}",
            "requirement",
            row["characteristic"],
            code,
            status=row["status"],
            source=NSS7.format(layer=layer),
        )
        out += _with_question(req)
    return out


def facility() -> dict[str, Any]:
    """Our facility self-assessment framework, NTI-Index-style."""
    nodes = [
        _node(c, "category", t, None, applicability=a, status="ours") for c, t, a in CATEGORIES
    ]
    children = _nss13(_group_nss13()) + _nss14() + _nti_requirements() + _culture()
    ordered = []
    for cat in nodes:  # each category followed by its subtree, parents first
        ordered.append(cat)
        mine = {cat["code"]}
        for node in children:
            if node.get("parent") in mine:
                ordered.append(node)
                mine.add(node["code"])
    return {
        "framework": {
            "id": "nucsec-facility",
            "version": "1",
            "title": "Facility nuclear security self-assessment (NTI-Index-style)",
            "default_weight_set": "1",
            "provenance": "derive_frameworks.py from the CSVs (see PROVENANCE.md)",
        },
        "scales": [IMPLEMENTATION],
        "nodes": ordered,
        "weight_sets": {
            "1": {"note": "equal sibling weights (ours)", "weights": {}},
            "2": {
                "note": "our proposal for discussion: categories weighted, the rest equal",
                "weights": PROPOSED_TOP,
            },
        },
        "mappings": [
            {
                "source": s,
                "target": f"nti-index:{t}",
                "relation": r,
                "rationale": why,
                "status": "ours",
            }
            for s, t, r, why in CROSSWALK
        ],
    }


# -- a small TOML writer (strings, numbers, booleans, lists, inline tables) ---------------


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", k) else _value(k)


def _pairs(table: dict[str, Any]) -> Iterable[str]:
    return (f"{k} = {_value(v)}" for k, v in table.items())


def to_toml(data: dict[str, Any]) -> str:
    """The framework file for ``data`` (the shape ``framework_from_dict`` reads)."""
    lines = ["# Written by derive_frameworks.py: edit the script or its CSVs, not this file.", ""]
    lines += ["[framework]", *_pairs(data["framework"]), ""]
    for scale in data["scales"]:
        lines += ["[[scales]]", f"id = {_value(scale['id'])}", f"title = {_value(scale['title'])}"]
        lines += ["options = ["] + [f"  {_value(o)}," for o in scale["options"]] + ["]", ""]
    for node in data["nodes"]:
        lines += ["[[nodes]]", *_pairs(node), ""]
    for version, ws in data["weight_sets"].items():
        lines += [f"[weight_sets.{_value(version)}]", f"note = {_value(ws['note'])}"]
        lines += [f"weights = {_value(ws['weights'])}", ""]
    for m in data["mappings"]:
        lines += ["[[mappings]]", *_pairs(m), ""]
    return "\n".join(lines)


OUTPUTS = {"nti_index.toml": nti_index, "nucsec_facility.toml": facility}


def main() -> int:
    for name, build in OUTPUTS.items():
        (HERE / name).write_text(to_toml(build()), encoding="utf-8")
        print(f"wrote {name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
