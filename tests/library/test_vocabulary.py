"""The signature vocabulary, material types, chondrite normalisation."""

from __future__ import annotations

import csv
import io
from importlib import resources

import pytest

from nucsec.forensics.library.errors import LibraryError, UnknownSignatureError
from nucsec.forensics.library.ree import REE_ELEMENTS, chondrite_ppm, ree_pattern
from nucsec.forensics.library.vocabulary import (
    KINDS,
    chemical_form,
    material_type,
    signature,
    signature_names,
    signatures,
    step_kind,
)


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("n(235U)/n(238U)", "n(235U)/n(238U)"),
        ("235U/238U", "n(235U)/n(238U)"),
        ("n240pu/n239pu", "n(240Pu)/n(239Pu)"),
        ("La", "w(La)"),
        ("d18O", "δ(18O)"),
        ("Production date", "model date"),
    ],
)
def test_names_and_aliases_resolve(spelling: str, name: str) -> None:
    assert signature(spelling).name == name


def test_unknown_name_is_typed_and_names_the_field() -> None:
    with pytest.raises(UnknownSignatureError) as err:
        signature("n(235U)/n(239U)", field="signatures[4].name")
    assert err.value.field == "signatures[4].name"
    assert err.value.value == "n(235U)/n(239U)"
    assert isinstance(err.value, ValueError)


def test_table_is_consistent() -> None:
    sigs = signatures()
    assert len(set(signature_names())) == len(sigs)
    assert {s.kind for s in sigs} <= set(KINDS)
    assert {s.kind for s in sigs} == set(KINDS)  # every documented kind is used
    for s in sigs:
        assert s.transform in ("log", "linear", "categorical")
        assert not s.compositional or s.transform == "log", s.name
        assert (s.kind == "categorical") == (s.transform == "categorical"), s.name
    ree = [s.name for s in sigs if s.kind == "ree"]
    assert ree == [f"w({el})" for el in REE_ELEMENTS]
    # aliases never collide across signatures
    seen: dict[str, str] = {}
    for s in sigs:
        for key in (s.name, *s.aliases):
            assert seen.setdefault(key.casefold(), s.name) == s.name, key


def test_issue_signatures_are_in_the_vocabulary() -> None:
    for name in (
        "n(234U)/n(238U)",
        "n(235U)/n(238U)",
        "n(236U)/n(238U)",
        "n(240Pu)/n(239Pu)",
        "n(206Pb)/n(204Pb)",
        "n(87Sr)/n(86Sr)",
        "model date",
        "pellet diameter",
        "density",
        "grain size",
        "chemical form",
        "w(Th)",
    ):
        assert signature(name).name == name


def test_units_accept_synonyms_only() -> None:
    ree = signature("w(La)")
    assert ree.accepts_unit("µg/g U") and ree.accepts_unit("ppm U") and ree.accepts_unit("ug/g U")
    assert not ree.accepts_unit("ng/g U")
    assert not signature("pellet diameter").accepts_unit("cm")


def test_terms() -> None:
    assert material_type("uranium ore concentrate") == "uoc"
    assert material_type("UF6") == "uf6"
    assert chemical_form("ammonium diuranate") == "ADU"
    assert step_kind("milling").resets_clock and not step_kind("mining").resets_clock
    with pytest.raises(LibraryError) as err:
        material_type("yellowcake-ish", field="entries[0].material_type")
    assert err.value.field == "entries[0].material_type"


def test_chondrite_copy_matches_shared_values() -> None:
    ms95 = chondrite_ppm()
    assert ms95["La"] == 0.237 and ms95["Lu"] == 0.0246  # McDonough & Sun 1995
    assert chondrite_ppm("CI_PO14")["La"] == 0.2414  # Palme & O'Neill 2014
    text = resources.files("nucsec.data.library").joinpath("chondrite_ree.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["reference_set"] for r in rows} == {"CI_MS95", "C1_SM89", "CI_PO14"}
    with pytest.raises(LibraryError):
        chondrite_ppm("CI_XX")


def test_ree_pattern_normalises_and_records_the_set() -> None:
    pattern = ree_pattern({"w(Eu)": 0.563, "w(La)": 23.7, "w(Yb)": 1.61})
    assert pattern.reference_set == "CI_MS95"
    assert [el for el, _ in pattern.normalised] == ["La", "Eu", "Yb"]  # atomic order
    assert [round(v, 6) for _, v in pattern.normalised] == [100.0, 10.0, 10.0]
    other = ree_pattern({"La": 23.7}, "C1_SM89")
    assert other.to_dict() == {"reference_set": "C1_SM89", "pattern": {"La": 100.0}}
