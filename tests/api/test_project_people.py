"""A project's manager and sponsor are named by username; only null means nobody."""

from __future__ import annotations

import json
from typing import Any

import pytest

from itpm.portfolio.models import Project


@pytest.mark.parametrize("field", ["manager", "sponsor"])
def test_an_empty_username_is_a_422_not_a_500(api: Any, project: Project, field: str) -> None:
    created = api("member").post(
        "/api/v1/projects",
        json.dumps({"key": "NEW", "name": "New", field: ""}),
        content_type="application/json",
    )
    assert created.status_code == 422, created.content
    assert created.json()["errors"][0]["field"] == field
    assert not Project.objects.filter(key="NEW").exists()
    changed = api("owner").patch(
        "/api/v1/projects/APL",
        json.dumps({"version": project.version, field: ""}),
        content_type="application/json",
    )
    assert changed.status_code == 422, changed.content
    assert changed.json()["errors"][0]["field"] == field


def test_null_clears_the_sponsor(api: Any, project: Project, people: dict[str, Any]) -> None:
    body = {"version": project.version, "sponsor": "vic"}
    named = api("owner").patch(
        "/api/v1/projects/APL", json.dumps(body), content_type="application/json"
    )
    assert named.status_code == 200 and named.json()["sponsor"] == "vic"
    body = {"version": named.json()["version"], "sponsor": None}
    cleared = api("owner").patch(
        "/api/v1/projects/APL", json.dumps(body), content_type="application/json"
    )
    assert cleared.status_code == 200 and cleared.json()["sponsor"] is None
