"""The Kanban board in a real browser: drag a card (sortablejs) to another column, reload."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from itpm.core.models import AuditEvent
from itpm.planning.models import Task
from itpm.planning.services import task_create, task_update
from tests.web.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drag(page: Any, card: Any, target: Any) -> None:
    """Drag with the mouse in small steps, as a person does (sortablejs listens to moves)."""
    start = card.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 10)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 5, start["y"] + 15, steps=3)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 20, steps=15)
    page.mouse.up()


def test_dragging_a_card_to_another_column_saves_its_status(
    page: Any, people: Any, project: Any, tmp_path: Path
) -> None:
    owner = people["owner"]
    task = task_create(
        actor=owner, project=project, name="Configure VLANs", assignees=[people["member"]]
    )
    task_create(actor=owner, project=project, name="Order switches")
    log_in(page, "mia")
    page.goto("/projects/APL/board/")
    card = page.locator(f"#card-{task.pk}")
    column = page.locator("section.board-column[data-status=in_progress] ul.cards")
    page.wait_for_function(
        "() => !!document.querySelector('#board') && window.__boardReady === true"
    )
    with page.expect_response(re.compile(r"/board-move$")) as answer:
        drag(page, card, column)
    assert answer.value.status == 200
    assert Task.objects.get(pk=task.pk).status == "in_progress"
    assert AuditEvent.objects.filter(action="task.board_move", object_id=str(task.pk)).exists()

    page.reload()
    moved = page.locator(f"section.board-column[data-status=in_progress] #card-{task.pk}")
    assert moved.count() == 1
    page.screenshot(path=str(tmp_path / "board.png"))


def test_a_stale_card_reloads_the_board_with_a_message(
    page: Any, people: Any, project: Any, problems: Any
) -> None:
    owner = people["owner"]
    task = task_create(actor=owner, project=project, name="Patch firewalls")
    problems.expect(r"status of 409")
    log_in(page, "mia")
    page.goto("/projects/APL/board/")
    page.wait_for_function("() => window.__boardReady === true")
    # Someone else changes the task after the page was loaded.
    task_update(actor=owner, task=task, version=None, data={"name": "Patch all firewalls"})
    with page.expect_response(re.compile(r"/board-move$")) as answer:
        drag(
            page,
            page.locator(f"#card-{task.pk}"),
            page.locator("section.board-column[data-status=blocked] ul.cards"),
        )
    assert answer.value.status == 409
    page.wait_for_selector("#board-messages .flash.error")
    assert "Someone else changed this task" in page.inner_text("#board-messages")
    page.wait_for_selector(f"section.board-column[data-status=not_started] #card-{task.pk}")
    assert "Patch all firewalls" in page.inner_text(f"#card-{task.pk}")
    assert Task.objects.get(pk=task.pk).status == "not_started"
