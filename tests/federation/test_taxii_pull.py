"""``nucsec import taxii``: a collection of the OASIS reference TAXII server (medallion, on
loopback) pulled into the STIX import; a second pull changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nucsec.errors import PeerError
from nucsec.federation.taxii_pull import pull_taxii
from nucsec.markings import parse_label
from nucsec.service.incidents import get_incident
from tests.federation.ecosystem_data import DHS
from tests.federation.test_ecosystem_import import opencti_bundle
from tests.federation.test_interop import serve_medallion


@pytest.fixture
def feed(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """medallion serving an OpenCTI-style incident (TLP:AMBER) in one collection."""
    objects = opencti_bundle("TLP:AMBER")["objects"]
    with serve_medallion(tmp_path, objects) as (url, data, config):
        yield {
            "root": f"{url}/api1/",
            "collection": data["api1"]["collections"][0]["id"],
            "user": "reader",
            "password": config["users"]["reader"],
            "objects": objects,
        }


def test_a_taxii_collection_is_pulled_into_the_import(
    node_factory: Any, feed: dict[str, Any]
) -> None:
    node = node_factory("USA", demo=False)
    label = parse_label("SECRET//NOFORN", node.ctx)
    args = (node, DHS, feed["root"], feed["collection"], label)
    creds = {"user": feed["user"], "password": feed["password"], "page_size": 2}
    first = pull_taxii(*args, **creds)
    assert first["refused"] == [], first["refused"]
    (made,) = first["created"]
    incident = next(o for o in feed["objects"] if o["type"] == "incident")
    assert made["stix_id"] == incident["id"]
    view = get_incident(node, DHS, made["id"])
    assert view.incident["country"] == "KR" and view.title.startswith("STIX-")
    second = pull_taxii(*args, **creds)
    assert second["created"] == [] and [u["id"] for u in second["unchanged"]] == [made["id"]]
    wide = pull_taxii(node, DHS, feed["root"], feed["collection"],
                      parse_label("SECRET//REL TO USA, JPN", node.ctx), **creds)  # fmt: skip
    assert [r["reason"] for r in wide["refused"]] == ["label_wider"]
    with pytest.raises(PeerError):
        pull_taxii(*args, user="reader", password="wrong")
