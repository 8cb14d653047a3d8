"""Earned value computed from database rows, on fixtures with known answers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itpm.planning.models import Task
from itpm.planning.services import task_create, task_update
from itpm.tracking.earned_value import evm_snapshot_take, project_evm
from itpm.tracking.models import EvmSnapshot, TaskProgress
from itpm.tracking.services import expense_create
from tests.tracking.conftest import progress_dated, textbook_baseline

# Before every status date of these tests: the progress they record counts from then.
JAN_4 = dt.datetime(2027, 1, 4, 8, 0, tzinfo=dt.UTC)


def _textbook(project: Any, people: Any, lines: Any, percent: int = 35) -> Task:
    """The textbook project: only the task carries budget (the fixture lines are emptied)."""
    from itpm.tracking.models import BudgetPeriod

    BudgetPeriod.objects.filter(line__project=project).delete()
    owner = people["owner"]
    task = task_create(actor=owner, project=project, name="Build the platform", duration_hours=400)
    task_update(actor=owner, task=task, version=task.version, data={"percent_complete": percent})
    progress_dated(project, JAN_4)
    textbook_baseline(project, task)
    expense_create(actor=owner, project=project, line=lines["hardware"], date=dt.date(2027, 1, 20),
                   amount="38000.00", description="Platform work")  # fmt: skip
    return task


def test_textbook_project_at_40_percent_of_plan_time(project, people, lines):
    # PMBOK-style: BAC 100,000, PV 40,000, EV 35,000, AC 38,000 (docs/engine.md example).
    _textbook(project, people, lines)
    evm = project_evm(project, dt.date(2027, 1, 31))  # the end of week 4 of 10
    assert evm.source == "baseline tasks"
    assert evm.budget_at_completion == Decimal("100000.00")
    assert evm.planned_value == Decimal("40000.00")
    assert evm.earned_value == Decimal("35000.00")
    assert evm.actual_cost == Decimal("38000.00")
    assert evm.schedule_variance == Decimal("-5000.00")
    assert evm.cost_variance == Decimal("-3000.00")
    assert evm.spi == Decimal("0.875")
    assert evm.cpi == Decimal("0.921")
    assert evm.eac_cpi == Decimal("108571.43")
    assert evm.tcpi_bac == Decimal("1.048")
    # Earned schedule: 35,000 was planned 3.5 weeks in; SPI(t) = 3.5 / 4.
    assert evm.earned_schedule_weeks == Decimal("3.500")
    assert evm.spi_t == Decimal("0.875")
    # Bottom-up: AC + the unearned 65 % of the task.
    assert evm.eac_bottom_up == Decimal("103000.00")
    assert evm.estimate_at_completion == Decimal("103000.00")


def test_finished_project_keeps_its_schedule_index_after_the_last_completion(
    project, people, lines
):
    # Done on plan (Friday 2027-03-12, the baseline finish): SPI(t) was ES / AT with AT the
    # status date, 10 / 25.43 weeks = 0.39 (red) in June. AT is the time the work took.
    task = _textbook(project, people, lines, percent=100)
    Task.objects.filter(pk=task.pk).update(
        status="done", completed_at=dt.datetime(2027, 3, 12, 17, 0, tzinfo=dt.UTC)
    )
    june = project_evm(project, dt.date(2027, 6, 30))
    assert june.earned_value == june.budget_at_completion == Decimal("100000.00")
    assert june.earned_schedule_weeks == Decimal("10.000")
    # It finished within the planned duration (AT 9.714 weeks): on time, not drifting.
    assert june.actual_time_weeks == Decimal("10.000")
    assert june.spi_t == Decimal("1.000")
    assert june.spi == Decimal("1.000")
    # Finished four weeks late (Friday 2027-04-09): AT is the 13.714 weeks it took.
    Task.objects.filter(pk=task.pk).update(
        completed_at=dt.datetime(2027, 4, 9, 17, 0, tzinfo=dt.UTC)
    )
    late = project_evm(project, dt.date(2027, 6, 30))
    assert late.actual_time_weeks == Decimal("13.714")
    assert late.spi_t == Decimal("0.729")
    # Without a recorded completion the status date stays the actual time.
    Task.objects.filter(pk=task.pk).update(completed_at=None)
    assert project_evm(project, dt.date(2027, 6, 30)).spi_t == Decimal("0.393")


def test_a_past_status_date_earns_the_progress_reported_by_then(project, people, lines):
    """20 % reported on 15 January, 35 % on 10 February, the task done on 19 March: at 31
    January EV is 20 % of the budget (not today's 35 %), so CPI is 20,000 / 38,000."""
    from itpm.core.models import AuditEvent
    from itpm.tracking.timesheets import task_progress_update

    task = _textbook(project, people, lines, percent=20)  # reported by 4 January
    owner = people["owner"]
    AuditEvent.objects.filter(project=project, object_type="task").update(
        created_at=dt.datetime(2027, 1, 15, 12, 0, tzinfo=dt.UTC)
    )
    task.refresh_from_db()
    task_progress_update(actor=owner, task=task, percent_complete=35, remaining_hours="300")
    progress_dated(project, dt.datetime(2027, 2, 10, 12, 0, tzinfo=dt.UTC))
    january = project_evm(project, dt.date(2027, 1, 31))
    assert january.earned_value == Decimal("20000.00")
    assert january.cpi == Decimal("0.526")  # 20,000 / 38,000
    # Remaining hours were reported on 10 February: not yet known at 31 January.
    assert january.eac_bottom_up == Decimal("118000.00")  # 38,000 + the unearned 80,000
    # Before 15 January nothing was reported: the task existed (4 January) at 0 %.
    assert project_evm(project, dt.date(2027, 1, 10)).earned_value == Decimal("0.00")
    february = project_evm(project, dt.date(2027, 2, 12))
    assert february.earned_value == Decimal("35000.00")
    # 300 h of the 400 h budget (250/h) remain: AC + 75,000.
    assert february.eac_bottom_up == Decimal("113000.00")
    # Done on 19 March: at the end of 12 March the task is not finished yet.
    task.refresh_from_db()
    task_update(actor=owner, task=task, version=task.version, data={"status": "done"})
    progress_dated(project, dt.datetime(2027, 3, 19, 12, 0, tzinfo=dt.UTC))
    Task.objects.filter(pk=task.pk).update(
        completed_at=dt.datetime(2027, 3, 19, 12, 0, tzinfo=dt.UTC)
    )
    assert project_evm(project, dt.date(2027, 3, 12)).earned_value == Decimal("35000.00")
    done = project_evm(project, dt.date(2027, 6, 30))
    assert done.earned_value == Decimal("100000.00")
    assert done.actual_time_weeks == Decimal("10.714")  # ends at the completion, 19 March
    # A snapshot of a past week taken later records the figures of that week.
    assert evm_snapshot_take(project, dt.date(2027, 1, 31)).earned_value == Decimal("20000.00")


def test_pv_follows_working_time_across_a_holiday_free_week(project, people, lines):
    _textbook(project, people, lines)
    assert project_evm(project, dt.date(2027, 1, 10)).planned_value == Decimal("10000.00")
    assert project_evm(project, dt.date(2027, 3, 31)).planned_value == Decimal("100000.00")
    assert project_evm(project, dt.date(2026, 12, 1)).planned_value == Decimal("0.00")


def test_ev_method_zero_hundred_and_fifty_fifty(project, people, lines):
    task = _textbook(project, people, lines)
    TaskProgress.objects.create(task=task, ev_method="0/100")
    assert project_evm(project, dt.date(2027, 1, 31)).earned_value == Decimal("0.00")
    TaskProgress.objects.filter(task=task).update(ev_method="50/50")
    assert project_evm(project, dt.date(2027, 1, 31)).earned_value == Decimal("50000.00")


def test_remaining_hours_drive_the_bottom_up_estimate(project, people, lines):
    task = _textbook(project, people, lines)
    # 100,000 over 400 baseline hours = 250/h; 300 h left = 75,000 to complete.
    TaskProgress.objects.create(task=task, remaining_hours=Decimal(300))
    evm = project_evm(project, dt.date(2027, 1, 31))
    assert evm.eac_bottom_up == Decimal("113000.00")


def test_non_labour_lines_join_the_baseline_and_are_earned_with_the_tasks(project, people, lines):
    task = _textbook(project, people, lines)
    from itpm.tracking.models import BudgetCategory
    from itpm.tracking.services import budget_line_create

    Baseline = type(task.baseline_entries.first().baseline)
    Baseline.objects.filter(project=project).update(active=False)  # budget changes allowed again
    budget_line_create(actor=people["owner"], project=project, category=BudgetCategory.HARDWARE,
                       name="Servers", months={"2027-02": "50000.00"})  # fmt: skip
    budget_line_create(actor=people["owner"], project=project,
                       category=BudgetCategory.CONTINGENCY, name="Reserve",
                       months={"2027-03": "9000.00"})  # fmt: skip
    Baseline.objects.filter(project=project).update(active=True)
    evm = project_evm(project, dt.date(2027, 1, 31))
    # BAC = task costs + hardware; contingency stays a reserve outside it.
    assert evm.budget_at_completion == Decimal("150000.00")
    assert evm.planned_value == Decimal("40000.00")
    # 35 % of the task work is done, so 35 % of the hardware budget is earned with it.
    assert evm.earned_value == Decimal("52500.00")


def test_without_task_costs_pv_comes_from_the_budget_lines(project, people, lines):
    task = task_create(actor=people["owner"], project=project, name="Work", duration_hours=80)
    # Weekly periods: the last one (29 March – 4 April) ends the plan.
    evm = project_evm(project, dt.date(2027, 4, 4))
    assert evm.source == "budget lines"
    assert evm.budget_at_completion == Decimal("100000.00")
    assert evm.planned_value == Decimal("100000.00")
    task_update(
        actor=people["owner"], task=task, version=task.version, data={"percent_complete": 50}
    )
    progress_dated(project, JAN_4)
    assert project_evm(project, dt.date(2027, 4, 4)).earned_value == Decimal("50000.00")


def test_weekly_snapshot_is_idempotent_per_week(project, people, lines):
    _textbook(project, people, lines)
    evm_snapshot_take(project, dt.date(2027, 1, 27))
    evm_snapshot_take(project, dt.date(2027, 1, 29))
    assert EvmSnapshot.objects.filter(project=project).count() == 1
    snap = EvmSnapshot.objects.get(project=project)
    assert snap.week_start == dt.date(2027, 1, 25) and snap.status_date == dt.date(2027, 1, 29)


def test_evm_snapshot_command_and_job(project, people, lines, settings):
    from django.core.management import call_command

    from itpm.portfolio.models import Project

    Project.objects.filter(pk=project.pk).update(stage="execution")
    _textbook(project, people, lines)
    call_command("evm_snapshot", "--date", "2027-01-31")
    call_command("evm_snapshot", "--date", "2027-01-31")
    assert EvmSnapshot.objects.filter(project=project).count() == 1
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from itpm.tracking.tasks import evm_snapshot_job

    evm_snapshot_job.enqueue("2027-02-07")
    assert EvmSnapshot.objects.filter(project=project).count() == 2


# Each example overwrites the rows it varies, so sharing the fixture between examples is safe.
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    percent=st.integers(min_value=0, max_value=100),
    spent=st.integers(min_value=1, max_value=500_000),
    day=st.integers(min_value=0, max_value=90),
)
def test_identities_hold_for_db_computed_figures(project_with_textbook, percent, spent, day):
    project, task = project_with_textbook
    Task.objects.filter(pk=task.pk).update(percent_complete=percent)
    from itpm.tracking.models import Expense

    Expense.objects.filter(project=project).update(amount=Decimal(spent))
    evm = project_evm(project, dt.date(2027, 1, 4) + dt.timedelta(days=day))
    assert evm.cost_variance == evm.earned_value - evm.actual_cost
    assert evm.schedule_variance == evm.earned_value - evm.planned_value
    if evm.cpi:
        assert abs(
            evm.eac_cpi - evm.budget_at_completion / (evm.earned_value / evm.actual_cost)
        ) <= Decimal("0.01")
    assert evm.estimate_to_complete == evm.estimate_at_completion - evm.actual_cost
    assert evm.variance_at_completion == evm.budget_at_completion - evm.estimate_at_completion
    assert Decimal(0) <= evm.planned_value <= evm.budget_at_completion
