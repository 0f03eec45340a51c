"""Review round 2: what the audit view tells an auditor who may not read the records.

The web's audit view replaces record ids with keyed pseudonyms, "a record the caller may
not see must not even be named". But events also carry *unkeyed* SHA-256 digests
(``service.trail.digest``) of small, guessable texts: the label of every decided record
(``record_decision``: ``details.label``) and every search query (``details.query``). The
space of labels is small (levels x REL TO x compartments x originator x basis) and
queries are words, so an auditor of the other nation recovers by dictionary the marking
of a NOFORN record and what an analyst searched for. The raw SHA-256 of attached files
(``details.sha256``) is shown as is, too. Expected: digests in events keyed (HMAC under a
node secret) or pseudonymised in the audit view like ids.
"""

from __future__ import annotations

import hashlib
import json

from nucsec.markings import Label, parse_banner
from nucsec.node import Node
from nucsec.service import attachments as att
from nucsec.service.documents import DocumentInput, count_documents, create_document
from nucsec.service.files import FileUpload
from nucsec.service.trail import digest
from nucsec.service.users import get_user, principal_of
from nucsec.web import audit_view


def _events_seen_by(node: Node, username: str) -> str:
    with node.engine.connect() as conn:
        auditor = get_user(conn, username)
    page = audit_view.query(node, auditor.id, who=None, since=None, limit=1000)
    return json.dumps(page["items"])


def test_finding_auditor_recovers_a_noforn_label_by_dictionary(demo_node: Node) -> None:
    """DOE writes a SECRET//FORENSICS//NOFORN document; the Japanese auditor's view of the
    log contains ``sha256(label JSON)``, which equals the digest of the guessed banner.
    Expected: no digest in the auditor's view that an unkeyed guess reproduces."""
    doe = principal_of(demo_node, "doe.analyst")
    label = parse_banner("SECRET//FORENSICS//NOFORN", demo_node.ctx)
    doc = create_document(demo_node, doe, DocumentInput("Lab note", "body", label, label))
    stored = Label.from_dict(doc["label"])
    guess = digest(stored.to_json())  # an auditor enumerates candidate labels like this
    assert guess.split(":")[1] not in _events_seen_by(demo_node, "jpn.auditor")


def test_finding_auditor_recovers_a_search_term_by_dictionary(demo_node: Node) -> None:
    """A US analyst searches for "north korea heu"; the Japanese auditor sees
    ``sha256("north korea heu")`` in the event. Expected: not reproducible by a guess."""
    count_documents(demo_node, principal_of(demo_node, "doe.analyst"), "north korea heu")
    guess = digest("north korea heu")
    assert guess.split(":")[1] not in _events_seen_by(demo_node, "jpn.auditor")


def test_finding_auditor_sees_the_hash_of_a_noforn_file(demo_node: Node) -> None:
    """DOE reads the file of its NOFORN document; the Japanese auditor's view carries the
    file's raw SHA-256 (``details.sha256`` of the attachment read), which confirms a guess
    of the file's content. Expected: the hash pseudonymised like record ids."""
    doe = principal_of(demo_node, "doe.analyst")
    label = parse_banner("SECRET//NOFORN", demo_node.ctx)
    doc = create_document(demo_node, doe, DocumentInput("Lab file", "body", label, label))
    data = b"review round 2: guessable NOFORN file"
    att.attach_file(demo_node, doe, "document", doc["id"], FileUpload(data, "f.bin"))
    att.read_attachment(demo_node, doe, "document", doc["id"], hashlib.sha256(data).hexdigest())
    assert hashlib.sha256(data).hexdigest() not in _events_seen_by(demo_node, "jpn.auditor")
