"""``db_state`` (tests/world.py) sees every change to every itpm table.

The permission matrix and the mass-assignment tests trust it to prove that a denied request
left the database unchanged, so it must notice any write, however it was made, and only real
changes: a read that touches a volatile column is no change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from itpm.accounts.models import ApiToken, Team, User
from itpm.core.models import AuditEvent, IdempotencyKey
from itpm.planning.models import Task
from tests.world import changed_tables, db_state


def test_it_covers_every_itpm_table_and_m2m_table(db: Any) -> None:
    labels = {
        model._meta.label
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_config.name.startswith("itpm")
    }
    assert "accounts.Team_members" in labels
    assert set(db_state()) == labels


def test_an_unchanged_database_has_an_unchanged_state(tasks: dict[str, Task]) -> None:
    assert changed_tables(db_state(), db_state()) == []


def test_a_saved_field_changes_its_table_only(tasks: dict[str, Task]) -> None:
    before = db_state()
    task = tasks["design"]
    task.duration_hours = 17
    task.save(update_fields=["duration_hours"])
    assert changed_tables(before, db_state()) == ["planning.Task"]


def test_a_queryset_update_and_raw_sql_are_seen(tasks: dict[str, Task]) -> None:
    before = db_state()
    Task.objects.filter(pk=tasks["code"].pk).update(planning_package=True)
    assert changed_tables(before, db_state()) == ["planning.Task"]

    before = db_state()
    with connection.cursor() as cursor:
        sql = f"UPDATE {Task._meta.db_table} SET name = %s WHERE id = %s"  # noqa: S608
        cursor.execute(sql, ["Coding", tasks["code"].pk])
    assert changed_tables(before, db_state()) == ["planning.Task"]


def test_a_one_second_change_of_a_timestamp_is_seen(tasks: dict[str, Task]) -> None:
    task = Task.objects.get(pk=tasks["design"].pk)
    before = db_state()
    task.updated_at = task.updated_at + dt.timedelta(seconds=1)
    Task.objects.filter(pk=task.pk).update(updated_at=task.updated_at)
    assert changed_tables(before, db_state()) == ["planning.Task"]


def test_an_insert_and_a_delete_are_seen(tasks: dict[str, Task], people: dict[str, User]) -> None:
    before = db_state()
    AuditEvent.objects.create(action="x.y", object_type="x", object_id="1", object_repr="x")
    after = db_state()
    assert changed_tables(before, after) == ["core.AuditEvent"]
    assert after["core.AuditEvent"][0] == before["core.AuditEvent"][0] + 1

    AuditEvent.objects.filter(action="x.y").delete()
    assert changed_tables(before, db_state()) == []


def test_a_json_value_and_a_binary_value_are_seen(people: dict[str, User]) -> None:
    key = IdempotencyKey.objects.create(
        created_at=timezone.now(), user=people["owner"], key="k", route="POST /x",
        body_sha256="0" * 64, status_code=201, content_type="application/json",
        headers={"A": "1"}, body=b"\x00\x01",
    )  # fmt: skip
    before = db_state()
    IdempotencyKey.objects.filter(pk=key.pk).update(headers={"A": "2"})
    assert changed_tables(before, db_state()) == ["core.IdempotencyKey"]

    before = db_state()
    IdempotencyKey.objects.filter(pk=key.pk).update(body=b"\x00\x02")
    assert changed_tables(before, db_state()) == ["core.IdempotencyKey"]


def test_a_many_to_many_link_is_seen(people: dict[str, User]) -> None:
    team = Team.objects.create(name="Ops", kind="operations")
    before = db_state()
    team.members.add(people["member"])
    assert changed_tables(before, db_state()) == ["accounts.Team_members"]


def test_a_value_that_only_moves_between_rows_is_seen(tasks: dict[str, Task]) -> None:
    """Same rows, same values, another arrangement: the checksum covers whole rows."""
    design, code = tasks["design"], tasks["code"]
    before = db_state()
    Task.objects.filter(pk=design.pk).update(duration_hours=code.duration_hours)
    Task.objects.filter(pk=code.pk).update(duration_hours=design.duration_hours)
    assert changed_tables(before, db_state()) == ["planning.Task"]


def test_a_rolled_back_write_is_no_change(tasks: dict[str, Task]) -> None:
    before = db_state()
    try:
        with transaction.atomic():
            Task.objects.filter(pk=tasks["design"].pk).update(name="Gone")
            assert changed_tables(before, db_state()) == ["planning.Task"]
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert changed_tables(before, db_state()) == []


def test_volatile_columns_are_no_change(people: dict[str, User], db: Any) -> None:
    from itpm.accounts.services import token_create

    token, _ = token_create(user=people["member"])
    before = db_state()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    User.objects.filter(pk=people["member"].pk).update(last_login=timezone.now())
    assert changed_tables(before, db_state()) == []
    ApiToken.objects.filter(pk=token.pk).update(name="renamed")
    assert changed_tables(before, db_state()) == ["accounts.ApiToken"]
