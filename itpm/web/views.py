"""Server-rendered pages. Thin: parse the form, call one service or selector, render.

Pages work without JavaScript for reading; htmx swaps rows in place for editing.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from itpm.accounts import services as account_services
from itpm.accounts.models import Role, User
from itpm.accounts.permissions import get_visible_project, project_role, request_user
from itpm.core.errors import NotFound, ServiceError
from itpm.core.markdown import render_markdown
from itpm.documents import selectors as document_selectors
from itpm.documents.custom_fields import display as custom_display
from itpm.documents.custom_fields import values_by_task
from itpm.documents.models import CustomField
from itpm.planning import selectors as planning_selectors
from itpm.planning import services as planning_services
from itpm.planning.durations import exact_minutes
from itpm.planning.models import Task
from itpm.portfolio import selectors as portfolio_selectors
from itpm.portfolio import services as portfolio_services
from itpm.portfolio import templates as project_templates
from itpm.portfolio.models import Category, Project, Stage
from itpm.tracking.dashboards import project_dashboard
from itpm.web import forms as web_forms
from itpm.web.guards import deny_if_forbidden


def _project(request: HttpRequest, key: str) -> Project:
    try:
        return get_visible_project(request.user, key)
    except NotFound:
        raise Http404("project not found") from None


def _task(request: HttpRequest, task_id: int) -> Task:
    try:
        return planning_selectors.task_get(user=request.user, task_id=task_id)
    except NotFound:
        raise Http404("task not found") from None


def _add_errors(form: forms.Form, exc: ServiceError) -> None:
    if not exc.errors:
        form.add_error(None, exc.detail)
    for error in exc.errors:
        form.add_error(error.field if error.field in form.fields else None, error.message)


def _context(request: HttpRequest, project: Project, tab: str, **extra: Any) -> dict[str, Any]:
    role = project_role(request.user, project)
    can_edit = role is not None and role != Role.VIEWER and not project.archived
    can_manage = role in (Role.MANAGER, Role.OWNER) and not project.archived
    return {
        "project": project,
        "tab": tab,
        "role": role,
        "can_edit": can_edit,
        "can_manage": can_manage,
        "stages": Stage.choices,
        **extra,
    }


# ---------------------------------------------------------------------------- projects
@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    stage = request.GET.get("stage") or None
    category = request.GET.get("category") or None
    search = request.GET.get("q") or None
    archived = request.GET.get("archived") == "1"
    projects = portfolio_selectors.project_list(
        user=request.user,
        stage=stage if stage in Stage.values else None,
        category=category if category in Category.values else None,
        archived=archived,
        search=search,
    )
    page = Paginator(projects, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/project_list.html",
        {
            "page": page,
            "stages": Stage.choices,
            "categories": Category.choices,
            "filters": {
                "stage": stage,
                "category": category,
                "q": search or "",
                "archived": archived,
            },
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    form = web_forms.ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = project_templates.project_create_with_template(
                actor=request_user(request), **form.cleaned_data
            )
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, f"Project {project.key} created.")
            return redirect("web:project_plan", key=project.key)
    return render(request, "web/project_form.html", {"form": form})


@login_required
def project_overview(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    tasks = planning_selectors.task_list(project=project)
    counts = {"total": 0, "done": 0, "milestones": 0}
    for status, milestone in tasks.values_list("status", "milestone"):
        counts["total"] += 1
        counts["done"] += status == "done"
        counts["milestones"] += milestone
    events = portfolio_selectors.project_activity(project=project)[:15]
    milestones = tasks.filter(milestone=True).exclude(status="done")[:5]
    return render(
        request,
        "web/project_overview.html",
        _context(
            request,
            project,
            "overview",
            counts=counts,
            events=events,
            milestones=milestones,
            goal_html=render_markdown(project.goal),
            members=project.memberships.select_related("user").order_by("user__username"),
            dash=project_dashboard(project, timezone.localdate()),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_settings(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    initial = {
        "version": project.version, "name": project.name, "goal": project.goal,
        "category": project.category,
        "start_date": project.start_date, "target_date": project.target_date,
        "currency": project.currency,
    }  # fmt: skip
    form = web_forms.ProjectEditForm(request.POST or None, initial=initial)
    member_form = web_forms.MemberForm()
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            portfolio_services.project_update(
                actor=request_user(request),
                project=project,
                version=version,
                data=data,
            )
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, "Project saved.")
            return redirect("web:project_settings", key=project.key)
    return render(
        request,
        "web/project_settings.html",
        _context(
            request,
            project,
            "settings",
            form=form,
            member_form=member_form,
            members=project.memberships.select_related("user").order_by("user__username"),
        ),
    )


@login_required
@require_POST
def project_archive(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    try:
        portfolio_services.project_archive(actor=request_user(request), project=project)
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{project.key} is archived and now read-only.")
    return redirect("web:project_overview", key=project.key)


@login_required
@require_POST
def member_set(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    form = web_forms.MemberForm(request.POST)
    if form.is_valid():
        user = User.objects.filter(username=form.cleaned_data["username"], is_active=True).first()
        if user is None:
            messages.error(request, f"No user called {form.cleaned_data['username']!r}.")
        else:
            try:
                account_services.membership_set(
                    actor=request_user(request),
                    project=project,
                    user=user,
                    role=form.cleaned_data["role"],
                )
            except ServiceError as exc:
                deny_if_forbidden(exc)
                messages.error(request, exc.detail)
            else:
                messages.success(request, f"{user.username} is now {form.cleaned_data['role']}.")
    else:
        messages.error(request, "Give a username and a role.")
    return redirect("web:project_settings", key=project.key)


@login_required
@require_POST
def member_remove(request: HttpRequest, key: str, username: str) -> HttpResponse:
    project = _project(request, key)
    membership = project.memberships.filter(user__username=username).select_related("user").first()
    if membership is None:
        raise Http404("member not found")
    try:
        account_services.membership_remove(
            actor=request_user(request), project=project, user=membership.user
        )
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{username} removed.")
    return redirect("web:project_settings", key=project.key)


@login_required
def project_activity(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    page = Paginator(portfolio_selectors.project_activity(project=project), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request, "web/project_activity.html", _context(request, project, "activity", page=page)
    )


# ---------------------------------------------------------------------------- plan (WBS)
def _custom_cells(fields: list[CustomField], values: dict[str, Any]) -> list[tuple[str, str]]:
    """A task's custom-field values as the plan's columns show them, in field order.

    The plan page is read with the same visibility as the project (and the fields page), so
    whoever sees the plan may see the values; they are edited on the Custom fields tab.
    """
    return [(field.key, custom_display(field, values.get(field.key))) for field in fields]


def _plan_context(request: HttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    tasks = planning_selectors.rollup_summaries(list(planning_selectors.task_list(project=project)))
    links = list(planning_selectors.dependency_list(project=project))
    predecessors: dict[int, list[str]] = {}
    for link in links:
        lag = f"{link.lag_hours:+d}h" if link.lag_hours else ""
        predecessors.setdefault(link.successor_id, []).append(
            f"{link.predecessor.wbs_code}{link.type if link.type != 'FS' or lag else ''}{lag}"
        )
    custom_fields = list(document_selectors.custom_field_list(project=project))
    custom_values = values_by_task(project) if custom_fields else {}
    for task in tasks:
        task.depth = task.wbs_code.count(".")  # type: ignore[attr-defined]
        task.predecessor_labels = ", ".join(predecessors.get(task.pk, []))  # type: ignore[attr-defined]
        task.custom_cells = _custom_cells(custom_fields, custom_values.get(task.pk, {}))  # type: ignore[attr-defined]
    return _context(
        request,
        project,
        "plan",
        tasks=tasks,
        custom_fields=custom_fields,
        plan_columns=10 + len(custom_fields),
        links=links,
        task_form=extra.pop("task_form", web_forms.TaskCreateForm()),
        dependency_form=extra.pop("dependency_form", web_forms.DependencyForm()),
        **extra,
    )


@login_required
def project_plan(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    return render(request, "web/project_plan.html", _plan_context(request, project))


@login_required
@require_POST
def task_create(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    form = web_forms.TaskCreateForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        parent_id = data.pop("parent")
        data.update(web_forms.duration_change(data.pop("duration_hours")))
        try:
            parent = (
                planning_selectors.task_in_project(
                    project=project, task_id=parent_id, field="parent"
                )
                if parent_id
                else None
            )
            task = planning_services.task_create(
                actor=request_user(request),
                project=project,
                parent=parent,
                **data,
            )
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, f"Task {task.wbs_code} {task.name} added.")
            return redirect("web:project_plan", key=project.key)
    return render(
        request,
        "web/project_plan.html",
        _plan_context(request, project, task_form=form),
        status=422,
    )


def _row(request: HttpRequest, task: Task, *, error: str = "") -> HttpResponse:
    task = _task(request, task.pk)
    project = task.project
    if getattr(task, "child_count", 0):
        subtree = planning_selectors.task_list(project=project).filter(
            wbs_sort__startswith=task.wbs_sort
        )
        task = planning_selectors.rollup_summaries(list(subtree))[0]
    else:
        planning_selectors.rollup_summaries([task])
    task.depth = task.wbs_code.count(".")  # type: ignore[attr-defined]
    custom_fields = list(document_selectors.custom_field_list(project=project))
    _, custom_values = document_selectors.task_custom_values(task=task)
    task.custom_cells = _custom_cells(custom_fields, custom_values)  # type: ignore[attr-defined]
    links = planning_selectors.dependency_list(project=project, task=task.pk).filter(successor=task)
    task.predecessor_labels = ", ".join(  # type: ignore[attr-defined]
        f"{link.predecessor.wbs_code}{link.type if link.type != 'FS' or link.lag_hours else ''}"
        f"{f'{link.lag_hours:+d}h' if link.lag_hours else ''}"
        for link in links
    )
    return render(
        request,
        "web/_task_row.html",
        {
            **_context(request, project, "plan"),
            "task": task,
            "error": error,
            "custom_fields": custom_fields,
            "plan_columns": 10 + len(custom_fields),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_edit_field(request: HttpRequest, task_id: int, field: str) -> HttpResponse:
    """GET: the cell as a small form (htmx). POST: save it and answer the refreshed row."""
    task = _task(request, task_id)
    if field not in web_forms.TASK_FIELD_FORMS:
        raise Http404("no such field")
    # The plan shows task dates on the project calendar's wall clock: the form does too,
    # and a typed date/time is read in that zone.
    with timezone.override(task.project.schedule_zone):
        return _task_edit_field(request, task, field)


def _task_edit_field(request: HttpRequest, task: Task, field: str) -> HttpResponse:
    form_class = type("FieldForm", (forms.Form,), {field: web_forms.TASK_FIELD_FORMS[field]})
    if request.method == "GET":
        # Its own ids: the add-task form below the table has an "id_duration_hours" too, and
        # htmx gives the focus back to the element with the focused one's id after a swap
        # (the page jumped to the add-task form after every inline edit).
        # The duration is prefilled exact (7h30), not as the rounded hours it is stored as.
        value = exact_minutes(task) if field == "duration_hours" else getattr(task, field)
        form = form_class(initial={field: value}, auto_id=f"cell-{task.pk}-%s")
        return render(
            request, "web/_task_cell_form.html", {"task": task, "field": field, "form": form}
        )
    form = form_class(request.POST)
    version = request.POST.get("version", "")
    if not form.is_valid():
        message = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return _row(request, task, error=f"{field.replace('_', ' ')}: {message}")
    before = planning_selectors.schedule_snapshot(project=task.project)
    try:
        planning_services.task_update(
            actor=request_user(request),
            task=task,
            version=int(version) if version.isdigit() else None,
            data=_field_change(field, form.cleaned_data[field]),
        )
    except ServiceError as exc:
        deny_if_forbidden(exc)
        return _row(request, task, error=exc.detail)
    response = _row(request, task)
    after = planning_selectors.schedule_snapshot(project=task.project)
    changed = [pk for pk, row in after.items() if pk != task.pk and before.get(pk) != row]
    if changed:
        # The answer swaps only the edited row; the plan's other rows would keep their old
        # dates (or late flags, when only floats changed). The event makes the page reload its
        # table body and say which tasks moved.
        moved = sorted(pk for pk in changed if before.get(pk, ())[:2] != after[pk][:2])
        response["HX-Trigger-After-Swap"] = json.dumps(
            {"plan-moved": {"message": _moved_message(task.project, moved, before, after)}}
        )
    return response


def _moved_message(
    project: Project,
    moved: list[int],
    before: dict[int, tuple[Any, ...]],
    after: dict[int, tuple[Any, ...]],
) -> str:
    """The line above the plan after an edit: "Saved. 2 other tasks moved: 1 Build, 1.2
    Code. Project finish A → B." (times on the project calendar's clock, as the table's)."""
    names = list(
        Task.objects.filter(pk__in=moved).order_by("wbs_sort").values_list("wbs_code", "name")[:5]
    )
    listed = ", ".join(f"{code} {name}" for code, name in names)
    more = f" and {len(moved) - len(names)} more" if len(moved) > len(names) else ""
    plural = "s" if len(moved) != 1 else ""
    text = (
        f"Saved. {len(moved)} other task{plural} moved: {listed}{more}."
        if moved
        else "Saved. No other task moved; floats changed."
    )

    def finish(rows: dict[int, tuple[Any, ...]]) -> str:
        finishes = [row[1] for row in rows.values() if row[1] is not None]
        if not finishes:
            return "—"
        return timezone.localtime(max(finishes), project.schedule_zone).strftime("%Y-%m-%d %H:%M")

    old, new = finish(before), finish(after)
    return (
        f"{text} Project finish {old} → {new}." if old != new else f"{text} Project finish {new}."
    )


