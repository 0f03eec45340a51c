"""Scores recomputed by hand, N/A handling, weight-set versioning, and roll-up properties."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nucsec.practices import (
    Framework,
    ScaleError,
    WeightSetError,
    framework_from_dict,
    score_answers,
    shipped_frameworks,
)
from nucsec.practices.framework import WeightSet

ANSWERS = {"A1.q1": "yes", "A1.q2": "partial", "A2.q1": "no", "B.q1": "3"}


def test_scores_by_hand_weight_set_v1(small: Framework) -> None:
    r = score_answers(small, ANSWERS, not_applicable={"B.q2"})
    # A1 = (50*100 + 50*50)/100 = 75, compliance (50*100 + 50*0)/100 = 50
    assert (r.node("A1").maturity, r.node("A1").compliance) == (75.0, 50.0)
    assert (r.node("A2").maturity, r.node("A2").compliance) == (0.0, 0.0)
    # A = (50*75 + 50*0)/100 = 37.5, compliance (50*50 + 50*0)/100 = 25
    assert (r.node("A").maturity, r.node("A").compliance) == (37.5, 25.0)
    # B: B.q2 is N/A and leaves the denominator: B = B.q1 = 75, compliant
    assert (r.node("B").maturity, r.node("B").compliance) == (75.0, 100.0)
    # overall = (60*37.5 + 40*75)/100 = 52.5; compliance (60*25 + 40*100)/100 = 55
    assert (r.overall.maturity, r.overall.compliance) == (52.5, 55.0)
    assert (r.overall.questions, r.overall.answered, r.overall.not_applicable) == (5, 4, 1)
    # share of A1.q2 = 0.6 * 0.5 * 0.5: answering "yes" would add 0.15 * 50 = 7.5 points
    assert r.node("A1.q2").share == pytest.approx(0.15)
    better = score_answers(small, {**ANSWERS, "A1.q2": "yes"}, not_applicable={"B.q2"})
    assert better.overall.maturity == pytest.approx(52.5 + 7.5)


def test_scores_by_hand_weight_set_v2(small: Framework) -> None:
    r = score_answers(small, ANSWERS, not_applicable={"B.q2"}, weight_set="v2")
    # A1 = (25*100 + 75*50)/100 = 62.5; A = (62.5 + 0)/2 = 31.25; overall = (31.25 + 75)/2
    assert r.node("A1").maturity == 62.5
    assert r.node("A").maturity == 31.25
    assert r.overall.maturity == 53.125
    assert r.weight_set_version == "v2"


def test_not_applicable_node_leaves_the_denominator(small: Framework) -> None:
    applicable = ["A1.q1", "A1.q2", "B.q1", "B.q2"]  # a facility without Category I
    r = score_answers(
        small,
        {"A1.q1": "yes", "A1.q2": "partial", "B.q1": "3"},
        not_applicable={"B.q2"},
        applicable=applicable,
    )
    with pytest.raises(KeyError):
        r.node("A2")
    assert r.node("A").maturity == 75.0  # A1 alone
    assert r.overall.maturity == 75.0  # (60*75 + 40*75)/100


def test_everything_na_gives_no_score_not_zero(small: Framework) -> None:
    r = score_answers(
        small,
        {"A1.q1": "yes"},
        not_applicable={"B.q1", "B.q2"},
        applicable=["A1.q1", "B.q1", "B.q2"],
    )
    assert r.node("B").maturity is None and r.node("B").not_applicable == 2
    assert r.overall.maturity == 100.0  # B left the denominator
    none = score_answers(small, {}, not_applicable={"B.q1", "B.q2"}, applicable=["B.q1", "B.q2"])
    assert none.overall.maturity is None and none.overall.compliance is None


def test_unanswered_counts_as_zero_and_is_reported(small: Framework) -> None:
    r = score_answers(small, {"A1.q1": "yes"})
    assert r.node("A1").maturity == 50.0 and r.node("A1").unanswered == 1
    assert r.overall.unanswered == 4


@pytest.mark.parametrize(
    ("answers", "na", "field"),
    [
        ({"A1.q1": "maybe"}, set(), "answers['A1.q1'].value"),
        ({"B.q1": "5"}, set(), "answers['B.q1'].value"),
        ({"B.q1": "yes"}, set(), "answers['B.q1'].value"),
        ({"A1": "yes"}, set(), "answers['A1']"),
        ({"Z.q": "yes"}, set(), "answers['Z.q']"),
        ({"A1.q1": "yes"}, {"A1.q1"}, "answers['A1.q1'].value"),
        ({}, {"A1"}, "answers['A1']"),
    ],
    ids=[
        "not-an-option",
        "above-scale",
        "other-scale",
        "not-a-question",
        "unknown",
        "answered-and-na",
        "na-on-a-non-question",
    ],
)
def test_answer_outside_the_scale_is_a_typed_error(
    small: Framework, answers: dict[str, str], na: set[str], field: str
) -> None:
    with pytest.raises(ScaleError) as info:
        score_answers(small, answers, not_applicable=na)
    assert info.value.field == field
    assert info.value.to_dict()["error"] == "answer_outside_scale"


def test_old_score_recomputed_exactly_with_its_weight_set() -> None:
    fw = shipped_frameworks()["nucsec-facility"]
    answers = {q.code: str(i % 5) for i, q in enumerate(fw.questions()) if i % 7}
    old = score_answers(fw, answers, weight_set="2")
    stored = json.loads(json.dumps(old.to_dict()))  # what the store would keep
    # a new weight set is published later; the framework file gains a version
    data = fw.to_dict()
    data["weight_sets"]["3"] = {"note": "later", "weights": {c.code: 10 for c in fw.children(None)}}
    data["framework"]["default_weight_set"] = "3"
    later = framework_from_dict(data)
    assert score_answers(later, answers).overall.maturity != old.overall.maturity
    again = score_answers(
        later,
        answers,
        weight_set=stored["weight_set"],
        expected_fingerprint=stored["weight_set_fingerprint"],
    )
    assert json.loads(json.dumps(again.to_dict())) == stored  # bit for bit


def test_weight_set_changed_under_the_same_version_is_refused(small: Framework) -> None:
    old = score_answers(small, ANSWERS)
    data = small.to_dict()
    data["weight_sets"]["v1"]["weights"].update({"A": 70, "B": 30})
    tampered = framework_from_dict(data)
    with pytest.raises(WeightSetError) as info:
        score_answers(
            tampered, ANSWERS, weight_set="v1", expected_fingerprint=old.weight_set_fingerprint
        )
    assert info.value.field == "weight_set"
    with pytest.raises(WeightSetError):
        score_answers(small, ANSWERS, weight_set="v7")


def test_fingerprint_depends_on_values_not_spelling() -> None:
    assert (
        WeightSet("x", {"a": 50, "b": 50.0}).fingerprint
        == WeightSet("y", {"b": 50, "a": 50}).fingerprint
    )
    assert WeightSet("x", {"a": 50}).fingerprint != WeightSet("x", {"a": 50.5}).fingerprint


# -- properties over the shipped framework (95 questions, two weight sets) -------------------

FACILITY = shipped_frameworks()["nucsec-facility"]
QUESTIONS = [q.code for q in FACILITY.questions()]
CHOICE = st.sampled_from(["0", "1", "2", "3", "4", None, "na"])  # None: unanswered


@st.composite
def assessments(draw: Any) -> tuple[dict[str, str], set[str], str]:
    picks = draw(st.lists(CHOICE, min_size=len(QUESTIONS), max_size=len(QUESTIONS)))
    answers = {q: v for q, v in zip(QUESTIONS, picks, strict=True) if v not in (None, "na")}
    na = {q for q, v in zip(QUESTIONS, picks, strict=True) if v == "na"}
    return answers, na, draw(st.sampled_from(["1", "2"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments())
def test_scores_stay_within_0_and_100(case: tuple[dict[str, str], set[str], str]) -> None:
    answers, na, ws = case
    r = score_answers(FACILITY, answers, not_applicable=na, weight_set=ws)
    for ns in (r.overall, *r.nodes):
        for value in (ns.maturity, ns.compliance):
            assert value is None or -1e-9 <= value <= 100 + 1e-9
        assert ns.questions == ns.answered + ns.not_applicable + ns.unanswered


def _without(fw: Framework, code: str) -> Framework:
    data = fw.to_dict()
    data["nodes"] = [n for n in data["nodes"] if n["code"] != code]
    return framework_from_dict(data)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments(), st.sampled_from(QUESTIONS))
def test_na_is_the_same_as_the_question_absent(
    case: tuple[dict[str, str], set[str], str], q: str
) -> None:
    answers, na, ws = case
    answers.pop(q, None)
    na.discard(q)
    with_na = score_answers(FACILITY, answers, not_applicable=na | {q}, weight_set=ws)
    not_asked = score_answers(
        FACILITY,
        answers,
        not_applicable=na,
        weight_set=ws,
        applicable=[c for c in QUESTIONS if c != q],
    )
    removed = score_answers(_without(FACILITY, q), answers, not_applicable=na, weight_set=ws)
    for other in (not_asked, removed):
        assert other.overall.maturity == with_na.overall.maturity
        assert other.overall.compliance == with_na.overall.compliance
        mine = {
            n.code: (n.maturity, n.compliance) for n in with_na.nodes if n.answered + n.unanswered
        }
        theirs = {
            n.code: (n.maturity, n.compliance) for n in other.nodes if n.answered + n.unanswered
        }
        assert mine == theirs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments(), st.sampled_from(QUESTIONS), st.sampled_from(["1", "2", "3", "4"]))
def test_a_better_answer_never_lowers_a_score(
    case: tuple[dict[str, str], set[str], str], q: str, up: str
) -> None:
    answers, na, ws = case
    na.discard(q)
    before = answers.get(q)
    if before is not None and before >= up:
        return
    low = score_answers(FACILITY, answers, not_applicable=na, weight_set=ws)
    high = score_answers(FACILITY, {**answers, q: up}, not_applicable=na, weight_set=ws)
    for a, b in zip((low.overall, *low.nodes), (high.overall, *high.nodes), strict=True):
        assert a.code == b.code
        assert (b.maturity or 0) >= (a.maturity or 0) - 1e-9
        assert (b.compliance or 0) >= (a.compliance or 0) - 1e-9
    assert high.node(q).maturity > low.node(q).maturity
