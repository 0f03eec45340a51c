"""A partner's analysis is accepted only when every portion matches its schema: the result
and the plot a page will show have the types it shows, and the plot (handed whole to the
browser) carries nothing else. A malformed portion is refused object by object, with the
reason naming the field; the well-formed original is accepted."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nucsec.markings import parse_banner
from nucsec.service.analyses import save_age_analysis, save_spectrum_analysis, stage_spectrum
from nucsec.service.users import principal_of
from tests.federation.conftest import definitions, local_nodes, outbox_objects, pin, receive

SPECTRUM = Path(__file__).resolve().parents[1] / "data" / "spectra" / "curie_hpge_eu152_7cm.spe"
REL = "SECRET//REL TO USA, JPN"
AGE = {"chronometer": "Th-230/U-234", "ratio": 1.41148e-4, "ratio_unc": 7.06e-7}


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """USA shares a spectrum analysis and an age analysis (with a model date) with JPN."""
    with local_nodes(tmp_path_factory.mktemp("analyses")) as make:
        usa, jpn = make("USA"), make("JPN")
        pin(usa, jpn, "jpn")
        pin(jpn, usa, "usa")
        analyst, label = principal_of(usa, "doe.analyst"), parse_banner(REL, usa.ctx)
        _, ticket = stage_spectrum(usa, analyst, SPECTRUM.read_bytes(), SPECTRUM.name)
        spectrum = save_spectrum_analysis(
            usa, analyst, source={"upload": ticket, "name": SPECTRUM.name}, label=label
        )
        age = save_age_analysis(
            usa, analyst, params={**AGE, "measured_on": "2020-01-01"}, label=label
        )
        yield {
            "usa": usa,
            "jpn": jpn,
            "objects": outbox_objects(usa, "jpn"),
            "ids": {"spectrum": spectrum["id"], "age": age["id"]},
        }


def _analysis(nodes: dict[str, Any], which: str) -> dict[str, Any]:
    wanted = f"x-nucsec-analysis--{nodes['ids'][which]}"
    obj = next(o for o in nodes["objects"] if o["id"] == wanted)
    copied = copy.deepcopy(obj)
    copied["id"] = f"x-nucsec-analysis--{uuid.uuid4()}"  # a new record each time
    return copied


def _portion(obj: dict[str, Any], name: str) -> Any:
    return next(p for p in obj["portions"] if p["name"] == name)["value"]


def _set_peak_energy(obj: dict[str, Any]) -> None:
    _portion(obj, "result")["peaks"][0]["energy_kev"] = "32.181"


def _set_plot_energy(obj: dict[str, Any]) -> None:
    _portion(obj, "plot")["energy_kev"][3] = "1.5"


def _add_plot_field(obj: dict[str, Any]) -> None:
    _portion(obj, "plot")["html"] = "<b>x</b>"


def _set_plot_label(obj: dict[str, Any]) -> None:
    _portion(obj, "plot")["peaks"][0]["label"] = {"text": "Eu-152"}


def _cut_plot_counts(obj: dict[str, Any]) -> None:
    del _portion(obj, "plot")["counts"][5:]


def _null_confidence(obj: dict[str, Any]) -> None:
    _portion(obj, "result")["nuclides"][0]["confidence"] = None


def _string_activity(obj: dict[str, Any]) -> None:
    _portion(obj, "result")["nuclides"][0]["activity_bq"] = "1e6"


def _bool_warnings(obj: dict[str, Any]) -> None:
    _portion(obj, "result")["warnings"] = [True]


def _string_age_u(obj: dict[str, Any]) -> None:
    _portion(obj, "result")["u_age_years"] = "0.28"


def _model_date_without_u(obj: dict[str, Any]) -> None:
    _portion(obj, "result")["u_model_date_days"] = None


def _budget_share(obj: dict[str, Any]) -> None:
    _portion(obj, "result")["budget"][0]["variance_share"] = "81 %"


def _result_not_object(obj: dict[str, Any]) -> None:
    next(p for p in obj["portions"] if p["name"] == "result")["value"] = ["peaks"]


TAMPERING: dict[str, tuple[str, Callable[[dict[str, Any]], None], str]] = {
    "peak-energy-is-text": ("spectrum", _set_peak_energy, "result.peaks.0.energy_kev"),
    "plot-energy-is-text": ("spectrum", _set_plot_energy, "plot.energy_kev.3"),
    "plot-has-another-field": ("spectrum", _add_plot_field, "plot.html"),
    "plot-label-is-an-object": ("spectrum", _set_plot_label, "plot.peaks.0.label"),
    "plot-series-lengths-differ": ("spectrum", _cut_plot_counts, "plot"),
    "confidence-is-null": ("spectrum", _null_confidence, "result.nuclides.0.confidence"),
    "activity-is-text": ("spectrum", _string_activity, "result.nuclides.0.activity_bq"),
    "warning-is-not-text": ("spectrum", _bool_warnings, "result.warnings.0"),
    "age-uncertainty-is-text": ("age", _string_age_u, "result.u_age_years"),
    "model-date-without-uncertainty": ("age", _model_date_without_u, "result"),
    "budget-share-is-text": ("age", _budget_share, "result.budget.0.variance_share"),
    "result-is-not-an-object": ("age", _result_not_object, "result"),
}


@pytest.mark.parametrize("which", ["spectrum", "age"])
def test_a_well_formed_analysis_is_accepted(nodes: dict[str, Any], which: str) -> None:
    result = receive(nodes["jpn"], "usa", [*definitions(nodes["objects"]), _analysis(nodes, which)])
    assert result.rejected == [] and len(result.accepted) >= 1


@pytest.mark.parametrize(("which", "tamper", "field"), TAMPERING.values(), ids=list(TAMPERING))
def test_a_malformed_portion_is_refused_with_its_reason(
    nodes: dict[str, Any], which: str, tamper: Callable[[dict[str, Any]], None], field: str
) -> None:
    obj = _analysis(nodes, which)
    tamper(obj)
    result = receive(nodes["jpn"], "usa", [*definitions(nodes["objects"]), obj])
    refused = [r for r in result.rejected if r["id"] == obj["id"]]
    assert refused, f"accepted: {result.accepted}"
    assert field in refused[0]["reason"], refused[0]["reason"]
