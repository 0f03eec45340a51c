"""Statistics (rows and columns agree) and the vectorised categorisation (agrees with scalar)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nucsec.incidents.batch import categorize_batch, encode_keys
from nucsec.incidents.categorize import categorize_sources
from nucsec.incidents.demo import demo_incidents, synthetic_columns
from nucsec.incidents.errors import IncidentError
from nucsec.incidents.items import SourceItem
from nucsec.incidents.stats import (
    DIMENSIONS,
    display_name,
    incident_stats,
    incident_stats_columns,
    stats_row,
)
from nucsec.incidents.vocabulary import (
    DETECTION_MODES,
    INCIDENT_TYPES,
    ITDB_GROUPS,
    MATERIAL_CLASSES,
)


def test_demo_stats() -> None:
    rows = [stats_row(i) for _, i in demo_incidents()]
    s = incident_stats(rows).to_dict()
    assert s["total"] == 9
    assert s["by_group"] == {"I": 3, "II": 3, "III": 3}
    assert s["by_material_class"] == {"nuclear": 5, "radioactive": 3, "contaminated": 1}
    assert list(s["by_year"]) == [str(y) for y in range(2005, 2025)]  # gaps filled with 0
    assert s["by_year"]["2010"] == 0 and s["by_year"]["2006"] == 2
    assert s["by_country"] == {"DE": 1, "GE": 1, "JP": 3, "US": 4}
    assert s["by_year_and_group"]["2024"] == {"I": 1, "II": 1, "III": 0}
    assert set(s) == {"total", *DIMENSIONS.values(), "by_year_and_group"}


def test_itdb_2023_group_counts_are_reproduced() -> None:
    # itdb_facts.csv ITDB-YR-2023a..d: 168 incidents, 6 in Group I, 10 in II, 152 in III
    groups = ["I"] * 6 + ["II"] * 10 + ["III"] * 152
    rows = [
        {"year": 2023, "itdb_group": g, "material_class": "radioactive",
         "incident_type": "discovery", "country": "XX", "detection_mode": "unknown"}
        for g in groups
    ]  # fmt: skip
    s = incident_stats(rows)
    assert s.total == 168
    assert s.counts["itdb_group"] == {"I": 6, "II": 10, "III": 152}


def test_empty_input() -> None:
    s = incident_stats([])
    assert s.total == 0 and s.counts["year"] == {} and s.counts["itdb_group"]["I"] == 0


@pytest.mark.parametrize(
    "row,field",
    [
        ({"itdb_group": "IV"}, "itdb_group"),
        ({"year": "2020"}, "year"),
        ({"incident_type": "picnic"}, "incident_type"),
    ],
)
def test_bad_rows_are_refused(row: dict[str, object], field: str) -> None:
    base = stats_row(demo_incidents()[0][1])
    with pytest.raises(IncidentError) as err:
        incident_stats([base | row])
    assert err.value.field == field


def test_missing_key_is_refused() -> None:
    base = stats_row(demo_incidents()[0][1])
    del base["country"]
    with pytest.raises(IncidentError) as err:
        incident_stats([base])
    assert err.value.field == "country"


_rows = st.lists(
    st.fixed_dictionaries(
        {
            "year": st.integers(1993, 2030),
            "itdb_group": st.sampled_from(ITDB_GROUPS.codes),
            "material_class": st.sampled_from(MATERIAL_CLASSES.codes),
            "incident_type": st.sampled_from(INCIDENT_TYPES.codes),
            "country": st.sampled_from(["JP", "US", "GE"]),
            "detection_mode": st.sampled_from(DETECTION_MODES.codes),
        }
    ),
    max_size=50,
)


@settings(max_examples=60, deadline=None)
@given(_rows)
def test_columns_agree_with_rows(rows: list[dict[str, object]]) -> None:
    columns = {
        d: np.array([r[d] for r in rows], dtype=int if d == "year" else str) for d in DIMENSIONS
    }
    by_rows = incident_stats(rows)
    assert incident_stats_columns(columns) == by_rows
    assert sum(by_rows.counts["itdb_group"].values()) == len(rows)


def test_synthetic_columns_are_counted_as_strings_or_codes() -> None:
    cols = synthetic_columns(10_000, np.random.default_rng(7))
    coded = synthetic_columns(10_000, np.random.default_rng(7), coded=True)
    s = incident_stats_columns(cols)
    assert s.total == 10_000 and sum(s.counts["year"].values()) == 10_000
    assert incident_stats_columns(coded) == s


def test_code_out_of_range_is_refused() -> None:
    cols = synthetic_columns(10, np.random.default_rng(7), coded=True)
    cols["itdb_group"][0] = 3
    with pytest.raises(IncidentError):
        incident_stats_columns(cols)


@pytest.mark.parametrize(
    "dim,code,en,ja",
    [("itdb_group", "I", "Group I", "グループI"), ("incident_type", "theft", "theft", "盗取"),
     ("country", "JP", "Japan", "Japan")],
)  # fmt: skip
def test_display_names(dim: str, code: str, en: str, ja: str) -> None:
    assert display_name(dim, code).startswith(en)
    assert display_name(dim, code, "ja").startswith(ja)


_names = ["Co-60", "Cs-137", "Ir-192", "Am-241/Be", "I-131", "Au-198", "Ba-140", "U", "Sr-90"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_names), st.floats(0, 1e4), st.integers(0, 3), st.integers(-400, 4000)
        ),
        min_size=1,
        max_size=12,
    )
)
def test_batch_agrees_with_scalar(items: list[tuple[str, float, int, int]]) -> None:
    on = date(2020, 1, 1)
    names = [n for n, *_ in items]
    activity = np.array([a for _, a, _, _ in items])
    holding = np.array([h for *_, h, _ in items])
    elapsed = np.array([d for *_, d in items], dtype=float)
    result = categorize_batch(names, activity, holding, elapsed_days=elapsed)
    for h in range(holding.max() + 1):
        group = [
            SourceItem(n, a * 1e12, reference_date=date.fromordinal(on.toordinal() - d))
            for n, a, hh, d in items
            if hh == h
        ]
        if not group:
            continue
        scalar = categorize_sources(group, on_date=on)
        assert result.category[h] == (scalar.category or 0)
        if scalar.sum_a_over_d is None:
            assert np.isnan(result.sum_a_over_d[h])
        else:
            assert result.sum_a_over_d[h] == pytest.approx(scalar.sum_a_over_d, rel=1e-9)


def test_batch_worked_examples_and_bounds() -> None:
    r = categorize_batch(["Co-60", "Ir-192", "Am-241", "Am-241", "I-131"], [555, 2.5, 0.6, 0.06, 1])
    assert r.category.tolist() == [1, 2, 2, 3, 0]


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"keys": ["Co-60"], "activity_tbq": [-1.0]}, "activity_tbq"),
        ({"keys": ["Co-60"], "activity_tbq": [1.0, 2.0]}, "activity_tbq"),
        ({"keys": ["Co-60"], "activity_tbq": [1.0], "holding": [-1]}, "holding"),
    ],
)
def test_batch_bad_input(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(IncidentError) as err:
        categorize_batch(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_encode_keys() -> None:
    codes, names = encode_keys(["b", "a", "b"])
    assert codes.tolist() == [0, 1, 0] and names == ["b", "a"]


def test_decay_too_far_back_is_a_typed_error_in_both_paths() -> None:
    with pytest.raises(IncidentError):
        categorize_batch(["Au-198"], [1.0], elapsed_days=[-1e6])
    item = SourceItem("Au-198", 1e12, reference_date=date(2020, 1, 1))
    with pytest.raises(IncidentError):
        categorize_sources([item], on_date=date(1000, 1, 1))
