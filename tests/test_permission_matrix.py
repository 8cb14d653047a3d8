"""Who may do what: every route × every kind of person × own and foreign project.

The routes come from the URL conf and the API's OpenAPI document; the expected answers
live in one table, ``ROUTES``. A route without a table entry fails the suite by name, so a
new endpoint cannot ship without someone deciding who may call it.

Every case sends a real request through the whole HTTP stack and also checks the database:
a read changes nothing, a denied write changes nothing, an allowed write changes something.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from itpm.accounts.models import ROLE_RANK, Role
from itpm.api import api
from itpm.portfolio.models import Project
from tests.control import matrix as cm
from tests.documents import matrix as dm
from tests.interop import matrix as im
from tests.notifications import matrix as nm
from tests.tracking import matrix as tm
from tests.webhooks import matrix as wm
from tests.world import (
    ACTORS,
    PASSWORD,
    USERNAMES,
    World,
    build_world,
    changed_tables,
    db_state,
    destroy_world,
)


# ---------------------------------------------------------------------------- the world
@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock():
        built = build_world()
        yield built
        destroy_world()


@dataclass
class Case:
    """One request: who sends it, against which project, and the objects it refers to."""

    world: World
    actor: str
    target: str  # "own", "foreign", or "none" for routes outside any project

    @property
    def site(self) -> Any:
        return self.world.sites["foreign" if self.target == "foreign" else "own"]

    @property
    def project(self) -> Project:
        return Project.objects.get(pk=self.site.project.pk)

    def task(self, name: str) -> Any:
        return type(self.site.tasks[name]).objects.get(pk=self.site.tasks[name].pk)

    def version(self, name: str) -> int:
        return self.task(name).version

    def param(self, name: str, override: str | None) -> str:
        if name == "key":
            return self.site.project.key
        if name == "task_id":
            return str(self.site.tasks[override or "test"].pk)
        if name == "dependency_id":
            return str(self.site.dependency.pk)
        if name == "username":
            return "extra"  # a member of both APL and ZED
        if name == "token_id":
            owner = "zoe" if self.target == "foreign" else self.actor
            return str(self.world.spare_tokens.get(owner, 999_999))
        if name == "cycle_id":
            return str(_matrix_cycle(self.site.project).pk)
        if name == "field":
            return "name"
        if name in ("uidb64", "token"):
            return "bad-link"  # a reset or verification link that is not valid
        if name == "action":
            return override or "down"
        if name == "request_id":
            return str(_lifecycle_request(self).pk)
        if name == "gate_id":
            return str(_lifecycle_gate(self).pk)
        if name == "item_id":
            return str(_lifecycle_gate(self).checklist.first().pk)
        if name in _HELPDESK_PARAMS:
            return _HELPDESK_PARAMS[name](_helpdesk(self))
        if name in tm.TRACKING_PARAMS:
            return str(tm.TRACKING_PARAMS[name](self, override))
        if name in cm.CONTROL_PARAMS:
            return str(cm.CONTROL_PARAMS[name](self, override))
        if name in nm.NOTIFY_PARAMS:
            return str(nm.NOTIFY_PARAMS[name](self, override))
        if name in wm.WEBHOOK_PARAMS:
            return str(wm.WEBHOOK_PARAMS[name](self, override))
        if name in self.site.extra:
            return str(self.site.extra[name])
        if name in self.world.extra:
            return str(self.world.extra[name])
        raise AssertionError(f"no value for path parameter {{{name}}}")


# ---------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Expect:
    """Who may call a route and what each kind of caller gets back.

    ``who`` is "public", "authenticated", "self" (only your own objects), "admin", or the
    lowest project role that is allowed ("viewer" … "owner"; site admins act as owners).
    """

    who: str
    ok: int
    low: int = 403  # a project member whose role is too low; a non-admin on an admin route
    hidden: int = 404  # a project (or object) the caller may not see
    anon: int = 401
    body: Callable[[Case], dict[str, Any]] | None = None
    params: dict[str, str] = field(default_factory=dict)
    # An outside requester (portal only): "walled" (the portal guard answers 404, or
    # ``requester_status``), "ok", "hidden", or None to apply the rules above as to anyone.
    requester: str | None = "walled"
    requester_status: int = 404
    changes_data: bool = True  # an allowed non-GET request writes something
    low_outcome: str = "low"  # for who="agent": what a non-agent gets ("low" or "hidden")

    def outcome(self, actor: str, target: str) -> str:
        """One of "ok", "low" (refused: role or rights too low), "hidden" or "anon"."""
        if actor == "requester" and self.requester is not None:
            return self.requester
        if self.who == "public":
            return "ok"
        if actor == "anonymous":
            return "anon"
        if self.who == "requester":  # the portal: only the outside requester's own ticket
            return "hidden"
        if self.who == "agent":  # members of the queue's (or owner) team, and site admins
            return "ok" if actor in _AGENTS else self.low_outcome
        if self.who == "authenticated":
            return "ok"
        if self.who == "self":
            return "ok" if target == "own" else "hidden"
        if self.who == "admin":
            return "ok" if actor == "admin" else "low"
        if self.who == "any_manager":
            # Site admins and managers/owners of any project (the outsider owns OTH).
            return "ok" if actor in ("admin", "owner", "manager", "outsider") else "low"
        if self.who == "portfolio_manager":  # site admins here; project members see, may not
            if actor == "admin":
                return "ok"
            return "hidden" if _role(actor, target) is None else "low"
        role = _role(actor, target)
        if role is None:
            return "hidden"
        return "ok" if ROLE_RANK[role] >= ROLE_RANK[Role(self.who)] else "low"

    def status_for(self, actor: str, target: str) -> int:
        outcome = self.outcome(actor, target)
        return {"ok": self.ok, "low": self.low, "hidden": self.hidden, "anon": self.anon,
                "walled": self.requester_status}[outcome]  # fmt: skip

    def allowed(self, actor: str, target: str) -> bool:
        return self.outcome(actor, target) == "ok"


def _role(actor: str, target: str) -> Role | None:
    if actor == "admin":
        return Role.OWNER
    if actor in ("anonymous", "outsider", "requester") or target == "foreign":
        return None
    return Role(actor)


def READ(ok: int = 200, **kw: Any) -> Expect:
    return Expect("viewer", ok, **kw)


def WRITE(ok: int, **kw: Any) -> Expect:
    return Expect("member", ok, **kw)


def MANAGE(ok: int, **kw: Any) -> Expect:
    return Expect("manager", ok, **kw)


def OWN(ok: int, **kw: Any) -> Expect:
    return Expect("owner", ok, **kw)


def ADMIN_ONLY(ok: int, **kw: Any) -> Expect:
    return Expect("admin", ok, **kw)


def ANY_AUTHENTICATED(ok: int = 200, **kw: Any) -> Expect:
    return Expect("authenticated", ok, **kw)


def PUBLIC(ok: int = 200, **kw: Any) -> Expect:
    # Public routes answer an outside requester like anyone (the portal guard lets the
    # log-in pages and the API documents through), unless the entry walls them.
    kw.setdefault("requester", None)
    return Expect("public", ok, **kw)


def SELF(ok: int, **kw: Any) -> Expect:
    return Expect("self", ok, **kw)


@dataclass(frozen=True)
class ByActor(Expect):
    """Outcomes named per actor (personal objects: time entries, timesheets, the timer).

    ``own`` maps an actor to its outcome on the own project (or a route outside projects);
    unnamed actors get "hidden". On the foreign project only the site admin sees anything
    and gets its own-project outcome.
    """

    own: tuple[tuple[str, str], ...] = ()

    def outcome(self, actor: str, target: str) -> str:
        if actor in ("anonymous", "requester"):
            return super().outcome(actor, target)
        if target == "foreign" and actor != "admin":
            return "hidden"
        return dict(self.own).get(actor, "hidden")


def ANY_MANAGER(ok: int, **kw: Any) -> Expect:
    return Expect("any_manager", ok, **kw)


# Web pages send the anonymous to the login page; the API answers 401.
PAGE = {"anon": 302}


def _versioned(task: str, **extra: Any) -> Callable[[Case], dict[str, Any]]:
    return lambda c: {"version": c.version(task), **extra}


def _credentials(c: Case) -> dict[str, Any]:
    username = USERNAMES["owner" if c.actor == "anonymous" else c.actor]
    return {"username": username, "password": PASSWORD}


def _new_link(c: Case) -> dict[str, Any]:
    return {"predecessor": c.site.tasks["test"].pk, "successor": c.site.tasks["launch"].pk}


def _project_form(c: Case) -> dict[str, Any]:
    p = c.project
    return {"version": p.version, "name": "Renamed", "goal": "", "category": p.category,
            "stage": p.stage, "currency": "USD"}  # fmt: skip


# ---------------------------------------------------------------------------- lifecycle
# Objects of the lifecycle routes, made on demand inside the test's transaction (before the
# database snapshot, so they do not count as the request's change).
_DIMENSIONS = ("technical", "operational", "financial", "schedule", "legal", "security")
_CASE = {"periodicity": "year", "discount_rate": "8",
         "lines": [{"kind": "one_off_cost", "period": 0, "amount": "1000"},
                   {"kind": "benefit", "period": 1, "amount": "1500"}]}  # fmt: skip
_LESSON = {"title": "Order early", "went_badly": "Long lead times"}
_NEW_APPROVER = {"user": "vic", "role": "finance"}  # not among the world's gate approvers


def _case(c: Case) -> dict[str, Any]:
    from itpm.portfolio.models import BusinessCase

    return {**_CASE, "version": BusinessCase.objects.get(project=c.project).version}


def _lifecycle_request(c: Case) -> Any:
    from itpm.portfolio.models import ProjectRequest

    requester = c.world.users["admin" if c.actor == "anonymous" else c.actor]
    found = ProjectRequest.objects.filter(requester=requester, title="Matrix request").first()
    return found or ProjectRequest.objects.create(
        requester=requester, title="Matrix request", problem="p"
    )


def _answer(c: Case) -> dict[str, Any]:
    """The requester's own request, waiting for information (the setup before the snapshot)."""
    req = _lifecycle_request(c)
    if c.actor not in ("anonymous", "requester"):  # a refused request must change nothing
        type(req).objects.filter(pk=req.pk).update(status="info_requested")
    return {"answer": "Here it is", "title": "Matrix request", "problem": "p",
            "category": "other", "currency": "USD", "urgency": "medium",
            "version": req.version}  # fmt: skip


