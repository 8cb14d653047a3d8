"""The API's promises: versions, mass assignment, cycles, archive, audit, error format."""

from __future__ import annotations

import json

import pytest

from itpm.core.models import AuditEvent
from itpm.planning.models import Task


def patch(client, url, body, **headers):
    return client.patch(url, json.dumps(body), content_type="application/json", headers=headers)


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_token_login_and_bearer_auth(people, project, client):
    response = post(client, "/api/v1/auth/token", {"username": "mia", "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["detail"] == "wrong username or password"
    from tests.conftest import PASSWORD

    response = post(client, "/api/v1/auth/token", {"username": "mia", "password": PASSWORD})
    assert response.status_code == 201
    token = response.json()["token"]
    listing = client.get("/api/v1/projects", headers={"Authorization": f"Bearer {token}"})
    assert [p["key"] for p in listing.json()["items"]] == ["APL"]
    assert client.get("/api/v1/projects").status_code == 401


def test_stale_version_gets_409_and_changes_nothing(api, tasks):
    design = tasks["design"]
    url = f"/api/v1/tasks/{design.pk}"
    first = patch(api("member"), url, {"version": design.version, "duration_hours": 24})
    assert first.status_code == 200, first.content
    assert first.json()["version"] == design.version + 1
    stale = patch(api("manager"), url, {"version": design.version, "name": "Overwritten"})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["detail"]
    design.refresh_from_db()
    assert design.name == "Design" and design.duration_hours == 24


def test_if_match_etag_works_like_version(api, tasks):
    code = tasks["code"]
    got = api("member").get(f"/api/v1/tasks/{code.pk}")
    etag = got.headers["ETag"]
    ok = patch(api("member"), f"/api/v1/tasks/{code.pk}", {"name": "Code it"}, **{"If-Match": etag})
    assert ok.status_code == 200
    again = patch(
        api("member"), f"/api/v1/tasks/{code.pk}", {"name": "Again"}, **{"If-Match": etag}
    )
    assert again.status_code == 409


def test_patch_without_version_is_refused(api, tasks):
    response = patch(api("member"), f"/api/v1/tasks/{tasks['code'].pk}", {"name": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "version"


@pytest.mark.parametrize(
    "field,value",
    [
        ("project", "ZED"),
        ("id", 999),
        ("wbs_code", "9.9"),
        ("role", "owner"),
        ("created_at", "2020-01-01T00:00:00Z"),
    ],
)
def test_read_only_fields_in_a_task_body_are_refused(api, tasks, field, value):
    code = tasks["code"]
    response = patch(
        api("member"), f"/api/v1/tasks/{code.pk}", {"version": code.version, field: value}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    fresh = Task.objects.get(pk=code.pk)
    assert fresh.version == code.version and fresh.project_id == code.project_id


def test_dependency_cycle_is_refused_with_the_cycle_named(api, tasks, project):
    body = {"predecessor": tasks["code"].pk, "successor": tasks["design"].pk, "type": "FS"}
    response = post(api("member"), "/api/v1/projects/APL/dependencies", body)
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "cycle" in detail and "Design" in detail and "Code" in detail
    assert project.dependencies.count() == 1


def test_archived_project_is_read_only_for_everyone(api, tasks, project):
    response = post(api("owner"), "/api/v1/projects/APL/archive", {})
    assert response.status_code == 200 and response.json()["archived"] is True
    for who in ("owner", "admin", "member"):
        attempt = patch(
            api(who),
            f"/api/v1/tasks/{tasks['code'].pk}",
            {"version": tasks["code"].version, "name": "x"},
        )
        assert attempt.status_code == 409, who
        assert "archived" in attempt.json()["detail"]
    assert api("viewer").get("/api/v1/projects/APL/tasks").status_code == 200


def test_every_write_leaves_an_audit_event(api, tasks, project):
    member = api("member")
    before = AuditEvent.objects.count()
    code = tasks["code"]
    patch(member, f"/api/v1/tasks/{code.pk}", {"version": code.version, "percent_complete": 50})
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert event.action == "task.update" and event.actor.username == "mia"
    assert event.changes == {"percent_complete": [0, 50]}
    feed = api("viewer").get("/api/v1/projects/APL/activity?limit=1").json()
    assert feed["items"][0]["action"] == "task.update"


def test_validation_errors_name_the_field(api, project):
    response = post(
        api("member"), "/api/v1/projects/APL/tasks", {"name": "X", "duration_hours": -3}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "duration_hours"
    response = post(api("member"), "/api/v1/projects/APL/tasks", {"name": "X", "parent": 999999})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "parent"


def test_malformed_json_is_a_400_not_a_500(api, project):
    response = api("member").post(
        "/api/v1/projects/APL/tasks", "{not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert "detail" in response.json()


def test_wbs_tree_indent_outdent_and_move(api, tasks, project):
    launch = tasks["launch"]
    assert launch.wbs_code == "2"
    extra = post(api("member"), "/api/v1/projects/APL/tasks", {"name": "Train users"}).json()
    assert extra["wbs_code"] == "3"
    indented = post(
        api("member"), f"/api/v1/tasks/{extra['id']}/indent", {"version": extra["version"]}
    )
    assert indented.status_code == 422  # launch is a milestone: cannot hold subtasks
    assert indented.json()["errors"][0]["field"] == "parent"
    moved = post(
        api("member"),
        f"/api/v1/tasks/{extra['id']}/move",
        {"version": extra["version"], "parent": tasks["phase"].pk, "position": 1},
    ).json()
    assert moved["wbs_code"] == "1.1"
    codes = {
        t["name"]: t["wbs_code"]
        for t in api("member").get("/api/v1/projects/APL/tasks").json()["items"]
    }
    assert codes == {
        "Build": "1",
        "Train users": "1.1",
        "Design": "1.2",
        "Code": "1.3",
        "Launch": "2",
    }
    out = post(
        api("member"), f"/api/v1/tasks/{extra['id']}/outdent", {"version": moved["version"]}
    ).json()
    assert out["wbs_code"] == "2"
