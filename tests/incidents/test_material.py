"""INFCIRC/225/Rev.5 categories: examples, every bound of the table, irradiation, flags."""

from __future__ import annotations

import pytest

from nucsec.incidents.errors import IncidentError
from nucsec.incidents.items import MaterialItem
from nucsec.incidents.material import categorize_material, is_weapons_usable
from nucsec.incidents.reference import MaterialBand, ReferenceData


def _cat(material: str, mass_g: float, enr: float | None = None, **kw: object) -> str | None:
    item = MaterialItem(material, mass_g, enrichment_pct=enr, **kw)  # type: ignore[arg-type]
    return categorize_material(item).category


def test_issue_example_1500g_at_93pct_is_category_II() -> None:
    r = categorize_material(MaterialItem("U", 1500, enrichment_pct=93))
    assert (r.category, r.fissile_mass_g, r.weapons_usable) == ("II", 1395.0, True)
    assert r.to_dict()["below_category_iii"] is False


@pytest.mark.parametrize(
    "material,mass_g,enr,category",
    [
        # ITDB 2006 (itdb_facts.csv ITDB-YR-2006c): ~80 g of 89 % HEU seized in Georgia
        pytest.param("U", 80, 89, "III", id="Georgia-2006-80g-HEU-III"),
        # ITDB 2005 (ITDB-YR-2005b): 0.0017 g HEU in a lost neutron flux detector (at >= 20 %)
        pytest.param("U", 0.0017, 20, None, id="Fukui-2005-0.0017g-HEU-below-III"),
        # nswg_facts.csv NSWG-08: 331 kg of plutonium at the Fast Critical Assembly
        pytest.param("Pu", 331_000, None, "I", id="FCA-331kg-Pu-I"),
        # NSWG-15: more than 30 kg of HEU removed from three Japanese sites (at >= 20 %)
        pytest.param("U", 30_000 / 0.2, 20, "I", id="over-30kg-HEU-I"),
        pytest.param("U-233", 2000, None, "I", id="U233-2kg-I"),
        pytest.param("U", 1e6, 0.711, None, id="natural-U-below-III"),
        pytest.param("U", 1e6, 0.3, None, id="depleted-U-below-III"),
        pytest.param("Th", 1e6, None, None, id="thorium-below-III"),
        pytest.param("U", 1e6, 5, "III", id="1t-LEU-5pct-50kg-U235-III"),
        pytest.param("U", 1e5, 15, "II", id="100kg-U-15pct-15kg-U235-II"),
    ],
)
def test_examples(material: str, mass_g: float, enr: float | None, category: str | None) -> None:
    assert _cat(material, mass_g, enr) == category


_MATERIAL = {"Plutonium": "Pu", "Uranium-235": "U", "Uranium-233": "U-233"}


def _enrichment(band: MaterialBand) -> float | None:
    if band.material != "Uranium-235":
        return None
    lo, hi = band.enrichment_lo_pct or 0.0, band.enrichment_hi_pct or 100.0
    return (lo + hi) / 2


def _mass(fissile_g: float, enr: float | None) -> float:
    return fissile_g if enr is None else fissile_g * 100 / enr


def _unirradiated(ref: ReferenceData) -> list[MaterialBand]:
    return [b for b in ref.material_bands if b.form == "unirradiated"]


def test_every_lower_mass_bound_follows_its_flag(ref: ReferenceData) -> None:
    for band in _unirradiated(ref):
        if band.min_mass_g is None:
            continue
        enr = _enrichment(band)
        got = _cat(_MATERIAL[band.material], _mass(band.min_mass_g, enr), enr)
        assert (got == band.category) == band.min_inclusive, (band.material, band.category)
        above = _cat(_MATERIAL[band.material], _mass(band.min_mass_g * 1.001, enr), enr)
        assert above == band.category


def test_every_upper_mass_bound_follows_its_flag(ref: ReferenceData) -> None:
    for band in _unirradiated(ref):
        if band.max_mass_g is None:
            continue
        enr = _enrichment(band)
        got = _cat(_MATERIAL[band.material], _mass(band.max_mass_g, enr), enr)
        assert (got == band.category) == band.max_inclusive, (band.material, band.category)
        below = _cat(_MATERIAL[band.material], _mass(band.max_mass_g * 0.999, enr), enr)
        assert below == band.category


