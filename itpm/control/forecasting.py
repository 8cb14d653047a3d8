"""The forecast boundary: a project's plan, estimates and risks → the engine's Monte Carlo.

Conversion happens here, once:

- ``forecast_inputs(project)`` freezes everything the simulation needs as JSON (tasks with
  durations, three-point estimates, constraints and progress already on the working-hour
  axis; links; quantified risks; the target date and the budget). A ``ForecastRun`` stores
  it, so a run can be repeated exactly from its inputs and seed, whatever the plan does
  later.
- ``forecast_compute(inputs, ...)`` runs the engine on those inputs and returns JSON-ready
  results; axis hours become dates through the project's calendar axis (also frozen:
  ``start`` and the calendar are part of the inputs).

Cost model (documented in docs/risks-and-forecast.md): each task's planned cost (work x
rate, from its assignments) scales with its sampled duration; the budget that no task
carries (hardware, licences, contingency ...) is a fixed amount on top; occurred risks add
their cost. Opportunities have a negative delay or cost effect only through their numbers.

Tornado (the drivers of the finish): for each candidate task, the P50 finish when the task
is held at its optimistic and at its pessimistic estimate; for each candidate risk, the P50
when it never and when it always occurs. Every swing run uses the same seed (common random
numbers), so the swing reflects the driver, not sampling noise. The bar is the difference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
from django.apps import apps

from itpm.engine import montecarlo
from itpm.engine.calendar import ProjectAxis
from itpm.engine.errors import EngineError
from itpm.engine.model import (  # noqa: I001
    Constraint,
    ConstraintType,
    Dependency,
    DependencyType,
    Estimate,
    RiskEvent,
)
from itpm.engine.model import Task as EngineTask
from itpm.planning.models import Task
from itpm.planning.scheduling import (  # the schedule's own conversion
    _engine_task,
    own_stretch,
    own_time_tasks,
    project_axis,
)
from itpm.planning.splits import pause_hours
from itpm.portfolio.models import Project

#: Candidate drivers checked for the tornado chart.
TORNADO_TASKS = 8
TORNADO_RISKS = 6
TORNADO_ITERATIONS = 2000
Progress = Callable[[int], None]


def _risk_rows(project: Project) -> list[Any]:
    from itpm.control.models import Risk

    return list(
        Risk.objects.filter(project=project, status="open", chance__isnull=False)
        .prefetch_related("delay_tasks")
        .order_by("number")
    )


def _budget_and_task_costs(project: Project) -> tuple[Decimal | None, dict[int, Decimal]]:
    """The tracking budget total (None without budget lines) and each task's planned cost."""
    budget: Decimal | None = None
    if apps.is_installed("itpm.tracking"):
        from itpm.tracking.selectors import budget_lines, project_budget_total

        if budget_lines(project).exists():
            # Two places always (SQLite's SUM drops them: "1200" where PostgreSQL says "1200.00").
            budget = project_budget_total(project).quantize(Decimal("0.01"))
    try:
        from itpm.planning.resource_services import task_work_and_cost

        costs = {task_id: cost for task_id, (_, cost) in task_work_and_cost(project).items()}
    except ImportError:
        costs = {}
    return budget, costs


