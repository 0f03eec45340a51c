"""Review of what a node accepts from a peer (commit bd278cf: incidents and analyses
federate). A peer is trusted for the content of its own records, never for this node's
data: a received record must not reach a local file, and a malformed page must be refused
object by object, never crash the import."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from nucsec.errors import NotFoundError
from nucsec.markings import parse_banner
from nucsec.service import attachments as att
from nucsec.service.documents import DocumentInput, create_document
from nucsec.service.files import FileUpload
from nucsec.service.users import principal_of
from tests.federation.conftest import definitions, local_nodes, outbox_objects, pin, receive

LOCAL_SECRET = b"JPN national file: GOKUHI NOFORN measurement"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with local_nodes(tmp_path_factory.mktemp("review-fed")) as make:
        usa, jpn = make("USA"), make("JPN")
        pin(usa, jpn, "jpn")
        pin(jpn, usa, "usa")
        objects = outbox_objects(usa, "jpn")
        yield {"usa": usa, "jpn": jpn, "objects": objects}


def an_incident(objects: list[Any]) -> dict[str, Any]:
    found = next(o for o in objects if o.get("type") == "x-nucsec-incident")
    return copy.deepcopy(found)


def test_finding_received_incident_cannot_name_a_local_file(nodes: dict[str, Any]) -> None:
    """The USA peer sends an incident releasable to JPN whose facts list a file by the
    SHA-256 of a JPN GOKUHI//NOFORN document's attachment (file bytes never travel, so a
    received record's files are only names). A JPN reader of the received incident who may
    not read the national document must not get that file's bytes through the incident.
    Expected: NotFoundError (files are served only if attached here: record_files)."""
    jpn, objects = nodes["jpn"], nodes["objects"]
    mext = principal_of(jpn, "mext.chief")
    label = parse_banner("GOKUHI//NOFORN", jpn.ctx)
    doc = create_document(jpn, mext, DocumentInput("National", "Body", label, label))
    att.attach_file(jpn, mext, "document", doc["id"], FileUpload(LOCAL_SECRET, "n.spe"))
    sha = hashlib.sha256(LOCAL_SECRET).hexdigest()
    obj = an_incident(objects)
    obj["id"] = f"x-nucsec-incident--{uuid.uuid4()}"
    facts = next(p for p in obj["portions"] if p["name"] == "facts")
    facts["value"]["attachments"] = [
        {"name": "from-usa.spe", "sha256": sha, "size_bytes": len(LOCAL_SECRET)}
    ]
    result = receive(jpn, "usa", [*definitions(objects), obj])
    if result.rejected:
        return  # refusing a record that names a file this node holds is also secure
    record_id = obj["id"].partition("--")[2]
    banner = next(o for o in objects if o["id"] == obj["object_marking_refs"][0])["name"]
    readers = [u for u in ("npa.analyst", "npa.chief", "nisa.chief", "mext.analyst")]
    reader = None
    for name in readers:  # a JPN user who reads the incident but not the national document
        p = principal_of(jpn, name)
        try:
            att.list_attachments(jpn, p, "incident", record_id)
        except NotFoundError:
            continue
        try:
            att.read_attachment(jpn, p, "document", doc["id"], sha)
        except NotFoundError:
            reader = p
            break
    if reader is None:
        pytest.skip(f"no demo JPN user reads {banner} but not GOKUHI//NOFORN")
    with pytest.raises(NotFoundError):
        att.read_attachment(jpn, reader, "incident", record_id, sha)


def test_finding_one_record_id_under_two_types_is_refused_not_a_crash(
    nodes: dict[str, Any],
) -> None:
    """A page carrying a new document and a new incident with the same UUID: the second
    must be rejected with a reason (receipt), not abort the whole import with a database
    integrity error (which makes the page, and so the peer's feed, fail on every sync)."""
    jpn, objects = nodes["jpn"], nodes["objects"]
    shared = str(uuid.uuid4())
    doc = copy.deepcopy(next(o for o in objects if o.get("type") == "x-nucsec-document"))
    doc["id"] = f"x-nucsec-document--{shared}"
    inc = an_incident(objects)
    inc["id"] = f"x-nucsec-incident--{shared}"
    result = receive(jpn, "usa", [*definitions(objects), doc, inc])
    assert [r["id"] for r in result.rejected] == [inc["id"]]


def test_finding_a_bad_timestamp_is_refused_not_a_crash(nodes: dict[str, Any]) -> None:
    """A new record whose ``created`` is not a timestamp: ``parse_record`` only checks it is
    a non-empty string, and the importer parses it when it flushes the pending new records,
    outside the per-object ``try`` — so the Refused escapes ``import_page`` and the whole
    page (every good object on it) fails. Expected: that object rejected, the rest kept."""
    jpn, objects = nodes["jpn"], nodes["objects"]
    good = an_incident(objects)
    good["id"] = f"x-nucsec-incident--{uuid.uuid4()}"
    bad = an_incident(objects)
    bad["id"] = f"x-nucsec-incident--{uuid.uuid4()}"
    bad["created"] = "yesterday"
    result = receive(jpn, "usa", [*definitions(objects), good, bad])
    assert [r["id"] for r in result.rejected] == [bad["id"]]
    assert any(good["id"].partition("--")[2] in ref for ref in result.records)


def test_finding_stix_export_keeps_the_originators_identity(nodes: dict[str, Any]) -> None:
    """A received USA incident exported as STIX from the JPN node (``incident export
    --format stix`` / ``GET /api/v1/incidents/export?format=stix``) must still name the USA
    node as its creator (``created_by_ref``), as it did on the wire; naming the exporting
    JPN node would attribute US material to Japan."""
    from nucsec.federation.export import export_incidents_stix

    jpn, objects = nodes["jpn"], nodes["objects"]
    obj = an_incident(objects)
    obj["id"] = f"x-nucsec-incident--{uuid.uuid4()}"
    result = receive(jpn, "usa", [*definitions(objects), obj])
    assert not result.rejected, result.rejected
    bundle = json.loads(export_incidents_stix(jpn, principal_of(jpn, "npa.chief")))
    exported = next(o for o in bundle["objects"] if o["id"] == obj["id"])
    assert exported["created_by_ref"] == obj["created_by_ref"]


def test_finding_another_peer_cannot_squat_a_record_id(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Record ids are shared across nodes (a received record keeps the originator's UUID)
    and ``records.id`` is unique on the receiver. A second peer that learns the id of a
    record the first peer released (both peers received it, or saw it in an export) sends
    its own record under that id first; the genuine record — and later its recall — are
    then refused on this node ("names a record that did not come from ..."), so a recall
    by the originator never takes effect here. Expected: the originator's record is
    accepted (ids namespaced by origin, or refused only for the squatter)."""
    with local_nodes(tmp_path_factory.mktemp("review-squat")) as make:
        usa, other, jpn = make("USA"), make("USA", name="usa2"), make("JPN")
        pin(usa, jpn, "jpn")
        pin(other, jpn, "jpn")
        pin(jpn, usa, "usa")
        pin(jpn, other, "usa2")

        genuine_objects, squat_objects = outbox_objects(usa, "jpn"), outbox_objects(other, "jpn")
        genuine = an_incident(genuine_objects)
        squat = an_incident(squat_objects)
        squat["id"] = genuine["id"]
        first = receive(jpn, "usa2", [*definitions(squat_objects), squat])
        assert not first.rejected, first.rejected
        second = receive(jpn, "usa", [*definitions(genuine_objects), genuine])
        assert second.rejected == [], second.rejected


def test_finding_received_analysis_result_is_checked_before_it_is_shown(
    nodes: dict[str, Any],
) -> None:
    """The receiver checks an analysis's ``method`` portion but not its ``result``; the
    analysis page recomputes the age curve and draws the saved result's numbers. A USA
    age analysis releasable to JPN whose ``result.age_years`` is text is accepted, and its
    page on the JPN node then fails with a server error for every reader. Expected: the
    object refused at import (a received record is one its views can show), or the page
    rendered."""
    from nucsec.service.analyses import save_age_analysis
    from tests.web.conftest import client_of, sign_in

    usa, jpn = nodes["usa"], nodes["jpn"]
    params = {"chronometer": "Th-230/U-234", "ratio": 1.41148e-4, "ratio_unc": 7.06e-7}
    made = save_age_analysis(
        usa,
        principal_of(usa, "doe.analyst"),
        params=params,
        label=parse_banner("SECRET//REL TO USA, JPN", usa.ctx),
        title="review age",
    )
    objects = outbox_objects(usa, "jpn")
    obj = copy.deepcopy(next(o for o in objects if o["id"].endswith(made["id"])))
    obj["id"] = f"x-nucsec-analysis--{uuid.uuid4()}"
    result = next(p for p in obj["portions"] if p["name"] == "result")
    result["value"]["age_years"] = "<b>not a number</b>"
    received = receive(jpn, "usa", [*definitions(objects), obj])
    if received.rejected:
        return
    with client_of(jpn) as client:
        sign_in(client, "npa.analyst")
        try:
            page = client.get(f"/analyses/{obj['id'].partition('--')[2]}")
        except Exception as exc:  # a server error surfaces as an exception in TestClient
            pytest.fail(f"the analysis page raised {type(exc).__name__}: {exc}")
    assert page.status_code == 200, page.status_code
