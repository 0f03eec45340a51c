"""Errors of the best-practice and self-assessment core, each naming the field that is wrong.

Input errors are :class:`nucsec.errors.InputError` (so ``ValueError``; exit 2, HTTP 422);
a lifecycle step asked from the wrong state is a :class:`nucsec.errors.ConflictError`
(exit 6, HTTP 409). ``field`` is a path such as ``nodes[12].applicability[1]`` or
``answers["PP.I.03.q"].value`` so a form or an import report can point at the exact cell.

>>> try:
...     raise ScaleError("answer 'maybe' is not on scale 'implementation'",
...                      field="answers.Q1.value", value="maybe")
... except ValueError as exc:
...     exc.to_dict()["error"], exc.field
('answer_outside_scale', 'answers.Q1.value')
"""

from __future__ import annotations

from nucsec.errors import ConflictError, InputError

__all__ = [
    "AssessmentError",
    "FacilityError",
    "FrameworkError",
    "LifecycleError",
    "PracticeError",
    "ScaleError",
    "SurveyError",
    "WeightSetError",
    "check_text",
]


class PracticeError(InputError):
    """A best practice, citation, endorsement or adoption record that is not valid."""

    code = "invalid_practice"


class FrameworkError(InputError):
    """A framework file or value that is not valid (tree, tags, scales, mappings)."""

    code = "invalid_framework"


class WeightSetError(FrameworkError):
    """A weight set that does not sum correctly, names unknown nodes, or changed."""

    code = "invalid_weight_set"


class FacilityError(InputError):
    """A facility or holding that is not valid."""

    code = "invalid_facility"


class AssessmentError(InputError):
    """An assessment, answer or finding that is not valid."""

    code = "invalid_assessment"


class ScaleError(AssessmentError):
    """An answer that is not on its question's scale."""

    code = "answer_outside_scale"


class SurveyError(InputError):
    """A culture-survey instrument or response that is not valid."""

    code = "invalid_survey"


class LifecycleError(ConflictError):
    """A status change the current status does not allow (e.g. endorsing a draft)."""

    code = "invalid_transition"


def check_text(
    value: object, where: str, limit: int, *, required: bool, error: type[InputError]
) -> str:
    """``value`` if it is text of at most ``limit`` characters (non-blank if ``required``);
    else ``error`` naming ``where``."""
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        need = "non-empty text" if required else "text"
        raise error(
            f"{where} must be {need} of at most {limit} characters",
            field=where,
            value=repr(value)[:80],
        )
    return value
