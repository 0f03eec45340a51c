"""One route for the files of every attachable kind: ``/{kind}/{id}/attachments`` (REST API
and page), for documents, incidents and analyses alike; the URLs each kind had before are
its instances (``/api/v1/incidents/ID/attachments``, ``/documents/ID/attachments``)."""

from __future__ import annotations

import re

from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.analyses import save_age_analysis
from nucsec.service.registry import RECORD_KINDS
from nucsec.service.users import principal_of
from tests.web.conftest import bearer, client_of, sign_in

AGE = {"chronometer": "Th-230/U-234", "ratio": 1.41148e-4, "ratio_unc": 7.06e-7}
ABSENT = "00000000-0000-4000-8000-000000000000"


def _analysis(node: Node) -> str:
    label = parse_banner("SECRET//REL TO USA, JPN", node.ctx)
    view = save_age_analysis(node, principal_of(node, "doe.analyst"), params=AGE, label=label)
    return view.id


def test_every_attachable_kind_has_the_route() -> None:
    assert {"documents", "incidents", "analyses"} <= {k.collection for k in RECORD_KINDS.attachable}


def test_an_analysis_takes_files_through_the_common_route(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    doe = bearer(fresh_node, "doe.analyst")
    npa = bearer(fresh_node, "npa.analyst")
    analysis = _analysis(fresh_node)
    base = f"/api/v1/analyses/{analysis}/attachments"
    assert client.get(base, headers=doe).json() == {"items": []}
    files = {"file": ("notes.txt", b"bench notes\n", "text/plain")}
    made = client.post(base, headers=doe, files=files, data={"label": "SECRET//NOFORN"})
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 2 and made.json()["banner"] == "SECRET//NOFORN"
    listed = client.get(base, headers=doe).json()["items"]
    assert [(f["name"], f["portion"]) for f in listed] == [("notes.txt", "(S//NF)")]
    got = client.get(f"{base}/{listed[0]['sha256']}", headers=doe)
    assert got.status_code == 200 and got.content == b"bench notes\n"
    assert client.get(base, headers=npa).status_code == 404  # NOFORN now: not for JPN


def test_an_incident_file_has_no_label_of_its_own(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    dhs = bearer(fresh_node, "dhs.chief")
    items = client.get("/api/v1/incidents", headers=dhs, params={"limit": 1}).json()["items"]
    base = f"/api/v1/incidents/{items[0]['id']}/attachments"
    files = {"file": ("photo.jpg", b"jpeg bytes", "image/jpeg")}
    refused = client.post(base, headers=dhs, files=files, data={"label": "SECRET//NOFORN"})
    assert refused.status_code == 422 and refused.json()["field"] == "label"
    assert client.get(base, headers=dhs).json() == {"items": []}  # nothing attached
    assert client.post(base, headers=dhs, files=files).status_code == 201


def test_unknown_kinds_and_records_are_not_found(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    doe = bearer(fresh_node, "doe.analyst")
    for path in (
        f"/api/v1/no-such-kind/{ABSENT}/attachments",
        f"/api/v1/documents/{ABSENT}/attachments",
        f"/api/v1/users/{ABSENT}/attachments",
    ):
        answer = client.get(path, headers=doe)
        assert answer.status_code == 404, path
        assert answer.json()["error"] == "not_found"


def test_the_files_page_serves_every_kind(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "doe.analyst")
    analysis = _analysis(fresh_node)
    page = client.get(f"/analyses/{analysis}/attachments")
    assert page.status_code == 200
    assert 'action="/analyses/' in page.text and 'name="share_level"' in page.text  # own marking
    files = {"file": ("plot.csv", b"x,y\n1,2\n")}
    form = {"csrf_token": csrf, "description": "raw data"}
    posted = client.post(
        f"/analyses/{analysis}/attachments", data=form, files=files, follow_redirects=False
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/analyses/{analysis}/attachments"
    assert "plot.csv" in client.get(f"/analyses/{analysis}/attachments").text
    dhs = client_of(fresh_node)
    sign_in(dhs, "dhs.chief")
    incidents = dhs.get("/incidents").text
    incident = re.findall(r'href="/incidents/([0-9a-f-]{36})"', incidents)[0]
    page = dhs.get(f"/incidents/{incident}/attachments")
    assert page.status_code == 200 and 'name="share_level"' not in page.text  # facts' marking
    assert client.get(f"/no-such-kind/{ABSENT}/attachments").status_code == 404
