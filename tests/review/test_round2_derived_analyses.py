"""Review round 2: a shared analysis is derived from a labelled file, but nothing ties its
label to the label of the record the file is attached to.

``service.analyses.save_spectrum_analysis`` reads a file attached to a record the analyst
may read (``read_attachment``: decided and audited), recomputes the analysis, and stores
it under *any* label the analyst may create. The result (nuclides, peaks, the 2048-point
plot of the spectrum) and the default title (with the file's name) therefore flow from a
``SECRET//ORCON/NOFORN`` record into an ``UNCLASSIFIED`` analysis that the partner nation
reads, although the same analyst is refused when trying to widen the record itself
("only the originator ... changes this record"). Derived data must carry at least the
source's restrictions (or the originator / a security officer must approve the downgrade).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nucsec.errors import AccessDenied, NotFoundError
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service import analyses
from nucsec.service import attachments as att
from nucsec.service.documents import DocumentInput, create_document, get_document, update_document
from nucsec.service.files import FileUpload
from nucsec.service.users import principal_of

SPECTRUM = Path(__file__).resolve().parents[1] / "data" / "spectra" / "suro_rc101_cs137_EG3X.xml"
FILE_NAME = "seized-item-7-heu.xml"


def _source(node: Node, banner: str) -> tuple[str, str]:
    """A DOE document under ``banner`` with a spectrum attached: (document id, sha256)."""
    doe = principal_of(node, "doe.analyst")
    label = parse_banner(banner, node.ctx)
    doc = create_document(node, doe, DocumentInput("Lab file", "Body", label, label))
    data = SPECTRUM.read_bytes()
    att.attach_file(node, doe, "document", doc["id"], FileUpload(data, FILE_NAME))
    return doc["id"], hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("target", ["UNCLASSIFIED", "SECRET//REL TO USA, JPN"])
def test_finding_derived_analysis_launders_orcon_noforn(demo_node: Node, target: str) -> None:
    """DHS (not the originator) reads DOE's SECRET//ORCON/NOFORN file; it may not widen the
    record, but saves the file's analysis under ``target`` and the Japanese analyst then
    reads the result. Expected: the save is refused (or the analysis stays hidden from
    Japan): an analysis must not be released wider than its source."""
    doc_id, sha = _source(demo_node, "SECRET//ORCON/NOFORN")
    dhs = principal_of(demo_node, "dhs.chief")
    npa = principal_of(demo_node, "npa.analyst")
    get_document(demo_node, dhs, doc_id)  # DHS may read the source
    wide = parse_banner("SECRET//REL TO USA, JPN", demo_node.ctx)
    with pytest.raises(AccessDenied):  # ... but may not widen it
        update_document(demo_node, dhs, doc_id, DocumentInput("Lab file", "Body", wide, wide))
    source = {"kind": "document", "id": doc_id, "sha256": sha}
    try:
        saved = analyses.save_spectrum_analysis(
            demo_node, dhs, source=source, label=parse_banner(target, demo_node.ctx)
        )
    except AccessDenied:
        return  # refusing the downgrade is the secure outcome
    with pytest.raises(NotFoundError):
        analyses.get_analysis(demo_node, npa, saved["id"])


def test_finding_analysis_title_names_the_hidden_source_file(demo_node: Node) -> None:
    """The analysis view scrubs its ``source`` (record id, file name, SHA-256) for readers
    who may not read the source record, but the default title is
    ``Gamma spectrum <file name>: <nuclides>``, so the name of a file attached to a NOFORN
    record reaches the Japanese reader anyway. Expected: no field the reader sees names
    the hidden source file."""
    doc_id, sha = _source(demo_node, "SECRET//NOFORN")
    doe = principal_of(demo_node, "doe.analyst")
    npa = principal_of(demo_node, "npa.analyst")
    label = parse_banner("SECRET//REL TO USA, JPN", demo_node.ctx)
    source = {"kind": "document", "id": doc_id, "sha256": sha}
    saved = analyses.save_spectrum_analysis(demo_node, doe, source=source, label=label)
    seen = analyses.get_analysis(demo_node, npa, saved["id"])
    assert seen["source"] is None  # the scrub applies: NPA may not read the source record
    assert FILE_NAME not in repr(seen)


def test_an_allowed_downgrade_of_derived_data_is_audited(demo_node: Node) -> None:
    """The originator (DOE) may release the analysis of its NOFORN file wider than the
    file: the monitor's ``update`` decision on the file's record allows it, and that
    decision is in the log (the denial always was; the allowance was not)."""
    from sqlalchemy import select

    from nucsec.audit.tables import audit_events

    doc_id, sha = _source(demo_node, "SECRET//NOFORN")
    doe = principal_of(demo_node, "doe.analyst")
    label = parse_banner("SECRET//REL TO USA, JPN", demo_node.ctx)
    source = {"kind": "document", "id": doc_id, "sha256": sha}
    analyses.save_spectrum_analysis(demo_node, doe, source=source, label=label)
    e = audit_events.c
    with demo_node.engine.connect() as conn:
        outcomes = (
            conn.execute(
                select(e.outcome).where(
                    e.action == "record.update",
                    e.actor == doe.id,
                    e.object_ref == f"document:{doc_id}",
                )
            )
            .scalars()
            .all()
        )
    assert outcomes == ["success"]
