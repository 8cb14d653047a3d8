"""The task list and detail over the API: stored description HTML, assignees in one query,
and the same row for a task whichever endpoint shows it."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itpm.core.markdown import render_markdown
from itpm.planning.models import Task
from itpm.planning.services import task_create, task_update

MARKDOWN = "Rack **A3**, see [runbook](https://wiki.example/a3) <script>alert(1)</script>"
HTML = (
    '<p>Rack <strong>A3</strong>, see <a href="https://wiki.example/a3" '
    'rel="noopener noreferrer nofollow">runbook</a> </p>'
)


def test_the_description_html_is_stored_sanitized_and_follows_every_edit(
    project: Any, people: Any
) -> None:
    task = task_create(actor=people["owner"], project=project, name="Rack", description=MARKDOWN)
    assert Task.objects.get(pk=task.pk).description_html == HTML
    task_update(
        actor=people["owner"], task=task, version=task.version, data={"description": "_new_"}
    )
    assert Task.objects.get(pk=task.pk).description_html == "<p><em>new</em></p>"
    # A save naming only the description refreshes the HTML too.
    task.refresh_from_db()
    task.description = "plain"
    task.save(update_fields=["description"])
    assert Task.objects.get(pk=task.pk).description_html == "<p>plain</p>"
    # Bulk inserts (imports) render it as well.
    [bulk] = Task.objects.bulk_create([Task(project=project, name="Bulk", description="`x`")])
    assert Task.objects.get(pk=bulk.pk).description_html == "<p><code>x</code></p>"


def test_the_migration_renders_existing_descriptions(project: Any, people: Any) -> None:
    task = task_create(actor=people["owner"], project=project, name="Old", description="*old*")
    empty = task_create(actor=people["owner"], project=project, name="Empty")
    Task.objects.update(description_html="")  # as rows stood before the column existed
    migration = importlib.import_module("itpm.planning.migrations.0005_task_description_html")
    migration.render_descriptions(apps, None)
    assert Task.objects.get(pk=task.pk).description_html == "<p><em>old</em></p>"
    assert Task.objects.get(pk=empty.pk).description_html == ""


def test_list_and_detail_show_the_same_row(api: Any, project: Any, tasks: Any, people: Any) -> None:
    design = tasks["design"]
    task_update(
        actor=people["owner"],
        task=design,
        version=design.version,
        data={"description": MARKDOWN, "assignees": [people["member"], people["manager"]]},
    )
    listed = api("manager").get("/api/v1/projects/APL/tasks").json()["items"]
    row = next(item for item in listed if item["id"] == design.pk)
    detail = api("manager").get(f"/api/v1/tasks/{design.pk}").json()
    assert row == detail
    assert row["description_html"] == HTML == str(render_markdown(MARKDOWN))
    assert row["assignees"] == ["manny", "mia"]
    assert row["project"] == "APL"
    assert row["parent"] == tasks["phase"].pk
    phase = next(item for item in listed if item["id"] == tasks["phase"].pk)
    assert phase["summary"] is True and row["summary"] is False


def test_a_page_of_tasks_takes_the_same_queries_however_many_assignees(
    api: Any, project: Any, people: Any
) -> None:
    client = api("manager")
    client.get("/api/v1/projects/APL/tasks")  # token last-use write, caches
    for n in range(3):
        task_create(actor=people["owner"], project=project, name=f"T{n}")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/projects/APL/tasks").status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for n in range(20):
        task_create(
            actor=people["owner"],
            project=project,
            name=f"U{n}",
            assignees=[people["member"], people["manager"]],
        )
    assert queries() == few


def test_a_single_task_answer_reads_its_assignees_once(api: Any, project: Any, people: Any) -> None:
    """GET, POST and PATCH answer one task row: its assignee names come from one query, and
    no user objects are loaded for it beside that."""
    client = api("manager")
    client.get("/api/v1/projects/APL/tasks")  # token last-use write, caches
    task = task_create(
        actor=people["owner"], project=project, name="Rack",
        assignees=[people["member"], people["manager"]],
    )  # fmt: skip
    through = Task.assignees.through._meta.db_table

    def assignee_reads(method: str, url: str, body: dict[str, Any] | None = None) -> int:
        with CaptureQueriesContext(connection) as captured:
            if body is None:
                response = client.get(url)
            else:
                response = getattr(client, method)(url, body, content_type="application/json")
            assert response.status_code in (200, 201), response.content
            assert response.json()["assignees"] == ["manny", "mia"] or method == "post"
        return sum(
            1
            for query in captured.captured_queries
            if through in query["sql"] and query["sql"].lstrip().upper().startswith("SELECT")
        )

    assert assignee_reads("get", f"/api/v1/tasks/{task.pk}") == 1
    version = Task.objects.get(pk=task.pk).version
    # The update reads the assignees it may change once more, before the write.
    assert (
        assignee_reads("patch", f"/api/v1/tasks/{task.pk}", {"version": version, "name": "R"}) <= 2
    )
    assert assignee_reads("post", "/api/v1/projects/APL/tasks", {"name": "New"}) <= 1
