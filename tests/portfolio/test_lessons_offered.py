"""Lessons learned are offered on the overview of a new project of the same category, and
found on the lessons page by everyone logged in."""

from __future__ import annotations

import pytest
from django.test import Client

from itpm.accounts.models import User
from itpm.portfolio import closing
from itpm.portfolio.models import Category, Project, Stage
from itpm.portfolio.services import project_create

pytestmark = pytest.mark.django_db


def page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_new_project_of_the_same_category_is_offered_the_lessons_while_it_is_young(
    project: Project, people: dict[str, User]
) -> None:
    closing.lesson_create(actor=people["member"], project=project, title="Freeze the schema early",
                          recommendations="Agree the data model before the first sprint")  # fmt: skip
    same = project_create(actor=people["outsider"], key="NEWAPP", name="New app",
                          category=Category.SOFTWARE)  # fmt: skip
    project_create(actor=people["outsider"], key="RACKS", name="Racks",
                           category=Category.HARDWARE)  # fmt: skip
    outsider = page(people["outsider"])  # not a member of APL, where the lesson was learned
    html = outsider.get("/projects/NEWAPP/").content.decode()
    assert "Lessons from earlier software" in html and "Freeze the schema early" in html
    assert "Agree the data model" in html
    assert "Freeze the schema early" not in outsider.get("/projects/RACKS/").content.decode()
    Project.objects.filter(pk=same.pk).update(stage=Stage.EXECUTION)
    assert "Freeze the schema early" not in outsider.get("/projects/NEWAPP/").content.decode()
    found = outsider.get("/lessons/?q=schema").content.decode()
    assert "Freeze the schema early" in found
    assert "Freeze the schema early" not in outsider.get("/lessons/?q=racks").content.decode()
