"""The board, My work and a burndown read in a fixed number of queries, however many tasks."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from itpm.planning.cycle_selectors import cycle_burndown
from itpm.planning.cycle_services import cycle_commit, label_create, task_set_labels
from itpm.planning.models import Cycle
from itpm.planning.services import task_create


def _add(people: Any, project: Any, count: int, sprint: Cycle) -> None:
    label = label_create(actor=people["owner"], project=project, name=f"l{count}")
    ids = []
    for n in range(count):
        task = task_create(actor=people["owner"], project=project, name=f"T{count}-{n}",
                           assignees=[people["member"]])  # fmt: skip
        task_set_labels(actor=people["owner"], task=task, version=None, label_ids=[label.pk])
        ids.append(task.pk)
    cycle_commit(actor=people["member"], cycle=sprint, task_ids=ids)


def _count(call: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def test_board_my_work_and_burndown_do_not_grow_with_tasks(
    people: Any, project: Any, sprint: Cycle
) -> None:
    import datetime as dt

    client = Client()
    client.force_login(people["member"])

    def measure() -> tuple[int, int, int]:
        return (
            _count(lambda: client.get("/projects/APL/board/?cycle=all")),
            _count(lambda: client.get("/my-work/")),
            _count(lambda: cycle_burndown(cycle=sprint, today=dt.date(2027, 1, 20))),
        )

    _add(people, project, 3, sprint)
    few = measure()
    _add(people, project, 12, sprint)
    many = measure()
    assert many == few, f"queries grew from {few} to {many}"
