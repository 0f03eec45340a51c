"""Security-culture survey results and adoption rates."""

from __future__ import annotations

from datetime import date

import pytest

from nucsec.practices import (
    AdoptionRecord,
    EvidenceRef,
    PracticeError,
    SurveyError,
    SurveyResponse,
    adoption_rates,
    culture_instrument,
    survey_results,
)

INST = culture_instrument(("operations", "security", "management"))


def test_instrument_follows_the_model_and_flags_unverified_items() -> None:
    assert len(INST.items) == 31
    assert INST.layers() == [
        "beliefs",
        "principles",
        "management_systems",
        "leadership_behaviour",
        "personnel_behaviour",
    ]
    unverified = [i.code for i in INST.items if not i.verified]
    assert unverified == ["CS-27", "CS-28", "CS-29", "CS-30", "CS-31"]


def _responses() -> list[SurveyResponse]:
    ops = ["agree"] * 4 + ["strongly_disagree"] * 2
    sec = ["strongly_agree"] * 5
    out = [SurveyResponse("2023", "operations", {"CS-01": v, "CS-02": None}) for v in ops]
    out += [SurveyResponse("2023", "security", {"CS-01": v}) for v in sec]
    out += [SurveyResponse("2024", "operations", {"CS-01": "agree"}) for _ in range(6)]
    out += [SurveyResponse("2024", "management", {"CS-01": "disagree"}) for _ in range(2)]
    return out


def test_results_by_group_and_round() -> None:
    res = survey_results(INST, _responses())
    ops = res.cell("2023", "operations", "CS-01")
    assert ops.respondents == 6 and ops.counts["agree"] == 4
    assert ops.agree_pct == pytest.approx(100 * 4 / 6) and ops.disagree_pct == pytest.approx(
        100 * 2 / 6
    )
    na = res.cell("2023", "operations", "CS-02")
    assert na.not_applicable == 6 and na.agree_pct is None  # all N/A: no share, not 0
    assert res.cell("2023", "security", "CS-01").agree_pct == 100.0
    layer = res.cell("2023", "operations", "layer:beliefs")
    assert sum(layer.counts.values()) == 6 and layer.not_applicable == 6
    series = res.series("operations", "CS-01")
    assert series["rounds"] == ["2023", "2024"]
    assert series["agree_pct"] == [pytest.approx(66.67, abs=0.01), 100.0]


def test_small_groups_are_suppressed() -> None:
    res = survey_results(INST, _responses())
    small = res.cell("2024", "management", "CS-01")
    assert small.suppressed and small.counts == {} and small.agree_pct is None
    assert res.series("management", "CS-01")["agree_pct"] == [None, None]
    assert (
        not survey_results(INST, _responses(), min_group_size=2)
        .cell("2024", "management", "CS-01")
        .suppressed
    )


def test_never_one_single_number() -> None:
    res = survey_results(INST, _responses())
    shape = res.to_dict()
    assert set(shape) == {"rounds", "cells"}
    assert not [a for a in dir(res) if "overall" in a or "index" in a or "score" in a]


@pytest.mark.parametrize(
    ("response", "field"),
    [
        (SurveyResponse("2024", "cooks", {}), "responses[0].staff_group"),
        (SurveyResponse("2024", "security", {"CS-99": "agree"}), "responses[0].answers['CS-99']"),
        (SurveyResponse("2024", "security", {"CS-01": "yes"}), "responses[0].answers['CS-01']"),
        (SurveyResponse("", "security", {}), "responses[0].round"),
        (SurveyResponse("2024", "security", {}, {"CS-01": 5}), "responses[0].comments['CS-01']"),
    ],  # type: ignore[dict-item]
)
def test_bad_response_names_the_field(response: SurveyResponse, field: str) -> None:
    with pytest.raises(SurveyError) as info:
        survey_results(INST, [response])
    assert info.value.field == field


def test_adoption_rates_over_time() -> None:
    recs = [
        AdoptionRecord("BP-1", "USA.DOE", date(2012, 1, 10), (EvidenceRef("doc:1"),)),
        AdoptionRecord("BP-1", "facility:JRR", date(2012, 5, 1)),
        AdoptionRecord("BP-2", "JPN.MEXT", date(2012, 2, 1), withdrawn_on=date(2012, 4, 1)),
    ]
    adopters = ["USA.DOE", "JPN.MEXT", "facility:JRR", "facility:FAB"]
    available = {"BP-1": date(2011, 12, 1), "BP-2": date(2012, 3, 1)}  # BP-2 endorsed later
    r = adoption_rates(
        recs,
        available,
        adopters,
        [date(2012, 6, 1), date(2011, 11, 1), date(2012, 3, 15), date(2012, 2, 1)],
    )
    assert r["dates"] == ["2011-11-01", "2012-02-01", "2012-03-15", "2012-06-01"]
    assert r["possible_pairs"] == [0, 4, 8, 8]
    assert r["adopted_pairs"] == [0, 1, 2, 2]  # BP-2 counts once available, until withdrawn
    assert r["overall"] == [None, 25.0, 25.0, 25.0]
    assert r["by_practice"]["BP-1"] == [None, 25.0, 25.0, 50.0]
    assert r["by_practice"]["BP-2"] == [None, None, 25.0, 0.0]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"adopter": "DOE"}, "adopter"),
        ({"practice_id": ""}, "practice_id"),
        ({"withdrawn_on": date(2011, 1, 1)}, "withdrawn_on"),
        ({"adopted_on": "2012"}, "adopted_on"),
    ],
)
def test_bad_adoption_names_the_field(kw: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "practice_id": "BP-1",
        "adopter": "USA.DOE",
        "adopted_on": date(2012, 1, 1),
    }
    with pytest.raises(PracticeError) as info:
        AdoptionRecord(**{**base, **kw})  # type: ignore[arg-type]
    assert info.value.field == field
    with pytest.raises(PracticeError) as info2:
        adoption_rates([AdoptionRecord("BP-9", "USA.DOE", date(2012, 1, 1))], {}, ["USA.DOE"], [])
    assert info2.value.field == "records[0].practice_id"
