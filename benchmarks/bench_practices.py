"""Self-assessment scoring: time to score a 500-question assessment (issue 15 goal <= 50 ms).

The framework is synthetic and seeded: 5 categories x 5 indicators x 4 requirements x 5
questions = 500 questions on a five-point scale, every sibling group with its own weights
summing to 100, 10 % of the answers N/A and 5 % left unanswered. Ours is
``Assessment.score`` (checks, answer validation against the scales, one post-order pass);
the baseline is a naive recursive pure-Python roll-up of the same rules (children found by
scanning the node list, options by scanning the scale), measured in the same run on the
same answers. The note says whether both give the same overall score. The shipped
framework (95 questions) is timed as well. Never fails on a timing.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from benchmarks._table import Table, best_time, fmt_s
from nucsec.practices import (
    Answer,
    Assessment,
    Framework,
    framework_from_dict,
    generate_assessment,
    shipped_frameworks,
)
from nucsec.practices.vocabulary import TAGS

SHAPE = (5, 5, 4, 5)  # categories, indicators each, requirements each, questions each
SCALE = {
    "id": "m5",
    "title": "maturity",
    "options": [
        {"code": str(i), "label": str(i), "score": 25 * i, "compliant": i >= 3} for i in range(5)
    ],
}


def _weights(codes: list[str], rng: random.Random) -> dict[str, float]:
    """Integer percentages summing to exactly 100."""
    cuts = sorted(rng.sample(range(1, 100), len(codes) - 1))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    return dict(zip(codes, parts, strict=True))


def synthetic_framework(rng: random.Random) -> Framework:
    kinds = ("category", "indicator", "requirement", "question")
    nodes: list[dict[str, Any]] = []
    weights: dict[str, float] = {}

    def grow(parent: str | None, depth: int) -> None:
        codes = [f"{parent}.{i}" if parent else f"C{i}" for i in range(SHAPE[depth])]
        weights.update(_weights(codes, rng))
        for code in codes:
            node: dict[str, Any] = {"code": code, "kind": kinds[depth], "title": code}
            if parent:
                node["parent"] = parent
            if depth == 3:
                node["scale"] = "m5"
            nodes.append(node)
            if depth < 3:
                grow(code, depth + 1)

    grow(None, 0)
    return framework_from_dict(
        {
            "framework": {"id": "bench", "version": "1", "title": "bench"},
            "scales": [SCALE],
            "nodes": nodes,
            "weight_sets": {"w": {"weights": weights}},
        }
    )


def answered(fw: Framework, rng: random.Random, tags: frozenset[str] = frozenset()) -> Assessment:
    a = generate_assessment(fw, "A", "F", tags, date(2024, 1, 1))
    answers = {}
    for q in a.questions:
        x = rng.random()
        if x < 0.10:
            answers[q] = Answer(q, None, na_reason="not used here")
        elif x >= 0.15:
            answers[q] = Answer(q, str(rng.randrange(5)))
    return Assessment(
        a.id,
        a.facility_id,
        a.framework_id,
        a.framework_version,
        a.weight_set,
        a.assessed_on,
        a.questions,
        answers,
    )


def naive_score(fw: Framework, assessment: Assessment) -> dict[str, tuple[float, float]]:
    """Recursive roll-up, the obvious way: same rules and outputs (maturity and compliance
    of every node with a score, and overall as ``""``), no precomputation."""
    ws = fw.weight_set(assessment.weight_set).weights
    asked = set(assessment.questions)
    out: dict[str, tuple[float, float]] = {}

    def score(code: str | None) -> tuple[float, float] | None:
        num_m = num_c = den = 0.0
        for n in (n for n in fw.nodes if n.parent == code):
            if n.kind == "question":
                if n.code not in asked:
                    continue
                ans = assessment.answers.get(n.code)
                if ans is not None and ans.value is None:
                    continue  # N/A
                opts = fw.scales[n.scale or ""].options
                o = None if ans is None else next(o for o in opts if o.code == ans.value)
                s = (0.0, 0.0) if o is None else (o.score, 100.0 if o.compliant else 0.0)
                out[n.code] = s
            else:
                sub = score(n.code)
                if sub is None:
                    continue
                s = sub
            w = float(ws.get(n.code, 1.0))
            num_m += w * s[0]
            num_c += w * s[1]
            den += w
        if den <= 0:
            return None
        out[code or ""] = (num_m / den, num_c / den)
        return out[code or ""]

    score(None)
    return out


def _same(fw: Framework, a: Assessment) -> str:
    r = a.score(fw)
    naive = naive_score(fw, a)
    ours = {
        n.code: (n.maturity, n.compliance) for n in (r.overall, *r.nodes) if n.maturity is not None
    }
    same = ours.keys() == naive.keys() and all(
        abs(ours[k][0] - naive[k][0]) < 1e-9 and abs(ours[k][1] - naive[k][1]) < 1e-9  # type: ignore[operator]
        for k in ours
    )
    return (
        f"overall {r.overall.maturity:.4f}; {len(ours)} node scores {'equal' if same else 'DIFFER'}"
    )


def run() -> Table:
    table = Table("practices: scoring a self-assessment (per call, best of 5)")
    rng = random.Random(15)
    fw = synthetic_framework(rng)
    a = answered(fw, rng)
    assert len(a.questions) == 500
    cold = best_time(lambda: a.score(synthetic_framework(random.Random(15))), repeat=3)
    build = best_time(lambda: synthetic_framework(random.Random(15)), repeat=3)
    a.score(fw)  # compile the plan once
    ours = best_time(lambda: a.score(fw), repeat=7, number=20)
    naive = best_time(lambda: naive_score(fw, a), repeat=7, number=3)
    note = _same(fw, a)
    table.add(
        "score 500 questions",
        fmt_s(ours),
        "naive recursive roll-up",
        fmt_s(naive),
        "<= 50 ms",
        note,
    )
    table.add(
        "score 500 questions, new framework object",
        fmt_s(max(cold - build, 0.0)),
        "naive recursive roll-up",
        fmt_s(naive),
        "<= 50 ms",
        "includes compiling the plan (framework load itself excluded)",
    )
    ship = shipped_frameworks()["nucsec-facility"]
    sa = answered(ship, rng, frozenset(TAGS))
    sa.score(ship)
    t_ship = best_time(lambda: sa.score(ship), repeat=5, number=50)
    t_naive = best_time(lambda: naive_score(ship, sa), repeat=5, number=5)
    table.add(
        f"score shipped framework ({len(sa.questions)} questions)",
        fmt_s(t_ship),
        "naive recursive roll-up",
        fmt_s(t_naive),
        "",
        _same(ship, sa),
    )
    _search_rows(table)
    return table


def _search_rows(table: Table) -> None:
    """Search latency over N_PRACTICES stored practices, SQLite then PostgreSQL."""
    import os

    from benchmarks import _practice_search as ps

    n = int(os.environ.get("NUCSEC_BENCH_PRACTICES", ps.N_PRACTICES))
    url = os.environ.get("NUCSEC_DATABASE_URL", "")
    for name, pg in (
        ("SQLite FTS5", None),
        ("PostgreSQL", url if url.startswith("postgresql") else None),
    ):
        what = f"search {n:,} practices [{name}] p50 / p99"
        if name == "PostgreSQL" and pg is None:
            table.add(what, "not measured", note="set NUCSEC_DATABASE_URL to a PostgreSQL server")
            continue
        with ps.bench_node(pg) as node:
            built = ps.load(node, n)
            m = ps.measure(node)
        table.add(
            what,
            f"{fmt_s(m['p50'])} / {fmt_s(m['p99'])}",
            "LIKE '%term%' listing + count",
            f"{fmt_s(m['naive_p50'])} / {fmt_s(m['naive_p99'])}",
            "p50 <= 20 ms, p99 <= 100 ms",
            f"{m['calls']} calls of {len(ps.QUERIES)} queries; mean total found "
            f"{m['found']:.0f} (LIKE: {m['like_found']:.0f}); loaded in {built:.0f} s; "
            f"first search (loads the mirror) {fmt_s(m['first'])}",
        )
