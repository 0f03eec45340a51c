"""Known-answer comparisons on a small hand-made library: every rule and the output shape."""

from __future__ import annotations

from typing import Any

import pytest

from nucsec.forensics.library.errors import LibraryError
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.match import match
from nucsec.forensics.library.parse import entry_from_dict, sample_from_dict

UG = "µg/g U"


def _sig(name: str, value: float, u: float, unit: str, spread: float = 0.0) -> dict[str, Any]:
    return {"name": name, "value": value, "u": u, "unit": unit, "spread": spread}


ENTRIES = [
    {
        "id": "MILL-A",
        "material_type": "uoc",
        "history": [
            {"step": "mining", "start": "1985-01-01", "end": "2000-12-31"},
            {"step": "milling", "start": "1990-01-01", "end": "2000-12-31"},
        ],
        "signatures": [
            _sig("n(235U)/n(238U)", 0.0072559, 1e-7, "mol/mol", 3e-7),
            _sig("n(234U)/n(238U)", 5.48e-5, 1e-7, "mol/mol", 1e-6),
            _sig("w(V)", 100.0, 2.0, UG, 20.0),
            {"name": "w(Th)", "below": 0.5, "unit": UG},
            {"name": "chemical form", "value": "ADU"},
        ],
    },
    {
        "id": "MILL-B",
        "material_type": "uoc",
        "history": [{"step": "milling", "start": "2005-01-01", "end": "2010-12-31"}],
        "signatures": [
            _sig("n(235U)/n(238U)", 0.0072562, 1e-7, "mol/mol", 3e-7),
            _sig("n(234U)/n(238U)", 6.5e-5, 1e-7, "mol/mol", 1e-6),
            _sig("w(V)", 2000.0, 40.0, UG, 300.0),
            _sig("w(Th)", 3.0, 0.1, UG, 0.3),
            {"name": "chemical form", "value": ["SDU", "U3O8"]},
        ],
    },
    {
        "id": "PELLET-C",
        "material_type": "UO2 pellets",
        "signatures": [
            _sig("n(235U)/n(238U)", 0.0413, 1e-6, "mol/mol", 4e-5),
            _sig("pellet diameter", 8.19, 0.001, "mm", 0.005),
        ],
    },
]
INDEX = LibraryIndex.build([entry_from_dict(e) for e in ENTRIES])
U235 = {"name": "n(235U)/n(238U)", "value": 0.0072559, "u": 2e-7, "unit": "mol/mol"}
U234_A = {"name": "n(234U)/n(238U)", "value": 5.50e-5, "u": 1e-7, "unit": "mol/mol"}


def _match(*items: dict[str, Any], material: str | None = "uoc", **kw: Any) -> Any:
    sample = sample_from_dict({"id": "S", "material_type": material, "signatures": list(items)})
    return match(INDEX, sample, **kw)


def _by(result: Any) -> dict[str, str]:
    return {e.entry: e.by for e in result.excluded()}


def test_sample_from_a_is_consistent_with_a_only() -> None:
    r = _match(U235, U234_A, {"name": "w(V)", "value": 110.0, "u": 5.0, "unit": UG})
    assert r.conclusion == "consistent"
    assert [c.entry for c in r.candidates] == ["MILL-A"]
    by = _by(r)
    assert set(by) == {"MILL-B", "PELLET-C"} and by["PELLET-C"] == "material type"
    assert by["MILL-B"] in {"n(234U)/n(238U)", "w(V)"}  # the first test that excluded it
    a = r.candidates[0]
    assert a.verdict == "consistent"
    assert [(s.name, s.verdict) for s in a.signatures] == [
        ("n(235U)/n(238U)", "consistent"),
        ("n(234U)/n(238U)", "consistent"),
        ("w(V)", "consistent"),
    ]
    assert abs(a.signatures[1].z - (5.50e-5 - 5.48e-5) / 5.48e-5 / 0.01826) < 0.05  # log space
    reasons = {e.entry: e.reason for e in r.excluded()}
    assert "UO2 pellets" in reasons["PELLET-C"] and "uranium ore concentrate" in reasons["PELLET-C"]
    assert "> k =" in reasons["MILL-B"]


def test_without_material_type_every_entry_is_compared() -> None:
    r = _match(U235, material=None)
    assert _by(r) == {"PELLET-C": "n(235U)/n(238U)"}


def test_entry_below_its_limit_excludes_a_clearly_higher_sample() -> None:
    high = {"name": "w(Th)", "value": 5.0, "u": 0.2, "unit": UG}
    low = {"name": "w(Th)", "value": 0.45, "u": 0.05, "unit": UG}
    assert _by(_match(U235, high)).get("MILL-A") == "w(Th)"
    assert "MILL-A" not in _by(_match(U235, low))


