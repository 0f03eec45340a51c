"""The record kinds of a node: one line per kind.

Each kind is declared whole in its own service module (a
:class:`~nucsec.service.kinds.RecordKind`); this registry lists them, in the order
federation offers them to a new peer. Where a node is built
(:mod:`nucsec.assembly`), the registry becomes ``node.kinds``.

>>> [k.name for k in RECORD_KINDS]
['document', 'incident', 'analysis', 'case']
>>> [k.collection for k in RECORD_KINDS.attachable]
['documents', 'incidents', 'analyses']
"""

from __future__ import annotations

from nucsec.service import analyses, cases, documents, incidents
from nucsec.service.kinds import KindRegistry

__all__ = ["RECORD_KINDS"]

RECORD_KINDS = KindRegistry(
    (
        documents.DOCUMENT,
        incidents.INCIDENT,
        analyses.ANALYSIS,
        cases.CASE,
    )
)
