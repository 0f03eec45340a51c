"""REST API of markings: render a label in every scheme, the node's marking data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from nucsec.markings import render_banner, render_portion, renderings
from nucsec.node import Node
from nucsec.web.api.common import WRITE, errs, label_input
from nucsec.web.api.schemas import LabelIn, LabelRendered
from nucsec.web.auth import Caller
from nucsec.web.deps import JsonBody, NodeDep, Read

__all__ = ["router"]

router = APIRouter()


# -- markings -----------------------------------------------------------------------------
@router.post(
    "/labels/render",
    response_model=None,
    responses={200: {"model": LabelRendered}, **WRITE},
    summary="Parse a label and render its banner, portion mark and each scheme's form",
)
def render_label(
    body: LabelIn, caller: Caller = Read, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    label = label_input(body.label, node, "label")
    return JSONResponse(
        {
            "banner": render_banner(label, node.ctx),
            "portion": render_portion(label, node.ctx),
            "renderings": renderings(label, node.ctx),
            "label": label.to_dict(),
        }
    )


@router.get(
    "/markings",
    response_model=None,
    responses={200: {"model": dict[str, Any]}, **errs(401, 403)},
    summary="Nations, agencies, schemes, compartments and equivalence tables (with versions)",
)
def markings(caller: Caller = Read, node: Node = NodeDep) -> Response:
    ctx = node.ctx
    return JSONResponse(
        {
            "default_legal_basis": ctx.default_basis,
            "nations": [
                {
                    "code": n.code,
                    "name_en": n.name_en,
                    "name_ja": n.name_ja,
                    "agencies": [
                        {"code": a.code, "name_en": a.name_en, "name_ja": a.name_ja}
                        for a in n.agencies
                    ],
                }
                for n in ctx.nations.values()
            ],
            "schemes": {
                code: [
                    {"name": lv.name, "abbrev": lv.abbrev, "native": lv.native, "ja": lv.ja}
                    for lv in s.levels
                ]
                for code, s in ctx.schemes.items()
            },
            "compartments": dict(ctx.compartments),
            "agreements": [
                {
                    "legal_basis": t.legal_basis,
                    "agreement": t.agreement,
                    "version": t.version,
                    "title": t.title,
                    "nations": list(t.nations),
                    "ranks": [dict(r) for r in t.ranks],
                }
                for t in ctx.agreements.values()
            ],
        }
    )
