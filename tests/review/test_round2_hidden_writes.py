"""Review round 2: writes and derived reads that *name* a hidden record answer exactly as
if it were absent (status and text), over the REST API.

The GET routes are hunted in tests/web/test_leaks_records.py; these are the POST routes
that take a record (or a file of a record) as an argument: attaching a file, analysing an
attached spectrum, saving a spectrum analysis of an attached file, saving an age analysis
with a parent record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nucsec.incidents import incident_from_record
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.attachments import attach_file
from nucsec.service.files import FileUpload
from nucsec.service.incidents import add_incident
from nucsec.service.users import principal_of
from nucsec.web.app import create_app
from tests.web.conftest import TestClient, bearer

SPECTRUM = Path(__file__).resolve().parents[1] / "data" / "spectra" / "suro_rc101_cs137_EG3X.xml"
ABSENT = "00000000-0000-4000-8000-000000000000"
AGE = {"chronometer": "Th-230/U-234", "ratio": 1.41148e-4, "ratio_unc": 7.06e-7}


@pytest.fixture
def hidden(demo_node: Node) -> tuple[str, str]:
    """A DHS SECRET//NOFORN incident with a spectrum attached: (id, sha256)."""
    dhs = principal_of(demo_node, "dhs.chief")
    record = {
        "reference": "REVIEW-R2-1",
        "report_date": "2024-02-01",
        "country": "KP",
        "incident_type": "theft",
        "itdb_group": "I",
        "narrative": [],
    }
    label = parse_banner("SECRET//NOFORN", demo_node.ctx)
    view = add_incident(demo_node, dhs, incident_from_record(record), label)
    view = attach_file(
        demo_node, dhs, "incident", view["id"], FileUpload(SPECTRUM.read_bytes(), "s.xml")
    )
    return view["id"], view["incident"]["attachments"][0]["sha256"]


def _calls(rid: str, sha: str) -> list[tuple[str, dict[str, Any]]]:
    src = {"kind": "incident", "id": rid, "sha256": sha}
    return [
        ("/api/v1/spectra/analyze-attached", {"json": src}),
        (
            "/api/v1/analyses",
            {"json": {"method": "spectrum", "label": "UNCLASSIFIED", "source": src}},
        ),
        (
            "/api/v1/analyses",
            {
                "json": {
                    "method": "age",
                    "label": "UNCLASSIFIED",
                    "params": AGE,
                    "parent": {"kind": "incident", "id": rid},
                }
            },
        ),
        (
            f"/api/v1/incidents/{rid}/attachments",
            {"files": {"file": ("x.txt", b"hello")}},
        ),
    ]


def test_hidden_record_answers_as_absent_on_writes(
    demo_node: Node, hidden: tuple[str, str]
) -> None:
    rid, sha = hidden
    client = TestClient(create_app(demo_node), base_url="http://127.0.0.1:8700")
    headers = bearer(demo_node, "npa.chief")
    for (url, kwargs), (ref_url, ref_kwargs) in zip(
        _calls(rid, sha), _calls(ABSENT, sha), strict=True
    ):
        got = client.post(url, headers=headers, **kwargs)
        ref = client.post(ref_url, headers=headers, **ref_kwargs)
        assert got.status_code == ref.status_code == 404, (url, got.status_code, got.text)
        assert got.text.replace(rid, "ID") == ref.text.replace(ABSENT, "ID"), url


def test_control_the_same_calls_reach_the_record_for_its_reader(
    demo_node: Node, hidden: tuple[str, str]
) -> None:
    """Control: for DHS, who reads the incident, none of the calls is a 404."""
    rid, sha = hidden
    client = TestClient(create_app(demo_node), base_url="http://127.0.0.1:8700")
    headers = bearer(demo_node, "dhs.chief")
    for url, kwargs in _calls(rid, sha):
        got = client.post(url, headers=headers, **kwargs)
        assert got.status_code in (200, 201), (url, got.status_code, got.text[:300])
