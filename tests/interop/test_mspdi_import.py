"""MSPDI import: field mapping, refusals (XXE, bad values), all-or-nothing, replace, API, page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from itpm.core.errors import Forbidden, Invalid, NotFound
from itpm.core.models import AuditEvent
from itpm.engine import cpm
from itpm.interop.mspdi_import import mspdi_import
from itpm.planning.models import (
    Assignment,
    Baseline,
    BaselineTask,
    CalendarException,
    Dependency,
    Resource,
    ResourceRate,
    Task,
)
from itpm.portfolio.models import Project

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mspdi"
UTC = dt.UTC


def _file(tasks: str, *, head: str = "", extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project">
  <Title>Network refresh</Title>
  <StartDate>2027-01-04T08:00:00</StartDate>
  <MinutesPerDay>480</MinutesPerDay>
  <CalendarUID>1</CalendarUID>{head}
  <Calendars><Calendar><UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar>
    <WeekDays>
      <WeekDay><DayType>1</DayType><DayWorking>0</DayWorking></WeekDay>
      <WeekDay><DayType>7</DayType><DayWorking>0</DayWorking></WeekDay>
      {"".join(_weekday(day) for day in range(2, 7))}
    </WeekDays>
    <Exceptions>
      <Exception><EnteredByOccurrences>0</EnteredByOccurrences>
        <TimePeriod><FromDate>2027-01-06T00:00:00</FromDate><ToDate>2027-01-06T23:59:00</ToDate></TimePeriod>
        <Occurrences>1</Occurrences><Name>Epiphany</Name><Type>1</Type><DayWorking>0</DayWorking></Exception>
      <Exception><EnteredByOccurrences>1</EnteredByOccurrences>
        <TimePeriod><FromDate>2027-02-01T00:00:00</FromDate><ToDate>2027-06-30T23:59:00</ToDate></TimePeriod>
        <Occurrences>5</Occurrences><Name>Patch Friday</Name><Type>5</Type><Period>1</Period>
        <MonthItem>8</MonthItem><MonthPosition>4</MonthPosition><DayWorking>0</DayWorking></Exception>
    </Exceptions>
    <WorkWeeks><WorkWeek><TimePeriod><FromDate>2027-07-05T00:00:00</FromDate>
        <ToDate>2027-07-11T23:59:00</ToDate></TimePeriod><Name>Summer</Name>
      <WeekDays><WeekDay><DayType>6</DayType><DayWorking>0</DayWorking></WeekDay></WeekDays>
    </WorkWeek></WorkWeeks>
  </Calendar></Calendars>
  <Tasks>{tasks}</Tasks>{extra}
</Project>""".encode()


def _weekday(day_type: int) -> str:
    return (
        f"<WeekDay><DayType>{day_type}</DayType><DayWorking>1</DayWorking><WorkingTimes>"
        "<WorkingTime><FromTime>08:00:00</FromTime><ToTime>12:00:00</ToTime></WorkingTime>"
        "<WorkingTime><FromTime>13:00:00</FromTime><ToTime>17:00:00</ToTime></WorkingTime>"
        "</WorkingTimes></WeekDay>"
    )


def _task(uid: int, name: str, hours: int = 8, level: int = 1, more: str = "") -> str:
    return (
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name><OutlineLevel>{level}</OutlineLevel>"
        f"<Duration>PT{hours}H0M0S</Duration>{more}</Task>"
    )


def _link(predecessor: int, kind: int = 1, lag: int = 0, lag_format: int = 7) -> str:
    return (
        f"<PredecessorLink><PredecessorUID>{predecessor}</PredecessorUID><Type>{kind}</Type>"
        f"<LinkLag>{lag}</LinkLag><LagFormat>{lag_format}</LagFormat></PredecessorLink>"
    )


