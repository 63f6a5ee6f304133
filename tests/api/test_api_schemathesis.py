"""Property-based tests of the billing API against its own OpenAPI document: for data
drawn from the document, no answer is a server error, and every answer (status code,
content type, headers, body) is one the document declares."""

from __future__ import annotations

import contextvars

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from magazine_app.api.openapi import document

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


# The document is pure data: load it at collection time, so that each operation becomes a
# test of its own. (schemathesis.pytest.from_fixture, the lazy loader, does not work with
# pytest 9: it reaches for Function._nodeid, which pytest 9 removed.)
schema = schemathesis.openapi.from_dict(document())


def test_served_document_is_the_tested_one(client) -> None:
    assert client.get("/api/v1/openapi.json").get_json() == document()


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(case, app, api_key, make_issue_row) -> None:
    if not hasattr(app, "_issue_for_purchases"):
        make_issue_row("challenge", 228)  # something for purchases to find
        app._issue_for_purchases = True  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {api_key}"}
    # Each call in a context of its own, as in production (no shared `g` or session).
    contextvars.Context().run(case.call_and_validate, app=app, headers=headers, checks=CHECKS)
