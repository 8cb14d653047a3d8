"""Helpers for the plan table's inline cell forms (``/tasks/{id}/edit/{field}/``)."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from itpm.planning.models import Task


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_cell(
    client: Client, task: Task, field: str, data: dict[str, str], *, version: int | None = None
) -> Any:
    """Save one cell as htmx does, with the task's current version unless told another."""
    fresh = Task.objects.get(pk=task.pk)
    return client.post(
        f"/tasks/{task.pk}/edit/{field}/",
        {**data, "version": str(fresh.version if version is None else version)},
        headers={"HX-Request": "true"},
    )


def error_line(response: Any, task: Task) -> str:
    """The error line the answer puts under the task's row ("" when there is none)."""
    match = re.search(
        rf'<tr class="row-error" id="task-{task.pk}-error">.*?<p class="error" role="alert">'
        r"(.*?)</p>",
        response.content.decode(),
        re.S,
    )
    return match.group(1) if match else ""
