"""Framework files: loading, every kind of bad input naming its field, the shipped ones."""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from nucsec.practices import (
    FrameworkError,
    WeightSetError,
    check_crosswalks,
    framework_from_dict,
    load_framework,
    shipped_frameworks,
)
from tests.practices.conftest import SMALL

DATA = Path(__file__).resolve().parents[2] / "src" / "nucsec" / "data" / "practices"


def _data() -> dict[str, Any]:
    return tomllib.loads(SMALL)


def _fails(data: dict[str, Any], error: type[Exception] = FrameworkError) -> Any:
    with pytest.raises(error) as info:
        framework_from_dict(data)
    return info.value


def test_small_framework_loads(small: Any) -> None:
    assert [n.code for n in small.children(None)] == ["A", "B"]
    assert [n.code for n in small.ancestors("A1.q2")] == ["A1", "A"]
    assert small.node("A2").display_title == "Vault [unverified]"
    assert small.node("A1").display_title == "Barriers"
    assert [n.code for n in small.unverified()] == ["A2"]


def test_json_syntax_and_round_trip(small: Any) -> None:
    again = load_framework(json.dumps(small.to_dict()), syntax="json")
    assert again.to_dict() == small.to_dict()
    assert again.weight_set("v2").fingerprint == small.weight_set("v2").fingerprint


def test_unknown_applicability_tag_names_the_field() -> None:
    data = _data()
    data["nodes"][4]["applicability"] = ["cat:I", "cat:IV"]
    err = _fails(data)
    assert err.field == "nodes[4].applicability[1]" and "cat:IV" in err.message


def test_weight_set_that_does_not_sum_names_the_field() -> None:
    data = _data()
    data["weight_sets"]["v1"]["weights"]["B"] = 45
    err = _fails(data, WeightSetError)
    assert err.field == "weight_sets['v1'].weights['A']" and "105" in err.message


def test_weight_set_must_list_every_sibling() -> None:
    data = _data()
    del data["weight_sets"]["v2"]["weights"]["A1.q2"]
    err = _fails(data, WeightSetError)
    assert err.field == "weight_sets['v2'].weights['A1.q2']"


def test_weights_sum_exactly_in_decimal() -> None:
    data = _data()
    data["weight_sets"]["v1"]["weights"].update({"A": 33.3, "B": 66.7})  # 0.1+0.2 style sums
    assert framework_from_dict(data).weight_set("v1").weights["A"] == 33.3
    data["weight_sets"]["v1"]["weights"]["B"] = 66.70000000001
    assert _fails(data, WeightSetError).field == "weight_sets['v1'].weights['A']"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["nodes"][3].update(code="A1.q1"), "nodes[3].code"),
        (lambda d: d["nodes"][1].update(parent="Z"), "nodes[1].parent"),
        (lambda d: d["nodes"][1].update(kind="chapter"), "nodes[1].kind"),
        (lambda d: d["nodes"][1].update(kind="category"), "nodes[1].parent"),
        (lambda d: d["nodes"][2].pop("scale"), "nodes[2].scale"),
        (lambda d: d["nodes"][2].update(scale="nope"), "nodes[2].scale"),
        (lambda d: d["nodes"][1].update(scale="yn3"), "nodes[1].scale"),
        (lambda d: d["nodes"][1].update(colour="red"), "nodes[1].colour"),
        (lambda d: d["nodes"][1].update(status="rumour"), "nodes[1].status"),
        (lambda d: d["nodes"][1].update(title=""), "nodes[1].title"),
        (
            lambda d: d["scales"][0]["options"][1].update(score=101),
            "scales['yn3'].options[1].score",
        ),
        (
            lambda d: d["scales"][0]["options"][1].update(code="yes"),
            "scales['yn3'].options[1].code",
        ),
        (
            lambda d: d["scales"][0]["options"][1].update(compliant="no"),
            "scales['yn3'].options[1].compliant",
        ),
        (lambda d: d["weight_sets"]["v1"]["weights"].update(Z=1), "weight_sets['v1'].weights['Z']"),
        (
            lambda d: d["weight_sets"]["v1"]["weights"].update(A=-60),
            "weight_sets['v1'].weights['A']",
        ),
        (lambda d: d["framework"].update(default_weight_set="v9"), "framework.default_weight_set"),
        (
            lambda d: d.update(mappings=[{"source": "Q", "target": "A", "relation": "equal"}]),
            "mappings[0].source",
        ),
        (
            lambda d: d.update(mappings=[{"source": "A", "target": "B", "relation": "same"}]),
            "mappings[0].relation",
        ),
        (
            lambda d: d.update(
                mappings=[{"source": "A", "target": "small:Q", "relation": "equal"}]
            ),
            "mappings[0].target",
        ),
    ],
    ids=[
        "code-twice",
        "dangling-parent",
        "unknown-kind",
        "kind-order",
        "question-no-scale",
        "unknown-scale",
        "scale-on-indicator",
        "unknown-key",
        "unknown-status",
        "empty-title",
        "score-over-100",
        "option-twice",
        "compliant-not-bool",
        "weight-unknown-node",
        "negative-weight",
        "default-weight-set",
        "mapping-source",
        "mapping-relation",
        "dangling-mapping-same-framework",
    ],
)
def test_bad_input_names_its_field(change: Any, field: str) -> None:
    data = _data()
    change(data)
    assert _fails(data).field == field