def _lifecycle_gate(c: Case) -> Any:
    from itpm.portfolio.models import GateApproval, GateChecklistItem, GateReview

    project = c.project
    gate = GateReview.objects.filter(project=project, status="open").first()
    if gate is None:
        gate = GateReview.objects.create(project=project, from_stage="initiation",
                                         to_stage="planning")  # fmt: skip
        GateChecklistItem.objects.create(gate=gate, text="Business case written", order=1)
        approvers = ["admin"] if c.target == "foreign" else ["manager", "owner", "admin"]
        for actor in approvers:
            GateApproval.objects.create(gate=gate, user=c.world.users[actor], role=actor)
    return gate


def _decision(c: Case) -> dict[str, Any]:
    return {"version": _lifecycle_gate(c).version, "decision": "hold", "comment": "Wait"}


def _tick(c: Case) -> dict[str, Any]:
    item = _lifecycle_gate(c).checklist.first()
    return {"version": item.version, "done": "1"}  # "1" reads as true in a form and in JSON


def _may(c: Case, minimum: Role) -> bool:
    """Whether the case's actor is allowed: setup for a refused request would count as its change."""
    if c.actor == "admin":
        return True
    if c.target == "foreign" or c.actor not in Role.values:
        return False
    return ROLE_RANK[Role(c.actor)] >= ROLE_RANK[minimum]


def _acceptance(c: Case) -> dict[str, Any]:
    if _may(c, Role.OWNER) and not Project.objects.filter(pk=c.project.pk, archived=True).exists():
        Project.objects.filter(pk=c.project.pk).update(stage="closing")
    return {"decision": "accept"}


def _gate_closed(c: Case) -> dict[str, Any]:
    from itpm.portfolio.models import GateReview

    if _may(c, Role.MANAGER) and not c.project.archived:  # the world's open review blocks
        GateReview.objects.filter(project=c.project, status="open").update(status="decided")
    return {}


def _handoff_ready(c: Case) -> Any:
    from django.utils import timezone

    from itpm.accounts.models import Team, TeamKind
    from itpm.portfolio.models import Closure

    team = Team.objects.get(name="Matrix ops", kind=TeamKind.OPERATIONS)
    if _may(c, Role.OWNER) and not c.project.archived:
        Project.objects.filter(pk=c.project.pk).update(stage="closed")
        Closure.objects.update_or_create(
            project=c.project, defaults={"accepted_at": timezone.now()}
        )
    return team


def _realized(c: Case) -> dict[str, Any]:
    from itpm.portfolio.models import BusinessCase

    case = BusinessCase.objects.get(project=c.project)  # made with the world
    return {"version": case.version, "lines": [{"kind": "benefit", "period": 1, "amount": "9"}]}


def _realized_page(c: Case) -> dict[str, Any]:
    """The business-case page's realized form: one benefit row."""
    body = _realized(c)
    return {"version": body["version"], "realized-TOTAL_FORMS": "1",
            "realized-INITIAL_FORMS": "0", "realized-0-kind": "benefit",
            "realized-0-period": "1", "realized-0-amount": "9"}  # fmt: skip


def _matrix_cycle(project: Any) -> Any:
    """The project's planned sprint (made on first use; the test's transaction drops it)."""
    from itpm.planning.models import Cycle

    cycle, _ = Cycle.objects.get_or_create(
        project=project, name="Matrix sprint",
        defaults={"start": dt.date(2027, 1, 4), "finish": dt.date(2027, 1, 15), "capacity_hours": 40},
    )  # fmt: skip
    return cycle


def _matrix_label(c: Case) -> int:
    from itpm.planning.models import Label

    return Label.objects.get_or_create(project=c.site.project, name="matrix")[0].pk


def _cycle_version(c: Case) -> dict[str, Any]:
    return {"version": _matrix_cycle(c.site.project).version}


def _cycle_form(c: Case) -> dict[str, Any]:
    return {"name": "Sprint 9", "kind": "sprint", "start": "2027-02-01", "finish": "2027-02-12",
            "capacity_hours": "80", "goal": ""}  # fmt: skip


def _calendar(c: Case) -> Any:
    from itpm.planning.models import WorkCalendar

    return WorkCalendar.objects.get(pk=c.site.extra["calendar_id"])


def _resource(c: Case) -> Any:
    from itpm.planning.models import Resource

    return Resource.objects.get(pk=c.world.extra["resource_id"])


def _assignment(c: Case) -> Any:
    from itpm.planning.models import Assignment

    return Assignment.objects.get(pk=c.site.extra["assignment_id"])


def _new_assignment(c: Case) -> dict[str, Any]:
    return {"task": c.site.tasks["test"].pk, "resource": c.world.extra["resource_id"],
            "units": "0.5"}  # fmt: skip


