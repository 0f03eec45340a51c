"""Decisions per second: ``decide(..., "read", ...)`` against Cedar on the same mix.

Ours runs every pair of the 1,000 x 1,000 decision mix in a tight loop; Cedar (slower
per call) runs a seeded sample of the same pairs, in batches through
``cedarpy.is_authorized_batch`` with a pre-parsed policy set and entity set. Cedar's answers
are compared with ours on that sample so the two engines decide the same question. The
process is pinned to one CPU while it measures.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from benchmarks._policy_cedar import CedarBaseline
from benchmarks._policy_data import DECISION_SEED, decision_labels, decision_principals
from benchmarks._table import best_time
from nucsec.markings import MarkingContext
from nucsec.policy import Resource, decide

__all__ = ["DecisionResult", "measure_decisions"]

CEDAR_SAMPLE = 100_000
CEDAR_BATCH = 1_000


@dataclass(frozen=True)
class DecisionResult:
    pairs: int
    ours_per_s: float
    ours_sample_per_s: float  # ours on Cedar's sample, in its (random) order
    allowed_share: float
    cedar_pairs: int
    cedar_per_s: float
    cedar_raw_per_s: float | None  # evaluation without result decoding (private call)
    agree: int  # sampled pairs where Cedar's answer equals ours
    cpu: int | None


@contextmanager
def one_core() -> Iterator[int | None]:
    """Pin this process (and threads it starts) to one CPU; restore the mask after."""
    if not hasattr(os, "sched_setaffinity"):
        yield None
        return
    before = os.sched_getaffinity(0)
    cpu = min(before)
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, before)


def _raw_rate(cedar: CedarBaseline, batches: list[list[dict[str, Any]]]) -> float | None:
    """Rate of cedarpy's extension call alone (JSON text results, not decoded)."""
    import cedarpy

    raw = getattr(getattr(cedarpy, "_internal", None), "is_authorized_batch", None)
    if raw is None:
        return None
    entities = cedar.entities._inner

    def run() -> None:
        for batch in batches:
            raw(batch, cedar.policies, entities, None, False)

    return sum(len(b) for b in batches) / best_time(run, repeat=3)


def measure_decisions(ctx: MarkingContext) -> DecisionResult:
    principals = decision_principals(ctx)
    resources = [Resource(label) for label in decision_labels(ctx)]
    cedar = CedarBaseline(principals, [r.label for r in resources], ctx)
    rng = random.Random(DECISION_SEED + 2)
    sample = [
        (rng.randrange(len(principals)), rng.randrange(len(resources))) for _ in range(CEDAR_SAMPLE)
    ]
    requests = cedar.requests(sample)
    batches = [requests[i : i + CEDAR_BATCH] for i in range(0, len(requests), CEDAR_BATCH)]
    expected = [decide(principals[i], "read", resources[j], ctx).allowed for i, j in sample]
    answers = [a for batch in batches for a in cedar.decide_batch(batch, strict=True)]
    agree = sum(a == b for a, b in zip(expected, answers, strict=True))
    allowed = 0

    def ours() -> None:
        nonlocal allowed
        allowed = 0
        for p in principals:
            for r in resources:
                allowed += decide(p, "read", r, ctx).allowed

    def ours_sample() -> list[bool]:  # same work shape as Cedar's: one answer list
        return [decide(principals[i], "read", resources[j], ctx).allowed for i, j in sample]

    def theirs() -> None:
        for batch in batches:
            cedar.decide_batch(batch)

    pairs = len(principals) * len(resources)
    with one_core() as cpu:
        ours_s = best_time(ours, repeat=3)
        ours_sample_s = best_time(ours_sample, repeat=3)
        cedar_s = best_time(theirs, repeat=3)
        raw = _raw_rate(cedar, batches)
    return DecisionResult(
        pairs=pairs,
        ours_per_s=pairs / ours_s,
        ours_sample_per_s=len(sample) / ours_sample_s,
        allowed_share=allowed / pairs,
        cedar_pairs=len(sample),
        cedar_per_s=len(sample) / cedar_s,
        cedar_raw_per_s=raw,
        agree=agree,
        cpu=cpu,
    )
