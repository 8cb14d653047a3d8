"""Shared test fixtures: named people and a small project, as in a real team.

- ``admin``: site admin
- ``owner``: owner of the Apollo project (APL); ``manager``, ``member``, ``viewer``: its team
- ``outsider``: owner of another project (ZED), no role on APL
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from itpm.accounts.models import Role, User
from itpm.accounts.services import membership_set, token_create
from itpm.planning.models import Task, WorkCalendar
from itpm.planning.services import dependency_create, task_create
from itpm.portfolio.models import Category, Project
from itpm.portfolio.services import project_create

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The production hasher is slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _security_limits_off(settings: Any) -> None:
    # Tests log in and write far faster than people; the login lockout and the API write limit
    # would refuse them. tests/security turns both on again to prove they work.
    settings.ITPM_LOGIN_MAX_FAILURES = 0
    settings.ITPM_API_WRITES_PER_MINUTE = 0


def _user(username: str, **extra: Any) -> User:
    return User.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com", **extra
    )


@pytest.fixture
def people(db: Any) -> dict[str, User]:
    return {
        "admin": _user("admin", is_staff=True, is_superuser=True),
        "owner": _user("olivia", first_name="Olivia"),
        "manager": _user("manny"),
        "member": _user("mia"),
        "viewer": _user("vic"),
        "outsider": _user("oscar"),
    }


@pytest.fixture
def project(people: dict[str, User]) -> Project:
    project = project_create(
        actor=people["owner"],
        key="APL",
        name="Apollo ERP upgrade",
        category=Category.SOFTWARE,
        start_date=dt.date(2027, 1, 4),
    )
    membership_set(
        actor=people["owner"], project=project, user=people["manager"], role=Role.MANAGER
    )
    membership_set(actor=people["owner"], project=project, user=people["member"], role=Role.MEMBER)
    membership_set(actor=people["owner"], project=project, user=people["viewer"], role=Role.VIEWER)
    return project


@pytest.fixture
def london(project: Project) -> Project:
    """APL on the "London office" calendar: Monday to Friday 09:00-12:30 and 13:30-17:30
    (7.5 hours, a 37.5-hour week) in UTC, for durations to the minute."""
    calendar = WorkCalendar.objects.create(
        name="London office",
        project=project,
        working_days=[0, 1, 2, 3, 4],
        working_hours=[["09:00", "12:30"], ["13:30", "17:30"]],
        timezone="UTC",
    )
    Project.objects.filter(pk=project.pk).update(calendar=calendar)
    project.refresh_from_db()
    return project


@pytest.fixture
def foreign_project(people: dict[str, User]) -> Project:
    return project_create(actor=people["outsider"], key="ZED", name="Zed secret rollout")


@pytest.fixture
def tasks(project: Project, people: dict[str, User]) -> dict[str, Task]:
    owner = people["owner"]
    phase = task_create(actor=owner, project=project, name="Build", duration_hours=0)
    design = task_create(
        actor=owner, project=project, name="Design", parent=phase, duration_hours=16
    )
    code = task_create(actor=owner, project=project, name="Code", parent=phase, duration_hours=40)
    launch = task_create(actor=owner, project=project, name="Launch", milestone=True)
    dependency_create(actor=owner, project=project, predecessor=design, successor=code)
    return {"phase": phase, "design": design, "code": code, "launch": launch}


def api_client(user: User | None) -> Client:
    """A client that talks to the API as ``user`` with a bearer token (None: anonymous)."""
    if user is None:
        return Client()
    _, key = token_create(user=user)
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def api(people: dict[str, User]) -> Any:
    clients: dict[str, Client] = {}

    def get(name: str | None) -> Client:
        if name is None:
            return Client()
        if name not in clients:
            clients[name] = api_client(people[name])
        return clients[name]

    return get


# One headless chromium per test process, shared by every folder with browser tests: two
# sync Playwright instances cannot live in one process. Debian's chromium, never a
# downloaded browser.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from
    # a thread with a running loop unless told that this is deliberate. Tests call the ORM
    # only between browser steps, never at the same time, so it is safe here.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
