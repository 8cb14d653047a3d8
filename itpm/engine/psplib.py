"""PSPLIB single-mode RCPSP instances (Kolisch & Sprecher 1996): read, convert, level.

An ``.sm`` file lists jobs (job 1 and the last job are dummies of duration 0), each job's
successors (finish-to-start, no lag), its duration and its demand of every renewable
resource, and each resource's constant capacity. The reference files hold, per instance
(parameter set, instance number), the proven optimum (``j30opt.sm``), the best known
makespan (``j*hrs.sm``) or upper and lower bounds (``j*lb.sm``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itpm.engine.errors import PlanError
from itpm.engine.model import Dependency, Resource, ResourceDemand, Task

_NAME = re.compile(r"^j(30|60|90|120)(\d+)_(\d+)$")


@dataclass(frozen=True, slots=True)
class Instance:
    """One single-mode instance; jobs are numbered 1..n as in the file."""

    name: str
    durations: tuple[int, ...]  # durations[job - 1]
    successors: tuple[tuple[int, ...], ...]  # successors[job - 1]: job numbers
    demands: tuple[tuple[int, ...], ...]  # demands[job - 1][resource]
    capacities: tuple[int, ...]

    @property
    def jobs(self) -> int:
        return len(self.durations)

    def critical_path_length(self) -> int:
        """The makespan without resources: the classic lower bound."""
        early = [0] * self.jobs
        for job in self._topological_jobs():
            finish = early[job] + self.durations[job]
            for successor in self.successors[job]:
                early[successor - 1] = max(early[successor - 1], finish)
        return max(early[j] + self.durations[j] for j in range(self.jobs))

    def _topological_jobs(self) -> list[int]:
        indegree = [0] * self.jobs
        for successors in self.successors:
            for successor in successors:
                indegree[successor - 1] += 1
        ready = [j for j in range(self.jobs) if indegree[j] == 0]
        order: list[int] = []
        while ready:
            job = ready.pop()
            order.append(job)
            for successor in self.successors[job]:
                indegree[successor - 1] -= 1
                if indegree[successor - 1] == 0:
                    ready.append(successor - 1)
        return order

    def to_engine(self) -> tuple[list[Task], list[Dependency], list[Resource]]:
        """Engine inputs: task ids are job numbers as strings, resources ``R1``..``Rk``."""
        resources = [Resource(id=f"R{r + 1}", capacity=c) for r, c in enumerate(self.capacities)]
        tasks = [
            Task(
                id=str(job + 1),
                duration=self.durations[job],
                milestone=self.durations[job] == 0,
                demands=tuple(
                    ResourceDemand(resource=f"R{r + 1}", units=units)
                    for r, units in enumerate(self.demands[job])
                    if units > 0
                ),
            )
            for job in range(self.jobs)
        ]
        dependencies = [
            Dependency(predecessor=str(job + 1), successor=str(successor))
            for job in range(self.jobs)
            for successor in self.successors[job]
        ]
        return tasks, dependencies, resources


class _Lines:
    """The lines of a file with 1-based numbers, for error messages that name the line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def error(self, number: int, message: str) -> PlanError:
        return PlanError(f"{self.path}: line {number}: {message}")

    def find(self, prefix: str, begin: int = 0) -> int:
        """0-based index of the first line at or after ``begin`` starting with ``prefix``."""
        for index in range(begin, len(self.lines)):
            if self.lines[index].strip().upper().startswith(prefix.upper()):
                return index
        raise PlanError(f"{self.path}: no line starting with {prefix!r}")

    def ints(self, index: int, what: str) -> list[int]:
        if index >= len(self.lines):
            raise PlanError(f"{self.path}: line {index + 1}: file ends, expected {what}")
        try:
            return [int(token) for token in self.lines[index].split()]
        except ValueError:
            raise self.error(
                index + 1, f"expected {what}, got {self.lines[index].strip()!r}"
            ) from None

    def value_after_colon(self, index: int) -> int:
        text = self.lines[index].split(":", 1)[-1].split()
        if not text:
            raise self.error(index + 1, "expected a number after ':'")
        try:
            return int(text[0])
        except ValueError:
            raise self.error(index + 1, f"expected a number, got {text[0]!r}") from None


