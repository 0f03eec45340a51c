"""Compare a sample with a library: open-set, with a stated false-exclusion rate.

:func:`match` runs the exact checks and univariate tests over every entry
(:mod:`~nucsec.forensics.library.cascade`), then the correlated multivariate tests on the
survivors (:mod:`~nucsec.forensics.library.multivariate`), ranks the remaining candidates by
their likelihood ratio and names the measurement that would split them best
(:mod:`~nucsec.forensics.library.discriminate`).

The conclusion is *open set*: ``none`` when every entry is excluded (the sample's source is
not in the library, as far as the measured signatures can tell); ``consistent`` when at
least one remaining entry was compared on at least one signature *and* the comparison
discriminates (the expected number of other sources of the library that would pass the same
tests is at most ``max_coincident_sources``, default 0.05: see
:mod:`~nucsec.forensics.library.coincidence`); ``inconclusive`` when entries remain but
none of them is such a discriminating match (nothing in common was measured, or what was
measured is shared by many sources). The closest entry is never forced.

>>> from nucsec.forensics.library.demo import demo_library
>>> from nucsec.forensics.library.parse import sample_from_dict
>>> index = LibraryIndex.build(demo_library())
>>> s = sample_from_dict({"id": "S", "material_type": "uoc", "signatures": [
...     {"name": "n(234U)/n(238U)", "value": 5.304e-5, "u": 4e-8, "unit": "mol/mol"}]})
>>> r = match(index, s)
>>> r.conclusion, [c.entry for c in r.candidates], [e.entry for e in r.excluded()]
('consistent', ['UCLO-1'], ['UCHI-1'])
"""

from __future__ import annotations

import math

import numpy as np

from nucsec.forensics.library._kernels import warm_up
from nucsec.forensics.library.cascade import MATERIAL_TEST, Prepared, prepare, run_cascade
from nucsec.forensics.library.coincidence import coincident_sources
from nucsec.forensics.library.columns import MATERIAL_CODES
from nucsec.forensics.library.discriminate import next_measurement
from nucsec.forensics.library.explain import (
    compared_counts,
    form_verdict,
    item_verdict,
    signature_verdicts,
)
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.model import Sample
from nucsec.forensics.library.multivariate import MultivariateResult, multivariate
from nucsec.forensics.library.result import Candidate, Conclusion, Exclusion, MatchResult
from nucsec.forensics.library.thresholds import DEFAULT_FALSE_EXCLUSION_RATE
from nucsec.forensics.library.vocabulary import MATERIAL_TYPES

__all__ = ["DEFAULT_MAX_COINCIDENT_SOURCES", "match", "warm_up", "weights_from_scores"]

DEFAULT_MAX_COINCIDENT_SOURCES = 0.05
MULTIVARIATE_TEST = "multivariate"
Q_TEST = "Q-residual"


def weights_from_scores(log10_lr: np.ndarray) -> np.ndarray:
    """Shares of the likelihood (equal prior odds) from log10 likelihood ratios."""
    if log10_lr.size == 0:
        return log10_lr
    ln = log10_lr * math.log(10)
    w = np.exp(ln - ln.max())
    return w / w.sum()


def _mv_detail(mv: MultivariateResult, k: int) -> dict[str, object]:
    d: dict[str, object] = {"signatures": int(mv.dof[k])}
    d["d2"] = round(float(mv.d2[k]), 3)
    if not math.isnan(mv.q[k]):
        d |= {"q": round(float(mv.q[k]), 3), "q_limit": round(float(mv.q_limit[k]), 3)}
    return d


class _Renderer:
    """Turns an excluded position into an :class:`Exclusion` with its reason, on demand."""

    def __init__(
        self,
        index: LibraryIndex,
        prep: Prepared,
        why: np.ndarray,
        tests: list[str],
        mv_text: dict[int, str],
        sample: Sample,
    ) -> None:
        self.index, self.prep, self.why, self.tests = index, prep, why, tests
        self.mv_text, self.sample = mv_text, sample

    def __call__(self, e: int) -> Exclusion:
        by = self.tests[int(self.why[e])]
        entry = self.index.ids[e]
        if by == MATERIAL_TEST:
            mine = MATERIAL_TYPES[MATERIAL_CODES[int(self.index.material[e])]]
            theirs = MATERIAL_TYPES.get(self.sample.material_type or "", "?")
            return Exclusion(entry, by, f"entry is {mine}, the sample {theirs}")
        if by in (MULTIVARIATE_TEST, Q_TEST):
            return Exclusion(entry, by, self.mv_text.get(e, by))
        item = next((i for i in self.prep.items if i.name == by), None)
        if item is not None:
            return Exclusion(entry, by, item_verdict(self.index, self.prep, item, e).reason)
        bit = dict(self.prep.forms)[by]
        return Exclusion(entry, by, form_verdict(self.index, by, bit, e).reason)


