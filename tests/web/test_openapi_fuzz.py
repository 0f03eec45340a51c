"""schemathesis against ``/api/openapi.json`` on a seeded demo node: generated requests for
every operation, as a security officer (every scope), an analyst and an auditor. No 500s,
only documented status codes and content types, bodies that match the documented schemas.

(schemathesis' ``pytest.from_fixture`` does not run under pytest 9, so the operations are
walked here, each with its own Hypothesis run.)"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from nucsec.node import Node
from nucsec.web.app import create_app
from tests.web.conftest import TestClient, bearer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 10


@pytest.fixture(scope="module")
def api_schema(demo_node: Node) -> Any:
    return schemathesis.openapi.from_asgi("/api/openapi.json", create_app(demo_node))


@pytest.fixture(scope="module")
def callers(demo_node: Node) -> list[dict[str, str]]:
    return [
        bearer(demo_node, "usa.security", ("read", "write", "admin")),
        bearer(demo_node, "npa.analyst", ("read", "write")),
        bearer(demo_node, "jpn.auditor", ("read",)),
    ]


def test_the_document_is_openapi_3_and_documents_401(demo_node: Node) -> None:
    doc = create_app(demo_node).openapi()
    assert doc["openapi"].startswith("3.")
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            assert "401" in op["responses"] or path == "/api/health", (method, path)


@pytest.mark.slow
def test_every_operation_answers_as_documented(
    api_schema: Any, callers: list[dict[str, str]]
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def run(case: Any) -> None:
            for headers in callers:
                case.call_and_validate(headers=headers, checks=CHECKS)

        run()


def test_anonymous_calls_get_401_everywhere(demo_node: Node) -> None:
    app = create_app(demo_node)
    client = TestClient(app, base_url="http://127.0.0.1:8700")
    for path, operations in app.openapi()["paths"].items():
        if path == "/api/health":
            continue
        url = re.sub(r"\{[^}]+\}", "x", path)
        for method in operations:
            r = client.request(method.upper(), url)
            assert r.status_code == 401, (method, path, r.text)
            assert r.json()["error"] == "unauthenticated"