RICH = _file(
    _task(1, "Plan", 0, more="<Summary>1</Summary>")
    + _task(2, "Survey", 16, 2, "<Notes>Count the switches.</Notes><Priority>700</Priority>"
            "<PercentComplete>100</PercentComplete><ActualStart>2027-01-04T08:00:00</ActualStart>"
            "<ActualFinish>2027-01-05T17:00:00</ActualFinish>"
            "<Baseline><Number>0</Number><Start>2027-01-04T08:00:00</Start>"
            "<Finish>2027-01-05T17:00:00</Finish><Duration>PT16H0M0S</Duration>"
            "<Work>PT16H0M0S</Work><Cost>128000</Cost></Baseline>")
    + _task(3, "Order", 24, 2, "<ConstraintType>4</ConstraintType>"
            "<ConstraintDate>2027-01-11T08:00:00</ConstraintDate>" + _link(2, 1, 4800, 7))
    + _task(4, "Install", 30, 1, "<Deadline>2027-02-26T17:00:00</Deadline>"
            "<ConstraintType>7</ConstraintType><ConstraintDate>2027-03-31T17:00:00</ConstraintDate>"
            + _link(3, 3, 500, 19) + _link(2, 0, 14400, 8))
    + _task(5, "Done", 0, 1, "<Milestone>1</Milestone>" + _link(4, 1, -2400, 5)
            + _link(3, 2, 600, 3)),
    extra="""
  <Resources>
    <Resource><UID>0</UID><ID>0</ID><Type>1</Type><IsNull>0</IsNull></Resource>
    <Resource><UID>1</UID><ID>1</ID><Name>Nadia Netops</Name><Type>1</Type><MaxUnits>1.5</MaxUnits>
      <StandardRate>90</StandardRate>
      <Rates>
        <Rate><RatesFrom>1984-01-01T00:00:00</RatesFrom><RatesTo>2027-03-31T23:59:00</RatesTo>
          <RateTable>0</RateTable><StandardRate>90</StandardRate></Rate>
        <Rate><RatesFrom>2027-04-01T00:00:00</RatesFrom><RatesTo>2049-12-31T23:59:00</RatesTo>
          <RateTable>0</RateTable><StandardRate>99.5</StandardRate></Rate>
        <Rate><RatesFrom>1984-01-01T00:00:00</RatesFrom><RatesTo>2049-12-31T23:59:00</RatesTo>
          <RateTable>1</RateTable><StandardRate>150</StandardRate></Rate>
      </Rates></Resource>
    <Resource><UID>2</UID><ID>2</ID><Name>Cable</Name><Type>0</Type><MaxUnits>1</MaxUnits></Resource>
  </Resources>
  <Assignments>
    <Assignment><UID>1</UID><TaskUID>2</TaskUID><ResourceUID>1</ResourceUID><Units>0.5</Units></Assignment>
    <Assignment><UID>2</UID><TaskUID>4</TaskUID><ResourceUID>1</ResourceUID><Units>1.25</Units></Assignment>
    <Assignment><UID>3</UID><TaskUID>4</TaskUID><ResourceUID>-65535</ResourceUID><Units>1</Units></Assignment>
  </Assignments>""",
)  # fmt: skip


def _tasks(project: Project) -> dict[str, Task]:
    return {task.name: task for task in Task.objects.filter(project=project)}


