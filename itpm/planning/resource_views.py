"""Pages: the project's resource load and leveling, its calendar, its baselines; resources.

Thin: parse the form, call one service or selector, render. Charts are inline SVG drawn
from numbers computed here; each chart has its table one click away.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from itpm.accounts.models import Role, Team, User
from itpm.accounts.permissions import request_user
from itpm.core.errors import Invalid, NotFound, ServiceError
from itpm.planning import resource_selectors as selectors
from itpm.planning import resource_services as services
from itpm.planning.models import LevelingRunStatus, ResourceKind, Task, TaskStatus
from itpm.planning.selectors import task_in_project
from itpm.portfolio.models import Project
from itpm.web.guards import deny_if_forbidden, require_page_role

# The project page frame (tabs, role, can_edit) is shared by every project page.
from itpm.web.views import _context, _project

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]
BAR_AREA = 120  # pixel height of a histogram's bars
WEEK_WIDTH = 26  # the narrowest week column; short windows get wider ones
CHART_WIDTH = 1000  # pixel width a histogram aims at, so a quarter fills the page


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


# ============================================================ resources page (load, leveling)
def _histogram(
    load: selectors.ResourceLoad, after: selectors.ResourceLoad | None
) -> dict[str, Any]:
    """Bar geometry of one resource's weekly load: before (and after leveling, if given)."""
    week_width = max(WEEK_WIDTH, min(72, CHART_WIDTH // max(1, len(load.weeks))))
    peak = max(load.peak_hours, after.peak_hours if after else 0.0)
    scale = BAR_AREA / peak if peak else 0
    bars = []
    capacity_points = []
    for index, week in enumerate(load.weeks):
        x = 30 + index * week_width
        width = (week_width - 6) / (2 if after else 1)
        height = week.demand_hours * scale
        bar = {
            "x": x, "width": width, "y": 10 + BAR_AREA - height, "height": height,
            "over": week.over, "week": week, "label": week.week_start.strftime("%d %b"),
        }  # fmt: skip
        if after is not None:
            later = after.weeks[index]
            after_height = later.demand_hours * scale
            bar["after"] = {
                "x": x + width, "y": 10 + BAR_AREA - after_height, "height": after_height,
                "over": later.over, "hours": later.demand_hours,
            }  # fmt: skip
        bars.append(bar)
        y = 10 + BAR_AREA - week.capacity_hours * scale
        capacity_points.append(f"{x - 2},{y:.1f} {x + week_width - 4},{y:.1f}")
    return {
        "bars": bars,
        "capacity": " ".join(capacity_points),
        "width": 40 + len(load.weeks) * week_width,
        "height": BAR_AREA + 40,
        "peak": round(peak),
        "axis_y": 10 + BAR_AREA,
        "label_y": BAR_AREA + 26,
    }


def _project_window(project: Project, request: HttpRequest) -> tuple[dt.date, dt.date]:
    start = _date(request.GET.get("from")) or project.start_date or timezone.localdate()
    finish = _date(request.GET.get("to"))
    if finish is None:
        end = project.scheduled_finish.date() if project.scheduled_finish else None
        # Four weeks beyond the finish: a leveling preview pushes work past it.
        finish = end + dt.timedelta(weeks=4) if end else start + dt.timedelta(weeks=12)
        finish = min(finish, start + dt.timedelta(weeks=52))
    try:
        return selectors.load_window(start, finish)
    except ServiceError:
        return selectors.load_window(start, start + dt.timedelta(weeks=12))


def _resources_context(request: HttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    first, last = _project_window(project, request)
    resources = selectors.project_resources(project)
    run = selectors.leveling_run_latest(project=project)
    stale = run is not None and selectors.leveling_run_stale(run, project)
    overrides = selectors.leveling_overrides(run) if run and not stale else {}
    loads = selectors.resources_load(
        user=request.user, resources=resources, start=first, finish=last
    )
    after_loads: list[Any] = [None] * len(loads)
    if overrides:
        after_loads = selectors.resources_load(
            user=request.user, resources=resources, start=first, finish=last, overrides=overrides
        )
    charts = [
        {"load": load, "after": after, "chart": _histogram(load, after)}
        for load, after in zip(loads, after_loads, strict=True)
    ]
    _explain_after(project, charts)
    return _context(
        request,
        project,
        "resources",
        charts=charts,
        window=(first, last),
        run=run,
        run_stale=stale,
        leveled_count=Task.objects.filter(project=project, leveled_start__isnull=False).count(),
        **extra,
    )


def _explain_after(project: Project, charts: list[dict[str, Any]]) -> None:
    """Why a week stays over-allocated after the leveling preview, task by task.

    Leveling moves only this project's tasks that have not started; it plans around work
    in other projects and around started work. A week still over is made of what it cannot
    move: each task is named with the reason (``why`` of the chart, one entry a week).
    """
    over = [
        (chart, week) for chart in charts if chart["after"] for week in chart["after"].weeks
        if week.over
    ]  # fmt: skip
    ids = {task.task_id for _, week in over for task in week.tasks}
    tasks = {
        task.pk: task
        for task in Task.objects.filter(pk__in=ids).only(
            "id", "project_id", "status", "actual_start", "percent_complete"
        )
    }
    for chart in charts:
        chart["why"] = []
    for chart, week in over:
        items = []
        done_hours = sum(
            t.hours
            for t in week.tasks
            if t.task_id in tasks and tasks[t.task_id].status == TaskStatus.DONE
        )
        # Done work still shows at its planned dates, but it takes no time any more.
        only_done = week.demand_hours - done_hours <= week.capacity_hours + 1e-6
        for load_task in week.tasks:
            task = tasks.get(load_task.task_id)
            if task is None:
                continue
            if task.status == TaskStatus.DONE:
                reason = "done"
            elif not services.leveling_can_move(task):
                reason = "started, cannot move"
            elif task.project_id != project.pk:
                reason = f"planned in {load_task.project}, not moved by leveling {project.key}"
            elif only_done:
                reason = "fits: without the done work the week is not over"
            else:
                reason = "not started: leveling placed it here"
            items.append({"task": load_task, "reason": reason})
        if week.other_projects_hours:
            items.append({"task": None, "reason": f"{week.other_projects_hours:g} h in "
                          "projects you cannot see"})  # fmt: skip
        chart["why"].append({"week": week, "items": items})


@login_required
def project_resources(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    return render(request, "planning/project_resources.html", _resources_context(request, project))


def _level_redirect(project: Project) -> HttpResponse:
    return redirect(reverse("planning:project_resources", args=[project.key]) + "#leveling")


@login_required
@require_POST
def leveling_preview(request: HttpRequest, key: str) -> HttpResponse:
    """Start a preview; big plans and the exact solver run as a background job."""
    project = _project(request, key)
    solver = request.POST.get("solver", "heuristic")
    try:
        time_limit = float(request.POST.get("time_limit") or 10)
    except ValueError:
        time_limit = -1.0
    background = solver == "exact" or project.tasks.count() > 1500
    try:
        services.leveling_preview(
            actor=request_user(request), project=project, solver=solver,
            time_limit=time_limit, background=background,
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    return _level_redirect(project)


@login_required
def leveling_status(request: HttpRequest, key: str) -> HttpResponse:
    """The leveling panel (htmx polls it while a background preview runs)."""
    project = _project(request, key)
    run = selectors.leveling_run_latest(project=project)
    context = _context(
        request, project, "resources", run=run,
        run_stale=run is not None and selectors.leveling_run_stale(run, project),
        leveled_count=Task.objects.filter(project=project, leveled_start__isnull=False).count(),
    )  # fmt: skip
    response = render(request, "planning/_leveling.html", context)
    if (
        run is not None
        and run.status == LevelingRunStatus.DONE
        and request.headers.get("HX-Request")
    ):
        # The histograms need the proposal too: reload the whole page once it is ready.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def leveling_apply(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    require_page_role(request.user, project, Role.MANAGER)
    run = selectors.leveling_run_latest(project=project)
    try:
        if run is None:
            raise NotFound("no leveling preview to apply; preview first")
        result = services.leveling_apply(actor=request_user(request), project=project, run=run)
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Leveling applied: {result['tasks_changed']} tasks changed.")
    return _level_redirect(project)


@login_required
@require_POST
def leveling_discard(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    try:
        services.leveling_discard(actor=request_user(request), project=project)
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    return _level_redirect(project)


@login_required
@require_POST
def leveling_clear(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    try:
        count = services.leveling_clear(actor=request_user(request), project=project)
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Leveling cleared from {count} tasks.")
    return _level_redirect(project)


# ============================================================ assignments (plan page form)
@login_required
@require_POST
def assignment_create(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    back = request.POST.get("next") or reverse("web:project_plan", args=[project.key])
    if not back.startswith("/"):
        back = reverse("web:project_plan", args=[project.key])
    try:
        task = task_in_project(
            project=project, task_id=int(request.POST.get("task") or 0), field="task"
        )
        resource = selectors.resource_get(
            user=request.user, resource_id=int(request.POST.get("resource") or 0)
        )
        services.assignment_create(
            actor=request_user(request), task=task, resource=resource,
            units=_units(request.POST.get("units")),
        )  # fmt: skip
    except ValueError:
        messages.error(request, "Choose a task and a resource.")
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{resource.name} assigned to {task.wbs_code} {task.name}.")
    return redirect(back)


def _units(text: str | None) -> Decimal:
    try:
        value = Decimal((text or "100").strip().rstrip("%"))
    except InvalidOperation:
        return Decimal(-1)
    # The form asks for percent (50 = half time), as MS Project shows units.
    return value / 100


@login_required
@require_POST
def assignment_delete(request: HttpRequest, assignment_id: int) -> HttpResponse:
    try:
        assignment = selectors.assignment_get(user=request.user, assignment_id=assignment_id)
    except NotFound:
        raise Http404("assignment not found") from None
    try:
        services.assignment_delete(actor=request_user(request), assignment=assignment)
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(
            request, f"Removed {assignment.resource.name} from {assignment.task.name}."
        )
    back = request.POST.get("next") or ""
    if not back.startswith("/"):
        back = reverse("web:project_plan", args=[assignment.project.key])
    return redirect(back)


# ============================================================ calendar page
def _month(request: HttpRequest) -> tuple[int, int]:
    text = request.GET.get("month") or ""
    try:
        year, month = (int(part) for part in text.split("-"))
        if 1900 <= year <= 2200 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    today = timezone.localdate()
    return today.year, today.month


def _calendar_context(request: HttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    calendar = project.calendar
    if "month" not in request.GET and project.start_date:
        year, month = project.start_date.year, project.start_date.month
    else:
        year, month = _month(request)
    first = dt.date(year, month, 1)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    last = following - dt.timedelta(days=1)
    weeks = selectors.calendar_month(calendar, year, month)
    days_off = [d for week in weeks for d in week if d.in_month and not d.working and not d.weekend]
    return _context(
        request,
        project,
        "calendar",
        calendar=calendar,
        weeks=weeks,
        month=first,
        previous=previous,
        following=following,
        days_off=days_off,
        working_hours_total=sum(d.hours for week in weeks for d in week if d.in_month),
        holidays=selectors.holidays_in(calendar, first, last),
        exceptions=list(calendar.exceptions.all()) if calendar else [],
        weekdays=WEEKDAYS,
        working_days=calendar.working_days if calendar else [0, 1, 2, 3, 4],
        hours_text=_hours_text(calendar.working_hours if calendar else None),
        **extra,
    )


def _hours_text(hours: list[list[str]] | None) -> str:
    from itpm.planning.scheduling import DEFAULT_WORKING_HOURS

    return ", ".join(f"{a}-{b}" for a, b in (hours or DEFAULT_WORKING_HOURS))


def _parse_hours_text(text: str) -> list[list[str]]:
    periods = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        bounds = [p.strip() for p in part.split("-")]
        periods.append(bounds if len(bounds) == 2 else [part, ""])
    return periods


@login_required
@require_http_methods(["GET", "POST"])
def project_calendar(request: HttpRequest, key: str) -> HttpResponse:
    """The month view of the project calendar; POST changes its working week and holidays."""
    project = _project(request, key)
    if request.method == "GET":
        return render(
            request, "planning/project_calendar.html", _calendar_context(request, project)
        )
    data: dict[str, Any] = {
        "working_days": sorted(int(d) for d in request.POST.getlist("working_days") if d.isdigit()),
        "working_hours": _parse_hours_text(request.POST.get("working_hours", "")),
        "country": request.POST.get("country", ""),
        "subdivision": request.POST.get("subdivision", ""),
        "timezone": request.POST.get("timezone", "") or project.time_zone or "UTC",
    }
    actor = request_user(request)
    try:
        if project.calendar is None:
            services.calendar_create(
                actor=actor, project=project, name=f"{project.key} calendar", **data
            )
        else:
            version = request.POST.get("version", "")
            services.calendar_update(
                actor=actor, calendar=project.calendar,
                version=int(version) if version.isdigit() else None, data=data,
            )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        errors = {e.field: e.message for e in exc.errors} or {"general": exc.detail}
        return render(
            request,
            "planning/project_calendar.html",
            _calendar_context(request, project, errors=errors, posted=data),
            status=422,
        )
    messages.success(request, "Calendar saved; the plan is rescheduled.")
    return redirect("planning:project_calendar", key=project.key)


def _project_calendar_or_new(request: HttpRequest, project: Project) -> Any:
    if project.calendar is not None:
        return project.calendar
    return services.calendar_create(
        actor=request_user(request), project=project, name=f"{project.key} calendar",
        timezone=project.time_zone or "UTC",
    )  # fmt: skip


@login_required
@require_POST
def calendar_exception_add(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    day = _date(request.POST.get("date"))
    working = request.POST.get("working") == "on"
    back = reverse("planning:project_calendar", args=[project.key])
    if day is None:
        messages.error(request, "date: give a date such as 2027-03-06.")
        return redirect(back)
    try:
        calendar = _project_calendar_or_new(request, project)
        services.calendar_exception_add(
            actor=request_user(request), calendar=calendar, date=day,
            name=request.POST.get("name", ""), working=working,
            working_hours=_parse_hours_text(request.POST.get("working_hours", "")) if working else None,
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        kind = "Working day" if working else "Day off"
        messages.success(request, f"{kind} on {day.isoformat()} added; the plan is rescheduled.")
    return redirect(f"{back}?month={day.year}-{day.month:02d}")


@login_required
@require_POST
def calendar_exception_remove(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    day = _date(request.POST.get("date"))
    back = reverse("planning:project_calendar", args=[project.key])
    if day is None or project.calendar is None:
        messages.error(request, "No such exception.")
        return redirect(back)
    try:
        services.calendar_exception_remove(
            actor=request_user(request), calendar=project.calendar, date=day
        )
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Exception on {day.isoformat()} removed.")
    return redirect(f"{back}?month={day.year}-{day.month:02d}")


# ============================================================ baselines page
@login_required
@require_http_methods(["GET", "POST"])
def project_baselines(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    error = ""
    if request.method == "POST":
        try:
            baseline = services.baseline_create(
                actor=request_user(request), project=project,
                name=request.POST.get("name", ""), active=request.POST.get("active") == "on" or None,
            )  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            error = exc.detail
        else:
            messages.success(request, f"Baseline {baseline.name!r} saved.")
            return redirect(
                reverse("planning:project_baselines", args=[project.key])
                + f"?baseline={baseline.pk}"
            )
    baselines = list(selectors.baseline_list(project=project))
    chosen = None
    wanted = request.GET.get("baseline", "")
    if wanted.isdigit():
        chosen = next((b for b in baselines if b.pk == int(wanted)), None)
    chosen = (
        chosen
        or next((b for b in baselines if b.active), None)
        or (baselines[0] if baselines else None)
    )
    variance = selectors.baseline_variance(project=project, baseline=chosen) if chosen else None
    only_late = request.GET.get("late") == "1"
    rows = (
        [r for r in variance.rows if r.late]
        if variance and only_late
        else (variance.rows if variance else [])
    )
    return render(
        request,
        "planning/project_baselines.html",
        _context(
            request,
            project,
            "baselines",
            baselines=baselines,
            chosen=chosen,
            variance=variance,
            rows=rows,
            only_late=only_late,
            error=error,
            posted_name=request.POST.get("name", ""),
        ),  # fmt: skip
        status=422 if error else 200,
    )


@login_required
@require_POST
def baseline_activate(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    wanted = request.POST.get("baseline", "")
    try:
        baseline = selectors.baseline_get(
            project=project, baseline_id=int(wanted) if wanted.isdigit() else 0
        )
        services.baseline_set_active(actor=request_user(request), baseline=baseline)
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
        return redirect("planning:project_baselines", key=project.key)
    messages.success(request, f"{baseline.name!r} is now the active baseline.")
    return redirect(
        reverse("planning:project_baselines", args=[project.key]) + f"?baseline={baseline.pk}"
    )


# ============================================================ resources (organisation-wide)
def _resource_form_data(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    data: dict[str, Any] = {
        "name": post.get("name", ""),
        "kind": post.get("kind", ResourceKind.PERSON),
        "capacity": post.get("capacity") or "1",
        "cost_rate": post.get("cost_rate") or "0",
        "currency": post.get("currency") or "USD",
        "user": None,
        "team": None,
    }
    if post.get("user"):
        data["user"] = User.objects.filter(username=post["user"], is_active=True).first()
        if data["user"] is None:
            raise Invalid.field("user", f"no user called {post['user']!r}")
    if post.get("team"):
        data["team"] = Team.objects.filter(
            pk=int(post["team"]) if post["team"].isdigit() else 0
        ).first()
    if "calendar" in post:
        # Empty: the resource works on each project's calendar. A night shift, a 24-hour
        # desk or a part-timer's calendar: its tasks are scheduled on it.
        wanted = post["calendar"]
        data["calendar"] = None
        if wanted:
            try:
                data["calendar"] = selectors.calendar_get(
                    user=request.user, calendar_id=int(wanted) if wanted.isdigit() else 0
                )
            except NotFound:
                raise Invalid.field("calendar", f"no calendar {wanted!r}") from None
    return data


@login_required
@require_http_methods(["GET", "POST"])
def resource_list(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            resource = services.resource_create(
                actor=request_user(request), **_resource_form_data(request)
            )
        except ServiceError as exc:
            deny_if_forbidden(exc)
            error = exc.detail
        else:
            messages.success(request, f"Resource {resource.name} created.")
            return redirect("planning:resource_detail", resource_id=resource.pk)
    kind = request.GET.get("kind") or None
    resources = list(
        selectors.resource_list(
            user=request.user, kind=kind if kind in ResourceKind.values else None,
            search=request.GET.get("q") or None,
        )
    )  # fmt: skip
    first, last = selectors.load_window(
        timezone.localdate(), timezone.localdate() + dt.timedelta(weeks=7)
    )
    loads = selectors.resources_load(
        user=request.user, resources=resources, start=first, finish=last
    )
    return render(
        request,
        "planning/resource_list.html",
        {
            "rows": list(zip(resources, loads, strict=True)),
            "kinds": ResourceKind.choices,
            "kind": kind,
            "q": request.GET.get("q", ""),
            "can_manage_resources": services.can_manage_resources(request.user),
            "teams": Team.objects.order_by("name"),
            "calendars": selectors.calendar_list(user=request.user).select_related("project"),
            "error": error,
            "post": request.POST,
        },
        status=422 if error else 200,
    )


def _resource(request: HttpRequest, resource_id: int) -> Any:
    try:
        return selectors.resource_get(user=request.user, resource_id=resource_id)
    except NotFound:
        raise Http404("resource not found") from None


@login_required
@require_http_methods(["GET", "POST"])
def resource_detail(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = _resource(request, resource_id)
    error = ""
    if request.method == "POST":
        version = request.POST.get("version", "")
        try:
            data = _resource_form_data(request)
            data["active"] = request.POST.get("active") == "on"
            services.resource_update(
                actor=request_user(request), resource=resource,
                version=int(version) if version.isdigit() else None, data=data,
            )  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            error = exc.detail
        else:
            messages.success(request, "Resource saved.")
            return redirect("planning:resource_detail", resource_id=resource.pk)
    first, last = selectors.load_window(
        _date(request.GET.get("from")) or timezone.localdate(),
        _date(request.GET.get("to")) or timezone.localdate() + dt.timedelta(weeks=15),
    )
    load = selectors.resources_load(
        user=request.user, resources=[resource], start=first, finish=last
    )[0]
    return render(
        request,
        "planning/resource_detail.html",
        {
            "resource": resource,
            "load": load,
            "resource_chart": {"load": load, "after": None, "chart": _histogram(load, None)},
            "kinds": ResourceKind.choices,
            "teams": Team.objects.order_by("name"),
            "calendars": selectors.calendar_list(user=request.user).select_related("project"),
            "can_manage_resources": services.can_manage_resources(request.user),
            "can_edit_absences": services.can_manage_resources(request.user)
            or resource.user_id == request.user.pk,
            "error": error,
        },
        status=422 if error else 200,
    )


@login_required
@require_POST
def resource_absence_add(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = _resource(request, resource_id)
    start, finish = _date(request.POST.get("start")), _date(request.POST.get("finish"))
    if start is None or finish is None:
        messages.error(request, "Give the first and last day of the absence.")
    else:
        try:
            services.absence_add(
                actor=request_user(request), resource=resource, start=start, finish=finish,
                reason=request.POST.get("reason", ""),
            )  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"Absence {start}–{finish} recorded.")
    return redirect("planning:resource_detail", resource_id=resource.pk)


@login_required
@require_POST
def resource_rate_set(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = _resource(request, resource_id)
    valid_from = _date(request.POST.get("valid_from"))
    if valid_from is None:
        messages.error(request, "valid from: give a date.")
    else:
        try:
            services.rate_set(
                actor=request_user(request), resource=resource, valid_from=valid_from,
                rate=services.parse_decimal(request.POST.get("rate") or "", "rate"),
            )  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"Rate from {valid_from} saved.")
    return redirect("planning:resource_detail", resource_id=resource.pk)
