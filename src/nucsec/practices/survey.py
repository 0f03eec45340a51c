"""Security-culture survey (NSS 28-T style): agree/disagree items, results by group and time.

The instrument is ``culture_survey.csv``: one statement per characteristic of the NSS 7
culture model (our wording; personnel-behaviour items rest on unverified rows and say so).
Each response belongs to a survey round and a staff group and answers items on a
five-point agree/disagree scale or N/A, with an optional comment per item.

Results are distributions per round, staff group and item (and per layer of the model):
counts per point, N/A count, share agreeing and disagreeing. There is deliberately no
overall culture score: a single number would hide the differences between groups and
layers that a culture assessment looks for. A group with fewer respondents than
``min_group_size`` in a round is suppressed (no counts), so answers cannot be traced to
a person.

>>> inst = culture_instrument(("operations", "security"))
>>> r = SurveyResponse("2024", "operations", {"CS-01": "agree", "CS-02": None})
>>> res = survey_results(inst, [r] * 5)
>>> cell = res.cell("2024", "operations", "CS-01")
>>> cell.respondents, cell.agree_pct, cell.counts["agree"]
(5, 100.0, 5)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nucsec.practices.errors import SurveyError
from nucsec.practices.vocabulary import read_data_csv

__all__ = [
    "LIKERT",
    "Instrument",
    "ResultCell",
    "SurveyItem",
    "SurveyResponse",
    "SurveyResults",
    "culture_instrument",
    "survey_results",
]

LIKERT = ("strongly_disagree", "disagree", "neutral", "agree", "strongly_agree")
_AGREE, _DISAGREE = {"agree", "strongly_agree"}, {"disagree", "strongly_disagree"}


@dataclass(frozen=True)
class SurveyItem:
    """One statement: code, model layer, characteristic, statement, source row status."""

    code: str
    layer: str
    characteristic: str
    statement: str
    status: str

    @property
    def verified(self) -> bool:
        return self.status != "unverified"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "layer": self.layer,
            "characteristic": self.characteristic,
            "statement": self.statement,
            "status": self.status,
        }


@dataclass(frozen=True)
class Instrument:
    """Items and the staff groups responses may name."""

    items: tuple[SurveyItem, ...]
    staff_groups: tuple[str, ...]

    def __post_init__(self) -> None:
        codes = [i.code for i in self.items]
        if len(set(codes)) != len(codes) or not codes:
            raise SurveyError("item codes must be unique and present", field="items")
        if not self.staff_groups or len(set(self.staff_groups)) != len(self.staff_groups):
            raise SurveyError("staff groups must be unique and present", field="staff_groups")

    def item(self, code: str) -> SurveyItem | None:
        return next((i for i in self.items if i.code == code), None)

    def layers(self) -> list[str]:
        return list(dict.fromkeys(i.layer for i in self.items))


@functools.lru_cache(maxsize=1)
def _items() -> tuple[SurveyItem, ...]:
    return tuple(
        SurveyItem(r["code"], r["layer"], r["characteristic"], r["statement"], r["status"])
        for r in read_data_csv("culture_survey.csv")
    )


def culture_instrument(staff_groups: Sequence[str]) -> Instrument:
    """The shipped NSS 7-based instrument for these staff groups."""
    return Instrument(_items(), tuple(staff_groups))


@dataclass(frozen=True)
class SurveyResponse:
    """One respondent's answers (item -> Likert point, or ``None`` for N/A), anonymous."""

    round: str
    staff_group: str
    answers: Mapping[str, str | None]
    comments: Mapping[str, str] = field(default_factory=dict)

    def check(self, instrument: Instrument, where: str = "response") -> None:
        """Raise :class:`SurveyError` naming the field unless this fits ``instrument``."""
        if not isinstance(self.round, str) or not self.round.strip():
            raise SurveyError("a response needs a survey round", field=f"{where}.round")
        if self.staff_group not in instrument.staff_groups:
            raise SurveyError(
                f"unknown staff group {self.staff_group!r} "
                f"(use {', '.join(instrument.staff_groups)})",
                field=f"{where}.staff_group",
                value=self.staff_group,
            )
        for code, value in {**self.answers, **dict.fromkeys(self.comments)}.items():
            if instrument.item(code) is None:
                raise SurveyError(
                    f"unknown item {code!r}", field=f"{where}.answers[{code!r}]", value=code
                )
            if code in self.answers and value is not None and value not in LIKERT:
                raise SurveyError(
                    f"{value!r} is not on the agree/disagree scale ({', '.join(LIKERT)}) or N/A",
                    field=f"{where}.answers[{code!r}]",
                    value=repr(value),
                )
        for code, text in self.comments.items():
            if not isinstance(text, str) or len(text) > 5_000:
                raise SurveyError(
                    "a comment is text of at most 5000 characters",
                    field=f"{where}.comments[{code!r}]",
                )