def test_import_maps_every_field(people: dict[str, Any]) -> None:
    project = mspdi_import(data=RICH, actor=people["owner"])
    assert (project.key, project.name, project.start_date) == (
        "NETWORKR", "Network refresh", dt.date(2027, 1, 4),
    )  # fmt: skip
    tasks = _tasks(project)
    assert [(t.wbs_code, t.name) for t in Task.objects.filter(project=project)] == [
        ("1", "Plan"), ("1.1", "Survey"), ("1.2", "Order"), ("2", "Install"), ("3", "Done"),
    ]  # fmt: skip
    survey, order, install, done = (tasks[n] for n in ("Survey", "Order", "Install", "Done"))
    assert survey.parent == tasks["Plan"] and install.parent is None
    assert (survey.duration_hours, survey.description, survey.priority) == (
        16, "Count the switches.", 700,
    )  # fmt: skip
    assert (survey.status, survey.percent_complete, survey.actual_start, survey.actual_finish) == (
        "done", 100, dt.datetime(2027, 1, 4, 8, tzinfo=UTC), dt.datetime(2027, 1, 5, 17, tzinfo=UTC),
    )  # fmt: skip
    assert (order.constraint_type, order.constraint_date) == (
        "SNET", dt.datetime(2027, 1, 11, 8, tzinfo=UTC),
    )  # fmt: skip
    assert (install.duration_hours, install.constraint_type, install.deadline) == (
        30, "FNLT", dt.datetime(2027, 2, 26, 17, tzinfo=UTC),
    )  # fmt: skip
    assert done.milestone and done.duration_hours == 0
    links = {
        (d.predecessor.name, d.successor.name): (d.type, d.lag_hours)
        for d in Dependency.objects.filter(project=project).select_related(
            "predecessor", "successor"
        )
    }
    assert links == {
        ("Survey", "Order"): ("FS", 8),  # 4800 tenths of a minute
        ("Order", "Install"): ("SS", 12),  # 50 % (500 tenths) of Order's 24 hours
        ("Survey", "Install"): ("FF", 6),  # 1 elapsed day: 8 working hours x 5/7
        ("Install", "Done"): ("FS", -4),  # a lead of 4 hours
        ("Order", "Done"): ("SF", 1),  # 60 minutes
    }
    # The calendar: weekdays, a one-day exception, a recurring one (last Friday of each
    # month), and a work week (DayType 6: the Friday off in one July week).
    calendar = project.calendar
    assert calendar is not None
    assert (calendar.working_days, calendar.working_hours, calendar.timezone) == (
        [0, 1, 2, 3, 4], [["08:00", "12:00"], ["13:00", "17:00"]], "UTC",
    )  # fmt: skip
    off = dict(CalendarException.objects.filter(calendar=calendar).values_list("date", "name"))
    assert off == {
        dt.date(2027, 1, 6): "Epiphany",
        dt.date(2027, 2, 26): "Patch Friday",
        dt.date(2027, 3, 26): "Patch Friday",
        dt.date(2027, 4, 30): "Patch Friday",
        dt.date(2027, 5, 28): "Patch Friday",
        dt.date(2027, 6, 25): "Patch Friday",
        dt.date(2027, 7, 9): "Summer",
    }
    # Resources with cost rate table A; material resources count as equipment.
    nadia = Resource.objects.get(name="Nadia Netops")
    assert (nadia.capacity, nadia.cost_rate, nadia.kind) == (
        Decimal("1.50"),
        Decimal("90.00"),
        "person",
    )
    assert list(ResourceRate.objects.filter(resource=nadia).values_list("valid_from", "rate")) == [
        (dt.date(1984, 1, 1), Decimal("90.00")), (dt.date(2027, 4, 1), Decimal("99.50")),
    ]  # fmt: skip
    assert Resource.objects.get(name="Cable").kind == "equipment"
    assert sorted(
        (a.task.name, a.resource.name, a.units) for a in Assignment.objects.filter(project=project)
    ) == [("Install", "Nadia Netops", Decimal("1.25")), ("Survey", "Nadia Netops", Decimal("0.50"))]
    baseline = Baseline.objects.get(project=project)
    assert (baseline.name, baseline.active) == ("Baseline", True)
    entry = BaselineTask.objects.get(baseline=baseline)
    assert (entry.task, entry.start, entry.duration_hours, entry.work_hours, entry.cost) == (
        survey, dt.datetime(2027, 1, 4, 8, tzinfo=UTC), 16, Decimal("16.00"), Decimal("1280.00"),
    )  # fmt: skip
    # Rescheduled: Order waits for its SNET date, the milestone follows Install.
    assert order.planned_start == dt.datetime(2027, 1, 11, 8, tzinfo=UTC)
    assert project.scheduled_finish is not None
    event = AuditEvent.objects.get(action="project.import_mspdi")
    assert (event.project, event.changes["tasks"], event.changes["dependencies"]) == (
        project, [None, 5], [None, 5],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("code", "expected"),
    [("0", "ASAP"), ("1", "ALAP"), ("2", "MSO"), ("3", "MFO"), ("4", "SNET"), ("5", "SNLT"),
     ("6", "FNET"), ("7", "FNLT")],
)  # fmt: skip
def test_every_constraint_type_maps(people: dict[str, Any], code: str, expected: str) -> None:
    date = "<ConstraintDate>2027-01-12T08:00:00</ConstraintDate>" if code not in "01" else ""
    data = _file(
        _task(1, "Lead", 8)
        + _task(2, "Pinned", 8, more=f"<ConstraintType>{code}</ConstraintType>{date}")
    )
    project = mspdi_import(data=data, actor=people["owner"])
    pinned = _tasks(project)["Pinned"]
    assert pinned.constraint_type == expected
    assert (pinned.constraint_date is None) == (expected in ("ASAP", "ALAP"))


