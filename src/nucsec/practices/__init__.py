"""Best practices and facility self-assessment (pure core): frameworks, scores, practices.

No database, network, clock or randomness: every function takes what it needs and returns
frozen, JSON-ready values (``to_dict``); bad input raises a typed error naming the field
(:mod:`~nucsec.practices.errors`). The service layer (labelled records, search,
federation), CLI, REST and UI build on these. See ``docs/practices.md``.

- :mod:`~nucsec.practices.framework`, :mod:`~nucsec.practices.loader` — frameworks as data
  (node tree, scales, versioned weight sets, crosswalks) and their TOML/JSON format;
  :func:`shipped_frameworks` (``nti-index``, ``nucsec-facility``).
- :mod:`~nucsec.practices.applicability`, :mod:`~nucsec.practices.vocabulary` — tags,
  facility types, topics, finding types.
- :mod:`~nucsec.practices.facility` — facilities; categories computed from holdings.
- :mod:`~nucsec.practices.assessment`, :mod:`~nucsec.practices.scoring`,
  :mod:`~nucsec.practices.gaps`, :mod:`~nucsec.practices.trends` — self-assessment,
  0-100 roll-up (maturity and compliance apart), ranked gaps, chart data.
- :mod:`~nucsec.practices.practice`, :mod:`~nucsec.practices.lifecycle`,
  :mod:`~nucsec.practices.render`, :mod:`~nucsec.practices.catalogue` — best practices,
  endorsement state machine, safe Markdown, the seed catalogue.
- :mod:`~nucsec.practices.survey` — security-culture survey; :mod:`~nucsec.practices.adoption`
  — adoption records and rates; :mod:`~nucsec.practices.records` — facility and assessment
  records (the shapes the service layer stores).
"""

from nucsec.practices.adoption import AdoptionRecord, adoption_rates
from nucsec.practices.applicability import Applicability
from nucsec.practices.assessment import (
    Answer,
    Assessment,
    EvidenceRef,
    Finding,
    applicable_questions,
    generate_assessment,
)
from nucsec.practices.catalogue import default_membership, load_catalogue, practice_from_dict
from nucsec.practices.errors import (
    AssessmentError,
    FacilityError,
    FrameworkError,
    LifecycleError,
    PracticeError,
    ScaleError,
    SurveyError,
    WeightSetError,
)
from nucsec.practices.facility import Facility, FacilityProfile, Holding
from nucsec.practices.framework import (
    Framework,
    FrameworkMapping,
    FrameworkNode,
    NodeRef,
    Scale,
    ScaleOption,
    WeightSet,
)
from nucsec.practices.gaps import Gap, rank_gaps
from nucsec.practices.lifecycle import endorse, propose, revise, supersede, withdraw
from nucsec.practices.loader import (
    check_crosswalks,
    framework_from_dict,
    load_framework,
    shipped_frameworks,
)
from nucsec.practices.practice import (
    Citation,
    Endorsement,
    Officer,
    Practice,
    check_references,
    guidance_documents,
)
from nucsec.practices.records import assessment_from_dict, facility_from_dict, facility_to_dict
from nucsec.practices.render import render_markdown
from nucsec.practices.scoring import NodeScore, ScoreReport, score_answers
from nucsec.practices.survey import (
    SurveyResponse,
    SurveyResults,
    culture_instrument,
    survey_results,
)
from nucsec.practices.trends import compare_facilities, facility_trend
from nucsec.practices.vocabulary import FACILITY_TYPES, FINDING_TYPES, TAGS, topics

__all__ = [
    "FACILITY_TYPES",
    "FINDING_TYPES",
    "TAGS",
    "AdoptionRecord",
    "Answer",
    "Applicability",
    "Assessment",
    "AssessmentError",
    "Citation",
    "Endorsement",
    "EvidenceRef",
    "Facility",
    "FacilityError",
    "FacilityProfile",
    "Finding",
    "Framework",
    "FrameworkError",
    "FrameworkMapping",
    "FrameworkNode",
    "Gap",
    "Holding",
    "LifecycleError",
    "NodeRef",
    "NodeScore",
    "Officer",
    "Practice",
    "PracticeError",
    "Scale",
    "ScaleError",
    "ScaleOption",
    "ScoreReport",
    "SurveyError",
    "SurveyResponse",
    "SurveyResults",
    "WeightSet",
    "WeightSetError",
    "adoption_rates",
    "applicable_questions",
    "assessment_from_dict",
    "check_crosswalks",
    "check_references",
    "compare_facilities",
    "culture_instrument",
    "default_membership",
    "endorse",
    "facility_from_dict",
    "facility_to_dict",
    "facility_trend",
    "framework_from_dict",
    "generate_assessment",
    "guidance_documents",
    "load_catalogue",
    "load_framework",
    "practice_from_dict",
    "propose",
    "rank_gaps",
    "render_markdown",
    "revise",
    "score_answers",
    "shipped_frameworks",
    "supersede",
    "survey_results",
    "topics",
    "withdraw",
]