@pytest.mark.parametrize(
    "enr,category",
    [
        pytest.param(20.0, "II", id="20pct-inclusive-in-HEU-band"),
        pytest.param(19.999, "III", id="just-below-20pct-in-10-20-band"),
        pytest.param(10.0, "III", id="10pct-inclusive-in-10-20-band"),
        pytest.param(9.999, None, id="just-below-10pct-needs-10kg"),
    ],
)
def test_enrichment_band_bounds(enr: float, category: str | None) -> None:
    # 2 kg of contained U-235 in each case
    assert _cat("U", 2000 * 100 / enr, enr) == category


def test_fifteen_grams_is_below_category_III() -> None:
    assert _cat("Pu", 15) is None
    assert _cat("Pu", 15.001) == "III"


def test_irradiated_low_enriched_is_II_in_any_quantity() -> None:
    for material, mass, enr in (("U", 1.0, 3.0), ("U", 1e6, 0.711), ("Th", 5.0, None)):
        r = categorize_material(MaterialItem(material, mass, enrichment_pct=enr, irradiated=True))
        assert r.category == "II", material
        assert any("footnote d" in x for x in r.reasons)


@pytest.mark.parametrize(
    "material,mass,enr,before,after",
    [
        ("U", 6000 * 100 / 93, 93, "I", "II"),
        ("U", 2000 * 100 / 93, 93, "II", "III"),
        ("Pu", 100, None, "III", "III"),
        ("Pu", 10, None, None, None),
    ],
)
def test_irradiated_other_fuel_is_reduced_one_level(
    material: str, mass: float, enr: float | None, before: str | None, after: str | None
) -> None:
    assert _cat(material, mass, enr) == before
    assert _cat(material, mass, enr, irradiated=True) == after


def test_plutonium_over_80pct_pu238_is_outside_the_table() -> None:
    item = MaterialItem("Pu", 5000, pu_isotopics_pct=(("Pu-238", 85.0), ("Pu-239", 15.0)))
    r = categorize_material(item)
    assert r.category is None and not r.weapons_usable
    assert any("footnote a" in x for x in r.reasons)
    assert _cat("Pu", 5000, pu_isotopics_pct=(("Pu-238", 80.0), ("Pu-239", 20.0))) == "I"


@pytest.mark.parametrize(
    "item,usable",
    [
        (MaterialItem("U", 1, enrichment_pct=20.0), True),
        (MaterialItem("U", 1, enrichment_pct=19.99), False),
        (MaterialItem("Pu", 1), True),
        (MaterialItem("U-233", 1), True),
        (MaterialItem("Th", 1), False),
        (MaterialItem("U", 1), False),
    ],
    ids=["HEU-20", "LEU-19.99", "Pu", "U233", "Th", "U-unknown-enrichment"],
)
def test_weapons_usable(item: MaterialItem, usable: bool) -> None:
    assert is_weapons_usable(item) is usable


def test_uranium_without_enrichment_is_unknown_not_below() -> None:
    r = categorize_material(MaterialItem("U", 3.3))
    assert r.category is None and not r.known
    assert r.to_dict()["below_category_iii"] is None
    assert r.reasons == ("category unknown: uranium enrichment not given",)


def test_uncertainty_reaching_another_category_is_said() -> None:
    item = MaterialItem("U", 1100, mass_unc_g=50, enrichment_pct=93)
    r = categorize_material(item)
    assert r.category == "II"
    assert r.fissile_mass_unc_g == pytest.approx(46.5)
    assert any("k=2" in x and "III" in x for x in r.reasons)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"material": "U", "mass_g": -1, "enrichment_pct": 5}, "mass_g"),
        ({"material": "U", "mass_g": 1, "enrichment_pct": 100.1}, "enrichment_pct"),
        ({"material": "U", "mass_g": 1, "enrichment_pct": -0.1}, "enrichment_pct"),
        ({"material": "Pu", "mass_g": 1, "enrichment_pct": 5}, "enrichment_pct"),
        ({"material": "U-235", "mass_g": 1}, "material"),
        ({"material": "Pu", "mass_g": float("nan")}, "mass_g"),
        ({"material": "Pu", "mass_g": "12"}, "mass_g"),
        ({"material": "Pu", "mass_g": 1, "pu_isotopics_pct": (("U-235", 1.0),)},
         "pu_isotopics_pct.U-235"),
        ({"material": "Pu", "mass_g": 1, "pu_isotopics_pct": (("Pu-239", 90.0), ("Pu-240", 20.0))},
         "pu_isotopics_pct"),
    ],
    ids=["negative-mass", "enrichment-above-100", "negative-enrichment", "enrichment-for-Pu",
         "U-235-not-a-material", "nan-mass", "text-mass", "isotope-not-Pu", "isotopics-over-100"],
)  # fmt: skip
def test_bad_material_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(IncidentError) as err:
        MaterialItem(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