def match(
    index: LibraryIndex,
    sample: Sample,
    *,
    false_exclusion_rate: float = DEFAULT_FALSE_EXCLUSION_RATE,
    same_material_type: bool = True,
    max_coincident_sources: float = DEFAULT_MAX_COINCIDENT_SOURCES,
    max_candidates: int = 20,
    top_for_next: int = 50,
) -> MatchResult:
    """Compare ``sample`` with every entry of ``index``.

    Parameters
    ----------
    false_exclusion_rate
        The probability, at most, that a sample truly from an entry's source is excluded
        from it (default 1 %); every threshold follows from it.
    same_material_type
        Exclude entries of another material type when the sample states its type.
    max_coincident_sources
        A remaining entry is ``consistent`` only when the expected number of *other*
        sources of the library (same material type) whose batches would pass the same
        tests is at most this (default 0.05); above it the comparison cannot tell this
        source from others and the entry is ``inconclusive``. It also bounds, roughly, how
        often a sample from a source outside the library is called ``consistent``.
    max_candidates
        How many of the ranked candidates get per-signature details and a coincidence
        probability (only these can make the conclusion ``consistent``).
    top_for_next
        How many of the best candidates the next-measurement search weighs.
    """
    prep = prepare(index, sample, false_exclusion_rate)
    cas = run_cascade(index, prep, same_material=same_material_type)
    survivors = cas.survivors
    mv = multivariate(index, prep, survivors)
    mv_text: dict[int, str] = {}
    rows = np.flatnonzero(mv.excluded_t2)
    cas.exclude(survivors[rows], MULTIVARIATE_TEST)
    for k in rows[:1000]:
        test = mv.tests[int(mv.failed[k])]
        mv_text[int(survivors[k])] = (
            f"D² = {mv.failed_d2[k]:.2f} > {mv.failed_limit[k]:.2f} on the {test!r} signatures "
            f"(multivariate tests share rate {prep.th.alpha_mv:.3g})"
        )
    rows = np.flatnonzero(mv.excluded_q & ~mv.excluded_t2)
    cas.exclude(survivors[rows], Q_TEST)
    for k in rows[:1000]:
        mv_text[int(survivors[k])] = (
            f"Q = {mv.q[k]:.2f} > {mv.q_limit[k]:.2f} (residual outside the entry's principal "
            "components)"
        )
    keep = ~(mv.excluded_t2 | mv.excluded_q)
    positions, rows = survivors[keep], np.flatnonzero(keep)
    compared = compared_counts(index, prep, positions)
    scores = mv.log10_lr[rows]
    order = np.lexsort((positions, -scores, compared == 0))
    positions, rows, scores, compared = (a[order] for a in (positions, rows, scores, compared))
    expected = np.full(positions.size, np.nan)
    top = slice(0, max_candidates)
    expected[top] = coincident_sources(index, prep, positions[top], np.sort(positions))
    others = max(_group_size(index, prep) - 1, 1)
    consistent = (compared > 0) & (expected <= max_coincident_sources)
    weights = weights_from_scores(scores)
    shown = min(max_candidates, positions.size)

    def render_candidate(k: int) -> Candidate:
        e = int(positions[k])
        return Candidate(
            index.ids[e],
            "consistent" if consistent[k] else "inconclusive",
            float(scores[k]),
            float(weights[k]),
            signature_verdicts(index, prep, e),
            _mv_detail(mv, int(rows[k])),
            float(expected[k] / others),
            float(expected[k]),
        )

    conclusion: Conclusion = (
        "consistent" if consistent.any() else ("inconclusive" if positions.size else "none")
    )
    nxt = next_measurement(
        index, prep, positions[:top_for_next], weights_from_scores(scores[:top_for_next])
    )
    excluded = np.flatnonzero(cas.why >= 0)
    return MatchResult(
        sample=sample.id,
        conclusion=conclusion,
        n_shown=shown,
        render_candidate=render_candidate,
        n_candidates=int(positions.size),
        n_excluded=int(excluded.size),
        next_measurement=nxt,
        false_exclusion_rate=prep.th.alpha,
        warnings=_warnings(index, prep),
        excluded_positions=excluded,
        render_exclusion=_Renderer(index, prep, cas.why, cas.tests, mv_text, sample),
    )


def _group_size(index: LibraryIndex, prep: Prepared) -> int:
    if prep.material is None:
        return index.n
    return int(index.group_size[prep.material])


def _warnings(index: LibraryIndex, prep: Prepared) -> tuple[str, ...]:
    out = [
        f"no entry of the library has {i.name}: not compared"
        for i in prep.items
        if i.j < 0 and not (i.date and index.window_entry.size)
    ]
    if not prep.items and not prep.forms:
        out.append("the sample has no signature: nothing can be compared")
    return tuple(out)
