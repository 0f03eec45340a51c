"""A facility self-assessment: questions that apply, answers, findings, and its score.

:func:`generate_assessment` keeps the questions of a framework that apply to a facility's
profile (a node applies when it and every ancestor apply). Each :class:`Answer` is an
option of the question's scale, or N/A with a reason, with evidence references (files go
through the attachment path of the service layer: the core keeps their references),
a comment and a compensating measure. :class:`Finding` s are typed recommendation,
suggestion or good practice. Everything is valid on creation; an answer outside the scale
is a :class:`~nucsec.practices.errors.ScaleError` naming ``answers["CODE"].value``.

>>> from nucsec.practices.loader import load_framework, _EXAMPLE
>>> fw = load_framework(_EXAMPLE)
>>> a = generate_assessment(fw, "A1", "F1", frozenset({"theft"}), date(2024, 5, 1))
>>> a = a.answer(fw, Answer("A.q", "yes"))
>>> a.score(fw).overall.maturity
100.0
>>> a.answer(fw, Answer("A.q", "maybe"))
Traceback (most recent call last):
...
nucsec.practices.errors.ScaleError: answer 'maybe' is not on scale 'yn' (yes, no)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from nucsec.practices.errors import AssessmentError, ScaleError, check_text
from nucsec.practices.framework import Framework
from nucsec.practices.scoring import ScoreReport, score_answers
from nucsec.practices.vocabulary import FINDING_TYPES

__all__ = [
    "Answer",
    "Assessment",
    "EvidenceRef",
    "Finding",
    "applicable_questions",
    "generate_assessment",
]

_TEXT_MAX = 20_000


def _text(value: object, where: str, *, required: bool = False) -> str:
    return check_text(value, where, _TEXT_MAX, required=required, error=AssessmentError)


@dataclass(frozen=True)
class EvidenceRef:
    """A reference to evidence: an attachment id (or SHA-256) and what it shows."""

    ref: str
    description: str = ""

    def __post_init__(self) -> None:
        _text(self.ref, "evidence.ref", required=True)
        _text(self.description, "evidence.description")


@dataclass(frozen=True)
class Answer:
    """An answer: ``value`` (an option code), or N/A with ``na_reason``; never both."""

    question: str
    value: str | None = None
    na_reason: str = ""
    evidence: tuple[EvidenceRef, ...] = ()
    comment: str = ""
    compensating_measure: str = ""

    def __post_init__(self) -> None:
        _text(self.question, "question", required=True)
        where = f"answers[{self.question!r}]"
        if self.value is not None and not isinstance(self.value, str):
            raise ScaleError(
                "an answer is an option code", field=f"{where}.value", value=repr(self.value)
            )
        _text(self.na_reason, f"{where}.na_reason")
        if self.value is not None and self.na_reason:
            raise AssessmentError(
                "an answer is a value or N/A, not both", field=f"{where}.na_reason"
            )
        if self.value is None and not self.na_reason.strip():
            raise AssessmentError(
                "N/A needs a reason (or give a value)", field=f"{where}.na_reason"
            )
        _text(self.comment, f"{where}.comment")
        _text(self.compensating_measure, f"{where}.compensating_measure")
        object.__setattr__(self, "evidence", tuple(self.evidence))
        for j, ev in enumerate(self.evidence):
            if not isinstance(ev, EvidenceRef):
                raise AssessmentError(
                    "evidence is a list of references", field=f"{where}.evidence[{j}]"
                )

    @property
    def not_applicable(self) -> bool:
        return self.value is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "value": self.value,
            "na_reason": self.na_reason,
            "evidence": [{"ref": e.ref, "description": e.description} for e in self.evidence],
            "comment": self.comment,
            "compensating_measure": self.compensating_measure,
        }


@dataclass(frozen=True)
class Finding:
    """A finding on a node: recommendation / suggestion / good practice, owner, due date.

    Recommendations and suggestions need an owner and a due date; a good practice needs
    neither.
    """

    id: str
    type: str
    node: str
    summary: str
    owner: str = ""
    due: date | None = None

    def __post_init__(self) -> None:
        where = f"findings[{self.id!r}]"
        _text(self.id, "findings.id", required=True)
        if self.type not in FINDING_TYPES:
            raise AssessmentError(
                f"unknown finding type {self.type!r} (use {', '.join(FINDING_TYPES)})",
                field=f"{where}.type",
                value=self.type,
            )
        _text(self.node, f"{where}.node", required=True)
        _text(self.summary, f"{where}.summary", required=True)
        _text(self.owner, f"{where}.owner")
        if self.due is not None and not isinstance(self.due, date):
            raise AssessmentError("due must be a date", field=f"{where}.due")
        if self.type != "good practice":
            if not self.owner.strip():
                raise AssessmentError(f"a {self.type} needs an owner", field=f"{where}.owner")
            if self.due is None:
                raise AssessmentError(f"a {self.type} needs a due date", field=f"{where}.due")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "node": self.node,
            "summary": self.summary,
            "owner": self.owner,
            "due": None if self.due is None else self.due.isoformat(),
        }


def applicable_questions(framework: Framework, tags: frozenset[str]) -> tuple[str, ...]:
    """Question codes whose node and every ancestor apply to ``tags``, in file order."""
    applies: dict[str, bool] = {}
    for node in framework.nodes:  # parents come first
        up = True if node.parent is None else applies[node.parent]
        applies[node.code] = up and node.applicability.applies_to(tags)
    return tuple(n.code for n in framework.questions() if applies[n.code])


@dataclass(frozen=True)
class Assessment:
    """One self-assessment of one facility on one date against one framework version."""

    id: str
    facility_id: str
    framework_id: str
    framework_version: str
    weight_set: str
    assessed_on: date
    questions: tuple[str, ...]
    answers: Mapping[str, Answer] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    def check(self, framework: Framework) -> None:
        """Raise unless this fits ``framework``: version, questions, answers on scale."""
        self._check_shape(framework)
        values, _ = self._split()
        scales = framework.scales
        for code, value in values.items():
            scale = scales[framework.node(code).scale or ""]
            if scale.option(value) is None:
                raise ScaleError(
                    f"answer {value!r} is not on scale {scale.id!r} ({', '.join(scale.codes())})",
                    field=f"answers[{code!r}].value",
                    value=value,
                )

    def _check_shape(self, framework: Framework) -> None:
        if (framework.id, framework.version) != (self.framework_id, self.framework_version):
            raise AssessmentError(
                f"assessment is against {self.framework_id} v{self.framework_version}, "
                f"not {framework.id} v{framework.version}",
                field="framework_version",
                value=framework.version,
            )
        asked = set(self.questions)
        for code in self.questions:
            if not framework.has(code) or framework.node(code).kind != "question":
                raise AssessmentError(
                    f"{code!r} is not a question of {framework.id}", field="questions", value=code
                )
        for code in self.answers:
            if code not in asked:
                raise AssessmentError(
                    f"{code!r} is not asked in this assessment",
                    field=f"answers[{code!r}]",
                    value=code,
                )
        codes = {f.id for f in self.findings}
        if len(codes) != len(self.findings):
            raise AssessmentError("finding ids must be unique", field="findings")
        for f in self.findings:
            if not framework.has(f.node):
                raise AssessmentError(
                    f"finding on unknown node {f.node!r}",
                    field=f"findings[{f.id!r}].node",
                    value=f.node,
                )

    def _split(self) -> tuple[dict[str, str], set[str]]:
        values, na = {}, set()
        for code, ans in self.answers.items():
            if ans.value is None:
                na.add(code)
            else:
                values[code] = ans.value
        return values, na

    def answer(self, framework: Framework, answer: Answer) -> Assessment:
        """A new assessment with ``answer`` recorded (replacing any earlier one)."""
        new = replace(self, answers={**self.answers, answer.question: answer})
        new.check(framework)
        return new

    def with_finding(self, framework: Framework, finding: Finding) -> Assessment:
        """A new assessment with ``finding`` added."""
        new = replace(self, findings=(*self.findings, finding))
        new.check(framework)
        return new

    def score(self, framework: Framework, *, weight_set: str | None = None) -> ScoreReport:
        """Scores per node with this assessment's weight set (or another one asked for)."""
        self._check_shape(framework)  # score_answers checks each value against its scale
        values, na = self._split()
        return score_answers(
            framework,
            values,
            not_applicable=na,
            applicable=self.questions,
            weight_set=weight_set or self.weight_set,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "facility": self.facility_id,
            "framework": self.framework_id,
            "framework_version": self.framework_version,
            "weight_set": self.weight_set,
            "assessed_on": self.assessed_on.isoformat(),
            "questions": list(self.questions),
            "answers": [a.to_dict() for a in self.answers.values()],
            "findings": [f.to_dict() for f in self.findings],
        }


def generate_assessment(
    framework: Framework,
    assessment_id: str,
    facility_id: str,
    tags: frozenset[str],
    assessed_on: date,
    *,
    weight_set: str | None = None,
) -> Assessment:
    """An empty assessment of the questions that apply to a facility's profile ``tags``."""
    ws = framework.weight_set(weight_set)
    questions = applicable_questions(framework, tags)
    if not questions:
        raise AssessmentError(
            f"no question of {framework.id} applies to this facility",
            field="facility",
            value=facility_id,
        )
    return Assessment(
        assessment_id,
        facility_id,
        framework.id,
        framework.version,
        ws.version,
        assessed_on,
        questions,
    )
