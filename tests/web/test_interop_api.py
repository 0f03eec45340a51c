"""REST API of the STIX interop: import a MISP bundle, export it for other platforms."""

from __future__ import annotations

from nucsec.node import Node
from tests.federation.test_ecosystem_import import EVENT_INFO, misp_bundle
from tests.web.conftest import bearer, client_of


def test_import_then_export_over_the_api(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    dhs = bearer(fresh_node, "dhs.chief")
    files = {"file": ("event.json", misp_bundle().encode(), "application/json")}
    form = {"label": "UNCLASSIFIED//REL TO USA, JPN"}
    r = client.post("/api/v1/import/stix", headers=dhs, data=form, files=files)
    assert r.status_code == 200, r.text
    (made,) = r.json()["created"]
    again = client.post("/api/v1/import/stix", headers=dhs, data=form, files=files)
    assert again.json()["created"] == [] and len(again.json()["unchanged"]) == 1
    bad = {"file": ("bad.json", b"[]", "application/json")}
    refused = client.post("/api/v1/import/stix", headers=dhs, data=form, files=bad)
    assert refused.status_code == 422 and "not a STIX bundle" in refused.text
    out = client.get("/api/v1/export/stix", headers=dhs, params={"kind": "document"})
    assert out.status_code == 200 and out.headers["content-type"].startswith("application/stix")
    reports = {o["id"]: o for o in out.json()["objects"] if o["type"] == "report"}
    assert reports[f"report--{made['id']}"]["name"] == EVENT_INFO
    npa = bearer(fresh_node, "npa.analyst")  # a JPN reader sees it: REL TO USA, JPN
    shown = client.get(f"/api/v1/documents/{made['id']}", headers=npa)
    assert shown.status_code == 200 and shown.json()["title"] == EVENT_INFO
