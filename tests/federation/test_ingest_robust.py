"""Whatever a bundle holds, reading it either refuses it whole (IngestError) or plans
records and refusals: no other exception (a hostile file never crashes the import)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nucsec.federation.ingest import IngestError, plan_bundle
from tests.strategies import CTX

TYPES = [
    "incident",
    "report",
    "grouping",
    "note",
    "opinion",
    "location",
    "relationship",
    "marking-definition",
    "identity",
    "indicator",
    "x-misp-attribute",
    "x-nucsec-incident",
]
IDS = [f"{t}--{uuid.UUID(int=i, version=4)}" for i, t in enumerate(TYPES)]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.sampled_from(IDS)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
keys = st.sampled_from(
    [
        "name",
        "description",
        "content",
        "object_refs",
        "object_marking_refs",
        "granular_markings",
        "source_ref",
        "target_ref",
        "relationship_type",
        "country",
        "created",
        "modified",
        "definition_type",
        "definition",
        "extensions",
        "external_references",
        "x_misp_value",
        "abstract",
    ]
)


@st.composite
def objects(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(values)
    i = draw(st.integers(0, len(TYPES) - 1))
    obj: dict[str, Any] = {"type": TYPES[i], "id": IDS[i]}
    obj.update(draw(st.dictionaries(keys, values, max_size=6)))
    return obj


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(objects(), max_size=8))
def test_any_bundle_is_planned_or_refused_whole(objs: list[Any]) -> None:
    text = json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objs})
    try:
        plan = plan_bundle(text, CTX)
    except IngestError:
        return
    for refusal in plan.refused:
        assert refusal.reason in {
            "malformed",
            "broken_reference",
            "marking_unknown",
            "active_content",
            "too_large",
            "unsupported_type",
            "no_country",
        }
