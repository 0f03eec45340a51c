"""Scores 0-100 per node, rolled up with a weight set; compliance kept apart from maturity.

Rules (also in ``docs/practices.md``):

- A question's **maturity** is the score (0-100) of the option chosen; its **compliance**
  is 100 if that option is compliant, else 0. The two are rolled up separately and never
  blended.
- A question answered N/A, or not applicable to the facility, leaves the denominator:
  its parent's score is the weighted mean over the children that have a score, with the
  weights of the weight set (renormalised over those children). A node with no scored
  child has no score (``None``), and leaves its own parent's denominator.
- An applicable question left unanswered counts as 0 for both (fail closed): an
  assessment cannot score higher by leaving its weak points blank. Each node reports how
  many of its questions were answered, N/A and unanswered.
- ``share`` is a node's weight in the overall score (product of renormalised weights
  along its path): raising a question from maturity m to 100 raises the overall maturity
  by ``share * (100 - m)``.

The roll-up is one pass over the nodes in post-order (children before parents) with
plain float sums in a fixed order, so the same answers and weight set give bit-identical
scores: an old score is recomputed exactly with the weight set version it names.

>>> from nucsec.practices.loader import load_framework, _EXAMPLE
>>> fw = load_framework(_EXAMPLE)
>>> score_answers(fw, {"A.q": "yes"}).overall.maturity
100.0
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from nucsec.practices.errors import ScaleError, WeightSetError
from nucsec.practices.framework import Framework

__all__ = ["NodeScore", "ScorePlan", "ScoreReport", "plan_for", "score_answers"]


@dataclass(frozen=True)
class NodeScore:
    """One node's scores (``None``: nothing scored beneath it) and question counts."""

    code: str
    maturity: float | None
    compliance: float | None
    share: float
    questions: int
    answered: int
    not_applicable: int
    unanswered: int
    verified: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "maturity": self.maturity,
            "compliance": self.compliance,
            "share": self.share,
            "questions": self.questions,
            "answered": self.answered,
            "not_applicable": self.not_applicable,
            "unanswered": self.unanswered,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class ScoreReport:
    """Scores of every node with an applicable question, and what they were computed with."""

    framework_id: str
    framework_version: str
    weight_set_version: str
    weight_set_fingerprint: str
    overall: NodeScore
    nodes: tuple[NodeScore, ...]

    def node(self, code: str) -> NodeScore:
        """The score of ``code`` (``""``: overall); KeyError if it was not scored."""
        if code == "":
            return self.overall
        for n in self.nodes:
            if n.code == code:
                return n
        raise KeyError(code)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the ``facility score --json`` shape."""
        return {
            "framework": self.framework_id,
            "framework_version": self.framework_version,
            "weight_set": self.weight_set_version,
            "weight_set_fingerprint": self.weight_set_fingerprint,
            "overall": self.overall.to_dict(),
            "nodes": [n.to_dict() for n in self.nodes],
        }


@dataclass(frozen=True)
class ScorePlan:
    """A framework and weight set compiled to arrays: post-order, parents, weights."""

    framework: Framework
    weight_set_version: str
    fingerprint: str
    post_order: tuple[int, ...]
    parent: tuple[int, ...]  # index of the parent; len(nodes) for the root
    weight: tuple[float, ...]


def plan_for(framework: Framework, weight_set: str | None = None) -> ScorePlan:
    """The compiled plan (cached on the framework, per weight set version)."""
    ws = framework.weight_set(weight_set)
    plan = framework._plans.get(ws.version)
    if isinstance(plan, ScorePlan):
        return plan
    n = len(framework.nodes)
    index = {node.code: i for i, node in enumerate(framework.nodes)}
    parent = tuple(n if nd.parent is None else index[nd.parent] for nd in framework.nodes)
    weight = tuple(float(ws.weights.get(nd.code, 1.0)) for nd in framework.nodes)
    order: list[int] = []
    stack = [(i, False) for i in reversed(range(n)) if parent[i] == n]
    kids: dict[int, list[int]] = {}
    for i, p in enumerate(parent):
        kids.setdefault(p, []).append(i)
    while stack:
        i, done = stack.pop()
        if done:
            order.append(i)
            continue
        stack.append((i, True))
        stack.extend((c, False) for c in reversed(kids.get(i, [])))
    plan = ScorePlan(framework, ws.version, ws.fingerprint, tuple(order), parent, weight)
    framework._plans[ws.version] = plan
    return plan


def _question_values(
    fw: Framework, answers: Mapping[str, str], not_applicable: Collection[str]
) -> dict[int, tuple[float, float] | None]:
    """Index -> (maturity, compliance) for answered, None for N/A; validated."""
    out: dict[int, tuple[float, float] | None] = {}
    index = fw._index
    for code in not_applicable:
        i = index.get(code, -1)
        if i < 0 or fw.nodes[i].scale is None:
            raise ScaleError(
                f"{code!r} is not a question of {fw.id}", field=f"answers[{code!r}]", value=code
            )
        out[i] = None
    for code, value in answers.items():
        i = index.get(code, -1)
        node = fw.nodes[i] if i >= 0 else None
        if node is None or node.scale is None:
            raise ScaleError(
                f"{code!r} is not a question of {fw.id}", field=f"answers[{code!r}]", value=code
            )
        if code in not_applicable:
            raise ScaleError(
                f"{code!r} is both answered and N/A", field=f"answers[{code!r}].value", value=value
            )
        opt = fw.scales[node.scale].option(value)
        if opt is None:
            raise ScaleError(
                f"answer {value!r} is not on scale {node.scale!r} "
                f"({', '.join(fw.scales[node.scale].codes())})",
                field=f"answers[{code!r}].value",
                value=value,
            )
        out[i] = (float(opt.score), 100.0 if opt.compliant else 0.0)
    return out


def score_answers(
    framework: Framework,
    answers: Mapping[str, str],
    *,
    not_applicable: Collection[str] = (),
    applicable: Iterable[str] | None = None,
    weight_set: str | None = None,
    expected_fingerprint: str | None = None,
) -> ScoreReport:
    """Score option codes by question code.

    Parameters
    ----------
    answers
        Question code -> option code of its scale (:class:`ScaleError` otherwise).
    not_applicable
        Question codes answered N/A.
    applicable
        Question codes applicable to the facility (default: every question).
    weight_set
        Weight set version (default: the framework's default).
    expected_fingerprint
        When recomputing an old score: the fingerprint it recorded. A different weight
        set under the same version raises :class:`WeightSetError`.
    """
    plan = plan_for(framework, weight_set)
    if expected_fingerprint is not None and expected_fingerprint != plan.fingerprint:
        raise WeightSetError(
            f"weight set {plan.weight_set_version!r} of {framework.id} is not the one the "
            "score was computed with (fingerprint differs)",
            field="weight_set",
            value=plan.weight_set_version,
        )
    values = _question_values(framework, answers, not_applicable)
    nodes = framework.nodes
    n = len(nodes)
    wanted = None if applicable is None else {framework._index[c] for c in applicable}
    mat_num, com_num, den = [0.0] * (n + 1), [0.0] * (n + 1), [0.0] * (n + 1)
    counts = [[0, 0, 0, 0] for _ in range(n + 1)]  # questions, answered, n/a, unanswered
    scored: list[tuple[float, float] | None] = [None] * n
    parent, weight = plan.parent, plan.weight
    for i in plan.post_order:
        c, p = counts[i], parent[i]
        if nodes[i].scale is not None:
            if wanted is not None and i not in wanted:
                continue
            c[0] = 1
            if i in values:
                v = values[i]
                c[1 if v is not None else 2] = 1
            else:
                v = (0.0, 0.0)
                c[3] = 1
        else:
            v = (mat_num[i] / den[i], com_num[i] / den[i]) if den[i] > 0 else None
        scored[i] = v
        pc = counts[p]
        pc[0] += c[0]
        pc[1] += c[1]
        pc[2] += c[2]
        pc[3] += c[3]
        if v is not None:
            w = weight[i]
            mat_num[p] += w * v[0]
            com_num[p] += w * v[1]
            den[p] += w
    return _report(plan, scored, counts, mat_num, com_num, den)


def _report(
    plan: ScorePlan,
    scored: list[tuple[float, float] | None],
    counts: list[list[int]],
    mat_num: list[float],
    com_num: list[float],
    den: list[float],
) -> ScoreReport:
    nodes, n = plan.framework.nodes, len(plan.framework.nodes)
    share = [0.0] * (n + 1)
    share[n] = 1.0
    out = []
    for i, node in enumerate(nodes):  # file order: parents come before children
        p = plan.parent[i]
        v = scored[i]
        if v is not None and den[p] > 0:
            share[i] = share[p] * plan.weight[i] / den[p]
        if counts[i][0] == 0:
            continue
        q, a, na, un = counts[i]
        mat, com = (None, None) if v is None else v
        out.append(NodeScore(node.code, mat, com, share[i], q, a, na, un, node.verified))
    root = (mat_num[n] / den[n], com_num[n] / den[n]) if den[n] > 0 else None
    q, a, na, un = counts[n]
    mat, com = (None, None) if root is None else root
    overall = NodeScore("", mat, com, 1.0, q, a, na, un, all(x.verified for x in out))
    fw = plan.framework
    return ScoreReport(
        fw.id, fw.version, plan.weight_set_version, plan.fingerprint, overall, tuple(out)
    )
