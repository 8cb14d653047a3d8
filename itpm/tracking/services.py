"""Use cases of the budget: lines by category and month, the management reserve, expenses.

Budget changes are free (and audited) until the project has an active baseline; from then on
they need an approved change request (issue 7 builds change requests; ``_require_change_request``
is the hook that recognizes one).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from itpm.accounts.models import Role, User
from itpm.accounts.permissions import require_role
from itpm.core.errors import Conflict, Invalid
from itpm.core.services import apply_changes, audit, check_version, save_versioned
from itpm.planning.models import Baseline, Task
from itpm.portfolio.models import Project
from itpm.tracking.models import (
    BudgetCategory,
    BudgetLine,
    BudgetPeriod,
    Expense,
    ProjectFinance,
)
from itpm.tracking.money import money, parse_month

BASELINED = "baselined: changes need an approved change request"
APPROVED_CHANGE_STATES = {"approved", "applied", "implemented"}


def finance_get(project: Project) -> ProjectFinance:
    """The project's money settings for reading: the defaults (unsaved) until first changed."""
    return ProjectFinance.objects.filter(project=project).first() or ProjectFinance(project=project)


def _finance_row(project: Project) -> ProjectFinance:
    finance, _ = ProjectFinance.objects.get_or_create(project=project)
    return ProjectFinance.objects.select_for_update().get(pk=finance.pk)


def project_is_baselined(project: Project) -> bool:
    return Baseline.objects.filter(project=project, active=True).exists()


def _require_change_request(project: Project, change_request: Any) -> dict[str, Any]:
    """Refuse a budget change on a baselined project unless an approved change request covers it.

    Until the control app (issue 7) exists there is no change request to name, so every change
    of a baselined budget is refused with 409. A change request is accepted when it belongs to
    the project and its ``status`` (or ``state``) is approved or applied.
    """
    if not project_is_baselined(project):
        return {}
    if change_request is None:
        raise Conflict(BASELINED)
    state = getattr(change_request, "status", None) or getattr(change_request, "state", None)
    if getattr(change_request, "project_id", None) != project.pk:
        raise Invalid.field("change_request", "belongs to another project")
    if str(state) not in APPROVED_CHANGE_STATES:
        raise Conflict(f"{BASELINED} (change request {change_request.pk} is {state})")
    return {"change_request": [None, change_request.pk]}


def change_request_get(project: Project, ident: Any) -> Any:
    """The change request (control app, issue 7) named by id on ``project``; None if not named."""
    if ident in (None, ""):
        return None
    from django.apps import apps

    if not apps.is_installed("itpm.control"):
        raise Invalid.field("change_request", "change requests are not available")
    from itpm.control.models import ChangeRequest

    try:
        found = ChangeRequest.objects.filter(pk=int(ident), project=project).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise Invalid.field("change_request", f"no change request {ident} on {project.key}")
    return found


def approved_change_requests(project: Project) -> list[Any]:
    """Change requests of the project that may carry budget changes (for the page's picker)."""
    from django.apps import apps

    if not apps.is_installed("itpm.control"):
        return []
    from itpm.control.models import ChangeRequest

    return list(ChangeRequest.objects.filter(project=project, status__in=APPROVED_CHANGE_STATES))


def _periods(raw: Any) -> dict[dt.date, Decimal]:
    """``{"2027-03": "1200.00", ...}`` → ``{date(2027, 3, 1): Decimal}`` (zeros dropped)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise Invalid.field("months", "expected an object of month → amount")
    result: dict[dt.date, Decimal] = {}
    for key, value in raw.items():
        month = parse_month(key, f"months.{key}")
        amount = money(value, f"months.{key}")
        if amount:
            result[month] = result.get(month, Decimal(0)) + amount
    if len(result) > 240:
        raise Invalid.field("months", "at most 240 months")
    return result


def _validate_line(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    if "name" in data:
        data["name"] = str(data["name"] or "").strip()
        if not data["name"] or len(data["name"]) > 200:
            raise Invalid.field("name", "must be 1 to 200 characters")
    if "category" in data and data["category"] not in BudgetCategory.values:
        raise Invalid.field("category", f"must be one of {', '.join(BudgetCategory.values)}")
    if len(data.get("notes") or "") > 10_000:
        raise Invalid.field("notes", "at most 10,000 characters")
    return data


def _write_periods(line: BudgetLine, periods: dict[dt.date, Decimal]) -> list[Any]:
    before = {p.month: p.amount for p in line.periods.all()}
    if before == periods:
        return []
    BudgetPeriod.objects.filter(line=line).delete()
    BudgetPeriod.objects.bulk_create(
        [BudgetPeriod(line=line, month=m, amount=a) for m, a in sorted(periods.items())]
    )
    return [
        {m.strftime("%Y-%m"): str(a) for m, a in sorted(before.items())},
        {m.strftime("%Y-%m"): str(a) for m, a in sorted(periods.items())},
    ]


def budget_line_create(
    *,
    actor: User,
    project: Project,
    category: str,
    name: str,
    months: dict[str, Any] | None = None,
    notes: str = "",
    change_request: Any = None,
) -> BudgetLine:
    require_role(actor, project, Role.MANAGER)
    data = _validate_line({"category": category, "name": name, "notes": notes})
    periods = _periods(months)
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        extra = _require_change_request(project, change_request)
        if BudgetLine.objects.filter(project=project, name=data["name"]).exists():
            raise Conflict(f"a budget line called {data['name']!r} exists already")
        line = BudgetLine.objects.create(project=project, **data)
        changes = _write_periods(line, periods)
        audit(
            actor=actor,
            action="budget_line.create",
            obj=line,
            project=project,
            changes={
                "category": [None, line.category],
                "name": [None, line.name],
                "total": [None, str(sum(periods.values(), Decimal("0.00")))],
                **({"months": changes} if changes else {}),
                **extra,
            },
        )
    return line


def budget_line_change(
    *,
    actor: User,
    line: BudgetLine,
    version: int | None,
    data: dict[str, Any],
    months: dict[str, Any] | None = None,
    change_request: Any = None,
) -> BudgetLine:
    """Change a line's name, category, notes or monthly amounts (``months`` replaces them all)."""
    project = line.project
    require_role(actor, project, Role.MANAGER)
    unknown = set(data) - {"name", "category", "notes"}
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    data = _validate_line(data)
    periods = _periods(months) if months is not None else None
    with transaction.atomic():
        line = BudgetLine.objects.select_for_update().get(pk=line.pk)
        check_version(line, version)
        extra = _require_change_request(project, change_request)
        if (
            "name" in data
            and BudgetLine.objects.filter(project=project, name=data["name"])
            .exclude(pk=line.pk)
            .exists()
        ):
            raise Conflict(f"a budget line called {data['name']!r} exists already")
        changes = apply_changes(line, data)
        if periods is not None:
            month_changes = _write_periods(line, periods)
            if month_changes:
                changes["months"] = month_changes
        if changes:
            save_versioned(line, [n for n in changes if n != "months"])
            audit(
                actor=actor,
                action="budget_line.change",
                obj=line,
                project=project,
                changes={**changes, **extra},
            )
    return line


