"""The record kinds of a node: one line per kind.

Each kind is declared whole in its own service module (a
:class:`~nucsec.service.kinds.RecordKind`); this registry lists them, in the order
federation offers them to a new peer. Where a node is built
(:mod:`nucsec.assembly`), the registry becomes ``node.kinds``.

>>> [k.name for k in RECORD_KINDS]  # doctest: +NORMALIZE_WHITESPACE
['document', 'incident', 'analysis', 'library_entry', 'library_answer',
 'library_query', 'practice', 'facility', 'assessment', 'case', 'adoption',
 'culture_survey']
>>> [k.collection for k in RECORD_KINDS.attachable]
['documents', 'incidents', 'analyses', 'assessments', 'adoptions']
"""

from __future__ import annotations

from nucsec.service import (
    adoptions,
    analyses,
    assessments,
    cases,
    documents,
    facilities,
    incidents,
    library,
    library_approvals,
    library_queries,
    practices,
    surveys,
)
from nucsec.service.kinds import KindRegistry

__all__ = ["RECORD_KINDS"]

RECORD_KINDS = KindRegistry(
    (
        documents.DOCUMENT,
        incidents.INCIDENT,
        analyses.ANALYSIS,
        library.LIBRARY_ENTRY,
        library_queries.LIBRARY_ANSWER,
        library_approvals.LIBRARY_QUERY,
        practices.PRACTICE,
        facilities.FACILITY,
        assessments.ASSESSMENT,
        cases.CASE,
        adoptions.ADOPTION,
        surveys.CULTURE_SURVEY,
    )
)
