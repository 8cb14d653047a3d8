"""The plan page shows the project's custom task fields as columns, to whoever sees the plan."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from itpm.documents.services import custom_field_create, task_custom_values_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def valued(people: Any, project: Any, tasks: Any) -> Any:
    owner = people["owner"]
    custom_field_create(actor=owner, project=project, key="vendor_ticket", name="Vendor ticket")
    custom_field_create(actor=owner, project=project, key="onsite", name="On site",
                        field_type="bool")  # fmt: skip
    task_custom_values_set(actor=owner, task=tasks["design"],
                           values={"vendor_ticket": "SAP-<4711>", "onsite": True}, version=None)  # fmt: skip
    return tasks


def _client(people: Any, name: str) -> Client:
    client = Client()
    client.force_login(people[name])
    return client


def _row(html: str, task: Any) -> str:
    match = re.search(rf'<tr id="task-{task.pk}".*?</tr>', html, re.S)
    assert match, f"no row for task {task.pk}"
    return match.group(0)


@pytest.mark.parametrize("who", ["manager", "member", "viewer"])
def test_plan_shows_custom_field_values_as_columns(people: Any, valued: Any, who: str) -> None:
    html = _client(people, who).get("/projects/APL/plan/").content.decode()
    assert '<th class="custom-field"' in html
    assert ">Vendor ticket</th>" in html and ">On site</th>" in html
    design = _row(html, valued["design"])
    assert '<td class="custom-field" data-field="vendor_ticket">SAP-&lt;4711&gt;</td>' in design
    assert '<td class="custom-field" data-field="onsite">yes</td>' in design
    # A task without values still has its (empty) cells, so the columns line up.
    assert design.count('class="custom-field"') == _row(html, valued["code"]).count(
        'class="custom-field"'
    )


def test_outsider_sees_neither_the_plan_nor_the_values(people: Any, valued: Any) -> None:
    response = _client(people, "outsider").get("/projects/APL/plan/")
    assert response.status_code == 404
    assert b"SAP-" not in response.content


def test_the_row_htmx_refreshes_keeps_the_custom_columns(people: Any, valued: Any) -> None:
    row = _client(people, "manager").get(f"/tasks/{valued['design'].pk}/row/").content.decode()
    assert 'data-field="vendor_ticket">SAP-&lt;4711&gt;</td>' in row


def test_a_plan_without_custom_fields_has_no_extra_columns(people: Any, tasks: Any) -> None:
    html = _client(people, "manager").get("/projects/APL/plan/").content.decode()
    assert 'class="custom-field"' not in html