def forecast_inputs(project: Project) -> dict[str, Any]:
    """Everything the simulation needs, as JSON, read in a handful of queries."""
    from itpm.control.models import TaskEstimate

    axis = project_axis(project)
    tasks = list(Task.objects.filter(project=project).order_by("wbs_sort").select_related(None))
    parents = {t.parent_id for t in tasks if t.parent_id}
    estimates = {e.task_id: e for e in TaskEstimate.objects.filter(task__project=project)}
    budget, task_costs = _budget_and_task_costs(project)
    task_rows: list[dict[str, Any]] = []
    # Elapsed tasks and tasks of resources on their own calendar (a night shift) keep
    # the span the schedule settled for them.
    own = own_time_tasks(project, tasks, axis)
    for task in tasks:
        engine = own[task.pk][0] if task.pk in own else _engine_task(task, axis)
        estimate = estimates.get(task.pk)
        summary = task.pk in parents
        leaf_cost = task_costs.get(task.pk, Decimal(0)) if not summary else Decimal(0)
        task_rows.append(
            {
                "id": engine.id, "wbs": task.wbs_code, "name": task.name,
                "duration": engine.duration, "milestone": engine.milestone,
                "parent": engine.parent,
                "constraint": [engine.constraint.type.value, engine.constraint.at],
                "deadline": engine.deadline,
                "actual_start": engine.actual_start, "actual_finish": engine.actual_finish,
                "remaining": engine.remaining,
                # A split task's pauses: the estimate is of the work, the pauses come on top.
                "pauses": pause_hours(task.splits) if not engine.milestone else 0,
                # Elapsed or on its resources' own calendar, an hour of the task spans
                # this many project hours (a 24-hour desk: about 1/3).
                "stretch": own_stretch(task, engine.duration) if task.pk in own else 1.0,
                "estimate": (
                    [estimate.optimistic_hours, estimate.most_likely_hours,
                     estimate.pessimistic_hours]
                    if estimate is not None and not summary and not engine.milestone else None
                ),
                # Planned cost per working hour of duration, so cost follows the sample.
                "cost_rate": float(leaf_cost / engine.duration) if engine.duration else 0.0,
                "planned_cost": str(leaf_cost),
            }
        )  # fmt: skip
    links = [
        [str(p), str(s), kind, lag]
        for p, s, kind, lag in project.dependencies.values_list(
            "predecessor_id", "successor_id", "type", "lag_hours"
        )
    ]
    leaf_ids = {row["id"] for row in task_rows if int(row["id"]) not in parents}
    risks = []
    for risk in _risk_rows(project):
        named = [str(t.pk) for t in risk.delay_tasks.all() if str(t.pk) in leaf_ids]
        risks.append(
            {
                "id": risk.code, "risk": risk.pk, "title": risk.title,
                "probability": float(risk.chance or 0), "tasks": named,
                "delay": risk.delay_hours, "cost": float(risk.cost),
            }
        )  # fmt: skip
    planned_cost = sum((task_costs.get(int(r["id"]), Decimal(0)) for r in task_rows
                        if int(r["id"]) not in parents), Decimal(0))  # fmt: skip
    target = None
    if project.target_date:
        target_end = dt.datetime.combine(
            project.target_date, dt.time(23, 59), tzinfo=axis.calendar.zone
        )
        target = axis.to_axis(target_end, finish=True)
    return {
        "project": project.key,
        "start": axis.start.isoformat(),
        "tasks": task_rows,
        "links": links,
        "risks": risks,
        "target_date": project.target_date.isoformat() if project.target_date else None,
        "target_hours": target,
        "budget": str(budget) if budget is not None else None,
        "planned_task_cost": str(planned_cost),
        # The budget no task carries stays as a fixed amount on top of the task costs.
        "base_cost": float(max(Decimal(0), (budget or Decimal(0)) - planned_cost)),
        "currency": project.currency,
    }


