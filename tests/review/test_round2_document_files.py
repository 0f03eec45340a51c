"""Review round 2: a file attached to a hidden *document* answers as absent.

tests/web/test_leaks.py plants document canaries without attachments and replaces only
``{doc_id}`` in the route table, so ``/documents/{doc_id}/attachments/{sha256}`` is hunted
with the literal text ``{sha256}`` (an invalid hash): the download of a real file of a
hidden document is never tried there. This test tries it, over the API and the page.
"""

from __future__ import annotations

import hashlib

from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service import attachments as att
from nucsec.service.documents import DocumentInput, create_document
from nucsec.service.files import FileUpload
from nucsec.service.users import principal_of
from nucsec.web.app import create_app
from tests.web.conftest import TestClient, bearer, sign_in

ABSENT = "00000000-0000-4000-8000-000000000000"
DATA = b"review round 2: NOFORN file body"


def test_file_of_hidden_document_answers_as_absent(demo_node: Node) -> None:
    doe = principal_of(demo_node, "doe.analyst")
    label = parse_banner("SECRET//NOFORN", demo_node.ctx)
    doc = create_document(demo_node, doe, DocumentInput("File holder", "body", label, label))
    att.attach_file(demo_node, doe, "document", doc["id"], FileUpload(DATA, "n.bin"))
    sha = hashlib.sha256(DATA).hexdigest()
    api = TestClient(create_app(demo_node), base_url="http://127.0.0.1:8700")
    owner = api.get(
        f"/api/v1/documents/{doc['id']}/attachments/{sha}", headers=bearer(demo_node, "doe.analyst")
    )
    assert owner.status_code == 200 and owner.content == DATA  # control: the file is there
    headers = bearer(demo_node, "npa.chief")
    page = TestClient(create_app(demo_node), base_url="http://127.0.0.1:8700")
    sign_in(page, "npa.chief")
    for client, prefix, hdrs in ((api, "/api/v1", headers), (page, "", {})):
        got = client.get(f"{prefix}/documents/{doc['id']}/attachments/{sha}", headers=hdrs)
        ref = client.get(f"{prefix}/documents/{ABSENT}/attachments/{sha}", headers=hdrs)
        assert got.status_code == ref.status_code == 404, (prefix, got.status_code)
        assert got.text.replace(doc["id"], "ID") == ref.text.replace(ABSENT, "ID")
        assert DATA.decode() not in got.text
