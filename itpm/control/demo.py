"""Demo data of the control app: a risk register for every project from its category's
templates (some quantified), three-point estimates for PORTAL and NET, a stored forecast,
an issue log, change requests on NET (one approved and applied), decisions, and HWDC's
deliverables with acceptance criteria and reviews."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from itpm.accounts.models import Role, User
from itpm.accounts.permissions import project_role
from itpm.accounts.services import membership_set
from itpm.control import changes, services
from itpm.control.risk_templates import suggestions
from itpm.planning.models import Task, TaskStatus
from itpm.portfolio.models import Project

# Residual values after the response, by template title (the demo's response worked).
_RESIDUAL = {"Vendor delivery delay": (2, 3), "Cut-over outage": (2, 4),
             "Requirements churn": (3, 2), "Poor source data quality": (2, 3)}  # fmt: skip


def _leaves(project: Project) -> list[Task]:
    return list(
        Task.objects.filter(project=project, children__isnull=True, milestone=False)
        .exclude(status__in=[TaskStatus.DONE, TaskStatus.CANCELLED])
        .order_by("wbs_sort")
    )


def _risks(project: Project, users: dict[str, User]) -> None:
    pm = users["pm"]
    leaves = _leaves(project)
    today = timezone.localdate()
    for n, template in enumerate(suggestions(project.category)):
        data = dict(template)
        residual = _RESIDUAL.get(data["title"])
        if residual:
            data["residual_probability"], data["residual_impact"] = residual
        if not leaves:  # nothing left to delay: keep it qualitative
            data.pop("chance", None)
        delay_tasks = [leaves[(n * 3 + 2) % len(leaves)]] if leaves and data.get("chance") else []
        services.risk_create(
            actor=pm, project=project, owner=pm, review_date=today + dt.timedelta(days=14 + 7 * n),
            trigger="Watched in the weekly risk review", delay_tasks=delay_tasks, **data,
        )  # fmt: skip


def _estimates(project: Project, users: dict[str, User]) -> None:
    # Spread grows with the work's novelty: integration and cut-over steps spread most.
    for n, task in enumerate(_leaves(project)):
        base = max(task.duration_hours, 1)
        wide = "cut" in task.name.lower() or "integrat" in task.name.lower() or n % 4 == 3
        services.task_estimate_set(
            actor=users["pm"], task=task, optimistic=max(0, round(base * 0.8)), most_likely=base,
            pessimistic=round(base * (2.0 if wide else 1.4)),
        )  # fmt: skip


def _net_changes(project: Project, users: dict[str, User]) -> None:
    pm, cio = users["pm"], users["cio"]
    if project_role(cio, project) is None:  # the sponsor sits on the change board
        membership_set(actor=pm, project=project, user=cio, role=Role.VIEWER)
    leaves = _leaves(project)
    if len(leaves) < 3:
        return
    target, later = leaves[1], leaves[-1]
    budget: list[dict[str, Any]] = [{"category": "contractors", "name": "Firewall audit (CR-1)",
                                     "months": {timezone.localdate().strftime("%Y-%m"): "4800.00"}}]  # fmt: skip
    change = changes.change_request_create(
        actor=pm, project=project, title="Add a firewall rule audit before cut-over",
        description="Security asked for an independent audit of the migrated rule base.",
        reason="Security review finding SR-114", board=[cio, pm],
        operations=[
            {"op": "change_duration", "task": target.pk, "hours": target.duration_hours + 8},
            {"op": "add_task", "name": "Firewall rule audit", "hours": 16, "ref": "audit",
             "after": [target.pk]},
            {"op": "add_dependency", "predecessor": "audit", "successor": later.pk},
        ],
        budget_changes=budget, scope_impact="One audit task added; rule base frozen for 2 days.",
        risk_impact="Lowers the cut-over outage risk.", save_baseline=True,
        baseline_name="After CR-1 (firewall audit)",
    )  # fmt: skip
    change = changes.change_request_submit(actor=pm, change=change, version=None)
    changes.change_request_vote(actor=cio, change=change, approve=True, comment="Worth the days.")
    changes.change_request_vote(actor=pm, change=change, approve=True)
    changes.change_request_apply(actor=pm, change=change)
    pending = changes.change_request_create(
        actor=pm, project=project, title="Move branch wave 3 two weeks later",
        reason="Branch managers asked to avoid the quarter end", board=[cio],
        operations=[{"op": "change_duration", "task": later.pk, "hours": later.duration_hours + 80}],
    )  # fmt: skip
    changes.change_request_submit(actor=pm, change=pending, version=None)


def _issues(project: Project, users: dict[str, User]) -> None:
    pm = users["pm"]
    today = timezone.localdate()
    leaves = _leaves(project)
    if project.key == "HWDC":
        risk = project.risks.filter(title="Dead-on-arrival hardware").first()
        if risk is not None:
            issue = services.risk_to_issue(actor=pm, risk=risk, version=risk.version)
            services.issue_update(actor=pm, issue=issue, version=issue.version,
                                  data={"status": "in_progress", "due_date": today + dt.timedelta(days=5)})  # fmt: skip
    items = {
        "NET": [("Carrier changed the hand-off VLAN", "high"), ("Test lab short of SFPs", "medium")],
        "PORTAL": [("SSO test tenant expired", "high"), ("Design system missing dark tokens", "low")],
        "HWDC": [("Loading dock booked on install day", "medium")],
    }.get(project.key, [])  # fmt: skip
    for n, (title, severity) in enumerate(items):
        issue = services.issue_create(actor=pm, project=project, title=title, severity=severity,
                                      owner=pm, due_date=today + dt.timedelta(days=3 + 4 * n),
                                      tasks=leaves[n : n + 1])  # fmt: skip
        if n == 1:
            services.issue_update(actor=pm, issue=issue, version=issue.version,
                                  data={"status": "resolved", "resolution": "Borrowed from ops stock"})  # fmt: skip


def _decisions(project: Project, users: dict[str, User]) -> None:
    table: dict[str, list[tuple[str, str, list[str]]]] = {
        "NET": [("Cut over branch by branch, not big-bang", "Steering committee", ["CR-1"])],
        "PORTAL": [("Use the company design system, no custom theme", "Product owner", [])],
        "HWDC": [("Buy from vendor B (earlier delivery, +3 % price)", "CIO", ["R-1"])],
    }  # fmt: skip
    rows = table.get(project.key, [])
    start = project.start_date or timezone.localdate()
    for n, (text, who, links) in enumerate(rows):
        services.decision_create(actor=users["pm"], project=project, date=start + dt.timedelta(days=7 + n),
                                 decision=text, made_by=who, links=links,
                                 rationale="Lower risk for a small cost.")  # fmt: skip


def _deliverables(project: Project, users: dict[str, User]) -> None:
    pm, cio = users["pm"], users["cio"]
    if project_role(cio, project) is None:  # the sponsor signs deliverables off
        membership_set(actor=pm, project=project, user=cio, role=Role.VIEWER)
    today = timezone.localdate()
    specs = [
        ("Racks A1–A4 installed and powered", ["Racks bolted and earthed", "Dual feeds live",
         "PDU monitoring in DCIM"], "passed"),
        ("Servers burned in", ["48 h burn-in without ECC errors", "Firmware at baseline"], "failed"),
        ("Network uplinks cabled and labelled", ["Every port labelled", "Cable test report attached"], None),
        ("As-built documentation", ["Rack elevations", "Power budget", "Handover runbook"], None),
    ]  # fmt: skip
    leaves = list(Task.objects.filter(project=project, children__isnull=True).order_by("wbs_sort"))
    for n, (name, criteria, result) in enumerate(specs):
        row = services.deliverable_create(actor=pm, project=project, name=name, owner=pm,
                                          acceptance_criteria=criteria,
                                          task=leaves[min(len(leaves) - 1, 2 + n * 2)] if leaves else None,
                                          due_date=today + dt.timedelta(days=10 * n))  # fmt: skip
        if result:
            services.quality_check_record(actor=pm, deliverable=row, kind="Site inspection" if n == 0
                                          else "Burn-in review", result=result,
                                          checked_on=today - dt.timedelta(days=2),
                                          evidence_url=f"https://wiki.example.com/hwdc/check-{n + 1}")  # fmt: skip
        if result == "passed":
            row.refresh_from_db()
            services.deliverable_decide(actor=cio, deliverable=row, version=row.version, accept=True,
                                        comment="Inspected on site.")  # fmt: skip
        elif result == "failed":
            services.defect_raise(actor=pm, deliverable=row, title="Two nodes report ECC errors",
                                  severity="high")  # fmt: skip


def load_control_demo(users: dict[str, User]) -> None:
    projects = list(Project.objects.filter(archived=False).order_by("key"))
    for project in projects:
        _risks(project, users)
    by_key = {p.key: p for p in projects}
    for key in ("PORTAL", "NET"):
        if key in by_key:
            _estimates(by_key[key], users)
    if "NET" in by_key:
        NET = by_key["NET"]  # noqa: N806
        NET.refresh_from_db()
        _net_changes(NET, users)
        NET.refresh_from_db()
        services.forecast_run_request(actor=users["pm"], project=NET, iterations=5000, seed=2027)
        escalate = NET.risks.filter(title="Cut-over outage").first()
        if escalate is not None:
            services.risk_escalate(actor=users["pm"], risk=escalate, version=escalate.version)
    if "PORTAL" in by_key:
        by_key["PORTAL"].refresh_from_db()
        services.forecast_run_request(
            actor=users["pm"], project=by_key["PORTAL"], iterations=3000, seed=7
        )
    for project in projects:
        _issues(project, users)
        _decisions(project, users)
    if "HWDC" in by_key:
        _deliverables(by_key["HWDC"], users)
