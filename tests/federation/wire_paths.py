"""Where the wire scenario finds the code it drives (:mod:`tests.federation.wire_scenario`).

The one file of the golden test that follows the code's import paths: the scenario and
the golden files stay as they are when modules move.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from nucsec.federation.export import export_incidents_stix
from nucsec.federation.outbox import approve_orcon, backfill
from nucsec.federation.peers import add_peer
from nucsec.federation.tables import exchange_outbox
from nucsec.markings import Label
from nucsec.policy import Principal
from nucsec.service.analyses import save_age_analysis
from nucsec.service.attachments import attach_file
from nucsec.service.documents import (
    DocumentInput,
    create_document,
    recall_document,
    update_document,
)
from nucsec.service.files import FileUpload
from nucsec.service.incidents import add_incident, parse_incident, recall_incident

__all__ = [
    "add_incident",
    "add_peer",
    "approve_orcon",
    "attach_file",
    "backfill",
    "create_document",
    "document_input",
    "exchange_outbox",
    "export_incidents_stix",
    "file_upload",
    "fix_versions",
    "init_node",
    "parse_incident",
    "peer_add",
    "read_as",
    "recall_document",
    "recall_incident",
    "records_module",
    "save_age_analysis",
    "update_document",
]


def document_input(title: str, body: str, title_label: Label, body_label: Label) -> Any:
    return DocumentInput(title=title, body=body, title_label=title_label, body_label=body_label)


def file_upload(data: bytes, name: str, media_type: str, description: str) -> Any:
    return FileUpload(data, name, media_type, description)


def init_node(settings: Any, nation: str, *, demo: bool) -> Any:
    from nucsec.assembly import init_node as init

    return init(settings, nation, demo=demo)


def peer_add(node: Any, name: str, nation: str) -> None:
    """``node`` pins a peer (any key: the scenario's pages are not signed)."""
    from tests.federation.wire_scenario import PEER_KEY

    with node.engine.begin() as conn:
        add_peer(
            node, conn, name=name, nation=nation, url="http://127.0.0.1:9", public_key=PEER_KEY
        )


#: a JPN reader cleared for everything the scenario releases
JPN_READER = Principal.create(
    id="jpn-reader",
    nation="JPN",
    agency="NPA",
    clearance="KIMITSU",
    compartments=("FORENSICS", "ITDB", "PHYSPROT"),
    roles=("analyst",),
)


def read_as(node: Any, kind: str, record_id: str) -> dict[str, Any] | None:
    """The record as :data:`JPN_READER` reads it; None when not found."""
    from nucsec.errors import NotFoundError
    from nucsec.service.analyses import get_analysis
    from nucsec.service.documents import get_document
    from nucsec.service.incidents import get_incident

    get = {"document": get_document, "incident": get_incident, "analysis": get_analysis}[kind]
    try:
        return dict(get(node, JPN_READER, record_id))
    except NotFoundError:
        return None


def records_module() -> ModuleType:
    """The record store's module (its ``uuid`` makes record ids)."""
    from nucsec.store import records

    return records


def fix_versions(monkeypatch: Any, versions: dict[str, str]) -> None:
    """Saved analyses record these software versions (not the installed ones)."""
    from nucsec.service import analysis_methods

    analysis_methods.software_versions.cache_clear()
    monkeypatch.setattr(analysis_methods, "software_versions", lambda: dict(versions))
