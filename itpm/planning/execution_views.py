"""Pages of execution: planning cycles (burndown, velocity, packages), the board, my work.

Thin: parse, call one service or selector, render. Charts are server-rendered SVG whose
geometry is computed here; the numbers are in a table under each chart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from itpm.accounts.permissions import request_user
from itpm.core.errors import NotFound, ServiceError
from itpm.planning import cycle_selectors as selectors
from itpm.planning import cycle_services as services
from itpm.planning.models import Cycle, CycleKind, CycleState, Task, TaskStatus
from itpm.planning.services import task_update
from itpm.portfolio.models import Project
from itpm.web.guards import deny_if_forbidden
from itpm.web.views import _add_errors, _context, _project, _task

PACKAGE_LOOKAHEAD_WEEKS = 3


def _today(project: Project) -> dt.date:
    # The project calendar's today: due dates on the board and the burndown's days are
    # that calendar's days too.
    return timezone.now().astimezone(project.schedule_zone).date()


def _cycle(request: HttpRequest, project: Project, cycle_id: int) -> Cycle:
    try:
        cycle = selectors.cycle_get(user=request.user, cycle_id=cycle_id)
    except NotFound:
        raise Http404("cycle not found") from None
    if cycle.project_id != project.pk:
        raise Http404("cycle not found")
    return cycle


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


# ---------------------------------------------------------------------------- forms
class CycleForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=CycleKind.choices, initial=CycleKind.SPRINT)
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    finish = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    capacity_hours = forms.IntegerField(
        min_value=0, max_value=services.MAX_CAPACITY_HOURS, initial=0, label="Capacity (hours)"
    )
    goal = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class BreakDownForm(forms.Form):
    lines = forms.CharField(
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "Order API: create; 16\nOrder API: cancel; 8"}
        ),
        label="Tasks, one per line: name; hours",
    )

    def clean_lines(self) -> list[tuple[str, int]]:
        items = []
        for number, line in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            if not line.strip():
                continue
            name, _, hours = line.rpartition(";")
            if not name.strip() or not hours.strip().isdigit():
                raise forms.ValidationError(
                    f"line {number}: write “name; hours”, e.g. “Design; 16”"
                )
            items.append((name.strip(), int(hours.strip())))
        if not items:
            raise forms.ValidationError("name at least one task")
        return items


# ---------------------------------------------------------------------------- charts
CHART_W, CHART_H, PAD_L, PAD_B, PAD_T, PAD_R = 640, 240, 44, 28, 12, 12


def _nice_max(value: float) -> int:
    # Every maximum divides by four, so the quarter ticks are whole numbers.
    for step in (12, 20, 40, 60, 80, 100, 120, 160, 200, 240, 300, 400, 600, 800, 1200, 2000, 4000):
        if value <= step:
            return step
    return (int(value) // 400 + 1) * 400


def burndown_svg(chart: selectors.Burndown) -> dict[str, Any]:
    """Coordinates of the burndown's lines, ticks and labels in a 640×240 box."""
    points = chart.points
    top = _nice_max(max([p.remaining or 0 for p in points] + [p.ideal for p in points] + [1]))
    span_x = CHART_W - PAD_L - PAD_R
    span_y = CHART_H - PAD_T - PAD_B
    step = span_x / max(1, len(points) - 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        return round(PAD_L + i * step, 1), round(PAD_T + span_y * (1 - value / top), 1)

    ideal = " ".join(f"{x},{y}" for x, y in (xy(i, p.ideal) for i, p in enumerate(points)))
    actual_xy = [xy(i, p.remaining) for i, p in enumerate(points) if p.remaining is not None]
    ticks = [
        {"y": round(PAD_T + span_y * (1 - v / top), 1), "value": v}
        for v in (0, top // 4, top // 2, 3 * top // 4, top)
    ]
    every = max(1, len(points) // 10)
    labels = [
        {"x": xy(i, 0)[0], "text": p.label}
        for i, p in enumerate(points)
        if i % every == 0 or i == len(points) - 1
    ]
    today_x = None
    for i, p in enumerate(points):
        if p.day == chart.today:
            today_x = xy(i, 0)[0]
    return {
        "width": CHART_W, "height": CHART_H, "left": PAD_L, "right": CHART_W - PAD_R,
        "top": PAD_T, "bottom": CHART_H - PAD_B, "ideal": ideal,
        "actual": " ".join(f"{x},{y}" for x, y in actual_xy), "dots": actual_xy,
        "ticks": ticks, "labels": labels, "label_y": CHART_H - 8, "today_x": today_x,
    }  # fmt: skip


def velocity_svg(velocity: selectors.Velocity) -> dict[str, Any]:
    rows = velocity.rows
    top = _nice_max(max([r.committed_hours for r in rows] + [1]))
    span_x = CHART_W - PAD_L - PAD_R
    span_y = CHART_H - PAD_T - PAD_B
    slot = span_x / max(1, len(rows))
    width = min(48.0, slot * 0.35)
    bars = []
    for i, row in enumerate(rows):
        x = PAD_L + i * slot + slot / 2
        committed_h = span_y * row.committed_hours / top
        done_h = span_y * row.done_hours / top
        bars.append({
            "name": row.cycle.name, "label_x": round(x, 1),
            "committed_x": round(x - width - 2, 1), "done_x": round(x + 2, 1), "w": round(width, 1),
            "committed_y": round(PAD_T + span_y - committed_h, 1), "committed_h": round(committed_h, 1),
            "done_y": round(PAD_T + span_y - done_h, 1), "done_h": round(done_h, 1),
            "done": row.done_hours, "committed": row.committed_hours,
        })  # fmt: skip
    average_y = (
        round(PAD_T + span_y * (1 - velocity.average / top), 1) if velocity.average else None
    )
    ticks = [
        {"y": round(PAD_T + span_y * (1 - v / top), 1), "value": v} for v in (0, top // 2, top)
    ]
    return {
        "width": CHART_W, "height": CHART_H, "left": PAD_L, "right": CHART_W - PAD_R,
        "top": PAD_T, "bottom": CHART_H - PAD_B, "bars": bars, "average_y": average_y,
        "ticks": ticks, "label_y": CHART_H - 8,
    }  # fmt: skip


# ---------------------------------------------------------------------------- cycles
def _cycles_context(request: HttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    today = _today(project)
    cycles = list(selectors.cycle_list(project=project))
    for cycle in cycles:
        committed = int(cycle.committed_hours or 0)  # type: ignore[attr-defined]
        cycle.overload = max(0, committed - cycle.capacity_hours) if cycle.capacity_hours else 0  # type: ignore[attr-defined]
        cycle.load_percent = (  # type: ignore[attr-defined]
            min(100, round(100 * committed / cycle.capacity_hours)) if cycle.capacity_hours else 0
        )
    velocity = selectors.project_velocity(project=project)
    packages = selectors.planning_packages(
        project=project, today=today, weeks=PACKAGE_LOOKAHEAD_WEEKS
    )
    candidates = (
        Task.objects.filter(
            project=project, children__isnull=True, planning_package=False, milestone=False,
            status__in=services.OPEN_STATUSES,
        ).order_by("wbs_sort").only("id", "wbs_code", "name", "version")
    )  # fmt: skip
    return _context(
        request,
        project,
        "cycles",
        cycles=cycles,
        velocity=velocity,
        velocity_chart=velocity_svg(velocity),
        packages=packages,
        package_candidates=candidates,
        lookahead_weeks=PACKAGE_LOOKAHEAD_WEEKS,
        today=today,
        cycle_form=extra.pop("cycle_form", None) or CycleForm(initial=_next_dates(project, cycles)),
        breakdown_form=extra.pop("breakdown_form", None) or BreakDownForm(),
        **extra,
    )


def _next_dates(project: Project, cycles: list[Cycle]) -> dict[str, Any]:
    """Suggest the next two-week sprint right after the last cycle."""
    sprints = [c for c in cycles if c.kind == CycleKind.SPRINT]
    start = sprints[-1].finish + dt.timedelta(days=1) if sprints else _today(project)
    while start.weekday() >= 5:
        start += dt.timedelta(days=1)
    return {
        "name": f"Sprint {len(sprints) + 1}",
        "start": start,
        "finish": start + dt.timedelta(days=11),
        "capacity_hours": sprints[-1].capacity_hours if sprints else 0,
    }


@login_required
def cycle_list(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    return render(request, "planning/cycles.html", _cycles_context(request, project))


@login_required
@require_POST
def cycle_create(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    form = CycleForm(request.POST)
    if form.is_valid():
        try:
            cycle = services.cycle_create(
                actor=request_user(request), project=project, **form.cleaned_data
            )
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, f"{cycle.name} planned.")
            return redirect("execution:cycle_detail", key=project.key, cycle_id=cycle.pk)
    return render(
        request, "planning/cycles.html", _cycles_context(request, project, cycle_form=form),
        status=422,
    )  # fmt: skip


def _detail_context(
    request: HttpRequest, project: Project, cycle: Cycle, **extra: Any
) -> dict[str, Any]:
    today = _today(project)
    chart = selectors.cycle_burndown(cycle=cycle, today=today)
    committed = int(cycle.committed_hours or 0)  # type: ignore[attr-defined]
    overload = max(0, committed - cycle.capacity_hours) if cycle.capacity_hours else 0
    others = (
        Cycle.objects.filter(project=project)
        .exclude(pk=cycle.pk)
        .exclude(state=CycleState.CLOSED)
        .order_by("start")
    )
    edit_form = extra.pop("edit_form", None) or CycleForm(
        initial={f: getattr(cycle, f) for f in services.CYCLE_FIELDS}
    )
    return _context(
        request,
        project,
        "cycles",
        cycle=cycle,
        chart=chart,
        svg=burndown_svg(chart),
        tasks=list(selectors.cycle_tasks(cycle=cycle)),
        backlog=list(selectors.backlog(project=project)),
        committed=committed,
        overload=overload,
        load_percent=min(100, round(100 * committed / cycle.capacity_hours))
        if cycle.capacity_hours
        else 0,
        next_cycle=selectors.next_cycle(cycle=cycle),
        other_cycles=others,
        edit_form=edit_form,
        today=today,
        **extra,
    )


@login_required
def cycle_detail(request: HttpRequest, key: str, cycle_id: int) -> HttpResponse:
    project = _project(request, key)
    cycle = _cycle(request, project, cycle_id)
    return render(request, "planning/cycle_detail.html", _detail_context(request, project, cycle))


@login_required
@require_POST
def cycle_edit(request: HttpRequest, key: str, cycle_id: int) -> HttpResponse:
    project = _project(request, key)
    cycle = _cycle(request, project, cycle_id)
    form = CycleForm(request.POST)
    if form.is_valid():
        try:
            services.cycle_update(
                actor=request_user(request), cycle=cycle,
                version=_int(request.POST.get("version")), data=dict(form.cleaned_data),
            )  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, f"{form.cleaned_data['name']} saved.")
            return redirect("execution:cycle_detail", key=project.key, cycle_id=cycle.pk)
    context = _detail_context(request, project, cycle, edit_form=form, edit_open=True)
    return render(request, "planning/cycle_detail.html", context, status=422)


def _task_ids(request: HttpRequest) -> list[int]:
    return [int(v) for v in request.POST.getlist("tasks") if v.isdigit()]


@login_required
@require_POST
def cycle_commit(request: HttpRequest, key: str, cycle_id: int) -> HttpResponse:
    project = _project(request, key)
    cycle = _cycle(request, project, cycle_id)
    remove = request.POST.get("remove") == "1"
    try:
        if remove:
            result = services.cycle_uncommit(
                actor=request_user(request), cycle=cycle, task_ids=_task_ids(request)
            )
        else:
            result = services.cycle_commit(
                actor=request_user(request), cycle=cycle, task_ids=_task_ids(request)
            )
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        verb = "taken out of" if remove else "committed to"
        messages.success(
            request,
            f"{len(result.changed)} task(s) {verb} {cycle.name}: {result.committed_hours} h "
            f"of {result.capacity_hours} h capacity.",
        )
        for warning in result.warnings:
            messages.warning(request, warning)
    return redirect("execution:cycle_detail", key=project.key, cycle_id=cycle.pk)


@login_required
@require_POST
def cycle_transition(request: HttpRequest, key: str, cycle_id: int, action: str) -> HttpResponse:
    """Start or close a cycle. Closing asks where unfinished work goes (next cycle or backlog)."""
    project = _project(request, key)
    cycle = _cycle(request, project, cycle_id)
    version = _int(request.POST.get("version"))
    try:
        if action == "start":
            services.cycle_start(actor=request_user(request), cycle=cycle, version=version)
            messages.success(request, f"{cycle.name} started.")
        elif action == "close":
            target = request.POST.get("move_to", "backlog")
            move_to = (
                selectors.cycle_in_project(project=project, cycle_id=int(target), field="move_to")
                if target.isdigit()
                else None
            )
            services.cycle_close(
                actor=request_user(request), cycle=cycle, version=version, move_to=move_to
            )
            where = move_to.name if move_to else "the backlog"
            messages.success(request, f"{cycle.name} closed; unfinished tasks moved to {where}.")
        else:
            raise Http404("no such action")
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    return redirect("execution:cycle_detail", key=project.key, cycle_id=cycle.pk)


@login_required
@require_POST
def package_mark(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    task_id = _int(request.POST.get("task"))
    task = Task.objects.filter(project=project, pk=task_id).first() if task_id else None
    if task is None:
        messages.error(request, "Choose a task to keep as a planning package.")
        return redirect("execution:cycle_list", key=project.key)
    try:
        services.planning_package_set(
            actor=request_user(request), task=task, version=None,
            planning_package=request.POST.get("planning_package", "1") == "1",
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{task.wbs_code} {task.name} is a planning package.")
    return redirect("execution:cycle_list", key=project.key)


@login_required
@require_POST
def package_break_down(request: HttpRequest, key: str, task_id: int) -> HttpResponse:
    project = _project(request, key)
    task = _task(request, task_id)
    if task.project_id != project.pk:
        raise Http404("task not found")
    form = BreakDownForm(request.POST)
    if form.is_valid():
        try:
            created = services.planning_package_break_down(
                actor=request_user(request), task=task,
                version=_int(request.POST.get("version")), items=form.cleaned_data["lines"],
            )  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(
                request, f"{task.wbs_code} {task.name} broken down into {len(created)} tasks."
            )
            return redirect("execution:cycle_list", key=project.key)
    context = _cycles_context(request, project, breakdown_form=form, breakdown_task=task.pk)
    return render(request, "planning/cycles.html", context, status=422)


# ---------------------------------------------------------------------------- board
class WipForm(forms.Form):
    not_started = forms.IntegerField(required=False, min_value=0, max_value=services.MAX_WIP_LIMIT)
    in_progress = forms.IntegerField(required=False, min_value=0, max_value=services.MAX_WIP_LIMIT)
    blocked = forms.IntegerField(required=False, min_value=0, max_value=services.MAX_WIP_LIMIT)
    done = forms.IntegerField(required=False, min_value=0, max_value=services.MAX_WIP_LIMIT)


def _board_filters(request: HttpRequest, project: Project) -> dict[str, Any]:
    """The board's filters from the query. Without a cycle asked for, the board shows the
    active cycle (as a sprint board does); "all" shows every cycle."""
    cycle = request.GET.get("cycle")
    if cycle is None:
        active = Cycle.objects.filter(project=project, state=CycleState.ACTIVE).first()
        cycle = str(active.pk) if active else "all"
    return {
        "assignee": request.GET.get("assignee") or "",
        "cycle": cycle if cycle in ("backlog", "all") or cycle.isdigit() else "all",
        "label": _int(request.GET.get("label")),
        "cancelled": request.GET.get("cancelled") == "1",
    }


@login_required
def board(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    filters = _board_filters(request, project)
    columns = selectors.board_columns(
        project=project, assignee=filters["assignee"] or None,
        cycle=None if filters["cycle"] == "all" else filters["cycle"],
        label=filters["label"], show_cancelled=filters["cancelled"],
    )  # fmt: skip
    members = project.memberships.select_related("user").order_by("user__username")
    limits = project.wip_limits or {}
    template = (
        "planning/_board.html" if request.headers.get("HX-Request") else "planning/board.html"
    )
    return render(
        request,
        template,
        _context(
            request, project, "board", columns=columns, filters=filters, members=members,
            cycles=Cycle.objects.filter(project=project).order_by("start"),
            labels=list(selectors.label_list(project=project)),
            wip_form=WipForm(initial={s: limits.get(s) for s in WipForm.base_fields}),
            statuses=TaskStatus.choices, today=_today(project),
        ),
    )  # fmt: skip


@login_required
@require_POST
def board_wip(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    form = WipForm(request.POST)
    if not form.is_valid():
        messages.error(request, "WIP limits are whole numbers from 0 (no limit) to 999.")
    else:
        try:
            services.project_set_wip_limits(
                actor=request_user(request), project=project,
                version=_int(request.POST.get("version")), limits=dict(form.cleaned_data),
            )  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            messages.error(request, exc.detail)
        else:
            messages.success(request, "WIP limits saved.")
    return redirect("execution:board", key=project.key)


@login_required
@require_POST
def label_create(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    try:
        label = services.label_create(
            actor=request_user(request), project=project, name=request.POST.get("name", ""),
            color=request.POST.get("color", "#6b7280"),
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Label {label.name} created.")
    return redirect("execution:board", key=project.key)


@login_required
@require_POST
def card_update(request: HttpRequest, key: str, task_id: int) -> HttpResponse:
    """The card's menu without JavaScript: its column and its labels."""
    project = _project(request, key)
    task = _task(request, task_id)
    if task.project_id != project.pk:
        raise Http404("task not found")
    version = _int(request.POST.get("version"))
    try:
        status = request.POST.get("status")
        if status and status != task.status:
            moved = services.board_move(
                actor=request_user(request), task=task, version=version, status=status
            )
            for warning in moved.warnings:
                messages.warning(request, warning)
            version = moved.task.version
        if "labels-shown" in request.POST:
            services.task_set_labels(
                actor=request_user(request), task=task, version=version,
                label_ids=[int(v) for v in request.POST.getlist("labels") if v.isdigit()],
            )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{task.wbs_code} {task.name} saved.")
    board_url = f"/projects/{project.key}/board/"
    back = request.POST.get("next", "")
    # Only back to this board (with its filters): never to a URL the form was given.
    return redirect(back if back.startswith(board_url) else board_url)


# ---------------------------------------------------------------------------- my work
@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    groups = selectors.my_work(user=request.user, today=today)
    return render(
        request,
        "planning/my_work.html",
        {"groups": groups, "today": today, "statuses": TaskStatus.choices,
         "total": sum(len(tasks) for _, _, tasks in groups)},
    )  # fmt: skip


@login_required
@require_POST
def my_work_status(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task(request, task_id)
    status = request.POST.get("status", "")
    error = ""
    try:
        task_update(
            actor=request_user(request), task=task,
            version=_int(request.POST.get("version")), data={"status": status},
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        error = exc.detail
    if not request.headers.get("HX-Request"):
        if error:
            messages.error(request, error)
        return redirect("execution:my_work")
    task = (
        selectors.my_tasks(user=request.user, include_done=True).filter(pk=task.pk).first() or task
    )
    return render(
        request,
        "planning/_my_task_row.html",
        {
            "task": task,
            "statuses": TaskStatus.choices,
            "error": error,
            "today": timezone.localdate(),
        },
    )
