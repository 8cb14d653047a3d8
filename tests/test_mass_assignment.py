"""No write endpoint takes a field it does not declare.

For every request body in the OpenAPI document (POST and PATCH), send a valid body plus one
field of the underlying model that the schema does not offer (``project``, ``id``,
``is_staff``, ``archived``, ``wbs_code`` …). The answer must be a 422 naming that field,
and the database (row counts and a checksum of every itpm table) must be unchanged.
The list of bodies comes from the document, so a new endpoint is covered without edits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import models

from itpm.accounts.models import ApiToken, Membership, Team, User
from itpm.api import api
from itpm.assets.models import Asset, Service
from itpm.helpdesk.models import Queue, SlaPolicy, Ticket, TicketComment
from itpm.planning.models import (
    Assignment,
    Baseline,
    CalendarException,
    Cycle,
    Dependency,
    Label,
    LevelingRun,
    Resource,
    ResourceAbsence,
    ResourceRate,
    Task,
    WorkCalendar,
)
from itpm.portfolio.models import (
    BusinessCase,
    Closure,
    Feasibility,
    GateApproval,
    GateChecklistItem,
    GateReview,
    Handoff,
    Lesson,
    Project,
    ProjectRequest,
)
from itpm.tracking import models as tr
from tests.control import matrix as cm
from tests.documents import matrix as dm
from tests.notifications import matrix as nm
from tests.test_permission_matrix import ROUTES, V1, Case, client_for, fill, send
from tests.webhooks import matrix as wm
from tests.world import World, build_world, changed_tables, db_state, destroy_world


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock():
        built = build_world()
        yield built
        destroy_world()


# Help desk and inventory: bodies sent by someone allowed to write them (the site admin, or
# the outside requester on their own ticket).
HELPDESK_WRITES: dict[tuple[str, str], type[models.Model]] = {
    ("POST", f"{V1}/sla-policies"): SlaPolicy,
    ("PATCH", f"{V1}/sla-policies/{{policy_id}}"): SlaPolicy,
    ("POST", f"{V1}/queues"): Queue,
    ("PATCH", f"{V1}/queues/{{queue_key}}"): Queue,
    ("POST", f"{V1}/tickets"): Ticket,
    ("PATCH", f"{V1}/tickets/{{ticket_id}}"): Ticket,
    ("POST", f"{V1}/tickets/{{ticket_id}}/comments"): TicketComment,
    ("POST", f"{V1}/tickets/{{ticket_id}}/escalate"): Ticket,
    ("POST", f"{V1}/portal/tickets"): Ticket,
    ("POST", f"{V1}/portal/tickets/{{ticket_id}}/comments"): TicketComment,
    ("POST", f"{V1}/assets"): Asset,
    ("PATCH", f"{V1}/assets/{{asset_id}}"): Asset,
    ("POST", f"{V1}/services"): Service,
    ("PATCH", f"{V1}/services/{{service_id}}"): Service,
}
RESOURCE_WRITES: dict[tuple[str, str], type[models.Model]] = {
    ("POST", f"{V1}/calendars"): WorkCalendar,
    ("PATCH", f"{V1}/calendars/{{calendar_id}}"): WorkCalendar,
    ("POST", f"{V1}/calendars/{{calendar_id}}/exceptions"): CalendarException,
    ("POST", f"{V1}/resources"): Resource,
    ("PATCH", f"{V1}/resources/{{resource_id}}"): Resource,
    ("POST", f"{V1}/resources/{{resource_id}}/absences"): ResourceAbsence,
    ("POST", f"{V1}/resources/{{resource_id}}/rates"): ResourceRate,
    ("POST", f"{V1}/projects/{{key}}/assignments"): Assignment,
    ("PATCH", f"{V1}/assignments/{{assignment_id}}"): Assignment,
    ("POST", f"{V1}/projects/{{key}}/schedule/level"): LevelingRun,
    ("POST", f"{V1}/projects/{{key}}/baselines"): Baseline,
}
TRACKING_WRITES: dict[tuple[str, str], type[models.Model]] = {
    ("PATCH", f"{V1}/budget-lines/{{line_id}}"): tr.BudgetLine,
    ("PATCH", f"{V1}/projects/{{key}}/budget"): tr.ProjectFinance,
    ("PATCH", f"{V1}/projects/{{key}}/status-reports/{{report_id}}"): tr.StatusReport,
    ("PATCH", f"{V1}/time-entries/{{entry_id}}"): tr.TimeEntry,
    ("POST", f"{V1}/invoices/{{invoice_id}}/accept"): tr.Invoice,
    ("POST", f"{V1}/projects/{{key}}/budget/lines"): tr.BudgetLine,
    ("POST", f"{V1}/projects/{{key}}/expenses"): tr.Expense,
    ("POST", f"{V1}/projects/{{key}}/status-reports"): tr.StatusReport,
    ("POST", f"{V1}/purchase-orders"): tr.PurchaseOrder,
    ("POST", f"{V1}/purchase-orders/{{po_id}}/close"): tr.PurchaseOrder,
    ("POST", f"{V1}/purchase-orders/{{po_id}}/cancel"): tr.PurchaseOrder,
    ("POST", f"{V1}/purchase-orders/{{po_id}}/invoices"): tr.Invoice,
    ("POST", f"{V1}/purchase-orders/{{po_id}}/receipts"): tr.GoodsReceipt,
    ("POST", f"{V1}/purchase-requests"): tr.PurchaseRequest,
    ("POST", f"{V1}/purchase-requests/{{pr_id}}/approve"): tr.PurchaseRequest,
    ("POST", f"{V1}/purchase-requests/{{pr_id}}/reject"): tr.PurchaseRequest,
    ("POST", f"{V1}/purchase-requests/{{pr_id}}/submit"): tr.PurchaseRequest,
    ("POST", f"{V1}/tasks/{{task_id}}/progress"): tr.TaskProgress,
    ("POST", f"{V1}/time-entries"): tr.TimeEntry,
    ("POST", f"{V1}/timer/start"): tr.Timer,
    ("POST", f"{V1}/timer/stop"): tr.Timer,
    ("POST", f"{V1}/timesheets/submit"): tr.Timesheet,
    ("POST", f"{V1}/timesheets/{{sheet_id}}/approve"): tr.Timesheet,
    ("POST", f"{V1}/timesheets/{{sheet_id}}/reject"): tr.Timesheet,
}
LIFECYCLE_WRITES: dict[tuple[str, str], type[models.Model]] = {
    ("POST", f"{V1}/requests"): ProjectRequest,
    ("PATCH", f"{V1}/requests/{{request_id}}"): ProjectRequest,
    ("POST", f"{V1}/requests/{{request_id}}/triage"): ProjectRequest,
    ("PUT", f"{V1}/projects/{{key}}/business-case"): BusinessCase,
    ("PUT", f"{V1}/projects/{{key}}/business-case/realized"): BusinessCase,
    ("POST", f"{V1}/projects/{{key}}/business-case/pull-budget"): BusinessCase,
    ("PUT", f"{V1}/projects/{{key}}/closure/acceptors"): Closure,
    ("PUT", f"{V1}/projects/{{key}}/feasibility"): Feasibility,
    ("POST", f"{V1}/projects/{{key}}/gates"): GateReview,
    ("POST", f"{V1}/gates/{{gate_id}}/approvals"): GateApproval,
    ("POST", f"{V1}/gates/{{gate_id}}/decision"): GateReview,
    ("POST", f"{V1}/gates/{{gate_id}}/approvers"): GateApproval,
    ("POST", f"{V1}/gates/{{gate_id}}/checklist"): GateChecklistItem,
    ("PATCH", f"{V1}/gate-items/{{item_id}}"): GateChecklistItem,
    ("POST", f"{V1}/projects/{{key}}/acceptance"): Closure,
    ("POST", f"{V1}/projects/{{key}}/lessons"): Lesson,
    ("POST", f"{V1}/projects/{{key}}/handoff"): Handoff,
}
# Bodies that first bring the project into the state the route needs (a closing or closed
# stage, no open gate review); the refusal is checked against the state after that setup.
SETUP_BODIES = {
    ("POST", f"{V1}/projects/{{key}}/gates"),
    ("POST", f"{V1}/projects/{{key}}/acceptance"),
    ("POST", f"{V1}/projects/{{key}}/handoff"),
}
HELPDESK_ACTORS = {f"{V1}/portal/tickets/{{ticket_id}}/comments": "requester"}


def _actor(path: str) -> str:
    if path in HELPDESK_ACTORS:
        return HELPDESK_ACTORS[path]
    if any(path == p for _, p in HELPDESK_WRITES):
        return "admin"
    if path in (
        f"{V1}/requests/{{request_id}}/triage",
        f"{V1}/projects/{{key}}/business-case/realized",
    ):
        return "admin"  # a portfolio manager
    return "admin" if path in (f"{V1}/users", f"{V1}/teams", f"{V1}/webhooks") else "owner"


# Which model each body writes to; an operation missing here fails the suite by name.
WRITES: dict[tuple[str, str], type[models.Model]] = {
    ("POST", f"{V1}/auth/token"): ApiToken,
    ("POST", f"{V1}/users"): User,
    ("POST", f"{V1}/teams"): Team,
    ("POST", f"{V1}/projects"): Project,
    ("PATCH", f"{V1}/projects/{{key}}"): Project,
    ("POST", f"{V1}/projects/{{key}}/archive"): Project,
    ("POST", f"{V1}/projects/{{key}}/members"): Membership,
    ("POST", f"{V1}/projects/{{key}}/tasks"): Task,
    ("PATCH", f"{V1}/tasks/{{task_id}}"): Task,
    ("POST", f"{V1}/tasks/{{task_id}}/move"): Task,
    ("POST", f"{V1}/tasks/{{task_id}}/indent"): Task,
    ("POST", f"{V1}/tasks/{{task_id}}/outdent"): Task,
    ("POST", f"{V1}/projects/{{key}}/dependencies"): Dependency,
    ("PATCH", f"{V1}/dependencies/{{dependency_id}}"): Dependency,
    ("POST", f"{V1}/projects/{{key}}/cycles"): Cycle,
    ("PATCH", f"{V1}/cycles/{{cycle_id}}"): Cycle,
    ("POST", f"{V1}/cycles/{{cycle_id}}/start"): Cycle,
    ("POST", f"{V1}/cycles/{{cycle_id}}/close"): Cycle,
    ("POST", f"{V1}/cycles/{{cycle_id}}/commit"): Cycle,
    ("POST", f"{V1}/cycles/{{cycle_id}}/uncommit"): Cycle,
    ("POST", f"{V1}/projects/{{key}}/labels"): Label,
    ("POST", f"{V1}/tasks/{{task_id}}/labels"): Task,
    ("POST", f"{V1}/tasks/{{task_id}}/board-move"): Task,
    ("PUT", f"{V1}/projects/{{key}}/wip-limits"): Project,
    ("POST", f"{V1}/tasks/{{task_id}}/planning-package"): Task,
    ("POST", f"{V1}/tasks/{{task_id}}/break-down"): Task,
    **HELPDESK_WRITES,
    **RESOURCE_WRITES,
    **LIFECYCLE_WRITES,
    **TRACKING_WRITES,
    **cm.writes(V1),
    **nm.writes(V1),
    **wm.writes(V1),
    **dm.writes(V1),
}

# Fields an attacker would try on any body, whatever the model.
ALWAYS_TRY = {
    "id", "project", "version", "role", "is_staff", "is_superuser", "owner", "archived",
    "created_at", "updated_at", "wbs_code", "order", "key", "user",
}  # fmt: skip

VALUES: dict[str, Any] = {
    "id": 999_999,
    "project": "ZED",
    "project_id": 1,
    "version": 99,
    "role": "owner",
    "is_staff": True,
    "is_superuser": True,
    "is_active": True,
    "owner": "oscar",
    "archived": True,
    "created_at": "2020-01-01T00:00:00Z",
    "updated_at": "2020-01-01T00:00:00Z",
    "wbs_code": "9.9",
    "wbs_sort": "00009",
    "order": 1,
    "key": "HACK",
    "user": "oscar",
    "parent": None,
    "key_hash": "0" * 64,
}


def _schema() -> dict[str, Any]:
    return api.get_openapi_schema(path_prefix=f"{V1}/")


def _body_fields(operation: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    while "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    for variant in body.get("anyOf", []):  # an optional body: ``Schema | None``
        if "$ref" in variant:
            return _body_fields(
                {"requestBody": {"content": {"application/json": {"schema": variant}}}}, schema
            )
    return set(body.get("properties", {}))


# Routes that act on the caller's own records (their running timer, their own time entries,
# their week's timesheet). The sweep's actor owns no such records, so its calls are refused
# for that reason before the body is judged; these bodies are StrictSchemas like every other,
# and tests/tracking checks their fields and owners directly.
PERSONAL = {
    ("POST", f"{V1}/timer/stop"),
    ("PATCH", f"{V1}/time-entries/{{entry_id}}"),
    ("POST", f"{V1}/timesheets/submit"),
}


def _writable_operations() -> dict[tuple[str, str], set[str]]:
    schema = _schema()
    found = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation or method not in ("post", "patch", "put"):
                continue
            # File uploads (multipart) are forms, not JSON bodies; their fields are fixed.
            if "application/json" in operation["requestBody"]["content"]:
                found[(method.upper(), path)] = _body_fields(operation, schema)
    return found


def _model_fields(model: type[models.Model]) -> set[str]:
    names = set()
    for field in model._meta.get_fields():
        if field.concrete or field.many_to_many:
            names.add(field.name)
            names.add(getattr(field, "attname", field.name))
    return names


def _cases() -> Iterator[Any]:
    for key, allowed in sorted(_writable_operations().items()):
        model = WRITES.get(key)
        if model is None or key in PERSONAL:
            continue  # reported by test_every_body_is_covered
        for name in sorted((_model_fields(model) | ALWAYS_TRY) - allowed):
            yield pytest.param(*key, name, id=f"{key[0]} {key[1]} +{name}")


def test_every_body_is_covered() -> None:
    missing = set(_writable_operations()) - set(WRITES)
    assert not missing, f"write operations without a model in WRITES: {sorted(missing)}"


@pytest.mark.parametrize(("method", "path", "field"), list(_cases()))
def test_an_undeclared_field_is_refused_and_changes_nothing(
    world: World, db: Any, method: str, path: str, field: str
) -> None:
    expect = ROUTES[(method, path)]
    actor = _actor(path)
    if path == f"{V1}/auth/token":
        actor = "anonymous"
    case = Case(world=world, actor=actor, target="own")
    assert expect.body is not None
    body = {**expect.body(case), field: VALUES.get(field, "x")}
    before = db_state() if (method, path) in SETUP_BODIES else world.baseline

    response = send(client_for(world, actor, path), method, fill(case, path, expect), body)

    assert response.status_code == 422, response.content
    assert field in [error["field"] for error in response.json()["errors"]], response.json()
    assert changed_tables(before, db_state()) == []


@pytest.mark.parametrize("method,path", sorted(set(WRITES) - PERSONAL))
def test_the_same_body_without_the_field_is_accepted(
    world: World, db: Any, method: str, path: str
) -> None:
    """The refusals above are about the extra field, not about a broken base body."""
    expect = ROUTES[(method, path)]
    actor = _actor(path)
    case = Case(world=world, actor=actor, target="own")
    assert expect.body is not None
    response = send(
        client_for(world, actor, path), method, fill(case, path, expect), expect.body(case)
    )
    assert 200 <= response.status_code < 300, response.content
