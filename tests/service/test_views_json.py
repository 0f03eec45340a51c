"""A view's JSON text from :func:`nucsec.service.views.dumps` is that of its ``to_json``."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from nucsec.service.views import ExplainView, PortionView, RecordPage, dumps, to_json


def _reference(value: Any) -> bytes:
    """What the REST API sent before: Starlette's JSONResponse of ``to_json(value)``."""
    text = json.dumps(to_json(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


EXPLAIN = ExplainView(
    kind="incident",
    record_id="r-1",
    user="npa.analyst",
    action="read",
    banner="極秘//REL TO JPN, USA",
    allowed=False,
    reasons=("level", "caveat"),
)
PORTION = PortionView(value={"peaks": (1.5, 661.7)}, portion="(S)", label={"nations": ("USA",)})


@pytest.mark.parametrize(
    "value",
    [
        EXPLAIN,  # a view whose JSON names the record by its kind
        PORTION,
        RecordPage(items=(PORTION, PORTION), next="r-2"),
        RecordPage(items=(), next=None),
        {"items": [EXPLAIN, (PORTION,)], "total": 2},
        [1, "二", None, True],
    ],
)
def test_dumps_is_the_text_of_to_json(value: Any) -> None:
    assert dumps(value) == _reference(value)
    assert json.loads(dumps(value)) == to_json(value)


def test_dumps_refuses_what_is_not_json() -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        dumps(PortionView(value=math.nan, portion="(U)", label={}))
    with pytest.raises(TypeError, match="not JSON data"):
        dumps({"when": object()})
