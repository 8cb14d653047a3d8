"""A minimal MSPDI (MS Project XML) reader for the engine tests: tasks, links, calendar.

It reads only what CPM needs: the project start, the project calendar's weekdays and
exceptions, each task's duration, outline parent, constraint and predecessor links, and
the dates MS Project saved (to compare against).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from itpm.engine.model import Dependency, DependencyType

NS = {"p": "http://schemas.microsoft.com/project"}

# MSPDI PredecessorLink/Type codes.
LINK_TYPES = {
    "0": DependencyType.FF,
    "1": DependencyType.FS,
    "2": DependencyType.SF,
    "3": DependencyType.SS,
}
# LagFormat codes that are elapsed (calendar) time rather than working time.
ELAPSED_FORMATS = {"4", "6", "8", "10", "12", "20"}


@dataclass
class MspdiTask:
    uid: str
    name: str
    summary: bool
    minutes: int
    outline_level: int
    start: datetime
    finish: datetime
    early_start: datetime | None
    early_finish: datetime | None
    late_start: datetime | None
    late_finish: datetime | None
    total_slack_minutes: float | None
    links: list[tuple[str, DependencyType, int, bool]] = field(default_factory=list)


@dataclass
class MspdiProject:
    start: datetime
    weekday_hours: dict[int, list[tuple[str, str]]]
    exceptions: dict[date, list[tuple[str, str]]]
    tasks: list[MspdiTask]

    def dependencies(self, minutes_per_unit: int = 60) -> list[Dependency]:
        deps = []
        for task in self.tasks:
            for predecessor, kind, lag_minutes, _elapsed in task.links:
                deps.append(
                    Dependency(predecessor, task.uid, kind, lag_minutes // minutes_per_unit)
                )
        return deps


def _duration_minutes(text: str) -> int:
    match = re.fullmatch(r"PT(\d+)H(\d+)M(\d+)S", text)
    assert match, text
    return int(match[1]) * 60 + int(match[2])


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def read_mspdi(path: Path) -> MspdiProject:
    root = ET.parse(path).getroot()  # noqa: S314 - test fixtures from this repository
    text = root.findtext
    start = datetime.fromisoformat(text("p:StartDate", namespaces=NS) or "")
    calendar_uid = text("p:CalendarUID", namespaces=NS)
    weekday_hours: dict[int, list[tuple[str, str]]] = {}
    exceptions: dict[date, list[tuple[str, str]]] = {}
    for calendar in root.findall("p:Calendars/p:Calendar", NS):
        if calendar.findtext("p:UID", namespaces=NS) != calendar_uid:
            continue
        for day in calendar.findall("p:WeekDays/p:WeekDay", NS):
            day_type = int(day.findtext("p:DayType", namespaces=NS) or "0")
            times = [
                (
                    (wt.findtext("p:FromTime", namespaces=NS) or "")[:5],
                    (wt.findtext("p:ToTime", namespaces=NS) or "")[:5].replace("00:00", "24:00"),
                )
                for wt in day.findall("p:WorkingTimes/p:WorkingTime", NS)
            ]
            working = day.findtext("p:DayWorking", namespaces=NS) == "1"
            if 1 <= day_type <= 7:
                # DayType 1 is Sunday ... 7 Saturday; Python's weekday() has Monday = 0.
                weekday_hours[(day_type + 5) % 7] = times if working else []
    tasks = []
    for node in root.findall("p:Tasks/p:Task", NS):
        get = node.findtext
        uid = get("p:UID", namespaces=NS) or ""
        if uid == "0" or get("p:IsNull", namespaces=NS) == "1":
            continue
        task = MspdiTask(
            uid=uid,
            name=get("p:Name", namespaces=NS) or "",
            summary=get("p:Summary", namespaces=NS) == "1",
            minutes=_duration_minutes(get("p:Duration", namespaces=NS) or "PT0H0M0S"),
            outline_level=int(get("p:OutlineLevel", namespaces=NS) or "1"),
            start=datetime.fromisoformat(get("p:Start", namespaces=NS) or ""),
            finish=datetime.fromisoformat(get("p:Finish", namespaces=NS) or ""),
            early_start=_when(get("p:EarlyStart", namespaces=NS)),
            early_finish=_when(get("p:EarlyFinish", namespaces=NS)),
            late_start=_when(get("p:LateStart", namespaces=NS)),
            late_finish=_when(get("p:LateFinish", namespaces=NS)),
            total_slack_minutes=(
                float(get("p:TotalSlack", namespaces=NS) or 0) / 10
                if get("p:TotalSlack", namespaces=NS) is not None
                else None
            ),
        )
        for link in node.findall("p:PredecessorLink", NS):
            lag_tenths = int(link.findtext("p:LinkLag", namespaces=NS) or "0")
            task.links.append(
                (
                    link.findtext("p:PredecessorUID", namespaces=NS) or "",
                    LINK_TYPES[link.findtext("p:Type", namespaces=NS) or "1"],
                    lag_tenths // 10,
                    (link.findtext("p:LagFormat", namespaces=NS) or "7") in ELAPSED_FORMATS,
                )
            )
        tasks.append(task)
    return MspdiProject(
        start=start, weekday_hours=weekday_hours, exceptions=exceptions, tasks=tasks
    )