def budget_line_delete(*, actor: User, line: BudgetLine, change_request: Any = None) -> None:
    project = line.project
    require_role(actor, project, Role.MANAGER)
    with transaction.atomic():
        # A line that plans no money can go without a change request: the budget stays the same.
        planned = any(p.amount for p in line.periods.all())
        extra = _require_change_request(project, change_request) if planned else {}
        if line.expenses.exists() or line.purchase_requests.exists():
            raise Conflict(f"budget line {line.name!r} has expenses or purchases; keep it")
        audit(
            actor=actor,
            action="budget_line.delete",
            obj=line,
            project=project,
            changes={"name": [line.name, None], **extra},
        )
        line.delete()


FINANCE_FIELDS = ("management_reserve", "spi_red", "spi_amber", "cpi_red", "cpi_amber",
                  "report_recipients")  # fmt: skip


def project_finance_update(
    *,
    actor: User,
    project: Project,
    version: int | None,
    data: dict[str, Any],
    change_request: Any = None,
) -> ProjectFinance:
    """The management reserve (a budget change) and the RAG thresholds and report recipients."""
    require_role(actor, project, Role.MANAGER)
    unknown = set(data) - set(FINANCE_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    clean: dict[str, Any] = {}
    if "management_reserve" in data:
        clean["management_reserve"] = money(data["management_reserve"], "management_reserve")
    for name in ("spi_red", "spi_amber", "cpi_red", "cpi_amber"):
        if name in data:
            value = money(data[name], name)
            if value > 2:
                raise Invalid.field(name, "an index threshold from 0 to 2")
            clean[name] = value
    if "report_recipients" in data:
        recipients = data["report_recipients"]
        if not isinstance(recipients, list) or not all(
            isinstance(r, str) and "@" in r and len(r) <= 254 for r in recipients
        ):
            raise Invalid.field("report_recipients", "a list of e-mail addresses")
        clean["report_recipients"] = sorted(set(recipients))
    with transaction.atomic():
        finance = _finance_row(project)
        check_version(finance, version)
        extra = {}
        if "management_reserve" in clean and clean["management_reserve"] != (
            finance.management_reserve
        ):
            extra = _require_change_request(project, change_request)
        spi_red = clean.get("spi_red", finance.spi_red)
        cpi_red = clean.get("cpi_red", finance.cpi_red)
        if spi_red > clean.get("spi_amber", finance.spi_amber):
            raise Invalid.field("spi_amber", "must not be below spi_red")
        if cpi_red > clean.get("cpi_amber", finance.cpi_amber):
            raise Invalid.field("cpi_amber", "must not be below cpi_red")
        changes = apply_changes(finance, clean)
        if changes:
            save_versioned(finance, list(changes))
            audit(
                actor=actor,
                action="finance.update",
                obj=finance,
                project=project,
                changes={**changes, **extra},
            )
    return finance


def expense_create(
    *,
    actor: User,
    project: Project,
    line: BudgetLine,
    date: dt.date,
    amount: Any,
    description: str,
    task: Task | None = None,
) -> Expense:
    require_role(actor, project, Role.MANAGER)
    value = money(amount, "amount")
    if value <= 0:
        raise Invalid.field("amount", "must be more than 0")
    description = (description or "").strip()
    if not description or len(description) > 300:
        raise Invalid.field("description", "must be 1 to 300 characters")
    if line.project_id != project.pk:
        raise Invalid.field("line", "belongs to another project")
    if task is not None and task.project_id != project.pk:
        raise Invalid.field("task", "belongs to another project")
    with transaction.atomic():
        expense = Expense.objects.create(
            project=project, line=line, task=task, date=date, amount=value,
            description=description, created_by=actor,
        )  # fmt: skip
        audit(
            actor=actor,
            action="expense.create",
            obj=expense,
            project=project,
            changes={"amount": [None, str(value)], "line": [None, line.name],
                     "date": [None, date.isoformat()]},
        )  # fmt: skip
    return expense
