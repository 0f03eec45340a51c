"""Chart data: one facility's scores over time, and facilities side by side.

Both refuse reports computed with different frameworks or weight sets
(:class:`~nucsec.practices.errors.AssessmentError` naming ``weight_set``): rescore old
assessments with one weight set first (``Assessment.score(fw, weight_set=...)``), since
numbers from two weightings are not comparable. A node with no score is ``None`` (a gap
in the line), never 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from nucsec.practices.errors import AssessmentError
from nucsec.practices.framework import Framework
from nucsec.practices.scoring import ScoreReport

__all__ = ["compare_facilities", "facility_trend"]


def _same_basis(reports: Sequence[ScoreReport]) -> None:
    bases = {(r.framework_id, r.framework_version, r.weight_set_fingerprint) for r in reports}
    if len(bases) > 1:
        raise AssessmentError(
            "reports use different frameworks or weight sets: rescore with one weight set",
            field="weight_set",
        )


def _check_framework(framework: Framework, reports: Sequence[ScoreReport]) -> None:
    for r in reports:
        if (r.framework_id, r.framework_version) != (framework.id, framework.version):
            raise AssessmentError(
                f"a report is of {r.framework_id}, not {framework.id}",
                field="framework",
                value=r.framework_id,
            )


def _value(report: ScoreReport, code: str, what: str) -> float | None:
    try:
        value: float | None = getattr(report.node(code), what)
    except KeyError:
        return None
    return value


def _codes(framework: Framework, codes: Sequence[str] | None) -> list[str]:
    """``codes``, or the overall score (``""``) and the top-level nodes."""
    if codes is not None:
        return list(codes)
    return ["", *(n.code for n in framework.children(None))]


def facility_trend(
    framework: Framework,
    dated: Sequence[tuple[date, ScoreReport]],
    codes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """``{"dates", "series": [{"code", "maturity": [...], "compliance": [...]}]}``,
    oldest first; default codes: overall (``""``) and the top-level nodes."""
    ordered = sorted(dated, key=lambda p: p[0])
    reports = [r for _, r in ordered]
    _same_basis(reports)
    _check_framework(framework, reports)
    return {
        "dates": [d.isoformat() for d, _ in ordered],
        "series": [
            {
                "code": c,
                "maturity": [_value(r, c, "maturity") for r in reports],
                "compliance": [_value(r, c, "compliance") for r in reports],
            }
            for c in _codes(framework, codes)
        ],
    }


def compare_facilities(
    framework: Framework, reports: Mapping[str, ScoreReport], codes: Sequence[str] | None = None
) -> dict[str, Any]:
    """``{"facilities", "codes", "maturity": rows, "compliance": rows}``: one row per
    facility, one column per code (default: overall and the top-level nodes)."""
    items = sorted(reports.items())
    _same_basis([r for _, r in items])
    _check_framework(framework, [r for _, r in items])
    codes = _codes(framework, codes)
    return {
        "facilities": [f for f, _ in items],
        "codes": list(codes),
        "maturity": [[_value(r, c, "maturity") for c in codes] for _, r in items],
        "compliance": [[_value(r, c, "compliance") for c in codes] for _, r in items],
    }
