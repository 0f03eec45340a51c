"""The REST API of incidents (issue 8), spectra and ages (issues 6, 7) and shared analyses:
shapes, published values, policy (hidden = absent), uploads (limits, typed errors,
nothing stored on error)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Resource, decide
from nucsec.service.users import list_users
from tests.web.conftest import TestClient, bearer, client_of, fresh_db_url, make_demo_node

Api = Callable[..., tuple[TestClient, dict[str, str]]]
SPECTRA = Path(__file__).resolve().parents[1] / "data" / "spectra"
CS137 = SPECTRA / "suro_rc101_cs137_EG3X.xml"  # Cs-137 check source, RadiaCode-101
ABSENT = "00000000-0000-4000-8000-000000000000"


def _incidents(client: TestClient, headers: dict[str, str], **params: object) -> dict:  # type: ignore[type-arg]
    r = client.get("/api/v1/incidents", headers=headers, params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _id_of(client: TestClient, headers: dict[str, str], reference: str) -> str:
    items = _incidents(client, headers)["items"]
    return str(next(i["id"] for i in items if i["reference"] == reference))


# -- incidents ------------------------------------------------------------------------------
def test_list_is_what_the_monitor_allows_with_filters(demo_node: Node, api_of: Api) -> None:
    with demo_node.engine.connect() as conn:
        users = list_users(conn)
    for user in users:
        client, headers = api_of(user.username)
        body = _incidents(client, headers)
        assert body["total"] == len(body["items"])
        for item in body["items"]:
            label = Label.from_dict(
                client.get(f"/api/v1/incidents/{item['id']}", headers=headers).json()["label"]
            )
            assert decide(user.principal, "read", Resource(label), demo_node.ctx).allowed
        stats = client.get("/api/v1/incidents/stats", headers=headers).json()
        assert stats["total"] == body["total"], user.username
        jp = _incidents(client, headers, country="JP")
        assert {i["country"] for i in jp["items"]} <= {"JP"}
        assert jp["total"] == stats["by_country"].get("JP", 0)
        g3 = _incidents(client, headers, group="III")["total"]
        assert g3 == stats["by_group"]["III"]


def test_npa_does_not_see_the_noforn_incident_anywhere(api_of: Api) -> None:
    us, us_h = api_of("dhs.chief")
    hidden = _id_of(us, us_h, "DEMO-US-2024-003")  # SECRET//NOFORN
    client, headers = api_of("npa.analyst")
    assert "DEMO-US-2024-003" not in {i["reference"] for i in _incidents(client, headers)["items"]}
    got = client.get(f"/api/v1/incidents/{hidden}", headers=headers)
    ref = client.get(f"/api/v1/incidents/{ABSENT}", headers=headers)
    assert got.status_code == ref.status_code == 404
    assert got.json()["message"].replace(hidden, "X") == ref.json()["message"].replace(ABSENT, "X")
    assert "DEMO-US-2024-003" not in client.get("/api/v1/incidents/export", headers=headers).text


def test_filters_are_checked(api_of: Api) -> None:
    client, headers = api_of("doe.analyst")
    r = client.get("/api/v1/incidents", headers=headers, params={"group": "IV"})
    assert (r.status_code, r.json()["field"]) == (422, "group")
    r = client.get("/api/v1/incidents", headers=headers, params={"country": "Atlantis"})
    assert (r.status_code, r.json()["field"]) == (422, "country")
    assert _incidents(client, headers, country="Japan")["total"] >= 1  # names are accepted


def test_export_is_csv_with_a_header(api_of: Api) -> None:
    client, headers = api_of("npa.chief")
    r = client.get("/api/v1/incidents/export", headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.startswith("reference,record,")
    assert "ITDB-2005-JP-FUKUI" in r.text


def test_stix_export_is_a_valid_bundle_of_the_exportable_incidents(api_of: Api) -> None:
    from stix2validator import ValidationOptions, validate_instance

    client, headers = api_of("npa.analyst")
    csv_refs = {
        line.split(",")[0]
        for line in client.get("/api/v1/incidents/export", headers=headers).text.splitlines()[1:]
    }
    r = client.get("/api/v1/incidents/export", headers=headers, params={"format": "stix"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/stix+json")
    bundle = r.json()
    results = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert results.is_valid, [str(e) for e in results.errors]
    incidents = [o for o in bundle["objects"] if o["type"] == "x-nucsec-incident"]
    refs = {
        next(p["value"]["reference"] for p in o["portions"] if p["name"] == "facts")
        for o in incidents
    }
    assert refs == csv_refs and "DEMO-US-2024-003" not in refs  # NOFORN stays home
    markings = {o["id"] for o in bundle["objects"] if o["type"] == "marking-definition"}
    for obj in incidents:  # every marking an incident references travels with it
        refs_used = {g["marking_ref"] for g in obj["granular_markings"]}
        assert refs_used | set(obj["object_marking_refs"]) <= markings
    bad = client.get("/api/v1/incidents/export", headers=headers, params={"format": "xml"})
    assert bad.status_code == 422


def test_create_and_refuse_bad_incidents(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    headers = bearer(fresh_node, "dhs.chief")
    record = {
        "reference": "API-2024-1",
        "report_date": "2024-03-02",
        "country": "US",
        "incident_type": "theft",
        "itdb_group": "II",
        "items": [{"kind": "source", "nuclide": "Co-60", "activity": "555 TBq"}],
        "narrative": [{"label": "SECRET//NOFORN", "text": "Sensitive detail."}],
    }
    body = {"incident": record, "label": "CONFIDENTIAL//REL TO USA, JPN"}
    r = client.post("/api/v1/incidents", headers=headers, json=body)
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["banner"] == "SECRET//NOFORN"  # the roll-up of facts and narrative
    assert view["assessment"]["sources"][0]["category"] == 1  # 555 TBq Co-60 (IAEA)
    bad = client.post(
        "/api/v1/incidents", headers=headers, json={**body, "incident": {**record, "country": "XX"}}
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "country")
    future = {**record, "report_date": "2999-01-01"}
    assert (
        client.post(
            "/api/v1/incidents", headers=headers, json={**body, "incident": future}
        ).status_code
        == 422
    )
    assert client.post("/api/v1/incidents", headers=headers, content=b"x").status_code == 415


CSV_HEADER = (
    "reference,record,incident_date,incident_date_precision,discovery_date,report_date,"
    "country,place,incident_type,itdb_group,detection_mode,status,material_class,label,text,"
    "link_reference,relation,holding,nuclide,activity,activity_unc,activity_reference_date,"
    "material,mass_g,mass_unc_g,enrichment_pct,enrichment_unc_pct,pu_isotopics,irradiated,"
    "name,sha256,size_bytes,media_type,description,to_party,requested_on,question,"
    "request_status,answered_on"
)


def _csv(node: Node, client: TestClient, headers: dict[str, str]) -> str:
    """Two good incidents and one with a bad country (from the node's own export shape)."""
    exported = client.get("/api/v1/incidents/export", headers=headers).text
    header = exported.splitlines()[0]
    cols = header.split(",")

    def row(**values: str) -> str:
        return ",".join(values.get(c, "") for c in cols)

    base = {
        "record": "incident",
        "report_date": "2023-05-01",
        "incident_type": "loss",
        "itdb_group": "III",
    }
    return (
        "\r\n".join(
            [
                header,
                row(reference="CSV-OK-1", country="JP", **base),
                row(reference="CSV-BAD-2", country="Atlantis", **base),
                row(reference="CSV-OK-3", country="US", **base),
            ]
        )
        + "\r\n"
    )


def test_csv_import_all_or_nothing_then_partial(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    headers = bearer(fresh_node, "npa.chief")
    text = _csv(fresh_node, client, headers)
    files = {"file": ("incidents.csv", text.encode(), "text/csv")}
    form = {"label": "HI//REL TO JPN, USA"}
    before = _incidents(client, headers)["total"]
    r = client.post("/api/v1/incidents/import", headers=headers, data=form, files=files)
    assert r.status_code == 422, r.text
    rows = r.json()["rows"]
    assert [(e["line"], e["reference"], e["field"]) for e in rows] == [(3, "CSV-BAD-2", "country")]
    assert _incidents(client, headers)["total"] == before  # nothing imported
    r = client.post(
        "/api/v1/incidents/import", headers=headers, data={**form, "partial": "true"}, files=files
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["created"]) == 2 and len(r.json()["errors"]) == 1
    assert _incidents(client, headers)["total"] == before + 2
    json_body = client.post("/api/v1/incidents/import", headers=headers, json={"x": 1})
    assert json_body.status_code == 415


# -- attachments ----------------------------------------------------------------------------
def test_attach_download_and_hide(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    dhs = bearer(fresh_node, "dhs.chief")
    npa = bearer(fresh_node, "npa.analyst")
    noforn = _id_of(client, dhs, "DEMO-US-2024-003")
    shared = _id_of(client, dhs, "DEMO-US-2023-007")  # CONFIDENTIAL//REL TO USA, JPN
    data = CS137.read_bytes()
    for incident in (noforn, shared):
        r = client.post(
            f"/api/v1/incidents/{incident}/attachments",
            headers=dhs,
            files={"file": ("cs137.xml", data, "application/xml")},
            data={"description": "RIID file"},
        )
        assert r.status_code == 201, r.text
    sha = r.json()["incident"]["attachments"][0]["sha256"]
    listed = client.get(f"/api/v1/incidents/{shared}/attachments", headers=npa).json()["items"]
    assert [(a["name"], a["size_bytes"], a["portion"]) for a in listed] == [
        ("cs137.xml", len(data), "(C//REL TO USA, JPN)")
    ]
    got = client.get(f"/api/v1/incidents/{shared}/attachments/{sha}", headers=npa)
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith("attachment;")
    # the same blob through the NOFORN incident: exactly like an absent incident
    hidden = client.get(f"/api/v1/incidents/{noforn}/attachments/{sha}", headers=npa)
    absent = client.get(f"/api/v1/incidents/{ABSENT}/attachments/{sha}", headers=npa)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json()["message"].replace(noforn, "X") == absent.json()["message"].replace(
        ABSENT, "X"
    )
    # a readable incident that does not list the blob does not serve it
    other = _id_of(client, dhs, "DEMO-US-2021-011")
    assert (
        client.get(f"/api/v1/incidents/{other}/attachments/{sha}", headers=npa).status_code == 404
    )
    again = client.post(
        f"/api/v1/incidents/{shared}/attachments", headers=dhs, files={"file": ("x.xml", data)}
    )
    assert again.status_code == 409
    # NPA may read but not update a DHS incident: refused, and a new file is not kept
    files_dir = fresh_node.settings.home / "files"
    before = sorted(p.name for p in files_dir.rglob("*") if p.is_file())
    r = client.post(
        f"/api/v1/incidents/{shared}/attachments",
        headers=npa,
        files={"file": ("n.txt", b"new bytes")},
    )
    assert r.status_code == 403
    assert sorted(p.name for p in files_dir.rglob("*") if p.is_file()) == before


def test_uploads_over_the_limit_are_413_and_store_nothing(tmp_path: Path) -> None:
    with fresh_db_url(tmp_path) as url:
        node = make_demo_node(tmp_path / "home", url, max_upload_bytes=20_000)
        client = client_of(node)
        headers = bearer(node, "doe.analyst")
        big = (SPECTRA / "bq_nai_background.spe").read_bytes() * 3  # 21 KB
        r = client.post("/api/v1/spectra/analyze", headers=headers, files={"file": ("a.spe", big)})
        assert r.status_code == 413
        assert r.json()["error"] == "too_large"
        junk = client.post(
            "/api/v1/spectra/analyze",
            headers=headers,
            files={"file": ("a.spe", b"not a spectrum" * 50)},
        )
        assert junk.status_code == 422
        assert junk.json()["error"] == "bad_spectrum_file"
        assert "not a readable spectrum file" in junk.json()["message"]
        assert not [p for p in (node.settings.home / "files").rglob("*") if p.is_file()]
        node.close()


# -- spectra, ages, categories --------------------------------------------------------------
def test_spectrum_upload_identifies_cs137_and_gives_a_ticket(api_of: Api) -> None:
    client, headers = api_of("doe.analyst")
    r = client.post(
        "/api/v1/spectra/analyze",
        headers=headers,
        files={"file": (CS137.name, CS137.read_bytes())},
        data={"plot": "true"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert "Cs-137" in {n["name"] for n in body["nuclides"]}  # the source's ground truth
    assert body["uncertainty_coverage"] == "k=1"
    assert len(body["upload"].split(".")) == 3
    plot = body["plot"]
    assert len(plot["energy_kev"]) == len(plot["counts"]) > 100
    assert any(p["label"] and "Cs-137" in p["label"] for p in plot["peaks"])


def test_age_reproduces_the_issue_example(api_of: Api) -> None:
    client, headers = api_of("npa.analyst")
    body = {
        "chronometer": "230Th/234U",
        "ratio": 1.41148e-4,
        "ratio_unc": 7.06e-7,
        "measured_on": "2024-05-01",
        "half_lives": "icrp107",
    }
    r = client.post("/api/v1/age", headers=headers, json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["chronometer"] == "Th-230/U-234"
    assert out["age_years"] == pytest.approx(50.0, abs=0.01)  # issue 7: 1.41148e-4 -> 50 y
    assert out["coverage"] == "k=1" and out["U_age_years_k2"] == pytest.approx(
        2 * out["u_age_years"]
    )
    assert sum(b["variance_share"] for b in out["budget"]) == pytest.approx(1.0)
    assert out["model_date"].startswith("1974")
    assert out["curve"]["measured"]["ratio"] == body["ratio"]
    bad = client.post("/api/v1/age", headers=headers, json={**body, "ratio": -1.0})
    assert bad.status_code == 422
    unknown = client.post(
        "/api/v1/age", headers=headers, json={**body, "chronometer": "Cs-137/U-234"}
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "chronometer"
    huge = client.post("/api/v1/age", headers=headers, json={**body, "monte_carlo": 10**9})
    assert huge.status_code == 422


def test_concordance_and_chronometers(api_of: Api) -> None:
    client, headers = api_of("npa.analyst")
    sample = {
        "measured_on": "2024-05-01",
        "chronometers": [
            {"chronometer": "Th-230/U-234", "ratio": 1.41148e-4, "ratio_unc": 7.06e-7},
            {"chronometer": "Th-230/U-234", "ratio": 1.41148e-4, "ratio_unc": 1.4e-6},
        ],
    }
    r = client.post("/api/v1/age/concordance", headers=headers, json={"sample": sample})
    assert r.status_code == 200, r.text
    assert r.json()["concordant"] is True
    names = {
        c["name"]
        for c in client.get("/api/v1/age/chronometers", headers=headers).json()["chronometers"]
    }
    assert {"Th-230/U-234", "Am-241/Pu-241"} <= names


def test_categorize_published_examples(api_of: Api) -> None:
    client, headers = api_of("dhs.analyst")
    r = client.post("/api/v1/categorize/source", headers=headers, json={"items": ["Co-60:555TBq"]})
    assert (r.status_code, r.json()["category"]) == (200, 1)
    r = client.post(
        "/api/v1/categorize/material",
        headers=headers,
        json={"material": "U", "mass_g": 1500, "enrichment_pct": 93},
    )
    assert (r.json()["category"], r.json()["weapons_usable"]) == ("II", True)
    bad = client.post("/api/v1/categorize/source", headers=headers, json={"items": ["Co-60:555"]})
    assert bad.status_code == 422


# -- analyses -------------------------------------------------------------------------------
def _ticket(client: TestClient, headers: dict[str, str]) -> str:
    r = client.post(
        "/api/v1/spectra/analyze", headers=headers, files={"file": (CS137.name, CS137.read_bytes())}
    )
    return str(r.json()["upload"])


def test_share_an_upload_as_an_analysis(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    doe = bearer(fresh_node, "doe.analyst")
    npa = bearer(fresh_node, "npa.analyst")
    ticket = _ticket(client, doe)
    body = {
        "method": "spectrum",
        "label": "SECRET//NOFORN",
        "source": {"upload": ticket, "name": "cs.xml"},
    }
    assert (
        client.post("/api/v1/analyses", headers=npa, json=body).status_code == 422
    )  # not its upload
    forged = {**body, "source": {"upload": ticket[:-1] + ("0" if ticket[-1] != "0" else "1")}}
    assert client.post("/api/v1/analyses", headers=doe, json=forged).status_code == 422
    r = client.post("/api/v1/analyses", headers=doe, json=body)
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["banner"] == "SECRET//NOFORN" and view["method"] == "spectrum"
    assert "Cs-137" in {n["name"] for n in view["result"]["nuclides"]}
    assert view["versions"]["nucsec"] and view["attachments"][0]["name"] == "cs.xml"
    sha = view["attachments"][0]["sha256"]
    assert (
        client.get(f"/api/v1/analyses/{view['id']}/attachments/{sha}", headers=doe).content
        == CS137.read_bytes()
    )
    hidden = client.get(f"/api/v1/analyses/{view['id']}", headers=npa)
    absent = client.get(f"/api/v1/analyses/{ABSENT}", headers=npa)
    assert hidden.status_code == absent.status_code == 404
    assert client.get("/api/v1/analyses/count", headers=npa).json()["count"] == 0
    assert client.get("/api/v1/analyses/count", headers=doe).json()["count"] == 1


def test_an_analysis_does_not_reveal_a_source_the_reader_may_not_read(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    dhs = bearer(fresh_node, "dhs.chief")
    npa = bearer(fresh_node, "npa.analyst")
    noforn = _id_of(client, dhs, "DEMO-US-2024-003")
    r = client.post(
        f"/api/v1/incidents/{noforn}/attachments",
        headers=dhs,
        files={"file": ("cs.xml", CS137.read_bytes())},
    )
    sha = r.json()["incident"]["attachments"][0]["sha256"]
    body = {
        "method": "spectrum",
        "label": "CONFIDENTIAL//REL TO USA, JPN",
        "source": {"kind": "incident", "id": noforn, "sha256": sha},
    }
    view = client.post("/api/v1/analyses", headers=dhs, json=body).json()
    assert view["source"]["id"] == noforn
    seen = client.get(f"/api/v1/analyses/{view['id']}", headers=npa)
    assert seen.status_code == 200
    assert seen.json()["source"] is None
    assert noforn not in seen.text and sha not in seen.text
    age = {
        "method": "age",
        "label": "UNCLASSIFIED",
        "params": {"chronometer": "Th-230/U-234", "ratio": 1.41148e-4, "ratio_unc": 7.06e-7},
        "parent": {"kind": "incident", "id": noforn},
    }
    assert client.post("/api/v1/analyses", headers=npa, json=age).status_code == 404


def test_file_field_is_required_multipart(api_of: Api) -> None:
    client, headers = api_of("doe.analyst")
    r = client.post("/api/v1/spectra/analyze", headers=headers, json={"file": "x"})
    assert r.status_code == 415
    r = client.post(
        "/api/v1/spectra/analyze", headers=headers, files={"other": ("a", io.BytesIO(b"x"))}
    )
    assert r.status_code == 422


def test_csv_import_refused_by_the_monitor_writes_and_queues_nothing(fresh_node: Node) -> None:
    """All or nothing on the REST path: 422 naming the refused row, nothing written or
    queued for the partner (twice)."""
    from tests.incidents.import_cases import (
        FACTS_LABEL,
        IMPORTER,
        add_partner,
        refused_row_csv,
        written,
    )

    add_partner(fresh_node)
    client, headers = client_of(fresh_node), bearer(fresh_node, IMPORTER)
    before = written(fresh_node)
    files = {"file": ("refused.csv", refused_row_csv().encode(), "text/csv")}
    for _ in range(2):
        r = client.post(
            "/api/v1/incidents/import", headers=headers, data={"label": FACTS_LABEL}, files=files
        )
        assert r.status_code == 422, r.text
        assert [e["reference"] for e in r.json()["rows"]] == ["AON-2"]
        assert written(fresh_node) == before
