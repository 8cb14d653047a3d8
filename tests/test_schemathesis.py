"""Property-based API tests: schemathesis fuzzes every operation of our own OpenAPI document.

It calls the real WSGI application as the owner of a seeded project, with a bounded,
derandomized number of examples per operation, and checks that nothing answers 5xx and
that every answer matches the document (status code, content type, headers, body).
Run alone with ``pytest -m schemathesis``.

The WSGI calls run in the test's thread on the test's database connection, so the data
that the ``db`` fixture's transaction holds is visible to them and rolled back afterwards.
Like Django's test client, we keep the request signals from closing that connection: a
connection inside a transaction looks "obsolete" to ``close_old_connections``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from itpm.accounts.services import token_create
from itpm.wsgi import application

pytestmark = pytest.mark.schemathesis

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def same_connection() -> Iterator[None]:
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(
    same_connection: None, tasks: dict[str, Any], people: dict[str, Any], project: Any
) -> dict[str, Any]:
    token, key = token_create(user=people["owner"], name="schemathesis")
    link = project.dependencies.get()
    return {"token": token, "key": key, "tasks": tasks, "dependency": link}


def _aim_at_real_objects(case: Any, seeded: dict[str, Any]) -> None:
    """Point path parameters at the seeded objects: random ids would only ever find 404s."""
    params = case.path_parameters or {}
    if "key" in params:
        params["key"] = "APL"
    if "task_id" in params:
        params["task_id"] = seeded["tasks"]["code"].pk
    if "dependency_id" in params:
        params["dependency_id"] = seeded["dependency"].pk
    # Revoking the token the run authenticates with would turn every later call into a 401.
    if params.get("token_id") == seeded["token"].pk:
        params["token_id"] = seeded["token"].pk + 1_000_000


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case: Any, seeded: dict[str, Any], db: Any) -> None:
    _aim_at_real_objects(case, seeded)
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {seeded['key']}"}, checks=CHECKS
    )
    # 401 is documented everywhere, so make sure the run really is authenticated.
    if case.operation.path != "/api/v1/auth/token":
        assert response.status_code != 401, response.content
