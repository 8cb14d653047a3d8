"""Plain data the engine works on.

Every time value here is an integer on the *working-time axis*: the number of working
time units (one unit = one working hour by default, see ``Calendar``) since the project
start. The calendar converts between this axis and real datetimes; nothing else in the
engine knows about wall-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class DependencyType(StrEnum):
    FS = "FS"  # finish-to-start: successor starts after predecessor finishes
    SS = "SS"  # start-to-start
    FF = "FF"  # finish-to-finish
    SF = "SF"  # start-to-finish: successor finishes after predecessor starts


class ConstraintType(StrEnum):
    ASAP = "ASAP"  # as soon as possible (default)
    ALAP = "ALAP"  # as late as possible
    SNET = "SNET"  # start no earlier than
    SNLT = "SNLT"  # start no later than
    FNET = "FNET"  # finish no earlier than
    FNLT = "FNLT"  # finish no later than
    MSO = "MSO"  # must start on
    MFO = "MFO"  # must finish on


@dataclass(frozen=True, slots=True)
class Dependency:
    predecessor: str
    successor: str
    type: DependencyType = DependencyType.FS
    lag: int = 0  # working units; negative is a lead


@dataclass(frozen=True, slots=True)
class Constraint:
    type: ConstraintType = ConstraintType.ASAP
    at: int | None = None  # axis position for the dated constraint types


@dataclass(frozen=True, slots=True)
class ResourceDemand:
    resource: str
    units: float = 1.0  # 1.0 = one full unit of the resource's capacity


@dataclass(frozen=True, slots=True)
class Estimate:
    """Three-point estimate in working units."""

    optimistic: float
    most_likely: float
    pessimistic: float


@dataclass(slots=True)
class Task:
    id: str
    duration: int  # working units; 0 for milestones
    milestone: bool = False
    parent: str | None = None  # summary task id; a task with children is a summary
    constraint: Constraint = field(default_factory=Constraint)
    deadline: int | None = None  # axis position; missing it gives negative float
    priority: int = 500  # higher is scheduled first by leveling (MS Project's 0..1000)
    demands: tuple[ResourceDemand, ...] = ()
    estimate: Estimate | None = None
    # Progress, for scheduling from a status date.
    actual_start: int | None = None
    actual_finish: int | None = None
    remaining: int | None = None  # remaining duration when in progress


@dataclass(frozen=True, slots=True)
class CapacityChange:
    """From ``start`` (inclusive) on, the resource has ``capacity`` units."""

    start: int
    capacity: float


@dataclass(slots=True)
class Resource:
    id: str
    capacity: float = 1.0
    # Time-varying capacity (vacations, part time): changes sorted by start.
    changes: tuple[CapacityChange, ...] = ()


@dataclass(frozen=True, slots=True)
class RiskEvent:
    id: str
    probability: float
    task: str | None = None
    delay: float = 0.0  # working units added to the task's duration when it occurs
    cost: float = 0.0
    # Further tasks delayed by the same occurrence (one event hitting several tasks).
    also_tasks: tuple[str, ...] = ()
