"""Review: a file is readable only through a record that legitimately lists it.

Blobs are content-addressed and shared by the whole node; ``read_attachment`` returns the
bytes of any blob whose SHA-256 the (readable) record lists. A record's file list is data
its writer supplies (an incident's ``attachments`` in its JSON facts, a received record's
``attachment.N`` / facts from a peer), so a writer who knows a hash can make a record that
"lists" another record's file and read it through their own record.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from nucsec.errors import AccessDenied, NotFoundError
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service import attachments as att
from nucsec.service.documents import DocumentInput, create_document
from nucsec.service.files import FileUpload
from nucsec.service.incidents import add_incident, parse_incident
from nucsec.service.users import principal_of

SECRET_BYTES = b"NOFORN detector file: HEU signature 185.7 keV"


def _incident(sha: str, size: int) -> dict[str, Any]:
    return {
        "reference": "REVIEW-HASH-1",
        "report_date": "2020-03-02",
        "incident_date": "2020-02-01",
        "country": "US",
        "incident_type": "theft",
        "itdb_group": "I",
        "place": "review",
        "items": [{"kind": "material", "material": "U", "mass_g": 1.0, "enrichment_pct": 3.0}],
        "narrative": [],
        "attachments": [{"name": "mine.spe", "sha256": sha, "size_bytes": size}],
    }


def test_finding_incident_json_can_name_another_records_file(demo_node: Node) -> None:
    """A DHS officer (SECRET, ITDB, no FORENSICS) cannot read a DOE SECRET//FORENSICS
    document, but by creating an incident whose ``attachments`` names the SHA-256 of that
    document's file, reads the file's bytes through the incident. Expected: NotFoundError
    (the file was never attached to the incident through ``attach_file``)."""
    doe = principal_of(demo_node, "doe.analyst")
    dhs = principal_of(demo_node, "dhs.chief")
    hidden = parse_banner("SECRET//FORENSICS//NOFORN", demo_node.ctx)
    doc = create_document(demo_node, doe, DocumentInput("Lab file", "Body", hidden, hidden))
    att.attach_file(demo_node, doe, "document", doc["id"], FileUpload(SECRET_BYTES, "x.spe"))
    sha = hashlib.sha256(SECRET_BYTES).hexdigest()
    with pytest.raises(NotFoundError):  # DHS may not read the document's file directly
        att.read_attachment(demo_node, dhs, "document", doc["id"], sha)
    incident = parse_incident(_incident(sha, len(SECRET_BYTES)), today=demo_node.clock().date())
    try:
        made = add_incident(
            demo_node, dhs, incident, parse_banner("UNCLASSIFIED//NOFORN", demo_node.ctx)
        )
    except (AccessDenied, NotFoundError):
        return  # refusing to list a file that was not uploaded here is the secure outcome
    with pytest.raises(NotFoundError):
        att.read_attachment(demo_node, dhs, "incident", made["id"], sha)