V1 = "/api/v1"
ROUTES: dict[tuple[str, str], Expect] = {
    # --- API: accounts
    ("POST", f"{V1}/auth/token"): PUBLIC(201, body=_credentials, requester=None),
    ("GET", f"{V1}/auth/tokens"): ANY_AUTHENTICATED(requester=None),
    ("DELETE", f"{V1}/auth/tokens/{{token_id}}"): SELF(204, requester=None),
    ("GET", f"{V1}/users"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/users"): ADMIN_ONLY(
        201, body=lambda c: {"username": "created", "password": "a-long-passphrase-42"}
    ),
    ("GET", f"{V1}/teams"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/teams"): ADMIN_ONLY(201, body=lambda c: {"name": "Matrix team"}),
    # --- API: projects
    ("GET", f"{V1}/projects"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/projects"): ANY_AUTHENTICATED(201, body=lambda c: {"key": "NEW", "name": "N"}),
    ("GET", f"{V1}/projects/{{key}}"): READ(),
    ("PATCH", f"{V1}/projects/{{key}}"): MANAGE(
        200, body=lambda c: {"version": c.project.version, "name": "Renamed"}
    ),
    ("POST", f"{V1}/projects/{{key}}/archive"): OWN(200, body=lambda c: {}),
    ("GET", f"{V1}/projects/{{key}}/members"): READ(),
    ("POST", f"{V1}/projects/{{key}}/members"): MANAGE(
        200, body=lambda c: {"username": "newbie", "role": "viewer"}
    ),
    ("DELETE", f"{V1}/projects/{{key}}/members/{{username}}"): MANAGE(204),
    ("GET", f"{V1}/projects/{{key}}/activity"): READ(),
    # --- API: lifecycle (intake, business case, feasibility, gates, closing, handoff)
    ("GET", f"{V1}/requests"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/requests"): ANY_AUTHENTICATED(
        201, body=lambda c: {"title": "Matrix idea", "problem": "It hurts"}
    ),
    ("GET", f"{V1}/requests/{{request_id}}"): ANY_AUTHENTICATED(),  # one's own request
    ("PATCH", f"{V1}/requests/{{request_id}}"): ANY_AUTHENTICATED(
        200, body=lambda c: {"version": _lifecycle_request(c).version, "title": "Renamed"}
    ),
    ("POST", f"{V1}/requests/{{request_id}}/triage"): ADMIN_ONLY(
        200, body=lambda c: {"action": "reject", "note": "Not now"}
    ),
    ("GET", f"{V1}/projects/{{key}}/business-case"): READ(),
    ("PUT", f"{V1}/projects/{{key}}/business-case"): MANAGE(200, body=_case),
    ("PUT", f"{V1}/projects/{{key}}/business-case/realized"): Expect(
        "portfolio_manager", 200, body=_realized
    ),
    ("POST", f"{V1}/projects/{{key}}/business-case/pull-budget"): MANAGE(
        200, body=lambda c: {"version": _case(c)["version"]}
    ),
    ("GET", f"{V1}/projects/{{key}}/feasibility"): READ(),
    ("PUT", f"{V1}/projects/{{key}}/feasibility"): MANAGE(
        200,
        body=lambda c: {
            "recommendation": "proceed",
            "scores": [{"dimension": "technical", "score": 4}],
        },
    ),  # fmt: skip
    ("GET", f"{V1}/projects/{{key}}/gates"): READ(),
    ("POST", f"{V1}/projects/{{key}}/gates"): MANAGE(201, body=_gate_closed),
    ("GET", f"{V1}/gates/{{gate_id}}"): READ(),
    # The matrix's gates name the manager, the owner and the admin as approvers.
    ("POST", f"{V1}/gates/{{gate_id}}/approvals"): MANAGE(
        200, body=lambda c: {"decision": "approve"}
    ),
    ("POST", f"{V1}/gates/{{gate_id}}/decision"): MANAGE(200, body=_decision),
    ("POST", f"{V1}/gates/{{gate_id}}/approvers"): MANAGE(201, body=lambda c: _NEW_APPROVER),
    ("POST", f"{V1}/gates/{{gate_id}}/checklist"): MANAGE(201, body=lambda c: {"text": "More"}),
    ("PATCH", f"{V1}/gate-items/{{item_id}}"): WRITE(200, body=_tick),
    ("GET", f"{V1}/projects/{{key}}/closure"): READ(),
    ("PUT", f"{V1}/projects/{{key}}/closure/acceptors"): MANAGE(
        200, body=lambda c: {"acceptors": ["vic"]}
    ),
    # APL has no sponsor, so its owners sign it off.
    ("POST", f"{V1}/projects/{{key}}/acceptance"): OWN(200, body=_acceptance),
    ("GET", f"{V1}/projects/{{key}}/lessons"): READ(),
    ("POST", f"{V1}/projects/{{key}}/lessons"): WRITE(201, body=lambda c: _LESSON),
    ("GET", f"{V1}/lessons"): ANY_AUTHENTICATED(),
    ("GET", f"{V1}/projects/{{key}}/handoff"): READ(404),  # not handed over yet
    ("POST", f"{V1}/projects/{{key}}/handoff"): OWN(
        201, body=lambda c: {"operations_team": _handoff_ready(c).name}
    ),
    # --- lifecycle pages
    ("GET", "/portfolio/"): ANY_AUTHENTICATED(**PAGE),
    ("GET", "/portfolio/compare/"): ANY_AUTHENTICATED(**PAGE),
    ("GET", "/requests/"): ANY_AUTHENTICATED(**PAGE),
    ("GET", "/requests/new/"): ANY_AUTHENTICATED(**PAGE),
    ("POST", "/requests/new/"): ANY_AUTHENTICATED(
        302,
        body=lambda c: {
            "title": "Idea",
            "problem": "p",
            "category": "other",
            "currency": "USD",
            "urgency": "medium",
        },
        **PAGE,
    ),  # fmt: skip
    ("GET", "/requests/{request_id}/"): ANY_AUTHENTICATED(**PAGE),
    ("POST", "/requests/{request_id}/triage/"): ADMIN_ONLY(
        302,
        body=lambda c: {
            "action": "reject",
            "note": "Not now",
            "version": _lifecycle_request(c).version,
        },
        **PAGE,
    ),  # fmt: skip
    ("POST", "/requests/{request_id}/answer/"): ANY_AUTHENTICATED(302, body=_answer, **PAGE),
    ("GET", "/lessons/"): ANY_AUTHENTICATED(**PAGE),
    ("GET", "/projects/{key}/business-case/"): READ(**PAGE),
    ("POST", "/projects/{key}/business-case/"): MANAGE(
        302,
        body=lambda c: {
            "periodicity": "year",
            "discount_rate": "9",
            "line-TOTAL_FORMS": "0",
            "line-INITIAL_FORMS": "0",
        },
        **PAGE,
    ),  # fmt: skip
    ("POST", "/projects/{key}/business-case/pull-budget/"): MANAGE(
        302, body=lambda c: {"version": _case(c)["version"]}, **PAGE
    ),
    ("POST", "/projects/{key}/business-case/realized/"): Expect(
        "portfolio_manager", 302, body=_realized_page, **PAGE
    ),
    ("GET", "/projects/{key}/feasibility/"): READ(**PAGE),
    ("POST", "/projects/{key}/feasibility/"): MANAGE(
        302,
        body=lambda c: {
            "recommendation": "proceed",
            "technical_score": "4",
            **{f"{d}_weight": "1" for d in _DIMENSIONS},
        },
        **PAGE,
    ),  # fmt: skip
    ("GET", "/projects/{key}/gates/"): READ(**PAGE),
    ("POST", "/projects/{key}/gates/open/"): MANAGE(302, body=_gate_closed, **PAGE),
    ("POST", "/projects/{key}/acceptance/"): OWN(302, body=_acceptance, **PAGE),
    ("POST", "/projects/{key}/acceptors/"): MANAGE(
        302, body=lambda c: {"acceptors": [c.world.users["viewer"].pk]}, **PAGE
    ),
    ("POST", "/projects/{key}/lessons/"): WRITE(302, body=lambda c: _LESSON, **PAGE),
    ("POST", "/projects/{key}/handoff/"): OWN(
        302, body=lambda c: {"operations_team": _handoff_ready(c).pk}, **PAGE
    ),
    ("GET", "/gates/{gate_id}/"): READ(**PAGE),
    ("POST", "/gates/{gate_id}/approve/"): MANAGE(
        302, body=lambda c: {"decision": "approve"}, **PAGE
    ),
    ("POST", "/gates/{gate_id}/decide/"): MANAGE(302, body=_decision, **PAGE),
    ("POST", "/gates/{gate_id}/checklist/"): MANAGE(302, body=lambda c: {"text": "More"}, **PAGE),
    ("POST", "/gates/{gate_id}/approvers/"): MANAGE(302, body=lambda c: _NEW_APPROVER, **PAGE),
    ("POST", "/gate-items/{item_id}/toggle/"): WRITE(302, body=_tick, **PAGE),
    # --- API: planning
    ("GET", f"{V1}/projects/{{key}}/tasks"): READ(),
    ("POST", f"{V1}/projects/{{key}}/tasks"): WRITE(201, body=lambda c: {"name": "New task"}),
    ("GET", f"{V1}/tasks/{{task_id}}"): READ(),
    ("PATCH", f"{V1}/tasks/{{task_id}}"): WRITE(200, body=_versioned("test", name="Renamed")),
    ("DELETE", f"{V1}/tasks/{{task_id}}"): WRITE(204),
    ("POST", f"{V1}/tasks/{{task_id}}/move"): WRITE(
        200, body=_versioned("test", parent=None, position=1)
    ),
    ("POST", f"{V1}/tasks/{{task_id}}/indent"): WRITE(200, body=_versioned("test")),
    ("POST", f"{V1}/tasks/{{task_id}}/outdent"): WRITE(
        200, body=_versioned("code"), params={"task_id": "code"}
    ),
    ("GET", f"{V1}/projects/{{key}}/dependencies"): READ(),
    ("POST", f"{V1}/projects/{{key}}/dependencies"): WRITE(201, body=_new_link),
    ("GET", f"{V1}/dependencies/{{dependency_id}}"): READ(),
    ("PATCH", f"{V1}/dependencies/{{dependency_id}}"): WRITE(
        200, body=lambda c: {"version": c.site.dependency.version, "lag_hours": 4}
    ),
    ("DELETE", f"{V1}/dependencies/{{dependency_id}}"): WRITE(204),
    ("GET", f"{V1}/projects/{{key}}/schedule"): READ(),
    # --- API: cycles, board, labels, packages, my work
    ("GET", f"{V1}/projects/{{key}}/cycles"): READ(),
    ("POST", f"{V1}/projects/{{key}}/cycles"): MANAGE(
        201, body=lambda c: {"name": "Sprint 9", "start": "2027-02-01", "finish": "2027-02-12"}
    ),
    ("GET", f"{V1}/cycles/{{cycle_id}}"): READ(),
    ("PATCH", f"{V1}/cycles/{{cycle_id}}"): MANAGE(
        200, body=lambda c: {**_cycle_version(c), "capacity_hours": 99}
    ),
    ("POST", f"{V1}/cycles/{{cycle_id}}/start"): MANAGE(200, body=_cycle_version),
    ("POST", f"{V1}/cycles/{{cycle_id}}/close"): MANAGE(200, body=_cycle_version),
    ("POST", f"{V1}/cycles/{{cycle_id}}/commit"): WRITE(
        200, body=lambda c: {"tasks": [c.site.tasks["test"].pk]}
    ),
    ("POST", f"{V1}/cycles/{{cycle_id}}/uncommit"): WRITE(
        200, body=lambda c: {"tasks": [c.site.tasks["test"].pk]}, changes_data=False
    ),
    ("GET", f"{V1}/cycles/{{cycle_id}}/burndown"): READ(),
    ("GET", f"{V1}/projects/{{key}}/velocity"): READ(),
    ("GET", f"{V1}/projects/{{key}}/labels"): READ(),
    ("POST", f"{V1}/projects/{{key}}/labels"): WRITE(201, body=lambda c: {"name": "urgent"}),
    ("POST", f"{V1}/tasks/{{task_id}}/labels"): WRITE(
        200, body=lambda c: {"version": c.version("test"), "labels": [_matrix_label(c)]}
    ),
    ("POST", f"{V1}/tasks/{{task_id}}/board-move"): WRITE(
        200, body=_versioned("test", status="in_progress")
    ),
    ("PUT", f"{V1}/projects/{{key}}/wip-limits"): MANAGE(
        200, body=lambda c: {"version": c.project.version, "limits": {"in_progress": 3}}
    ),
    ("POST", f"{V1}/tasks/{{task_id}}/planning-package"): WRITE(
        200, body=_versioned("test", planning_package=True)
    ),
    ("POST", f"{V1}/tasks/{{task_id}}/break-down"): WRITE(
        201,
        body=_versioned("package", tasks=[{"name": "Part", "hours": 8}]),
        params={"task_id": "package"},
    ),
    ("GET", f"{V1}/my/tasks"): ANY_AUTHENTICATED(),
    # --- API: calendars, resources, assignments, leveling, baselines (tests/world_resources.py)
    ("GET", f"{V1}/calendars"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/calendars"): MANAGE(
        201, body=lambda c: {"name": "Matrix calendar", "project": c.site.project.key}
    ),
    ("GET", f"{V1}/calendars/{{calendar_id}}"): READ(),
    ("PATCH", f"{V1}/calendars/{{calendar_id}}"): MANAGE(
        200, body=lambda c: {"version": _calendar(c).version, "working_days": [0, 1, 2, 3]}
    ),
    ("POST", f"{V1}/calendars/{{calendar_id}}/exceptions"): MANAGE(
        201, body=lambda c: {"date": "2027-01-06", "name": "Shutdown"}
    ),
    ("DELETE", f"{V1}/calendars/{{calendar_id}}/exceptions/{{date}}"): MANAGE(204),
    ("GET", f"{V1}/resources"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/resources"): ANY_MANAGER(201, body=lambda c: {"name": "Matrix rack"}),
    ("GET", f"{V1}/resources/{{resource_id}}"): ANY_AUTHENTICATED(),
    ("PATCH", f"{V1}/resources/{{resource_id}}"): ANY_MANAGER(
        200, body=lambda c: {"version": _resource(c).version, "capacity": 2}
    ),
    ("GET", f"{V1}/resources/{{resource_id}}/load"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/resources/{{resource_id}}/absences"): ANY_MANAGER(
        201, body=lambda c: {"start": "2027-02-01", "finish": "2027-02-05"}
    ),
    ("DELETE", f"{V1}/resources/{{resource_id}}/absences/{{absence_id}}"): ANY_MANAGER(204),
    ("POST", f"{V1}/resources/{{resource_id}}/rates"): ANY_MANAGER(
        201, body=lambda c: {"valid_from": "2027-01-01", "rate": 80}
    ),
    ("GET", f"{V1}/projects/{{key}}/assignments"): READ(),
    ("POST", f"{V1}/projects/{{key}}/assignments"): WRITE(201, body=_new_assignment),
    ("GET", f"{V1}/assignments/{{assignment_id}}"): READ(),
    ("PATCH", f"{V1}/assignments/{{assignment_id}}"): WRITE(
        200, body=lambda c: {"version": _assignment(c).version, "units": 0.5}
    ),
    ("DELETE", f"{V1}/assignments/{{assignment_id}}"): WRITE(204),
    ("POST", f"{V1}/projects/{{key}}/schedule/level"): MANAGE(
        200, body=lambda c: {"solver": "heuristic", "time_limit": 1}
    ),
    # Nothing is leveled in the world, so clearing changes nothing.
    ("DELETE", f"{V1}/projects/{{key}}/schedule/level"): MANAGE(204, changes_data=False),
    ("GET", f"{V1}/projects/{{key}}/baselines"): READ(),
    ("POST", f"{V1}/projects/{{key}}/baselines"): MANAGE(201, body=lambda c: {"name": "Matrix"}),
    ("POST", f"{V1}/projects/{{key}}/baselines/{{baseline_id}}/activate"): MANAGE(200),
    ("GET", f"{V1}/projects/{{key}}/baselines/{{baseline_id}}/variance"): READ(),
    # --- API: the shell (documents, not data)
    ("GET", f"{V1}/openapi.json"): PUBLIC(),
    ("GET", f"{V1}/docs"): PUBLIC(),
    ("GET", f"{V1}/"): PUBLIC(404),
    ("GET", "/api/openapi.json"): PUBLIC(),
    ("GET", "/api/docs"): PUBLIC(302),
    # --- site
    ("GET", "/"): PUBLIC(302),
    # The portal guard lets /login/ through: outside requesters log in and reset passwords too.
    ("GET", "/login/"): PUBLIC(requester="ok"),
    # Password reset and e-mail verification (issue 10): public, the same answer for every
    # address; the e-mail page is anyone's own (outside requesters too).
    ("GET", "/login/reset/"): PUBLIC(requester="ok"),
    ("POST", "/login/reset/"): PUBLIC(
        302, requester="ok", body=lambda c: {"email": "someone@example.com"}, changes_data=False
    ),
    ("GET", "/login/reset/sent/"): PUBLIC(requester="ok"),
    ("GET", "/login/reset/{uidb64}/{token}/"): PUBLIC(requester="ok"),
    ("GET", "/login/reset/done/"): PUBLIC(requester="ok"),
    ("GET", "/login/email/"): ANY_AUTHENTICATED(requester="ok", **PAGE),
    ("POST", "/login/email/send/"): ANY_AUTHENTICATED(
        302, requester="ok", body=lambda c: {}, changes_data=False, **PAGE
    ),
    ("GET", "/login/email/{token}/"): PUBLIC(requester="ok"),
    # Load balancers and monitors ask anonymously; the portal wall still keeps requesters out.
    ("GET", "/healthz"): PUBLIC(requester="walled"),
    ("POST", "/logout/"): PUBLIC(302, body=lambda c: {}, changes_data=False),
    # Django's admin sends everyone who is not staff to its own login page.
    ("GET", "/admin/"): ADMIN_ONLY(200, low=302, anon=302),
    # --- web pages. A page form answers a too-low role the way it answers any refused
    # change (the form again with the error, or a redirect with a message), not with 403;
    # the database checks below prove that nothing was changed.
    ("GET", "/projects/"): ANY_AUTHENTICATED(requester_status=302, **PAGE),
    ("GET", "/projects/new/"): ANY_AUTHENTICATED(**PAGE),
    ("POST", "/projects/new/"): ANY_AUTHENTICATED(
        302,
        body=lambda c: {"key": "NEW", "name": "N", "category": "other", "currency": "USD"},
        **PAGE,
    ),
    ("GET", "/projects/{key}/"): READ(**PAGE),
    ("GET", "/projects/{key}/plan/"): READ(**PAGE),
    ("GET", "/projects/{key}/gantt/"): READ(**PAGE),
    ("POST", "/projects/{key}/plan/tasks/"): WRITE(
        302, body=lambda c: {"name": "New task", "duration_hours": "8"}, **PAGE
    ),
    ("POST", "/projects/{key}/plan/dependencies/"): WRITE(
        302, body=lambda c: {**_new_link(c), "type": "FS", "lag_hours": "0"}, **PAGE
    ),
    ("GET", "/projects/{key}/activity/"): READ(**PAGE),
    ("GET", "/projects/{key}/settings/"): READ(**PAGE),
    ("POST", "/projects/{key}/settings/"): MANAGE(302, body=_project_form, **PAGE),
    ("POST", "/projects/{key}/archive/"): OWN(302, body=lambda c: {}, **PAGE),
    ("POST", "/projects/{key}/members/"): MANAGE(
        302, body=lambda c: {"username": "newbie", "role": "viewer"}, **PAGE
    ),
    ("POST", "/projects/{key}/members/{username}/remove/"): MANAGE(302, body=lambda c: {}, **PAGE),
    # --- resource planning pages; refused page forms redirect with a message (or show it)
    ("GET", "/projects/{key}/resources/"): READ(**PAGE),
    ("POST", "/projects/{key}/resources/level/"): MANAGE(
        302, body=lambda c: {"solver": "heuristic", "time_limit": "1"}, **PAGE
    ),
    ("GET", "/projects/{key}/resources/level/status/"): READ(**PAGE),
    # Without an open preview these answer with a message and change nothing.
    ("POST", "/projects/{key}/resources/level/apply/"): MANAGE(
        302, body=lambda c: {}, changes_data=False, **PAGE
    ),
    ("POST", "/projects/{key}/resources/level/discard/"): MANAGE(
        302, body=lambda c: {}, changes_data=False, **PAGE
    ),
    ("POST", "/projects/{key}/resources/level/clear/"): MANAGE(
        302, body=lambda c: {}, changes_data=False, **PAGE
    ),
    ("POST", "/projects/{key}/assignments/"): WRITE(
        302, body=lambda c: {**_new_assignment(c), "units": "50"}, **PAGE
    ),
    ("POST", "/assignments/{assignment_id}/delete/"): WRITE(302, body=lambda c: {}, **PAGE),
    ("GET", "/projects/{key}/calendar/"): READ(**PAGE),
    ("POST", "/projects/{key}/calendar/"): MANAGE(
        302,
        body=lambda c: {
            "working_days": ["0", "1", "2", "3"],
            "working_hours": "09:00-17:00",
            "timezone": "UTC",
            "version": str(_calendar(c).version),
        },
        **PAGE,
    ),  # fmt: skip
    ("POST", "/projects/{key}/calendar/exceptions/"): MANAGE(
        302, body=lambda c: {"date": "2027-01-06", "name": "Shutdown"}, **PAGE
    ),
    ("POST", "/projects/{key}/calendar/exceptions/remove/"): MANAGE(
        302, body=lambda c: {"date": "2027-02-15"}, **PAGE
    ),
    ("GET", "/projects/{key}/baselines/"): READ(**PAGE),
    ("POST", "/projects/{key}/baselines/"): MANAGE(302, body=lambda c: {"name": "Matrix"}, **PAGE),
    ("POST", "/projects/{key}/baselines/activate/"): MANAGE(
        302, body=lambda c: {"baseline": str(c.site.extra["baseline_id"])}, **PAGE
    ),
    ("GET", "/resources/"): ANY_AUTHENTICATED(**PAGE),
    ("POST", "/resources/"): ANY_MANAGER(
        302, body=lambda c: {"name": "Matrix rack", "kind": "hardware"}, **PAGE
    ),
    ("GET", "/resources/{resource_id}/"): ANY_AUTHENTICATED(**PAGE),
    ("POST", "/resources/{resource_id}/"): ANY_MANAGER(
        302,
        body=lambda c: {
            "version": str(_resource(c).version),
            "name": "Rack 2",
            "kind": "hardware",
            "capacity": "1",
            "active": "on",
        },
        **PAGE,
    ),  # fmt: skip
    ("POST", "/resources/{resource_id}/absences/"): ANY_MANAGER(
        302, body=lambda c: {"start": "2027-02-01", "finish": "2027-02-05"}, **PAGE
    ),
    ("POST", "/resources/{resource_id}/rates/"): ANY_MANAGER(
        302, body=lambda c: {"valid_from": "2027-01-01", "rate": "80"}, **PAGE
    ),
    ("GET", "/tasks/{task_id}/row/"): READ(**PAGE),
    # --- execution pages: cycles, board, my work
    ("GET", "/my-work/"): ANY_AUTHENTICATED(**PAGE),
    # Anyone logged in may post; a task they cannot see is a 404, a viewer's change is
    # refused on the row (200 with the message) and changes nothing.
    ("POST", "/my-work/tasks/{task_id}/status/"): WRITE(
        302, body=_versioned("test", status="in_progress"), **PAGE
    ),
    ("GET", "/projects/{key}/cycles/"): READ(**PAGE),
    ("POST", "/projects/{key}/cycles/new/"): MANAGE(302, body=_cycle_form, **PAGE),
    ("POST", "/projects/{key}/cycles/packages/"): WRITE(
        302, body=lambda c: {"task": c.site.tasks["test"].pk}, **PAGE
    ),
    ("POST", "/projects/{key}/cycles/packages/{task_id}/break-down/"): WRITE(
        302,
        body=_versioned("package", lines="Part; 8"),
        params={"task_id": "package"},
        **PAGE,
    ),
    ("GET", "/projects/{key}/cycles/{cycle_id}/"): READ(**PAGE),
    ("POST", "/projects/{key}/cycles/{cycle_id}/edit/"): MANAGE(
        302, body=lambda c: {**_cycle_form(c), **_cycle_version(c)}, **PAGE
    ),
    ("POST", "/projects/{key}/cycles/{cycle_id}/commit/"): WRITE(
        302, body=lambda c: {"tasks": [c.site.tasks["test"].pk]}, **PAGE
    ),
    ("POST", "/projects/{key}/cycles/{cycle_id}/{action}/"): MANAGE(
        302, body=_cycle_version, params={"action": "start"}, **PAGE
    ),
    ("GET", "/projects/{key}/board/"): READ(**PAGE),
    ("POST", "/projects/{key}/board/wip/"): MANAGE(
        302, body=lambda c: {"version": c.project.version, "in_progress": "3"}, **PAGE
    ),
    ("POST", "/projects/{key}/board/labels/"): WRITE(
        302, body=lambda c: {"name": "urgent", "color": "#dc2626"}, **PAGE
    ),
    ("POST", "/projects/{key}/board/cards/{task_id}/"): WRITE(
        302, body=_versioned("test", status="in_progress"), **PAGE
    ),
    ("GET", "/tasks/{task_id}/edit/{field}/"): READ(**PAGE),
    ("POST", "/tasks/{task_id}/edit/{field}/"): WRITE(
        200, body=_versioned("test", name="Renamed"), **PAGE
    ),
    ("POST", "/tasks/{task_id}/{action}/"): WRITE(302, body=_versioned("test"), **PAGE),
    ("POST", "/dependencies/{dependency_id}/delete/"): WRITE(302, body=lambda c: {}, **PAGE),
}


# ---------------------------------------------------------------------------- help desk
# The world's queue of the "Matrix desk" team (its only member, ``member``, is the agent),
# a ticket raised by the outside requester, and an asset and a service of that team.
_AGENTS = ("member", "admin")


def _helpdesk(c: Case) -> dict[str, Any]:
    """The world's help-desk objects (tests/world.py), fresh from the database."""
    return {name: type(obj).objects.get(pk=obj.pk) for name, obj in c.world.helpdesk.items()}


_HELPDESK_PARAMS: dict[str, Callable[[dict[str, Any]], str]] = {
    "queue_key": lambda h: h["queue"].key,
    "policy_id": lambda h: str(h["policy"].pk),
    "ticket_id": lambda h: str(h["ticket"].pk),
    "attachment_id": lambda h: str(h["attachment"].pk),
    "asset_id": lambda h: str(h["asset"].pk),
    "service_id": lambda h: str(h["service"].pk),
}


def AGENT(ok: int, **kw: Any) -> Expect:
    """Agents of the queue's team (and owner-team members for assets) and site admins."""
    return Expect("agent", ok, **kw)


def PORTAL(ok: int = 200, **kw: Any) -> Expect:
    """The requester portal: every logged-in person, for their own tickets only."""
    return Expect("authenticated", ok, requester="ok", **kw)


def REQUESTER_ONLY(ok: int = 200, **kw: Any) -> Expect:
    """One of the outside requester's own tickets: everyone else gets 404."""
    return Expect("requester", ok, requester="ok", **kw)


def _hd_version(obj: str, **extra: Any) -> Callable[[Case], dict[str, Any]]:
    return lambda c: {"version": _helpdesk(c)[obj].version, **extra}


def _hd_file(name: str = "note.txt", content: bytes = b"hello") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/plain")


def _hd_policy_form(c: Case, name: str = "Matrix gold") -> dict[str, Any]:
    form: dict[str, Any] = {"name": name, "warning_percent": "80", "reopen_window_days": "5",
                            "version": _helpdesk(c)["policy"].version}  # fmt: skip
    for priority in ("P1", "P2", "P3", "P4"):
        form.update({f"{priority}_first_response": "1", f"{priority}_resolution": "8"})
    return form


def _hd_queue_form(c: Case, key: str = "") -> dict[str, Any]:
    queue = _helpdesk(c)["queue"]
    form: dict[str, Any] = {"key": key, "name": "Matrix desk renamed", "team": str(queue.team_id),
                            "time_zone": "UTC", "sla_policy": "", "calendar": "",
                            "categories": "Access", "version": queue.version}  # fmt: skip
    for impact in ("high", "medium", "low"):
        for urgency in ("high", "medium", "low"):
            form[f"matrix_{impact}_{urgency}"] = "P2"
    return form


def _import_file(c: Case) -> dict[str, Any]:
    csv = b"tag,name,asset_type,owner_team\nMX-100,Imported switch,switch,Matrix desk\n"
    return {"file": _hd_file("assets.csv", csv), "dry_run": "false", "apply": "on"}


def _ticket_form(c: Case) -> dict[str, Any]:
    t = _helpdesk(c)["ticket"]
    return {"version": t.version, "status": "open", "assignee": "", "priority": "P2",
            "impact": "high", "urgency": "low", "ticket_type": "incident", "category": ""}  # fmt: skip


def _asset_form(c: Case, **extra: Any) -> dict[str, Any]:
    team = _helpdesk(c)["team"]
    return {"asset_type": "server", "name": "Web server", "tag": "MX-200", "status": "ordered",
            "owner_team": str(team.pk), "currency": "USD", **extra}  # fmt: skip


HELPDESK_ROUTES: dict[tuple[str, str], Expect] = {
    # --- API: SLA policies and queues (readable by every internal user)
    ("GET", f"{V1}/sla-policies"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/sla-policies"): ADMIN_ONLY(201, body=lambda c: {"name": "Gold"}),
    ("GET", f"{V1}/sla-policies/{{policy_id}}"): ANY_AUTHENTICATED(),
    ("PATCH", f"{V1}/sla-policies/{{policy_id}}"): ADMIN_ONLY(
        200, body=_hd_version("policy", warning_percent=80)
    ),
    ("GET", f"{V1}/queues"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/queues"): ADMIN_ONLY(
        201, body=lambda c: {"key": "NEWQ", "name": "New", "team": "Matrix desk"}
    ),
    ("GET", f"{V1}/queues/{{queue_key}}"): ANY_AUTHENTICATED(),
    ("PATCH", f"{V1}/queues/{{queue_key}}"): AGENT(200, body=_hd_version("queue", name="Renamed")),
    # --- API: tickets (agents; the requester uses the portal API)
    ("GET", f"{V1}/tickets"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/tickets"): ANY_AUTHENTICATED(
        201, body=lambda c: {"queue": _helpdesk(c)["queue"].key, "title": "Help"}
    ),
    ("GET", f"{V1}/tickets/{{ticket_id}}"): AGENT(200, low_outcome="hidden"),
    ("PATCH", f"{V1}/tickets/{{ticket_id}}"): AGENT(
        200, low_outcome="hidden", body=_hd_version("ticket", status="pending_requester")
    ),
    ("GET", f"{V1}/tickets/{{ticket_id}}/comments"): AGENT(200, low_outcome="hidden"),
    ("POST", f"{V1}/tickets/{{ticket_id}}/comments"): AGENT(
        201, low_outcome="hidden", body=lambda c: {"body": "Fixed", "public": False}
    ),
    ("GET", f"{V1}/tickets/{{ticket_id}}/attachments"): AGENT(200, low_outcome="hidden"),
    ("POST", f"{V1}/tickets/{{ticket_id}}/attachments"): AGENT(
        201, low_outcome="hidden", body=lambda c: {"file": _hd_file()}
    ),
    ("GET", f"{V1}/tickets/{{ticket_id}}/history"): AGENT(200, low_outcome="hidden"),
    ("POST", f"{V1}/tickets/{{ticket_id}}/escalate"): AGENT(
        200, low_outcome="hidden", body=lambda c: {"kind": "request"}
    ),
    # --- API: the portal, scoped to the requester's own tickets
    ("GET", f"{V1}/portal/queues"): PORTAL(),
    ("GET", f"{V1}/portal/tickets"): PORTAL(),
    ("POST", f"{V1}/portal/tickets"): PORTAL(
        201, body=lambda c: {"queue": _helpdesk(c)["queue"].key, "title": "New laptop"}
    ),
    ("GET", f"{V1}/portal/tickets/{{ticket_id}}"): REQUESTER_ONLY(),
    ("GET", f"{V1}/portal/tickets/{{ticket_id}}/comments"): REQUESTER_ONLY(),
    ("POST", f"{V1}/portal/tickets/{{ticket_id}}/comments"): REQUESTER_ONLY(
        201, body=lambda c: {"body": "Thanks"}
    ),
    ("GET", f"{V1}/portal/tickets/{{ticket_id}}/attachments"): REQUESTER_ONLY(),
    ("POST", f"{V1}/portal/tickets/{{ticket_id}}/attachments"): REQUESTER_ONLY(
        201, body=lambda c: {"file": _hd_file()}
    ),
    # --- API: assets and services (read: internal users; write: owner team, admins)
    ("GET", f"{V1}/assets"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/assets"): AGENT(
        201,
        body=lambda c: {
            "asset_type": "server",
            "name": "N",
            "tag": "MX-300",
            "owner_team": "Matrix desk",
        },
    ),  # fmt: skip
    # Rows of teams the caller may not edit come back as row errors; nothing is written.
    ("POST", f"{V1}/assets/import"): AGENT(200, low=200, body=_import_file),
    ("GET", f"{V1}/assets/{{asset_id}}"): ANY_AUTHENTICATED(),
    ("PATCH", f"{V1}/assets/{{asset_id}}"): AGENT(200, body=_hd_version("asset", status="retired")),
    ("GET", f"{V1}/assets/{{asset_id}}/history"): ANY_AUTHENTICATED(),
    ("GET", f"{V1}/services"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/services"): AGENT(
        201, body=lambda c: {"name": "New svc", "owner_team": "Matrix desk"}
    ),
    ("GET", f"{V1}/services/{{service_id}}"): ANY_AUTHENTICATED(),
    ("PATCH", f"{V1}/services/{{service_id}}"): AGENT(
        200, body=_hd_version("service", hours="24x7")
    ),
    # --- pages: help desk
    ("GET", "/helpdesk/"): ANY_AUTHENTICATED(**PAGE),
    ("GET", "/helpdesk/tickets/"): ANY_AUTHENTICATED(**PAGE),
    ("GET", "/helpdesk/tickets/new/"): ANY_AUTHENTICATED(**PAGE),
    ("POST", "/helpdesk/tickets/new/"): ANY_AUTHENTICATED(
        302,
        body=lambda c: {
            "queue": _helpdesk(c)["queue"].key,
            "title": "Help",
            "ticket_type": "incident",
            "impact": "low",
            "urgency": "low",
        },
        **PAGE,
    ),  # fmt: skip
    # A bulk action names tickets; those the caller may not work on are not found.
    ("POST", "/helpdesk/tickets/bulk/"): AGENT(
        302,
        body=lambda c: {"ticket": str(_helpdesk(c)["ticket"].pk), "action": "close"},
        **PAGE,
    ),
    ("GET", "/helpdesk/tickets/{ticket_id}/"): AGENT(200, low_outcome="hidden", **PAGE),
    ("POST", "/helpdesk/tickets/{ticket_id}/update/"): AGENT(
        302, low_outcome="hidden", body=_ticket_form, **PAGE
    ),
    ("POST", "/helpdesk/tickets/{ticket_id}/comment/"): AGENT(
        302, low_outcome="hidden", body=lambda c: {"body": "Hello", "public": "on"}, **PAGE
    ),
    ("POST", "/helpdesk/tickets/{ticket_id}/escalate/"): AGENT(
        302, low_outcome="hidden", body=lambda c: {"kind": "request"}, **PAGE
    ),
    ("GET", "/helpdesk/queues/{queue_key}/"): ANY_AUTHENTICATED(302, **PAGE),
    ("POST", "/helpdesk/filters/"): ANY_AUTHENTICATED(
        302, body=lambda c: {"name": "Open", "query": "open=1"}, **PAGE
    ),
    ("GET", "/helpdesk/settings/"): AGENT(200, **PAGE),
    ("GET", "/helpdesk/settings/queues/new/"): ADMIN_ONLY(200, **PAGE),
    ("POST", "/helpdesk/settings/queues/new/"): ADMIN_ONLY(
        302, body=lambda c: _hd_queue_form(c, key="MXNEW"), **PAGE
    ),
    ("GET", "/helpdesk/settings/queues/{queue_key}/"): AGENT(200, **PAGE),
    ("POST", "/helpdesk/settings/queues/{queue_key}/"): AGENT(302, body=_hd_queue_form, **PAGE),
    ("GET", "/helpdesk/settings/sla-policies/new/"): ADMIN_ONLY(200, **PAGE),
    ("POST", "/helpdesk/settings/sla-policies/new/"): ADMIN_ONLY(
        302, body=lambda c: _hd_policy_form(c, "Matrix new policy"), **PAGE
    ),
    ("GET", "/helpdesk/settings/sla-policies/{policy_id}/"): ADMIN_ONLY(200, **PAGE),
    ("POST", "/helpdesk/settings/sla-policies/{policy_id}/"): ADMIN_ONLY(
        302, body=_hd_policy_form, **PAGE
    ),
    ("GET", "/helpdesk/reports/"): ANY_AUTHENTICATED(**PAGE),
    ("GET", "/helpdesk/attachments/{attachment_id}/"): AGENT(200, low_outcome="hidden", **PAGE),
    # --- pages: the requester portal
    ("GET", "/portal/"): PORTAL(**PAGE),
    ("GET", "/portal/new/"): PORTAL(**PAGE),
    ("POST", "/portal/new/"): PORTAL(
        302,
        body=lambda c: {
            "queue": _helpdesk(c)["queue"].key,
            "title": "Help",
            "ticket_type": "incident",
            "urgency": "low",
            "category": "",
        },
        **PAGE,
    ),  # fmt: skip
    ("GET", "/portal/tickets/{ticket_id}/"): REQUESTER_ONLY(**PAGE),
    ("POST", "/portal/tickets/{ticket_id}/reply/"): REQUESTER_ONLY(
        302, body=lambda c: {"body": "Thanks"}, **PAGE
    ),
    ("GET", "/portal/attachments/{attachment_id}/"): REQUESTER_ONLY(**PAGE),
    # --- pages: assets and services (a refused form answers 422 with the error)
    ("GET", "/assets/"): ANY_AUTHENTICATED(**PAGE),
    ("GET", "/assets/new/"): ANY_AUTHENTICATED(**PAGE),
    ("POST", "/assets/new/"): AGENT(302, body=_asset_form, **PAGE),
    ("GET", "/assets/import/"): ANY_AUTHENTICATED(**PAGE),
    ("POST", "/assets/import/"): AGENT(302, body=_import_file, **PAGE),
    ("GET", "/assets/{asset_id}/"): ANY_AUTHENTICATED(**PAGE),
    ("GET", "/assets/{asset_id}/edit/"): ANY_AUTHENTICATED(**PAGE),
    ("POST", "/assets/{asset_id}/edit/"): AGENT(
        302,
        body=lambda c: _asset_form(
            c, tag="MX-001", version=str(_helpdesk(c)["asset"].version), status="retired"
        ),
        **PAGE,
    ),  # fmt: skip
    ("GET", "/services/"): ANY_AUTHENTICATED(**PAGE),
    ("GET", "/services/new/"): ANY_AUTHENTICATED(**PAGE),
    ("POST", "/services/new/"): AGENT(
        302,
        body=lambda c: {"name": "Svc", "owner_team": str(_helpdesk(c)["team"].pk)},
        **PAGE,
    ),  # fmt: skip
    ("GET", "/services/{service_id}/"): ANY_AUTHENTICATED(**PAGE),
}
ROUTES.update(HELPDESK_ROUTES)

TRACKING_ROUTES: dict[tuple[str, str], Expect] = {
    # --- tracking (issue 6): budgets, costs, procurement, time, EVM, status reports
    ("GET", f"{V1}/projects/{{key}}/budget"): READ(),
    ("PATCH", f"{V1}/projects/{{key}}/budget"): MANAGE(200, body=tm.finance_patch),
    ("POST", f"{V1}/projects/{{key}}/budget/lines"): MANAGE(201, body=tm.line_body),
    ("PATCH", f"{V1}/budget-lines/{{line_id}}"): MANAGE(200, body=tm.line_patch),
    ("DELETE", f"{V1}/budget-lines/{{line_id}}"): MANAGE(204, params={"line_id": "spare"}),
    ("GET", f"{V1}/projects/{{key}}/costs"): READ(),
    ("POST", f"{V1}/projects/{{key}}/expenses"): MANAGE(201, body=tm.expense_body),
    ("GET", f"{V1}/purchase-requests"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/purchase-requests"): WRITE(201, body=tm.request_body),
    ("GET", f"{V1}/purchase-requests/{{pr_id}}"): READ(),
    ("POST", f"{V1}/purchase-requests/{{pr_id}}/submit"): WRITE(
        200, body=tm.decision("draft"), params={"pr_id": "draft"}
    ),
    # Procurement approves; over the threshold the project's manager approves too.
    ("POST", f"{V1}/purchase-requests/{{pr_id}}/approve"): MANAGE(
        200, body=tm.decision("submitted")
    ),
    ("POST", f"{V1}/purchase-requests/{{pr_id}}/reject"): MANAGE(
        200, body=tm.decision("submitted")
    ),
    ("GET", f"{V1}/purchase-orders"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/purchase-orders"): MANAGE(201, body=tm.order_body),
    ("GET", f"{V1}/purchase-orders/{{po_id}}"): READ(),
    ("POST", f"{V1}/purchase-orders/{{po_id}}/receipts"): WRITE(201, body=tm.receipt_body),
    ("POST", f"{V1}/purchase-orders/{{po_id}}/invoices"): MANAGE(201, body=tm.invoice_body),
    ("POST", f"{V1}/purchase-orders/{{po_id}}/close"): MANAGE(200, body=tm.close_body),
    ("POST", f"{V1}/purchase-orders/{{po_id}}/cancel"): MANAGE(200, body=tm.cancel_body),
    ("POST", f"{V1}/invoices/{{invoice_id}}/accept"): MANAGE(200, body=tm.accept_body),
    ("GET", f"{V1}/time-entries"): ANY_AUTHENTICATED(),
    ("POST", f"{V1}/time-entries"): WRITE(201, body=tm.entry_body),
    # A time entry is its author's (mia on APL); managers read it; only the author edits it.
    ("GET", f"{V1}/time-entries/{{entry_id}}"): ByActor(
        "custom", 200, own=(("member", "ok"), ("manager", "ok"), ("owner", "ok"), ("admin", "ok"))
    ),
    ("PATCH", f"{V1}/time-entries/{{entry_id}}"): ByActor(
        "custom",
        200,
        body=tm.entry_patch,
        own=(("member", "ok"), ("manager", "low"), ("owner", "low"), ("admin", "low")),
    ),  # fmt: skip
    ("DELETE", f"{V1}/time-entries/{{entry_id}}"): ByActor(
        "custom",
        204,
        own=(("member", "ok"), ("manager", "low"), ("owner", "low"), ("admin", "low")),
    ),
    ("GET", f"{V1}/timesheets"): ANY_AUTHENTICATED(),
    # Only mia has time in that week; everyone else has nothing to submit (409).
    ("POST", f"{V1}/timesheets/submit"): ByActor(
        "custom",
        200,
        low=409,
        body=tm.submit_body,
        own=tuple((a, "ok" if a == "member" else "low") for a in ACTORS),
    ),  # fmt: skip
    ("POST", f"{V1}/timesheets/{{sheet_id}}/approve"): ByActor(
        "custom",
        200,
        body=tm.sheet_body,
        own=(("member", "low"), ("manager", "ok"), ("owner", "ok"), ("admin", "ok")),
    ),  # fmt: skip
    ("POST", f"{V1}/timesheets/{{sheet_id}}/reject"): ByActor(
        "custom",
        200,
        body=tm.sheet_body,
        own=(("member", "low"), ("manager", "ok"), ("owner", "ok"), ("admin", "ok")),
    ),  # fmt: skip
    ("POST", f"{V1}/timer/start"): WRITE(201, body=tm.timer_body),
    # Stopping needs a running timer: only those who may log time on the task have one.
    ("POST", f"{V1}/timer/stop"): ByActor(
        "custom",
        201,
        low=409,
        body=tm.running_timer,
        own=(("outsider", "low"), ("viewer", "low"), *((a, "ok") for a in tm.TIMER_ACTORS)),
    ),  # fmt: skip
    ("POST", f"{V1}/tasks/{{task_id}}/progress"): WRITE(
        200, body=lambda c: {"percent_complete": 10}
    ),
    ("GET", f"{V1}/projects/{{key}}/evm"): READ(),
    ("GET", f"{V1}/projects/{{key}}/evm/history"): READ(),
    ("GET", f"{V1}/evm/portfolio"): ANY_AUTHENTICATED(),
    ("GET", f"{V1}/projects/{{key}}/status-reports"): READ(),
    ("POST", f"{V1}/projects/{{key}}/status-reports"): MANAGE(
        201, body=lambda c: {"status_date": "2027-01-29"}
    ),
    ("GET", f"{V1}/projects/{{key}}/status-reports/{{report_id}}"): READ(),
    ("PATCH", f"{V1}/projects/{{key}}/status-reports/{{report_id}}"): MANAGE(
        200, body=tm.report_patch
    ),
    ("POST", f"{V1}/projects/{{key}}/status-reports/{{report_id}}/send"): MANAGE(202),
    ("GET", f"{V1}/projects/{{key}}/status-reports/{{report_id}}.pdf"): READ(),
    ("GET", "/projects/{key}/budget/"): READ(**PAGE),
    ("POST", "/projects/{key}/budget/lines/"): MANAGE(302, body=tm.line_form, **PAGE),
    ("POST", "/projects/{key}/budget/expenses/"): MANAGE(302, body=tm.expense_body, **PAGE),
    ("POST", "/projects/{key}/budget/purchase-requests/"): WRITE(302, body=tm.request_form, **PAGE),
    ("POST", "/purchase-requests/{pr_id}/{action}/"): WRITE(
        302, body=lambda c: {}, params={"pr_id": "draft", "action": "submit"}, **PAGE
    ),
    ("GET", "/purchase-orders/{po_id}/"): READ(**PAGE),
    ("POST", "/purchase-orders/{po_id}/{action}/"): WRITE(
        302, body=tm.receive_form, params={"action": "receive"}, **PAGE
    ),
    ("GET", "/projects/{key}/reports/"): READ(**PAGE),
    ("POST", "/projects/{key}/reports/"): MANAGE(
        302, body=lambda c: {"status_date": "2027-01-29"}, **PAGE
    ),
    ("GET", "/projects/{key}/reports/{report_id}/"): READ(**PAGE),
    ("POST", "/projects/{key}/reports/{report_id}/"): MANAGE(302, body=tm.report_patch, **PAGE),
    ("GET", "/projects/{key}/reports/{report_id}.pdf"): READ(**PAGE),
    ("POST", "/projects/{key}/reports/{report_id}/send/"): MANAGE(302, body=lambda c: {}, **PAGE),
    ("GET", "/timesheet/"): ANY_AUTHENTICATED(**PAGE),
    ("POST", "/timesheet/"): ANY_AUTHENTICATED(302, body=tm.grid_form, **PAGE),
    ("GET", "/timesheet/approvals/"): ANY_AUTHENTICATED(**PAGE),
    ("POST", "/timesheets/{sheet_id}/{action}/"): ByActor(
        "custom",
        302,
        body=tm.sheet_body,
        params={"action": "approve"},
        own=(("member", "low"), ("manager", "ok"), ("owner", "ok"), ("admin", "ok")),
        **PAGE,
    ),  # fmt: skip
    # The page stops your own timer; without the right to log there, nothing changes.
    ("POST", "/timer/stop/"): ByActor(
        "custom",
        302,
        low=302,  # no timer of one's own running: back to the page with a message
        body=tm.running_timer,
        own=(
            ("outsider", "low"),
            ("viewer", "low"),
            ("member", "ok"),
            ("manager", "ok"),
            ("owner", "ok"),
            ("admin", "ok"),
        ),
        **PAGE,
    ),  # fmt: skip
    ("GET", "/tasks/{task_id}/time/"): READ(**PAGE),
    ("POST", "/tasks/{task_id}/time/progress/"): WRITE(
        302, body=lambda c: {"percent_complete": "10"}, **PAGE
    ),
    ("POST", "/tasks/{task_id}/time/timer/"): WRITE(302, body=lambda c: {}, **PAGE),
    ("GET", "/dashboard/"): ANY_AUTHENTICATED(**PAGE),
}
ROUTES.update(TRACKING_ROUTES)


# Control (issue 7): risks, forecast, issues, change requests, decisions, quality.
ROUTES.update(cm.routes(V1, READ, WRITE, MANAGE, Expect, PAGE))

# Notifications, calendar feeds and task comments (issue 9).
ROUTES.update(nm.routes(V1, READ, WRITE, Expect, PAGE))

# Webhooks (issue 9): subscriptions, the delivery log, redelivery.
ROUTES.update(wm.routes(V1, MANAGE, ADMIN_ONLY, ANY_AUTHENTICATED, PAGE))

# Documents and custom fields: attachments with versions, task fields.
ROUTES.update(dm.routes(V1, READ, WRITE, MANAGE, Expect, PAGE))

# Interop (issue 9): task CSV/XLSX import and export, project JSON archive.
ROUTES.update(im.routes(V1, READ, WRITE, MANAGE, Expect, PAGE))


# ---------------------------------------------------------------------------- discovery
def _template(route: str) -> str:
    """``projects/<str:key>/`` → ``/projects/{key}/``: one spelling for URL conf and OpenAPI."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            yield prefix + str(pattern.pattern)


def url_conf_templates() -> set[str]:
    # The admin site is Django's own; it is one entry ("staff only"), not ~40.
    return {
        "/admin/" if t.startswith("/admin/") else t
        for t in map(_template, _walk(get_resolver().url_patterns))
    }


def openapi_operations() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema(path_prefix=f"{V1}/")["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


def test_every_api_operation_has_a_table_entry() -> None:
    table = {key for key in ROUTES if key[1].startswith(f"{V1}/")}
    documents = {(m, p) for m, p in table if p in (f"{V1}/openapi.json", f"{V1}/docs", f"{V1}/")}
    missing = openapi_operations() - table
    assert not missing, f"API operations without a permission-matrix entry: {sorted(missing)}"
    stale = table - documents - openapi_operations()
    assert not stale, f"permission-matrix entries for no API operation: {sorted(stale)}"


def test_every_url_pattern_has_a_table_entry() -> None:
    routes = {path for _, path in ROUTES}
    missing = url_conf_templates() - routes
    assert not missing, f"URL patterns without a permission-matrix entry: {sorted(missing)}"
    assert url_conf_templates() == routes


def test_the_api_url_patterns_are_the_openapi_paths() -> None:
    """The API's URL patterns and its document name the same paths, so both feed the table."""
    from_urls = {t for t in url_conf_templates() if t.startswith(f"{V1}/")}
    extra = {f"{V1}/openapi.json", f"{V1}/docs", f"{V1}/"}
    assert from_urls - extra == {path for _, path in openapi_operations()}


# ---------------------------------------------------------------------------- the cases
def _project_scoped(path: str) -> bool:
    if any(p in path for p in (*tm.TRACKING_SCOPED, *wm.SCOPED)):
        return True
    return any(
        p in path
        for p in (
            "{key}",
            "{task_id}",
            "{dependency_id}",
            "{token_id}",
            "{gate_id}",
            "{item_id}",
            "{cycle_id}",
            "{calendar_id}",
            "{assignment_id}",
            *nm.NOTIFY_SCOPED,
        )
    )


def _cases() -> Iterator[Any]:
    for method, path in ROUTES:
        targets = ("own", "foreign") if _project_scoped(path) else ("none",)
        for target in targets:
            for actor in ACTORS:
                yield pytest.param(
                    method, path, actor, target, id=f"{method} {path} {actor}@{target}"
                )


def client_for(world: World, actor: str, path: str) -> Client:
    if actor == "anonymous":
        return Client()
    if path.startswith("/api/"):
        return Client(headers={"Authorization": f"Bearer {world.tokens[actor]}"})
    client = Client()
    client.force_login(world.users[actor])
    return client


def send(client: Client, method: str, url: str, body: dict[str, Any] | None) -> Any:
    if url.startswith("/api/"):
        if body is None:
            return client.generic(method, url)
        if any(hasattr(value, "read") for value in body.values()):
            return client.post(url, body)  # a file upload: multipart form
        return client.generic(method, url, json.dumps(body), content_type="application/json")
    if method == "GET":
        return client.get(url)
    return client.post(url, body or {})


def fill(case: Case, path: str, expect: Expect) -> str:
    return re.sub(
        r"\{(\w+)\}", lambda m: case.param(m.group(1), expect.params.get(m.group(1))), path
    )


@pytest.mark.parametrize(("method", "path", "actor", "target"), list(_cases()))
def test_permission_matrix(
    world: World, db: Any, method: str, path: str, actor: str, target: str
) -> None:
    expect = ROUTES[(method, path)]
    case = Case(world=world, actor=actor, target=target)
    url = fill(case, path, expect)
    body = expect.body(case) if expect.body else None
    before = world.baseline  # every test starts from it: the last test's writes were rolled back

    response = send(client_for(world, actor, path), method, url, body)

    wanted = expect.status_for(actor, target)
    assert response.status_code == wanted, (
        f"{method} {url} as {actor}: expected {wanted}, got {response.status_code}: "
        f"{response.content[:300]!r}"
    )
    changed = changed_tables(before, db_state())
    if method == "GET" or not expect.allowed(actor, target) or not expect.changes_data:
        assert not changed, f"{method} {url} as {actor} changed {changed}"
    else:
        assert changed, f"{method} {url} as {actor} was allowed but changed nothing"
    if actor == "anonymous" and expect.anon == 302 and expect.who != "public":
        assert "/login/" in response["Location"]


# ---------------------------------------------------------------------------- archived
ARCHIVED_WRITES = [
    pytest.param(method, path, id=f"{method} {path}")
    for (method, path), expect in ROUTES.items()
    if path.startswith(f"{V1}/") and method != "GET" and expect.who in Role.values
]


@pytest.mark.parametrize(("method", "path"), ARCHIVED_WRITES)
@pytest.mark.parametrize("actor", ["owner", "admin"])
def test_writes_to_an_archived_project_get_409(
    world: World, db: Any, method: str, path: str, actor: str
) -> None:
    Project.objects.filter(pk=world.sites["own"].project.pk).update(archived=True)
    expect = ROUTES[(method, path)]
    case = Case(world=world, actor=actor, target="own")
    before = db_state()
    response = send(
        client_for(world, actor, path), method, fill(case, path, expect),
        expect.body(case) if expect.body else None,
    )  # fmt: skip
    assert response.status_code == 409, response.content
    assert "archived" in response.json()["detail"]
    assert changed_tables(before, db_state()) == []


# ---------------------------------------------------------------------------- CSRF
def test_a_page_form_without_csrf_token_is_refused(world: World, db: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["owner"])
    before = db_state()
    response = client.post("/projects/APL/plan/tasks/", {"name": "Sneaky", "duration_hours": "8"})
    assert response.status_code == 403
    assert changed_tables(before, db_state()) == []


def test_a_session_api_write_without_csrf_token_is_refused(world: World, db: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["owner"])
    before = db_state()
    response = client.post(
        f"{V1}/projects/APL/tasks", json.dumps({"name": "Sneaky"}), content_type="application/json"
    )
    assert response.status_code in (401, 403)
    assert changed_tables(before, db_state()) == []
