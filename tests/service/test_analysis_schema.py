"""What the node itself computes matches the schema received analyses are held to: a
partner running the same release is never refused its own results (real spectra of
several detector kinds, with background, enrichment and activities; ages with a model
date, Monte Carlo and an initial daughter)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nucsec.service import analysis_methods as methods
from nucsec.service.analysis_schema import AnalysisSchemaError, check_analysis

SPECTRA = Path(__file__).resolve().parents[1] / "data" / "spectra"
FILES = [
    "curie_hpge_eu152_7cm.spe",  # HPGe, many lines
    "interspec_lynx_hpge_disk_U_Th_activation.n42",  # uranium: enrichment
    "interspec_hpge_portal_ba133.n42",  # portal with background records
    "suro_rc101_cs137_EG3X.xml",  # handheld CsI
    "crp2a_labr_example.cnf",  # LaBr3
    "bq_nai_digibase_badcal.spe",  # NaI with a bad file calibration
]


@pytest.mark.parametrize("name", FILES)
def test_own_spectrum_analyses_match_the_schema(name: str) -> None:
    run = methods.run_spectrum((SPECTRA / name).read_bytes(), name, max_bytes=50_000_000)
    check_analysis("spectrum", run.result, run.plot())


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"measured_on": "2020-01-01", "monte_carlo": 2000},
        {"initial_daughter": 1e-6, "initial_daughter_unc": 1e-7, "measured_on": "2011-03-11"},
        {"ratio": 0.44},  # near equilibrium
    ],
    ids=["plain", "model-date-and-monte-carlo", "initial-daughter", "near-equilibrium"],
)
def test_own_age_analyses_match_the_schema(extra: dict[str, object]) -> None:
    params = {"chronometer": "Th-230/U-234", "ratio": 1.41148e-4, "ratio_unc": 7.06e-7} | extra
    result, _, _ = methods.run_age(params)
    check_analysis("age", result, None)


def test_a_plot_is_only_for_spectra_and_methods_are_known() -> None:
    with pytest.raises(AnalysisSchemaError, match="no plot"):
        check_analysis("age", {}, {"x_label": "x"})
    with pytest.raises(AnalysisSchemaError, match="unknown analysis method"):
        check_analysis("gossip", {}, None)