def _field_change(field: str, value: Any) -> dict[str, Any]:
    """What one inline edit changes: a start date is a start-no-earlier-than constraint."""
    if field == "constraint_date":
        return {"constraint_type": "SNET" if value else "ASAP", "constraint_date": value}
    if field == "duration_hours":
        return web_forms.duration_change(value)
    return {field: value}


@login_required
def task_row(request: HttpRequest, task_id: int) -> HttpResponse:
    return _row(request, _task(request, task_id))


@login_required
@require_POST
def task_action(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    """Structure changes from the plan page: indent, outdent, up, down, delete."""
    task = _task(request, task_id)
    version_text = request.POST.get("version", "")
    version = int(version_text) if version_text.isdigit() else None
    actor: Any = request.user
    try:
        if action == "indent":
            planning_services.task_indent(actor=actor, task=task, version=version)
        elif action == "outdent":
            planning_services.task_outdent(actor=actor, task=task, version=version)
        elif action in ("up", "down"):
            position = task.order - 1 if action == "up" else task.order + 1
            planning_services.task_move(
                actor=actor,
                task=task,
                version=version,
                parent=task.parent,
                position=max(1, position),
            )
        elif action == "delete":
            planning_services.task_delete(actor=actor, task=task, version=version)
            messages.success(request, f"Deleted {task.wbs_code} {task.name}.")
        else:
            raise Http404("no such action")
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    return redirect("web:project_plan", key=task.project.key)


@login_required
@require_POST
def dependency_create(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    form = web_forms.DependencyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            planning_services.dependency_create(
                actor=request_user(request),
                project=project,
                predecessor=planning_selectors.task_in_project(
                    project=project, task_id=data["predecessor"], field="predecessor"
                ),
                successor=planning_selectors.task_in_project(
                    project=project, task_id=data["successor"], field="successor"
                ),
                type=data["type"],
                lag_hours=data["lag_hours"],
            )
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, "Dependency added.")
            return redirect("web:project_plan", key=project.key)
    return render(
        request,
        "web/project_plan.html",
        _plan_context(request, project, dependency_form=form),
        status=422,
    )


@login_required
@require_POST
def dependency_delete(request: HttpRequest, dependency_id: int) -> HttpResponse:
    try:
        dependency = planning_selectors.dependency_get(
            user=request.user, dependency_id=dependency_id
        )
    except NotFound:
        raise Http404("dependency not found") from None
    try:
        planning_services.dependency_delete(actor=request_user(request), dependency=dependency)
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Dependency removed.")
    return redirect("web:project_plan", key=dependency.project.key)