@dataclass(frozen=True)
class ResultCell:
    """One round x staff group x item (or layer): the distribution, or suppressed."""

    round: str
    staff_group: str
    key: str  # item code, or "layer:<name>"
    respondents: int
    suppressed: bool
    counts: Mapping[str, int]
    not_applicable: int
    agree_pct: float | None
    disagree_pct: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "staff_group": self.staff_group,
            "key": self.key,
            "respondents": self.respondents,
            "suppressed": self.suppressed,
            "counts": dict(self.counts),
            "not_applicable": self.not_applicable,
            "agree_pct": self.agree_pct,
            "disagree_pct": self.disagree_pct,
        }


@dataclass(frozen=True)
class SurveyResults:
    """All cells, plus per-(group, key) series over rounds; no overall number."""

    rounds: tuple[str, ...]
    cells: tuple[ResultCell, ...]

    def cell(self, round_: str, group: str, key: str) -> ResultCell:
        for c in self.cells:
            if (c.round, c.staff_group, c.key) == (round_, group, key):
                return c
        raise KeyError((round_, group, key))

    def series(self, group: str, key: str) -> dict[str, Any]:
        """Chart data over rounds: agree and disagree shares (``None`` when suppressed)."""
        by_round = {c.round: c for c in self.cells if (c.staff_group, c.key) == (group, key)}
        pts = [by_round.get(r) for r in self.rounds]
        return {
            "rounds": list(self.rounds),
            "staff_group": group,
            "key": key,
            "agree_pct": [None if c is None else c.agree_pct for c in pts],
            "disagree_pct": [None if c is None else c.disagree_pct for c in pts],
        }

    def to_dict(self) -> dict[str, Any]:
        return {"rounds": list(self.rounds), "cells": [c.to_dict() for c in self.cells]}


def _cell(
    round_: str, group: str, key: str, n: int, values: list[str | None], min_n: int
) -> ResultCell:
    if n < min_n:
        return ResultCell(round_, group, key, n, True, {}, 0, None, None)
    counts = dict.fromkeys(LIKERT, 0)
    na = 0
    for v in values:
        if v is None:
            na += 1
        else:
            counts[v] += 1
    answered = sum(counts.values())
    agree = sum(counts[k] for k in _AGREE)
    disagree = sum(counts[k] for k in _DISAGREE)
    pct = (lambda x: 100.0 * x / answered) if answered else (lambda x: None)
    return ResultCell(round_, group, key, n, False, counts, na, pct(agree), pct(disagree))


def survey_results(
    instrument: Instrument, responses: Iterable[SurveyResponse], *, min_group_size: int = 5
) -> SurveyResults:
    """Distributions per round, staff group, item and layer (see the module docstring)."""
    if (
        isinstance(min_group_size, bool)
        or not isinstance(min_group_size, int)
        or min_group_size < 1
    ):
        raise SurveyError("min_group_size must be a whole number >= 1", field="min_group_size")
    groups: dict[tuple[str, str], list[SurveyResponse]] = {}
    for i, r in enumerate(responses):
        r.check(instrument, f"responses[{i}]")
        groups.setdefault((r.round, r.staff_group), []).append(r)
    cells = []
    for (round_, group), rs in sorted(groups.items()):
        n = len(rs)
        for item in instrument.items:
            vals = [r.answers[item.code] for r in rs if item.code in r.answers]
            cells.append(_cell(round_, group, item.code, n, vals, min_group_size))
        for layer in instrument.layers():
            codes = [i.code for i in instrument.items if i.layer == layer]
            vals = [r.answers[c] for r in rs for c in codes if c in r.answers]
            cells.append(_cell(round_, group, f"layer:{layer}", n, vals, min_group_size))
    rounds = tuple(sorted({r for r, _ in groups}))
    return SurveyResults(rounds, tuple(cells))
