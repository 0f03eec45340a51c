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
from typing import Any, NamedTuple

from nucsec.practices.errors import ScaleError, WeightSetError
from nucsec.practices.framework import Framework

__all__ = ["NodeScore", "ScorePlan", "ScoreReport", "plan_for", "score_answers"]


class NodeScore(NamedTuple):
    """One node's scores (``None``: nothing scored beneath it) and question counts.

    An immutable named tuple rather than a frozen dataclass: a report holds one per node
    and building hundreds of frozen dataclasses was most of the scoring time.
    """

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
    """A framework and weight set compiled to arrays: parents, weights, answer options.

    Nodes are listed parents first (the framework guarantees it), so walking the indices
    backwards visits every child before its parent.
    """

    framework: Framework
    weight_set_version: str
    fingerprint: str
    parent: tuple[int, ...]  # index of the parent; len(nodes) for the root
    weight: tuple[float, ...]
    options: tuple[dict[str, tuple[float, float]] | None, ...]  # questions: code -> values


def plan_for(framework: Framework, weight_set: str | None = None) -> ScorePlan:
    """The compiled plan (cached on the framework, per weight set version)."""
    ws = framework.weight_set(weight_set)
    plan = framework._plans.get(ws.version)
    if isinstance(plan, ScorePlan):
        return plan
    nodes, index = framework.nodes, framework._index
    n = len(nodes)
    by_scale = {
        sid: {o.code: (float(o.score), 100.0 if o.compliant else 0.0) for o in scale.options}
        for sid, scale in framework.scales.items()
    }
    plan = ScorePlan(
        framework,
        ws.version,
        ws.fingerprint,
        tuple(n if nd.parent is None else index[nd.parent] for nd in nodes),
        tuple(float(ws.weights.get(nd.code, 1.0)) for nd in nodes),
        tuple(None if nd.scale is None else by_scale[nd.scale] for nd in nodes),
    )
    framework._plans[ws.version] = plan
    return plan


def _not_a_question(fw: Framework, code: str) -> ScaleError:
    return ScaleError(
        f"{code!r} is not a question of {fw.id}", field=f"answers[{code!r}]", value=code
    )


def _question_values(
    plan: ScorePlan, answers: Mapping[str, str], not_applicable: Collection[str]
) -> dict[int, tuple[float, float] | None]:
    """Index -> (maturity, compliance) for answered, None for N/A; validated."""
    fw = plan.framework
    out: dict[int, tuple[float, float] | None] = {}
    index, options = fw._index, plan.options
    for code in not_applicable:
        i = index.get(code, -1)
        if i < 0 or options[i] is None:
            raise _not_a_question(fw, code)
        out[i] = None
    for code, value in answers.items():
        i = index.get(code, -1)
        opts = options[i] if i >= 0 else None
        if opts is None:
            raise _not_a_question(fw, code)
        if i in out:
            raise ScaleError(
                f"{code!r} is both answered and N/A", field=f"answers[{code!r}].value", value=value
            )
        v = opts.get(value) if isinstance(value, str) else None
        if v is None:
            scale = fw.nodes[i].scale or ""
            raise ScaleError(
                f"answer {value!r} is not on scale {scale!r} "
                f"({', '.join(fw.scales[scale].codes())})",
                field=f"answers[{code!r}].value",
                value=value,
            )
        out[i] = v
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
    values = _question_values(plan, answers, not_applicable)
    wanted = None
    if applicable is not None:
        wanted = set()
        for code in applicable:
            i = framework._index.get(code, -1)
            if i < 0 or plan.options[i] is None:
                raise _not_a_question(framework, code)
            wanted.add(i)
    return _report(plan, _roll_up(plan, values, wanted))


_MISSING = (0.0, 0.0)  # an unanswered question: 0 for both (fail closed)


def _roll_up(
    plan: ScorePlan, values: dict[int, tuple[float, float] | None], wanted: set[int] | None
) -> tuple[list[float | None], list[float | None], list[float], list[list[int]]]:
    """One backwards pass: node maturity, compliance, parents' denominators, counts."""
    n = len(plan.parent)
    parent, weight, options = plan.parent, plan.weight, plan.options
    mat, com, den = [0.0] * (n + 1), [0.0] * (n + 1), [0.0] * (n + 1)
    q, ans, nas, un = [0] * (n + 1), [0] * (n + 1), [0] * (n + 1), [0] * (n + 1)
    smat: list[float | None] = [None] * n
    scom: list[float | None] = [None] * n
    for i in range(n - 1, -1, -1):
        p = parent[i]
        if options[i] is not None:
            if wanted is not None and i not in wanted:
                continue
            q[p] += 1
            q[i] = 1
            v = values.get(i, _MISSING)
            if v is None:  # N/A: counted, not scored
                nas[i] = 1
                nas[p] += 1
                continue
            if v is _MISSING and i not in values:
                un[i] = 1
                un[p] += 1
            else:
                ans[i] = 1
                ans[p] += 1
            m, c = v
        else:
            q[p] += q[i]
            ans[p] += ans[i]
            nas[p] += nas[i]
            un[p] += un[i]
            d = den[i]
            if d <= 0:
                continue
            m, c = mat[i] / d, com[i] / d
        smat[i], scom[i] = m, c
        w = weight[i]
        mat[p] += w * m
        com[p] += w * c
        den[p] += w
    root_d = den[n]
    root = (mat[n] / root_d, com[n] / root_d) if root_d > 0 else (None, None)
    return [*smat, root[0]], [*scom, root[1]], den, [q, ans, nas, un]


def _report(
    plan: ScorePlan,
    rolled: tuple[list[float | None], list[float | None], list[float], list[list[int]]],
) -> ScoreReport:
    smat, scom, den, (q, ans, nas, un) = rolled
    nodes, n = plan.framework.nodes, len(plan.framework.nodes)
    share = [0.0] * (n + 1)
    share[n] = 1.0
    out = []
    parent, weight = plan.parent, plan.weight
    for i in range(n):  # file order: parents come before children
        if not q[i]:
            continue
        p = parent[i]
        if smat[i] is not None and den[p] > 0:
            share[i] = share[p] * weight[i] / den[p]
        node = nodes[i]
        out.append(
            NodeScore(
                node.code, smat[i], scom[i], share[i], q[i], ans[i], nas[i], un[i], node.verified
            )
        )
    overall = NodeScore(
        "", smat[n], scom[n], 1.0, q[n], ans[n], nas[n], un[n], all(x.verified for x in out)
    )
    fw = plan.framework
    return ScoreReport(
        fw.id, fw.version, plan.weight_set_version, plan.fingerprint, overall, tuple(out)
    )