def _engine_inputs(
    inputs: dict[str, Any],
    *,
    hold_task: tuple[str, int] | None = None,
    hold_risk: tuple[str, float] | None = None,
) -> tuple[list[EngineTask], list[Dependency], list[RiskEvent], dict[str, float]]:
    kinds = {kind.value: kind for kind in DependencyType}
    tasks = []
    rates: dict[str, float] = {}
    parents = {row["parent"] for row in inputs["tasks"] if row["parent"]}
    for row in inputs["tasks"]:
        constraint_type, at = row["constraint"]
        estimate = None
        duration = row["duration"]
        stretch = row.get("stretch", 1.0)
        if row["estimate"]:
            a, m, b = row["estimate"]
            pauses = row.get("pauses", 0)
            estimate = Estimate(
                (float(a) + pauses) * stretch,
                (float(m) + pauses) * stretch,
                (float(b) + pauses) * stretch,
            )
            duration = round((m + pauses) * stretch)
        if hold_task is not None and hold_task[0] == row["id"]:
            estimate, duration = None, round((hold_task[1] + row.get("pauses", 0)) * stretch)
        tasks.append(
            EngineTask(
                id=row["id"], duration=int(duration), milestone=row["milestone"],
                parent=row["parent"], constraint=Constraint(ConstraintType(constraint_type), at),
                deadline=row["deadline"], actual_start=row["actual_start"],
                actual_finish=row["actual_finish"], remaining=row["remaining"],
                estimate=estimate,
            )
        )  # fmt: skip
        if row["id"] not in parents and row["cost_rate"]:
            rates[row["id"]] = row["cost_rate"]
    links = [Dependency(p, s, kinds[k], lag) for p, s, k, lag in inputs["links"]]
    risks = []
    for risk in inputs["risks"]:
        probability = risk["probability"]
        if hold_risk is not None and hold_risk[0] == risk["id"]:
            probability = hold_risk[1]
        named = risk["tasks"]
        risks.append(
            RiskEvent(
                id=risk["id"], probability=probability, task=named[0] if named else None,
                delay=float(risk["delay"]), cost=float(risk["cost"]),
                also_tasks=tuple(named[1:]),
            )
        )  # fmt: skip
    return tasks, links, risks, rates


def _run(
    inputs: dict[str, Any], *, iterations: int, seed: int, distribution: str, **hold: Any
) -> montecarlo.Forecast:
    tasks, links, risks, rates = _engine_inputs(inputs, **hold)
    with_cost = bool(rates) or inputs["base_cost"] or any(r.cost for r in risks)
    return montecarlo.forecast(
        tasks, links, iterations=iterations, seed=seed, risks=risks,
        distribution="pert" if distribution == "pert" else "triangular",
        target=inputs["target_hours"], cost_rates=rates if with_cost else None,
        base_cost=float(inputs["base_cost"]), bins=30,
    )  # fmt: skip


def _date(axis: ProjectAxis, hours: float) -> str:
    # A fractional working hour is rounded up: the finish is the end of that hour.
    return axis.to_datetime(int(np.ceil(hours - 1e-9)), finish=True).isoformat()


def _money(value: float) -> str:
    return str(Decimal(str(round(value, 2))).quantize(Decimal("0.01")))