def test_parent_must_come_first() -> None:
    data = _data()
    data["nodes"][1], data["nodes"][2] = data["nodes"][2], data["nodes"][1]
    assert _fails(data).field == "nodes[1].parent"


def test_bad_syntax_is_a_framework_error() -> None:
    with pytest.raises(FrameworkError) as info:
        load_framework("[framework", syntax="toml")
    assert info.value.field == "file"
    with pytest.raises(FrameworkError):
        load_framework(SMALL, syntax="yaml")


def test_dangling_crosswalk_between_frameworks(small: Any) -> None:
    data = _data()
    data["mappings"] = [{"source": "A", "target": "nti-index:9.9", "relation": "subset"}]
    fw = framework_from_dict(data)
    nti = shipped_frameworks()["nti-index"]
    with pytest.raises(FrameworkError) as info:
        check_crosswalks([fw, nti])
    assert info.value.field == "mappings[0].target"
    data["mappings"][0]["target"] = "nti-index:2.1"
    check_crosswalks([framework_from_dict(data), nti])
    with pytest.raises(FrameworkError):  # target framework not loaded at all
        check_crosswalks([framework_from_dict(data)])


# -- the shipped frameworks -----------------------------------------------------------------


def _csv(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((DATA / name).read_text(encoding="utf-8"))))


def test_shipped_frameworks_load_with_crosswalks() -> None:
    fws = shipped_frameworks()
    assert set(fws) == {"nti-index", "nucsec-facility"}
    fac = fws["nucsec-facility"]
    assert sum(1 for _ in fac.questions()) == 95
    assert set(fac.weight_sets) == {"1", "2"}
    assert {str(m.target) for m in fac.mappings} >= {"nti-index:2.1", "nti-index:2.3.1"}


def test_every_nti_row_is_a_node_and_unverified_rows_are_flagged() -> None:
    nti = shipped_frameworks()["nti-index"]
    rows = _csv("nti_index_framework.csv")
    assert len(nti.nodes) == len(rows) == 47
    for row in rows:
        node = nti.node(row["code"])
        assert node.title == row["title"]
        assert node.status == row["status"]
        assert node.verified == (row["status"] == "confirmed")
        assert node.display_title.endswith("[unverified]") == (row["status"] == "unverified")
        assert node.to_dict()["status"] == row["status"]


def test_facility_framework_carries_every_unverified_source_row() -> None:
    fac = shipped_frameworks()["nucsec-facility"]
    for row in _csv("nss13_measures.csv"):
        assert not fac.node(row["id"]).verified  # every NSS 13 row is unverified
        assert not fac.node(row["id"] + ".q").verified  # and so is the question built on it
        assert "[unverified]" in fac.node(row["id"] + ".q").display_title
    for row in _csv("nti_index_framework.csv"):
        code = f"NTI-{row['code']}"
        if fac.has(code):
            assert fac.node(code).status == row["status"]
    culture = {r["characteristic"]: r["status"] for r in _csv("security_culture_nss7.csv")}
    for node in fac.nodes:
        if node.code.startswith("SC-") and node.kind == "requirement":
            assert node.status == culture[node.title]
    verified_q = [q for q in fac.questions() if q.verified]
    assert verified_q and all(fac.node(q.parent or "").verified for q in verified_q)


def test_shipped_toml_is_what_the_derive_script_writes() -> None:
    spec = DATA / "derive_frameworks.py"
    namespace: dict[str, Any] = {"__name__": "derive", "__file__": str(spec)}
    exec(compile(spec.read_text(encoding="utf-8"), str(spec), "exec"), namespace)
    for name, build in namespace["OUTPUTS"].items():
        assert (DATA / name).read_text(encoding="utf-8") == namespace["to_toml"](build()), name


def test_no_row_text_beyond_short_labels() -> None:
    """Titles are the CSVs' short labels: nothing long enough to be copied prose."""
    for fw in shipped_frameworks().values():
        for node in fw.nodes:
            assert len(node.title) < 160, node.code
            assert not re.search(r"\bshall\b", node.title)
