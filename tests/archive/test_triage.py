"""Triage: the table decides, the most urgent class wins, every vote is a reason."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nucsec.archive.triage import CATEGORY_CLASS, CLASSES, NUCLIDE_CLASS, TriageRules, triage
from nucsec.forensics.spectra import load_library


def nuc(name: str, category: str, confidence: float = 0.9, excess: bool | None = None):  # type: ignore[no-untyped-def]
    return {
        "name": name,
        "category": category,
        "confidence": confidence,
        "in_excess_of_background": excess,
    }


@pytest.mark.parametrize(
    ("nuclides", "expected"),
    [
        ([], "background"),
        ([nuc("K-40", "NORM")], "background"),  # no background reference: cannot say NORM
        ([nuc("K-40", "NORM", excess=False)], "background"),
        ([nuc("K-40", "NORM", excess=True)], "NORM"),
        ([nuc("U-238", "SNM", excess=True)], "NORM"),  # natural or depleted uranium
        ([nuc("Tc-99m", "medical"), nuc("K-40", "NORM", excess=True)], "medical"),
        ([nuc("Cs-137", "industrial"), nuc("I-131", "medical")], "industrial"),
        ([nuc("Co-58", "activation"), nuc("Cs-137", "industrial")], "anomaly"),
        ([nuc("Zr-95", "fission")], "anomaly"),
        ([nuc("Xx-999", "made-up")], "anomaly"),
        ([nuc("U-235", "SNM"), nuc("Co-58", "activation")], "SNM"),
        ([nuc("Pu-239", "SNM")], "SNM"),
        ([nuc("La-138", "NORM", excess=True)], "background"),  # the detector itself
        ([nuc("Pu-239", "SNM", confidence=0.3)], "background"),  # below the threshold
    ],
    ids=lambda v: str(v) if isinstance(v, str) else None,
)
def test_class_of_nuclides(nuclides: list[dict[str, object]], expected: str) -> None:
    cls, reasons = triage(nuclides, [])
    assert cls == expected
    assert reasons


def test_reasons_list_every_vote_most_urgent_first() -> None:
    cls, reasons = triage([nuc("Cs-137", "industrial"), nuc("U-235", "SNM", 0.97)], [])
    assert cls == "SNM"
    assert reasons[0].startswith("U-235:") and "0.97" in reasons[0]
    assert reasons[1].startswith("Cs-137:")


def test_strong_unexplained_peaks_are_an_anomaly_weak_or_low_ones_not() -> None:
    rules = TriageRules(unexplained_sigma=20, unexplained_min_kev=120)
    peak = {"energy_kev": 1001.0, "significance": 25.0, "label": None}
    assert triage([nuc("Cs-137", "industrial")], [peak], rules)[0] == "anomaly"
    explained = {**peak, "label": "Cs-137"}
    weak = {**peak, "significance": 12.0}
    low = {**peak, "energy_kev": 80.0}
    for p in (explained, weak, low):
        assert triage([nuc("Cs-137", "industrial")], [p], rules)[0] == "industrial"
    assert "1001.0 keV" in triage([], [peak], rules)[1][0]


def test_every_library_source_has_a_class() -> None:
    """The table covers the library: no source falls to 'not in the triage table'."""
    for name, source in load_library().items():
        cls, reasons = triage([nuc(name, source.category, excess=True)], [])
        assert cls in CLASSES
        assert "not in the triage table" not in reasons[0], name
    assert set(NUCLIDE_CLASS.values()) and set(CATEGORY_CLASS)


@settings(deadline=None)  # a shared, loaded machine: timing is not what is tested
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "name": st.sampled_from([*NUCLIDE_CLASS, "Cs-137", "Tc-99m", "Co-58", "Q-1"]),
                "category": st.sampled_from([*CATEGORY_CLASS, "other"]),
                "confidence": st.floats(0, 1),
                "in_excess_of_background": st.sampled_from([None, True, False]),
            }
        ),
        max_size=6,
    )
)
def test_adding_a_nuclide_never_makes_a_spectrum_less_urgent(
    nuclides: list[dict[str, object]],
) -> None:
    ranks = [CLASSES.index(triage(nuclides[:k], [])[0]) for k in range(len(nuclides) + 1)]
    assert all(b <= a for a, b in itertools.pairwise(ranks))