def test_the_schedule_is_computed_once(people: dict[str, Any], monkeypatch: Any) -> None:
    calls = []
    original = cpm.schedule

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(cpm, "schedule", counting)
    mspdi_import(data=RICH, actor=people["owner"])
    assert len(calls) == 1


def test_progress_is_reported_while_parsing_and_writing(people: dict[str, Any]) -> None:
    seen: list[tuple[int, int]] = []
    mspdi_import(
        data=RICH, actor=people["owner"], progress=lambda done, total: seen.append((done, total))
    )
    total = seen[-1][1]
    assert seen[-1] == (total, total) and total == 10
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert any(0 < done < total for done, _ in seen[1:-1])  # during the writes


def _nothing_written() -> None:
    assert not Project.objects.filter(name="Network refresh").exists()
    assert not Task.objects.filter(name__in=["Survey", "Install"]).exists()
    assert not Resource.objects.filter(name="Nadia Netops").exists()
    assert not AuditEvent.objects.filter(
        action__in=["project.import_mspdi", "project.create"]
    ).exists()


def test_a_killed_import_leaves_nothing(people: dict[str, Any]) -> None:
    def kill(done: int, total: int) -> None:
        # Called after the first rows are inserted: the process dies mid-transaction.
        if 0 < done < total and Task.objects.filter(name="Plan").exists():
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mspdi_import(data=RICH, actor=people["owner"], progress=kill)
    _nothing_written()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<Project", "not well-formed XML"),
        (b"<Plan/>", "expected an MS Project XML file"),
        (_file(_task(1, "A") + _task(7, "B", more="").replace("PT8H0M0S", "three days")),
         "Task UID 7 Duration: expected a duration like PT8H0M0S, got 'three days'"),
        (_file(_task(1, "A", more=_link(9))),
         "Task UID 1 PredecessorLink: predecessor UID 9 is not a task of this file"),
        (_file(_task(1, "A", more=_link(1))), "Task UID 1 PredecessorLink: a task cannot precede itself"),
        (_file(_task(1, "A", more=_link(2, kind=4)) + _task(2, "B")), "Type: expected 0 to 3"),
        (_file(_task(1, "A", more="<ConstraintType>2</ConstraintType>")),
         "Task UID 1 ConstraintDate: a MSO constraint needs a date"),
        (_file(_task(1, "A", more="<ConstraintType>9</ConstraintType>")), "unknown constraint type"),
        (_file(_task(1, "A", more="<PercentComplete>140</PercentComplete>")), "PercentComplete: expected 0 to 100"),
        (_file(_task(1, "A", more="<Start>next monday</Start>")), "Task UID 1 Start: expected a date"),
        (_file(_task(1, "A") + _task(1, "B")), "Task UID 1: the UID is used twice"),
        (_file(_task(1, "A", more=_link(2) + _link(3)) + _task(2, "B", more=_link(1)) + _task(3, "C")),
         "dependency cycle"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_by_name_and_writes_nothing(
    people: dict[str, Any], data: bytes, message: str
) -> None:
    from itpm.core.errors import ServiceError

    with pytest.raises(ServiceError) as refused:
        mspdi_import(data=data, actor=people["owner"])
    assert message in refused.value.detail
    assert not Project.objects.exclude(key__in=["APL", "ZED"]).exists()
    assert not Task.objects.exists()


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project xmlns="http://schemas.microsoft.com/project"><Title>&secret;</Title><Tasks/></Project>
"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Project xmlns="http://schemas.microsoft.com/project"><Title>&lol3;</Title></Project>
"""


@pytest.mark.parametrize("data", [XXE, LAUGHS], ids=["external-entity", "billion-laughs"])
def test_dtds_and_entities_are_refused(people: dict[str, Any], data: bytes) -> None:
    with pytest.raises(Invalid, match="document type declaration"):
        mspdi_import(data=data, actor=people["owner"])
    assert not Project.objects.exclude(key__in=["APL", "ZED"]).exists()


def test_a_manager_replaces_the_plan_of_an_existing_project(
    people: dict[str, Any], project: Project, tasks: dict[str, Task]
) -> None:
    assert Task.objects.filter(project=project).count() == len(tasks)
    replaced = mspdi_import(data=RICH, actor=people["manager"], project_key="apl")
    assert replaced.pk == project.pk and replaced.name == project.name
    assert replaced.version > project.version  # an edit against the old plan is stale
    assert sorted(_tasks(replaced)) == ["Done", "Install", "Order", "Plan", "Survey"]
    assert Dependency.objects.filter(project=project).count() == 5
    assert AuditEvent.objects.get(action="project.import_mspdi").changes["replaced"] == [None, True]


@pytest.mark.parametrize(("who", "error"), [("member", Forbidden), ("outsider", NotFound)])
def test_only_a_manager_may_replace_a_plan(
    people: dict[str, Any], project: Project, tasks: dict[str, Task], who: str, error: type
) -> None:
    with pytest.raises(error):
        mspdi_import(data=RICH, actor=people[who], project_key="APL")
    assert sorted(_tasks(project)) == sorted(task.name for task in tasks.values())


def test_the_key_is_unique_and_can_be_given(people: dict[str, Any]) -> None:
    first = mspdi_import(data=RICH, actor=people["owner"])
    second = mspdi_import(data=RICH, actor=people["owner"])
    named = mspdi_import(data=RICH, actor=people["owner"], project_key="NET", name="Core network")
    assert (first.key, second.key, named.key, named.name) == (
        "NETWORKR",
        "NETWORKR2",
        "NET",
        "Core network",
    )
    # The second import reuses the first one's resource instead of a duplicate.
    assert Resource.objects.filter(name="Nadia Netops").count() == 1


def test_recurring_exceptions_of_ms_project_expand(people: dict[str, Any]) -> None:
    path = (
        DATA
        / "generated/calendar-recurring-exceptions/calendar-recurring-exceptions-project2016-mspdi.xml"
    )
    project = mspdi_import(data=path.read_bytes(), actor=people["owner"])
    dates = set(
        CalendarException.objects.filter(calendar=project.calendar).values_list("date", flat=True)
    )
    # "Monthly Relative 2": every 3 months, the second Tuesday, 4 times from 2002-01-01.
    assert {
        dt.date(2002, 1, 8),
        dt.date(2002, 4, 9),
        dt.date(2002, 7, 9),
        dt.date(2002, 10, 8),
    } <= dates
    # "Yearly Relative 1": the first Tuesday of March, 2004 to 2007.
    assert {
        dt.date(2004, 3, 2),
        dt.date(2005, 3, 1),
        dt.date(2006, 3, 7),
        dt.date(2007, 3, 6),
    } <= dates
    # "Daily 2": every third day from 2000-02-01, 4 times.
    assert {
        dt.date(2000, 2, 1),
        dt.date(2000, 2, 4),
        dt.date(2000, 2, 7),
        dt.date(2000, 2, 10),
    } <= dates
    assert dt.date(2000, 2, 2) not in dates
    working = CalendarException.objects.get(calendar=project.calendar, date=dt.date(2010, 1, 2))
    assert (working.name, working.working, working.working_hours) == (
        "Recurring Working", True, [["09:00", "13:00"], ["14:00", "17:00"]],
    )  # fmt: skip


# ---------------------------------------------------------------------------- the API
def _upload(data: bytes = RICH, name: str = "plan.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/xml")


def test_api_import_answers_the_key(api: Any, people: dict[str, Any]) -> None:
    response = api("owner").post("/api/v1/projects/import/mspdi", {"file": _upload(), "key": "NR"})
    assert response.status_code == 201, response.content
    assert response.json()["key"] == "NR" and response.json()["tasks"] == 5
    assert Project.objects.get(key="NR").memberships.get().user == people["owner"]


def test_api_import_refuses_a_bad_file_with_422_naming_it(api: Any) -> None:
    bad = _file(_task(1, "A", more=_link(9)))
    response = api("owner").post("/api/v1/projects/import/mspdi", {"file": _upload(bad)})
    assert response.status_code == 422
    assert "predecessor UID 9" in response.json()["detail"]
    response = api("owner").post(
        "/api/v1/projects/import/mspdi", {"file": _upload(RICH, "plan.mpp")}
    )
    assert response.status_code == 422 and "not allowed" in response.json()["detail"]
    assert not Project.objects.exclude(key__in=["APL", "ZED"]).exists()


def test_api_import_refuses_a_file_over_the_size_limit(api: Any, settings: Any) -> None:
    settings.ITPM_MAX_IMPORT_MB = 0
    response = api("owner").post("/api/v1/projects/import/mspdi", {"file": _upload()})
    assert response.status_code == 413
    assert not Project.objects.exclude(key__in=["APL", "ZED"]).exists()


def test_api_export_for_viewers_and_404_for_outsiders(
    api: Any, project: Project, tasks: dict[str, Task]
) -> None:
    response = api("viewer").get("/api/v1/projects/APL/export/mspdi")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert response["Content-Disposition"] == 'attachment; filename="APL.xml"'
    assert b"<Name>Design</Name>" in response.content
    assert api("outsider").get("/api/v1/projects/APL/export/mspdi").status_code == 404


# ---------------------------------------------------------------------------- the pages
def test_the_import_page_creates_a_project_and_shows_its_gantt(
    client: Any, people: dict[str, Any]
) -> None:
    from tests.conftest import PASSWORD

    client.login(username=people["owner"].username, password=PASSWORD)
    assert b"Import from MS Project" in client.get("/projects/").content
    page = client.get("/projects/import/mspdi/")
    assert page.status_code == 200 and b'type="file"' in page.content
    response = client.post("/projects/import/mspdi/", {"file": _upload(), "key": "NETPG"})
    assert response.status_code == 302 and response["Location"] == "/projects/NETPG/gantt/"
    bad = client.post("/projects/import/mspdi/", {"file": _upload(b"<Project")})
    assert bad.status_code == 422 and b"not well-formed XML" in bad.content


def test_the_export_link_downloads_the_xml(
    client: Any, people: dict[str, Any], project: Project, tasks: dict[str, Task]
) -> None:
    from tests.conftest import PASSWORD

    client.login(username=people["viewer"].username, password=PASSWORD)
    assert b"/projects/APL/export/mspdi.xml" in client.get("/projects/APL/import-export/").content
    response = client.get("/projects/APL/export/mspdi.xml")
    assert response.status_code == 200 and response.content.startswith(b"<?xml")
    client.login(username=people["outsider"].username, password=PASSWORD)
    assert client.get("/projects/APL/export/mspdi.xml").status_code == 404
