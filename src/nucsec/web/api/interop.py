"""REST API of the STIX interop with MISP, OpenCTI and other platforms.

``POST /api/v1/import/stix`` (multipart: the bundle file and the officer's label) imports a
third-party STIX 2.1 bundle (:func:`nucsec.federation.stix_import.import_stix`): 200 with
what was created, updated, unchanged and refused (per object, with a reason); 422 when the
file is not a bundle within the limits. ``GET /api/v1/export/stix?kind=...`` is the
ecosystem bundle (:func:`nucsec.federation.ecosystem.export_ecosystem`).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from nucsec.federation.ecosystem import export_ecosystem
from nucsec.federation.stix_import import import_stix
from nucsec.node import Node
from nucsec.web.api.common import READ, WRITE, Multipart, json_response, label_input, read_upload
from nucsec.web.auth import Caller
from nucsec.web.deps import NodeDep, Read, Write

__all__ = ["router"]

router = APIRouter()
_FILE = File(..., description="a STIX 2.1 bundle (JSON)")
_LABEL = Form(
    ..., max_length=2000, description="label of every record (never wider than its markings)"
)
_KINDS = Query(None, description="record kinds (default: incident and document)")


@router.post(
    "/import/stix",
    response_model=None,
    responses={200: {"model": dict[str, object]}, **WRITE},
    summary="Import a STIX 2.1 bundle (MISP, OpenCTI); refusals listed per object",
)
def import_stix_bundle(
    file: UploadFile = _FILE,
    label: str = _LABEL,
    caller: Caller = Write,
    node: Node = NodeDep,
    _multipart: None = Multipart,
) -> Response:
    data = read_upload(file, node)
    result = import_stix(node, caller.principal, data, label_input(label, node, "label"))
    return json_response(result)


@router.get(
    "/export/stix",
    response_model=None,
    responses={200: {"content": {"application/stix+json": {}}}, **READ},
    summary="Standard STIX 2.1 objects beside ours for MISP and OpenCTI (audited)",
)
def export_stix_bundle(
    kind: list[Literal["incident", "document"]] | None = _KINDS,
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    text = export_ecosystem(node, caller.principal, tuple(kind or ("incident", "document")))
    day = node.clock().date().isoformat()
    return Response(
        text.encode("utf-8"),
        media_type="application/stix+json;version=2.1",
        headers={"Content-Disposition": f'attachment; filename="nucsec-{day}.stix.json"'},
    )
