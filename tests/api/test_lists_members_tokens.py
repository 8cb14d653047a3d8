"""The API's lists page and filter; members keep an owner; tokens are hashed and revocable."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.test import Client

from itpm.accounts.models import ApiToken, Membership, Role
from itpm.core.models import AuditEvent
from itpm.planning.models import Task
from tests.world import changed_tables, db_state


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def names(response: Any) -> list[str]:
    return [item["name"] for item in response.json()["items"]]


# ---------------------------------------------------------------------------- pagination
def test_a_list_pages_with_limit_offset_and_count(api: Any, tasks: dict[str, Task]) -> None:
    everything = api("viewer").get("/api/v1/projects/APL/tasks").json()
    assert everything["count"] == 4 and len(everything["items"]) == 4
    page = api("viewer").get("/api/v1/projects/APL/tasks?limit=2&offset=1").json()
    assert (page["count"], page["limit"], page["offset"]) == (4, 2, 1)
    assert [t["name"] for t in page["items"]] == [t["name"] for t in everything["items"][1:3]]
    past_the_end = api("viewer").get("/api/v1/projects/APL/tasks?offset=10").json()
    assert past_the_end["count"] == 4 and past_the_end["items"] == []


@pytest.mark.parametrize(
    "query,field",
    [
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("offset=-1", "offset"),
        ("limit=x", "limit"),
    ],
)
def test_bad_paging_is_a_422_naming_the_parameter(
    api: Any, project: Any, query: str, field: str
) -> None:
    response = api("viewer").get(f"/api/v1/projects/APL/tasks?{query}")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    "url,query,expected",
    [
        ("/api/v1/projects/APL/tasks", "milestone=true", ["Launch"]),
        ("/api/v1/projects/APL/tasks", "search=cod", ["Code"]),
        ("/api/v1/projects/APL/tasks", "status=done", []),
        ("/api/v1/projects/APL/tasks", "parent={phase}", ["Design", "Code"]),
        ("/api/v1/projects", "search=apollo", ["Apollo ERP upgrade"]),
        ("/api/v1/projects", "category=software", ["Apollo ERP upgrade"]),
        ("/api/v1/projects", "category=hardware", []),
        ("/api/v1/projects", "archived=true", []),
        ("/api/v1/projects", "stage=initiation", ["Apollo ERP upgrade"]),
    ],
)
def test_lists_filter(
    api: Any, tasks: dict[str, Task], url: str, query: str, expected: list[str]
) -> None:
    response = api("viewer").get(f"{url}?{query.format(phase=tasks['phase'].pk)}")
    assert response.status_code == 200, response.content
    assert names(response) == expected
    assert response.json()["count"] == len(expected)


def test_dependency_and_activity_lists_filter(api: Any, tasks: dict[str, Task]) -> None:
    design = tasks["design"].pk
    by_task = api("viewer").get(f"/api/v1/projects/APL/dependencies?task={design}").json()
    assert by_task["count"] == 1 and by_task["items"][0]["predecessor"] == design
    assert api("viewer").get("/api/v1/projects/APL/dependencies?type=SS").json()["count"] == 0
    feed = api("viewer").get("/api/v1/projects/APL/activity?action=dependency.").json()
    assert [e["action"] for e in feed["items"]] == ["dependency.create"]


def test_people_lists_filter(api: Any, people: dict[str, Any]) -> None:
    found = api("member").get("/api/v1/users?search=oli").json()
    assert [u["username"] for u in found["items"]] == ["olivia"]
    assert found["items"][0]["email"] is None  # someone else's address stays private
    assert api("member").get("/api/v1/teams?kind=operations").json()["count"] == 0


# ---------------------------------------------------------------------------- members
def test_a_manager_cannot_grant_the_owner_role(
    api: Any, project: Any, people: dict[str, Any]
) -> None:
    manager = api("manager")  # its token is made before the snapshot
    before = db_state()
    response = post(manager, "/api/v1/projects/APL/members", {"username": "oscar", "role": "owner"})
    assert response.status_code == 403
    assert "owner" in response.json()["detail"]
    assert changed_tables(before, db_state()) == []
    promote = post(
        api("manager"), "/api/v1/projects/APL/members", {"username": "vic", "role": "owner"}
    )
    assert promote.status_code == 403
    assert Membership.objects.get(project=project, user=people["viewer"]).role == Role.VIEWER


def test_a_manager_cannot_remove_an_owner(api: Any, project: Any) -> None:
    response = api("manager").delete("/api/v1/projects/APL/members/olivia")
    assert response.status_code == 403
    assert project.memberships.filter(user__username="olivia", role=Role.OWNER).exists()


def test_the_last_owner_cannot_be_removed_or_demoted(api: Any, project: Any) -> None:
    owner = api("owner")  # its token is made before the snapshot
    before = db_state()
    removed = owner.delete("/api/v1/projects/APL/members/olivia")
    assert removed.status_code == 409 and "last owner" in removed.json()["detail"]
    demoted = post(
        api("owner"), "/api/v1/projects/APL/members", {"username": "olivia", "role": "manager"}
    )
    assert demoted.status_code == 409
    assert changed_tables(before, db_state()) == []


def test_with_a_second_owner_the_first_may_leave(api: Any, project: Any) -> None:
    granted = post(
        api("owner"), "/api/v1/projects/APL/members", {"username": "manny", "role": "owner"}
    )
    assert granted.status_code == 200 and granted.json()["role"] == "owner"
    assert api("owner").delete("/api/v1/projects/APL/members/olivia").status_code == 204
    assert not project.memberships.filter(user__username="olivia").exists()


def test_removing_someone_who_is_not_a_member_is_a_404(api: Any, project: Any) -> None:
    assert api("owner").delete("/api/v1/projects/APL/members/oscar").status_code == 404


# ---------------------------------------------------------------------------- tokens
def _new_token(client: Client) -> dict[str, Any]:
    from tests.conftest import PASSWORD

    response = post(
        client, "/api/v1/auth/token", {"username": "mia", "password": PASSWORD, "name": "ci"}
    )
    assert response.status_code == 201
    return response.json()


def test_a_token_is_stored_hashed_never_in_plaintext(
    people: dict[str, Any], client: Client
) -> None:
    created = _new_token(client)
    secret = created["token"]
    row = ApiToken.objects.get(pk=created["id"])
    assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    columns = [str(v) for v in ApiToken.objects.filter(pk=row.pk).values().get().values()]
    assert not any(secret in value for value in columns)
    assert secret.startswith(row.key_prefix) and len(row.key_prefix) < len(secret) // 2
    assert not any(
        secret in json.dumps(event.changes) + event.object_repr
        for event in AuditEvent.objects.all()
    )
    listing = Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/auth/tokens")
    assert secret not in listing.content.decode()


def test_a_revoked_token_gets_401(people: dict[str, Any], client: Client) -> None:
    created = _new_token(client)
    bearer = Client(headers={"Authorization": f"Bearer {created['token']}"})
    assert bearer.get("/api/v1/projects").status_code == 200
    assert bearer.delete(f"/api/v1/auth/tokens/{created['id']}").status_code == 204
    assert ApiToken.objects.get(pk=created["id"]).revoked_at is not None
    refused = bearer.get("/api/v1/projects")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")


def test_nobody_revokes_someone_elses_token(
    api: Any, people: dict[str, Any], client: Client
) -> None:
    created = _new_token(client)
    for who in ("owner", "admin"):
        assert api(who).delete(f"/api/v1/auth/tokens/{created['id']}").status_code == 404
    assert ApiToken.objects.get(pk=created["id"]).revoked_at is None


def test_a_made_up_token_gets_401(db: Any) -> None:
    for header in ("Bearer itpm_not-a-real-token", "Bearer nonsense", "Basic abc"):
        assert Client(headers={"Authorization": header}).get("/api/v1/projects").status_code == 401
