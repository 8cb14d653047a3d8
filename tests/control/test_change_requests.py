"""Change requests: impact on a copy, the board, and applying exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from itpm.control import changes
from itpm.control.models import ChangeStatus
from itpm.core.errors import Conflict, Forbidden, NotFound
from itpm.planning.models import Dependency, Task


def _change(project: Any, people: Any, tasks: Any, **extra: Any) -> Any:
    ops = [
        {"op": "change_duration", "task": tasks["code"].pk, "hours": 64},
        {"op": "add_task", "name": "Security review", "hours": 16, "ref": "sec",
         "after": [tasks["code"].pk]},
        {"op": "add_dependency", "predecessor": "sec", "successor": tasks["launch"].pk},
    ]  # fmt: skip
    return changes.change_request_create(
        actor=people["member"], project=project, title="Add a security review",
        reason="Audit finding", operations=ops, board=[people["manager"], people["owner"]],
        **extra,
    )  # fmt: skip


def _approved(project: Any, people: Any, tasks: Any, **extra: Any) -> Any:
    change = _change(project, people, tasks, **extra)
    change = changes.change_request_submit(actor=people["member"], change=change, version=None)
    changes.change_request_vote(actor=people["manager"], change=change, approve=True)
    return changes.change_request_vote(actor=people["owner"], change=change, approve=True)


def test_impact_is_computed_on_a_copy_and_the_plan_is_untouched(project, people, tasks) -> None:
    before = list(
        Task.objects.filter(project=project).values_list("id", "duration_hours", "version")
    )
    finish = type(project).objects.get(pk=project.pk).scheduled_finish
    change = _change(project, people, tasks)
    impact = change.impact
    # Design 16 h, then Code 40 → 64 h, then the review 16 h: 96 working hours, 40 more.
    assert impact["finish_delta_hours"] == 40
    assert impact["tasks_added"] == ["Security review (16 h)"]
    assert (
        list(Task.objects.filter(project=project).values_list("id", "duration_hours", "version"))
        == before
    )
    assert type(project).objects.get(pk=project.pk).scheduled_finish == finish


def test_a_change_request_applied_twice_changes_the_plan_once(project, people, tasks) -> None:
    change = _approved(project, people, tasks)
    assert change.status == ChangeStatus.APPROVED
    applied = changes.change_request_apply(actor=people["manager"], change=change)
    assert applied.status == ChangeStatus.APPLIED
    snapshot = list(Task.objects.filter(project=project).order_by("id").values_list(
        "id", "name", "duration_hours", "version"))  # fmt: skip
    links = Dependency.objects.filter(project=project).count()
    with pytest.raises(Conflict, match="applied already"):
        changes.change_request_apply(actor=people["manager"], change=change)
    assert list(Task.objects.filter(project=project).order_by("id").values_list(
        "id", "name", "duration_hours", "version")) == snapshot  # fmt: skip
    assert Dependency.objects.filter(project=project).count() == links
    assert Task.objects.get(pk=tasks["code"].pk).duration_hours == 64
    assert Task.objects.filter(project=project, name="Security review").count() == 1
    # The applied plan finishes where the impact analysis said it would.
    project.refresh_from_db()
    assert project.scheduled_finish.isoformat() == change.impact["finish_after"]


def test_an_approval_by_a_non_board_member_is_refused(project, people, tasks) -> None:
    change = _change(project, people, tasks)
    change = changes.change_request_submit(actor=people["member"], change=change, version=None)
    with pytest.raises(Forbidden, match="change board"):
        changes.change_request_vote(actor=people["member"], change=change, approve=True)
    with pytest.raises(NotFound):
        changes.change_request_vote(actor=people["outsider"], change=change, approve=True)
    change.refresh_from_db()
    assert change.status == ChangeStatus.SUBMITTED
    assert change.votes.count() == 0


def test_a_rejected_change_is_kept_and_cannot_be_applied(project, people, tasks) -> None:
    change = _change(project, people, tasks)
    change = changes.change_request_submit(actor=people["member"], change=change, version=None)
    changes.change_request_vote(actor=people["owner"], change=change, approve=False,
                                comment="Not this quarter")  # fmt: skip
    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED
    with pytest.raises(Conflict, match="only an approved"):
        changes.change_request_apply(actor=people["manager"], change=change)
    assert Task.objects.get(pk=tasks["code"].pk).duration_hours == 40


def test_applying_can_save_a_new_baseline(project, people, tasks) -> None:
    from itpm.planning.models import Baseline

    change = _approved(project, people, tasks, save_baseline=True, baseline_name="Re-plan 1")
    changes.change_request_apply(actor=people["manager"], change=change)
    baseline = Baseline.objects.get(project=project, name="Re-plan 1")
    assert baseline.active


def test_an_operation_naming_a_foreign_task_is_refused(
    project, foreign_project, people, tasks
) -> None:
    from itpm.core.errors import Invalid
    from itpm.planning.services import task_create

    alien = task_create(actor=people["outsider"], project=foreign_project, name="Alien")
    with pytest.raises(Invalid, match=r"operations\[0\]\.task"):
        changes.change_request_create(
            actor=people["member"], project=project, title="x",
            operations=[{"op": "remove_task", "task": alien.pk}],
        )  # fmt: skip


def test_a_baselined_budget_changes_only_through_an_applied_change_request(
    project, people, tasks
) -> None:
    from itpm.planning.resource_services import baseline_create
    from itpm.tracking import services as tracking
    from itpm.tracking.models import BudgetLine

    baseline_create(actor=people["manager"], project=project, name="Plan of record")
    with pytest.raises(Conflict, match="baselined"):
        tracking.budget_line_create(actor=people["manager"], project=project,
                                    category="contractors", name="Audit",
                                    months={"2027-02": "4800.00"})  # fmt: skip
    change = changes.change_request_create(
        actor=people["member"], project=project, title="Security audit",
        budget_changes=[{"category": "contractors", "name": "Audit",
                         "months": {"2027-02": "4800.00"}}],
        board=[people["owner"]],
    )  # fmt: skip
    assert change.impact["budget_delta"] == "4800.00"
    change = changes.change_request_submit(actor=people["member"], change=change, version=None)
    change = changes.change_request_vote(actor=people["owner"], change=change, approve=True)
    changes.change_request_apply(actor=people["manager"], change=change)
    line = BudgetLine.objects.get(project=project, name="Audit")
    assert sum(p.amount for p in line.periods.all()) == 4800
