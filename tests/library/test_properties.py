"""Property tests: any valid sample is answered; more signatures never rescue an entry."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.match import match
from nucsec.forensics.library.model import Sample
from nucsec.forensics.library.parse import sample_from_dict
from nucsec.forensics.library.partner import answer_for_partner
from nucsec.forensics.library.synthetic import draw_sample, generate_library
from nucsec.forensics.library.vocabulary import CHEMICAL_FORMS, MATERIAL_TYPES, signatures

LIB = generate_library(np.random.default_rng(31), 400)
INDEX = LibraryIndex.from_columns(LIB.columns)
NUMERIC = [s for s in signatures() if s.numeric]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def items(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.integers(0, 9)) == 0:
        return {"name": "chemical form", "value": draw(st.sampled_from(sorted(CHEMICAL_FORMS)))}
    sig = draw(st.sampled_from(NUMERIC))
    if sig.kind == "date":
        value = draw(st.floats(1900, 2100))
    elif sig.transform == "log":
        value = 10 ** draw(st.floats(-14, 6))
    else:
        value = draw(st.floats(-1e4, 1e4, allow_nan=False))
    if draw(st.booleans()) and sig.transform == "log":
        return {"name": sig.name, "below": value, "unit": sig.unit}
    u = abs(value) * 10 ** draw(st.floats(-7, 0)) + 1e-300
    item = {"name": sig.name, "value": value, "u": u, "unit": sig.unit}
    if sig.kind == "date" and draw(st.booleans()):
        item["purification"] = "incomplete"
    return item


@st.composite
def samples(draw: st.DrawFn) -> dict[str, Any]:
    chosen = draw(st.lists(items(), max_size=12, unique_by=lambda i: i["name"]))
    material = draw(st.one_of(st.none(), st.sampled_from(sorted(MATERIAL_TYPES))))
    return {"id": "H", "material_type": material, "signatures": chosen}


@FAST
@given(samples(), st.sampled_from([0.001, 0.01, 0.2]))
def test_any_valid_sample_gets_an_answer(data: dict[str, Any], alpha: float) -> None:
    sample = sample_from_dict(data)
    assert sample_from_dict(sample.to_dict()) == sample  # parse(serialize(x)) == x
    result = match(INDEX, sample, false_exclusion_rate=alpha)
    out = result.to_dict()
    json.dumps(out, allow_nan=False)  # JSON-ready: no NaN or infinity
    assert out["conclusion"] in {"consistent", "none", "inconclusive"}
    assert out["n_candidates"] + out["n_excluded"] == INDEX.n
    assert (out["conclusion"] == "none") == (out["n_candidates"] == 0)
    for cand in out["candidates"]:
        assert {s["verdict"] for s in cand["signatures"]} <= {"consistent", "inconclusive"}
    answer = answer_for_partner(INDEX, sample, false_exclusion_rate=alpha).to_dict()
    assert answer["conclusion"] == out["conclusion"]


@FAST
@given(st.integers(0, 2**32 - 1), st.integers(0, INDEX.n - 1), st.data())
def test_more_signatures_never_turn_an_exclusion_into_a_pass(
    seed: int, position: int, data: st.DataObject
) -> None:
    full = draw_sample(np.random.default_rng(seed), LIB, position)
    keep = data.draw(
        st.lists(st.booleans(), min_size=len(full.signatures), max_size=len(full.signatures))
    )
    fewer = Sample(
        full.id,
        full.material_type,
        tuple(m for m, k in zip(full.signatures, keep, strict=True) if k),
    )
    with_more = set(match(INDEX, full).excluded_positions.tolist())
    with_fewer = set(match(INDEX, fewer).excluded_positions.tolist())
    assert with_fewer <= with_more


@FAST
@given(st.integers(0, 2**32 - 1))
def test_scores_and_weights_are_finite_and_ordered(seed: int) -> None:
    rng = np.random.default_rng(seed)
    result = match(INDEX, draw_sample(rng, LIB, int(rng.integers(INDEX.n))))
    scores = [c.score for c in result.candidates]
    assert all(math.isfinite(s) for s in scores)
    consistent = [c.score for c in result.candidates if c.verdict == "consistent"]
    assert consistent == sorted(consistent, reverse=True)
    assert all(0 <= c.weight <= 1 for c in result.candidates)
