"""REST API of the forensics library: list, show, add and match through the monitor."""

from __future__ import annotations

from nucsec.forensics.library import demo_library
from tests.library.samples import UCLO_SAMPLE as SAMPLE


def test_list_show_match_and_add(api_of, demo_node) -> None:  # type: ignore[no-untyped-def]
    from nucsec.demo import seed_library

    seed_library(demo_node, set(demo_node.ctx.nations))
    client, headers = api_of("doe.analyst")
    listed = client.get("/api/v1/library", headers=headers)
    assert listed.status_code == 200, listed.text
    entries = {i["entry"]: i for i in listed.json()["items"]}
    assert {"UCLO-1", "UCHI-1"} <= set(entries)
    shown = client.get("/api/v1/library/UCLO-1", headers=headers)
    assert shown.status_code == 200 and shown.json()["entry"]["id"] == "UCLO-1"
    assert client.get("/api/v1/library/NO-SUCH", headers=headers).status_code == 404
    body = {"sample": SAMPLE, "library": "crm"}
    matched = client.post("/api/v1/library/match", json=body, headers=headers)
    assert matched.status_code == 200, matched.text
    out = matched.json()
    assert out["conclusion"] == "consistent" and out["candidates"][0]["entry"] == "UCLO-1"
    bad = client.post("/api/v1/library/match", json={"sample": {"id": "x"}}, headers=headers)
    assert bad.status_code == 422
    entry = demo_library()[0].to_dict() | {"id": "API-1"}
    new = {"entry": entry, "label": "SECRET//FORENSICS//NOFORN", "library": "api"}
    added = client.post("/api/v1/library", json=new, headers=headers)
    assert added.status_code == 201, added.text
    assert client.post("/api/v1/library", json=new, headers=headers).status_code == 409
    # a reader without the compartment: the new entry is not found, and not listed
    other, other_headers = api_of("dhs.analyst")
    assert other.get("/api/v1/library/API-1", headers=other_headers).status_code == 404
    seen = other.get("/api/v1/library", headers=other_headers).json()["items"]
    assert "API-1" not in {i["entry"] for i in seen}