def forecast_compute(
    project: Project,
    inputs: dict[str, Any],
    *,
    iterations: int,
    seed: int,
    distribution: str,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the simulation (and the tornado swings) on frozen inputs; JSON-ready results."""
    report = progress or (lambda _: None)
    axis = project_axis(project)
    try:
        result = _run(inputs, iterations=iterations, seed=seed, distribution=distribution)
    except EngineError as exc:
        raise ValueError(str(exc)) from None
    report(50)
    names = {row["id"]: row for row in inputs["tasks"]}
    percentiles = result.finish_percentiles
    finish = {
        f"p{p}": {"hours": round(v, 2), "date": _date(axis, v)} for p, v in percentiles.items()
    }
    edges = result.histogram_edges
    counts = result.histogram_counts
    # The S-curve: the share of iterations finished by each histogram edge.
    cumulative = np.concatenate([[0], np.cumsum(counts)]) / max(1, iterations)
    histogram = [
        {"from_hours": round(edges[i], 2), "to_hours": round(edges[i + 1], 2),
         "to_date": _date(axis, edges[i + 1]), "count": counts[i],
         "cumulative": round(float(cumulative[i + 1]), 4)}
        for i in range(len(counts))
    ]  # fmt: skip
    criticality = sorted(
        (
            {"task": task_id, "wbs": names[task_id]["wbs"], "name": names[task_id]["name"],
             "index": round(value, 4)}
            for task_id, value in result.criticality.items() if task_id in names
        ),
        key=lambda row: (-row["index"], row["wbs"]),
    )  # fmt: skip
    cost: dict[str, Any] | None = None
    budget = inputs.get("budget")
    if result.cost_percentiles is not None:
        cost = {f"p{p}": _money(v) for p, v in result.cost_percentiles.items()}
        cost["mean"] = _money(result.mean_cost or 0.0)
        if budget is not None and result.cost_samples is not None:
            cost["probability_within_budget"] = round(
                float(np.mean(result.cost_samples <= float(budget) + 1e-6)), 4
            )
    tornado = _tornado(
        inputs, result, iterations=min(iterations, TORNADO_ITERATIONS), seed=seed,
        distribution=distribution, report=report,
    )  # fmt: skip
    report(100)
    return {
        "iterations": iterations,
        "seed": seed,
        "distribution": distribution,
        "finish": finish,
        "mean_hours": round(result.mean_finish, 2),
        "stdev_hours": round(result.stdev_finish, 2),
        "mean_date": _date(axis, result.mean_finish),
        "deterministic_hours": _deterministic(inputs),
        "target_date": inputs.get("target_date"),
        "probability_on_time": (
            None if result.probability_on_time is None else round(result.probability_on_time, 4)
        ),
        "budget": budget,
        "cost": cost,
        "histogram": histogram,
        "criticality": criticality,
        "tornado": tornado,
    }


def _deterministic(inputs: dict[str, Any]) -> float:
    """The finish with every task at its most likely duration and no risk (one iteration)."""
    from itpm.engine import cpm

    tasks, links, _, _ = _engine_inputs(inputs)
    for task in tasks:
        task.estimate = None
    try:
        return float(cpm.schedule(tasks, links).project_finish)
    except EngineError:
        return 0.0


def _tornado(
    inputs: dict[str, Any],
    base: montecarlo.Forecast,
    *,
    iterations: int,
    seed: int,
    distribution: str,
    report: Progress,
) -> list[dict[str, Any]]:
    rows = {row["id"]: row for row in inputs["tasks"]}
    candidates = sorted(
        (
            (base.criticality.get(row["id"], 0.0) * (row["estimate"][2] - row["estimate"][0]), row)
            for row in inputs["tasks"] if row["estimate"]
        ),
        key=lambda pair: -pair[0],
    )[:TORNADO_TASKS]  # fmt: skip
    risk_candidates = sorted(inputs["risks"], key=lambda r: -(r["probability"] * r["delay"]))[
        :TORNADO_RISKS
    ]
    steps = max(1, len(candidates) + len(risk_candidates))
    done = 0

    def p50(**hold: Any) -> float:
        run = _run(inputs, iterations=iterations, seed=seed, distribution=distribution, **hold)
        return run.finish_percentiles[50]

    out = []
    for score, row in candidates:
        if score <= 0:
            continue
        low = p50(hold_task=(row["id"], row["estimate"][0]))
        high = p50(hold_task=(row["id"], row["estimate"][2]))
        out.append({"kind": "task", "id": row["id"], "label": f"{row['wbs']} {row['name']}",
                    "low_hours": round(low, 2), "high_hours": round(high, 2),
                    "swing_hours": round(high - low, 2)})  # fmt: skip
        done += 1
        report(50 + 50 * done // steps - 1)
    for risk in risk_candidates:
        if not risk["delay"] or not risk["probability"]:
            continue
        low = p50(hold_risk=(risk["id"], 0.0))
        high = p50(hold_risk=(risk["id"], 1.0))
        out.append({"kind": "risk", "id": risk["id"], "label": f"{risk['id']} {risk['title']}",
                    "low_hours": round(low, 2), "high_hours": round(high, 2),
                    "swing_hours": round(high - low, 2)})  # fmt: skip
        done += 1
        report(50 + 50 * done // steps - 1)
    out.sort(key=lambda row: -row["swing_hours"])
    _ = rows
    return out