def test_sample_below_its_limit_excludes_an_entry_clearly_above() -> None:
    r = _match(U235, {"name": "w(Th)", "below": 0.1, "unit": UG})
    assert _by(r).get("MILL-B") == "w(Th)"
    a = r.candidates[0]
    assert a.entry == "MILL-A"
    th = next(s for s in a.signatures if s.name == "w(Th)")
    assert th.verdict == "inconclusive" and th.reason == "both below detection limits"


def test_chemical_form_is_an_exact_check() -> None:
    r = _match(U235, {"name": "chemical form", "value": "U3O8"})
    assert _by(r).get("MILL-A") == "chemical form"
    assert "MILL-B" not in _by(r)
    b = next(s for s in r.candidates[0].signatures if s.name == "chemical form")
    assert b.verdict == "consistent" and "SDU" in b.reason and "among" in b.reason


@pytest.mark.parametrize(
    ("value", "purification", "excluded"),
    [
        ("1995-06-01", "complete", {"MILL-B"}),
        ("2007-06-01", "complete", {"MILL-A"}),
        ("2003-01-01", "complete", {"MILL-A", "MILL-B"}),
        ("2003-01-01", "incomplete", {"MILL-A"}),  # purified in or after 2003: only B
        ("1980-01-01", "incomplete", set()),  # a bound that every history satisfies
        ("2012-01-01", "incomplete", {"MILL-A", "MILL-B"}),
    ],
)
def test_model_date_against_production_history(
    value: str, purification: str, excluded: set[str]
) -> None:
    date = {
        "name": "model date",
        "value": value,
        "u": 0.3,
        "unit": "year CE",
        "purification": purification,
    }
    r = _match(U235, date)
    assert {e for e, by in _by(r).items() if by == "model date"} == excluded


def test_missing_and_unknown_signatures_are_inconclusive_never_an_error() -> None:
    sr = {"name": "n(87Sr)/n(86Sr)", "value": 0.71, "u": 0.0001, "unit": "mol/mol"}
    r = _match(sr)
    assert r.conclusion == "inconclusive"
    assert {c.verdict for c in r.candidates} == {"inconclusive"}
    assert r.warnings == ("no entry of the library has n(87Sr)/n(86Sr): not compared",)
    empty = _match()
    assert empty.conclusion == "inconclusive"
    assert "the sample has no signature" in empty.warnings[-1]


def test_none_when_every_entry_is_excluded() -> None:
    far = {**U234_A, "value": 9.0e-5}
    r = _match(U235, far)
    assert r.conclusion == "none"
    assert r.candidates == () and r.n_candidates == 0
    assert _by(r) == {
        "MILL-A": "n(234U)/n(238U)",
        "MILL-B": "n(234U)/n(238U)",
        "PELLET-C": "material type",
    }


def test_next_measurement_names_what_splits_the_candidates() -> None:
    r = _match(U235)
    assert {c.entry for c in r.candidates} == {"MILL-A", "MILL-B"}
    nxt = r.next_measurement
    assert nxt is not None and nxt.name in {
        "n(234U)/n(238U)",
        "w(V)",
        "w(Th)",
        "chemical form",
        "model date",
    }
    assert nxt.separation > 0.99  # A and B differ by far more than their spreads
    assert _match(U235, U234_A).next_measurement is None  # one candidate left


def test_json_shape() -> None:
    r = _match(U235, {"name": "chemical form", "value": "ADU"}).to_dict()
    assert set(r) == {
        "sample",
        "conclusion",
        "false_exclusion_rate",
        "candidates",
        "n_candidates",
        "excluded",
        "n_excluded",
        "next_measurement",
        "warnings",
    }
    (cand,) = r["candidates"]
    assert set(cand) >= {"entry", "verdict", "score", "signatures"}
    assert set(cand["signatures"][0]) == {"name", "verdict", "z", "reason"}
    assert all(set(e) == {"entry", "by", "reason"} for e in r["excluded"])
    assert r["next_measurement"] is None or set(r["next_measurement"]) >= {"name", "separation"}
    assert r["conclusion"] in {"consistent", "none", "inconclusive"}


def test_excluded_list_can_be_truncated() -> None:
    r = _match(U235, {**U234_A, "value": 9.0e-5})
    assert len(r.to_dict(max_excluded=1)["excluded"]) == 1
    assert r.to_dict()["n_excluded"] == 3


@pytest.mark.parametrize("rate", [0, 0.5, -0.1, True, "1%"])
def test_false_exclusion_rate_is_validated(rate: Any) -> None:
    with pytest.raises(LibraryError) as err:
        _match(U235, false_exclusion_rate=rate)
    assert err.value.field == "false_exclusion_rate"


def test_a_larger_false_exclusion_rate_never_keeps_more_candidates() -> None:
    near = {**U234_A, "value": 5.75e-5}
    strict = {c.entry for c in _match(U235, near, false_exclusion_rate=0.001).candidates}
    loose = {c.entry for c in _match(U235, near, false_exclusion_rate=0.2).candidates}
    assert loose <= strict and "MILL-A" in strict and "MILL-A" not in loose
