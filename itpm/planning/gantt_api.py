"""API: the computed schedule of a project, in one request (what the Gantt draws)."""

from __future__ import annotations

import datetime as dt
import json

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from itpm.accounts.permissions import get_visible_project
from itpm.core.api import ErrorOut
from itpm.planning import gantt

router = Router(tags=["schedule"])


class ScheduleProjectOut(Schema):
    key: str
    name: str
    start_date: dt.date | None
    finish: dt.datetime | None = Field(description="Scheduled finish of the whole project.")
    scheduled_at: dt.datetime | None = Field(description="When the schedule was last computed.")


class ScheduleCalendarOut(Schema):
    name: str
    time_zone: str
    working_days: list[int] = Field(
        description="0 = Monday … 6 = Sunday.", examples=[[0, 1, 2, 3, 4]]
    )
    working_hours: list[list[str]] = Field(examples=[[["09:00", "13:00"], ["14:00", "18:00"]]])
    hours_per_day: float
    range_start: dt.date = Field(description="First day of the range the chart shows.")
    range_end: dt.date
    non_working_days: list[dt.date] = Field(
        description="Weekends, holidays and exceptions within range_start..range_end."
    )


class ScheduleTaskOut(Schema):
    id: int
    version: int
    wbs: str = Field(examples=["1.2"])
    parent: int | None
    depth: int = Field(description="0 for top-level tasks.")
    name: str
    milestone: bool
    summary: bool
    duration_hours: int = Field(
        description="Working hours of work (a split's pauses not included), rounded to the hour."
    )
    duration_minutes: int = Field(
        description="The exact duration in minutes (450 for 7 h 30, a 7.5-hour day); "
        "duration_hours x 60 for whole hours.",
        examples=[450],
    )
    planned_start: dt.datetime | None
    planned_finish: dt.datetime | None
    early_start: dt.datetime | None
    early_finish: dt.datetime | None
    late_start: dt.datetime | None
    late_finish: dt.datetime | None
    total_float_hours: int | None
    free_float_hours: int | None
    critical: bool
    percent_complete: int = Field(description="Summaries: weighted by hours of work.")
    status: str
    constraint_type: str = Field(examples=["SNET"])
    constraint_date: dt.datetime | None
    deadline: dt.datetime | None
    late: bool = Field(description="Negative total float, or the deadline is missed.")
    pauses: list[list[dt.datetime]] = Field(
        description=(
            "A split task's pauses, [work stops, work resumes] each, on the project "
            "calendar; [] for a task that is not split. The task's planned start and "
            "finish include them; duration_hours does not."
        ),
        examples=[[["2027-01-05T18:00:00+00:00", "2027-01-11T09:00:00+00:00"]]],
    )


class ScheduleDependencyOut(Schema):
    id: int
    version: int
    predecessor: int
    successor: int
    type: str = Field(examples=["FS"])
    lag_hours: int
    critical: bool = Field(description="Both ends are critical.")


class ScheduleBaselineOut(Schema):
    id: int
    name: str
    created_at: dt.datetime
    active: bool
    finish: dt.datetime | None


class BaselineTaskDatesOut(Schema):
    task: int
    start: dt.datetime | None
    finish: dt.datetime | None


class BaselineDatesOut(Schema):
    id: int
    name: str
    tasks: list[BaselineTaskDatesOut]


class ScheduleOut(Schema):
    project: ScheduleProjectOut
    today: dt.datetime
    can_edit: bool = Field(description="The caller may change this plan (member or above).")
    calendar: ScheduleCalendarOut
    tasks: list[ScheduleTaskOut] = Field(description="In WBS order.")
    dependencies: list[ScheduleDependencyOut]
    critical_path: list[int] = Field(description="Critical leaf tasks by early start.")
    baselines: list[ScheduleBaselineOut] = Field(description="Newest first.")
    baseline: BaselineDatesOut | None = Field(
        description="Start and finish per task of the baseline asked for with ?baseline=."
    )


class ScheduleQuery(Schema):
    baseline: int | None = Field(None, description="Id of a baseline to overlay.", examples=[3])


@router.get(
    "/projects/{key}/schedule",
    response={200: ScheduleOut, 404: ErrorOut, 422: ErrorOut},
)
def project_schedule(request: HttpRequest, key: str, query: Query[ScheduleQuery]) -> HttpResponse:
    """The computed schedule: dates, floats, critical path, calendar, baselines.

    Everything a Gantt chart needs, in one request. Dates are in the project calendar's
    time zone. Durations, floats and lags are working hours.
    """
    project = get_visible_project(request.user, key)
    data = gantt.project_schedule(user=request.user, project=project, baseline_id=query.baseline)
    # The selector returns JSON-ready values in ScheduleOut's shape (a test checks it);
    # serializing directly saves validating 5,000 tasks field by field again.
    return HttpResponse(json.dumps(data, separators=(",", ":")), content_type="application/json")
