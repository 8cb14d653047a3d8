"""A task edit through the API: the reschedule writes back only the rows that changed, and
the request takes the same number of queries however large the project is (no N+1)."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from itpm.planning.models import Task
from itpm.planning.scheduling import deferred_rescheduling
from itpm.planning.services import dependency_create, task_create

TASK_TABLE = Task._meta.db_table


def _add_tasks(project: Any, owner: Any, count: int, prefix: str) -> None:
    """``count`` tasks in chains of ten under one phase: plenty of rows that do not move."""
    with transaction.atomic(), deferred_rescheduling():
        phase = task_create(actor=owner, project=project, name=f"{prefix} phase")
        previous = None
        for n in range(count):
            task = task_create(
                actor=owner, project=project, name=f"{prefix} {n}", parent=phase,
                duration_hours=4 + n % 5,
            )  # fmt: skip
            if previous is not None and n % 10:
                dependency_create(
                    actor=owner, project=project, predecessor=previous, successor=task
                )
            previous = task


def _patch(client: Any, task: Task, **data: Any) -> list[dict[str, Any]]:
    version = Task.objects.get(pk=task.pk).version
    with CaptureQueriesContext(connection) as captured:
        response = client.patch(
            f"/api/v1/tasks/{task.pk}",
            {"version": version, **data},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    return captured.captured_queries


def _rows_written_by_reschedule(queries: list[dict[str, Any]]) -> list[int]:
    """Row counts of the reschedule's batched write-back (``N times: UPDATE ...``)."""
    counts = []
    for query in queries:
        found = re.match(r"(\d+) times: UPDATE .?" + TASK_TABLE, query["sql"])
        if found:
            counts.append(int(found.group(1)))
    return counts


def test_an_edit_writes_back_only_the_tasks_that_moved(
    api: Any, project: Any, people: Any, tasks: Any
) -> None:
    owner = people["owner"]
    _add_tasks(project, owner, 40, "Bulk")
    client = api("manager")
    client.get(f"/api/v1/tasks/{tasks['code'].pk}")  # token last-use write, caches

    # The bulk chains (60 h each) set the project finish; Design and Code (56 h) have 4 h of
    # float. Two more hours on Design move Design, Code and their Build phase, nothing else.
    assert Task.objects.get(pk=tasks["design"].pk).total_float_hours == 4
    queries = _patch(client, tasks["design"], duration_hours=18)
    written = _rows_written_by_reschedule(queries)
    assert written and sum(written) <= 3, written
    assert Task.objects.get(pk=tasks["code"].pk).total_float_hours == 2

    # A name is no schedule input: no reschedule, nothing written back.
    queries = _patch(client, tasks["code"], name="Code and review")
    assert _rows_written_by_reschedule(queries) == []


def test_an_edit_takes_the_same_queries_on_a_larger_project(
    api: Any, project: Any, people: Any, tasks: Any
) -> None:
    owner = people["owner"]
    client = api("manager")
    client.get(f"/api/v1/tasks/{tasks['code'].pk}")
    _add_tasks(project, owner, 20, "Small")
    hours = iter(range(41, 60))
    few = len(_patch(client, tasks["code"], duration_hours=next(hours)))
    _add_tasks(project, owner, 150, "Large")
    many = len(_patch(client, tasks["code"], duration_hours=next(hours)))
    assert many == few