def parse_sm(path: Path, text: str | None = None) -> Instance:
    """Parse a single-mode PSPLIB ``.sm`` file; a malformed file raises ``PlanError``
    naming the line."""
    if text is None:
        text = path.read_text(encoding="latin-1")
    lines = _Lines(path, text)
    jobs_line = lines.find("jobs (incl. supersource/sink")
    jobs = lines.value_after_colon(jobs_line)
    renewable_line = lines.find("- renewable", lines.find("RESOURCES"))
    resources = lines.value_after_colon(renewable_line)
    if jobs < 2:
        raise lines.error(jobs_line + 1, f"expected at least 2 jobs, got {jobs}")

    successors: list[tuple[int, ...]] = []
    first = lines.find("PRECEDENCE RELATIONS") + 2  # skip the column header
    for offset in range(jobs):
        row = lines.ints(first + offset, "jobnr #modes #successors successors...")
        number = first + offset + 1
        if len(row) < 3 or row[0] != offset + 1:
            raise lines.error(number, f"expected job {offset + 1} with modes and successors")
        if row[1] != 1:
            raise lines.error(
                number, f"job {row[0]}: {row[1]} modes; only single-mode is supported"
            )
        count = row[2]
        if len(row) != 3 + count:
            raise lines.error(
                number, f"job {row[0]}: {count} successors announced, {len(row) - 3} listed"
            )
        for successor in row[3:]:
            if not 1 <= successor <= jobs:
                raise lines.error(number, f"job {row[0]}: successor {successor} out of 1..{jobs}")
        successors.append(tuple(row[3:]))

    durations: list[int] = []
    demands: list[tuple[int, ...]] = []
    header = lines.find("REQUESTS/DURATIONS")
    first = header + 3  # title, column header, dashes
    if first - 1 < len(lines.lines) and not lines.lines[first - 1].strip().startswith("-"):
        first -= 1  # tolerate a file without the dashes line
    for offset in range(jobs):
        row = lines.ints(first + offset, "jobnr mode duration demands...")
        number = first + offset + 1
        if len(row) != 3 + resources or row[0] != offset + 1:
            raise lines.error(
                number, f"expected job {offset + 1}, mode, duration and {resources} demands"
            )
        if row[2] < 0 or min(row[3:], default=0) < 0:
            raise lines.error(number, f"job {row[0]}: negative duration or demand")
        durations.append(row[2])
        demands.append(tuple(row[3:]))

    availability = lines.find("RESOURCEAVAILABILITIES") + 2
    capacities = lines.ints(availability, f"{resources} resource capacities")
    if len(capacities) != resources:
        raise lines.error(
            availability + 1, f"expected {resources} capacities, got {len(capacities)}"
        )
    instance = Instance(
        path.stem, tuple(durations), tuple(successors), tuple(demands), tuple(capacities)
    )
    if len(instance._topological_jobs()) != jobs:
        raise PlanError(f"{path}: the precedence relations contain a cycle")
    return instance


def parse_reference(path: Path, column: int = 2) -> dict[tuple[int, int], int]:
    """Per (parameter set, instance): the integer in ``column`` of each data row.

    Rows start with the two integers parameter and instance. In ``j30opt.sm`` and
    ``j*hrs.sm`` column 2 is the makespan; in ``j*lb.sm`` column 2 is the upper and
    column 3 the lower bound. Header and comment lines are skipped.
    """
    values: dict[tuple[int, int], int] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        tokens = line.split()
        if len(tokens) <= column:
            continue
        try:
            numbers = [int(token) for token in tokens[: column + 1]]
        except ValueError:
            continue
        values[(numbers[0], numbers[1])] = numbers[column]
    return values


def instance_key(name: str) -> tuple[str, int, int]:
    """``"j3012_7"`` -> ``("j30", 12, 7)``."""
    match = _NAME.match(name)
    if match is None:
        raise PlanError(f"{name}: not a PSPLIB instance name like j3012_7")
    return f"j{match.group(1)}", int(match.group(2)), int(match.group(3))


def level_file(path: Path, *, solver: str, time_limit: float) -> dict[str, Any]:
    """Level one ``.sm`` file: the makespan, a start for every job number, the bound."""
    from itpm.engine.leveling import level

    began = time.perf_counter()
    instance = parse_sm(path)
    tasks, dependencies, resources = instance.to_engine()
    result = level(tasks, dependencies, resources, method=solver, time_limit=time_limit)
    return {
        "makespan": result.makespan,
        "start": {str(job + 1): result.start[str(job + 1)] for job in range(instance.jobs)},
        "lower_bound": result.lower_bound,
        "gap": result.gap,
        "optimal": result.optimal,
        "seconds": round(time.perf_counter() - began, 3),
    }
