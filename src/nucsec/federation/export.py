"""Records exported as a STIX 2.1 bundle file (adapter): the incident register's export.

The same objects a partner receives (:class:`~nucsec.federation.objects.ObjectBuilder`),
for the incidents a user may export (ORCON: originator only; the policy's SQL twin, as
the CSV export), written as one bundle with its marking and extension definitions.
Audited as an export (``record.export``, format ``stix``).
"""

from __future__ import annotations

import json

from nucsec.federation.objects import export_bundle
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.service.incidents import INCIDENT, exportable_ids
from nucsec.service.trail import digest, emit, reading
from nucsec.store.records import RecordStore

__all__ = ["export_incidents_stix"]


def export_incidents_stix(node: Node, principal: Principal) -> str:
    """A STIX 2.1 bundle (JSON text) of every incident the principal may export (ORCON:
    originator only): the federation mapping's ``x-nucsec-incident`` objects with their
    marking definitions (labels, TLP 2.0 where unclassified) and extension definitions.
    Audited as an export (``record.export``, format ``stix``)."""
    with reading(node) as (conn, recorder):
        ids = exportable_ids(node, conn, principal)
        store = RecordStore(conn, node.ctx)
        rows = [row for rid in ids if (row := store.get(INCIDENT.name, rid)) is not None]
        text = json.dumps(export_bundle(node, conn, INCIDENT, rows), ensure_ascii=False, indent=1)
        emit(
            node,
            recorder,
            actor=principal.id,
            action="record.export",
            details={"kind": INCIDENT.name, "format": "stix", "ids": ids, "sha256": digest(text)},
        )
    return text
