"""Resource leveling: the resource-constrained project scheduling problem (RCPSP).

Every task gets a start on the working-time axis such that

* every dependency holds (FS/SS/FF/SF, each with a lag that may be negative, a lead),
* at no time does the sum of the units that running tasks demand of a resource exceed that
  resource's capacity at that time (capacity may change over time: vacations, part time),

and the makespan (the latest finish) is as short as we can make it.

Two methods:

``heuristic``
    Schedule generation schemes (serial and parallel) driven by priority rules (LFT, LST,
    MTS, GRPW, task priority), each schedule improved by forward-backward improvement
    (justification, Valls, Ballestin & Quintanilla 2005), then biased random sampling around
    the rules within a pass and time budget. The best schedule found is kept. Any size.

``exact``
    OR-Tools CP-SAT: an interval per task, a cumulative constraint per resource, the
    capacity changes as fixed intervals that take capacity away, the heuristic schedule as a
    hint and its makespan as the horizon. Reports the proven lower bound and the gap, and
    ``optimal`` when the solver proves it within the time limit. Above 100 tasks most of the
    time goes to a large neighbourhood search with CP-SAT around the best schedule
    (``_lns``), which shortens hard plans far more than the whole model does in seconds.

Every dependency becomes a minimum distance between two starts, ``start[successor] >=
start[predecessor] + delta`` (see ``_start_to_start_delta``). With a negative delta (SS, FF,
SF or a lead) a successor may start before its predecessor finishes, even before it starts;
both schemes only need the predecessor to be *placed* first, which the acyclic dependency
graph guarantees.

Decisions, in full:

* A task that demands more of a resource than that resource ever has raises ``EngineError``
  naming the task and the resource: no schedule can exist, and silently shrinking the
  demand would hide a planning mistake. A task that fits only in some periods (a resource
  at full capacity only after a vacation) is placed where it fits.
* Tasks of zero duration (milestones) take no resource.
* Nothing starts before 0, the project start.
* Constraints SNET/MSO (and FNET/MFO, converted to a start) act as a release time: leveling
  may delay a task past them but never before. The other constraint types are left to CPM.
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from itpm.engine.errors import EngineError, PlanError
from itpm.engine.model import (
    ConstraintType,
    Dependency,
    DependencyType,
    Resource,
    Task,
)
from itpm.engine.network import build_network

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

# Units are floats (0.5 of a person); sums of floats drift by ~1e-15, so a fit test
# allows this much slack rather than rejecting a task over rounding noise.
_UNIT_TOLERANCE = 1e-9

METHODS = ("heuristic", "exact")
RULES = ("lft", "lst", "mts", "grpw", "priority")
SCHEMES = ("serial", "parallel")


@dataclass(slots=True)
class LevelResult:
    """A leveled schedule. Times are on the working-time axis; finish = start + duration."""

    start: dict[str, int]
    finish: dict[str, int]
    makespan: int
    # Tasks whose start moved against the unleveled early start (CPM without resources),
    # and by how many units.
    moved: dict[str, int]
    lower_bound: int | None
    gap: float | None  # (makespan - lower_bound) / lower_bound; None without a bound
    optimal: bool
    method: str
    schedules_tried: int = 0
    seconds: float = 0.0
    early_start: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------------------
# The problem in arrays: everything below works on task indexes 0..n-1.
# --------------------------------------------------------------------------------------


def _start_to_start_delta(kind: DependencyType, lag: int, pred_dur: int, succ_dur: int) -> int:
    """The minimum of ``start[succ] - start[pred]`` that a dependency imposes."""
    if kind is DependencyType.FS:
        return pred_dur + lag
    if kind is DependencyType.SS:
        return lag
    if kind is DependencyType.FF:
        return pred_dur - succ_dur + lag
    return lag - succ_dur  # SF: finish of successor >= start of predecessor + lag


@dataclass(slots=True)
class _Profile:
    """Piecewise-constant capacity of one resource: ``caps[k]`` from ``starts[k]`` on."""

    starts: list[int]
    caps: list[float]

    @property
    def final(self) -> float:
        return self.caps[-1]

    @property
    def last_change(self) -> int:
        return self.starts[-1]

    def array(self, length: int) -> list[float]:
        values: list[float] = []
        bounds = [*self.starts[1:], length]
        for begin, end, cap in zip(self.starts, bounds, self.caps, strict=True):
            if end > begin and begin < length:
                values.extend([cap] * (min(end, length) - max(begin, 0)))
        return values[:length]

    def mirrored_array(self, horizon: int, length: int) -> list[float]:
        """Capacity at mirrored time ``m`` = capacity at real time ``horizon - 1 - m``."""
        forward = self.array(horizon)
        values = forward[::-1]
        if length > horizon:
            values.extend([self.caps[0]] * (length - horizon))
        return values[:length]


@dataclass(slots=True)
class _Problem:
    """Arrays of one leveling problem (or of its mirror image, for backward passes)."""

    n: int
    duration: list[int]
    release: list[int]
    preds: list[list[tuple[int, int]]]  # (predecessor index, start-to-start delta)
    succs: list[list[tuple[int, int]]]
    demands: list[list[tuple[int, float]]]  # (resource index, units minus tolerance)
    raw_demands: list[list[tuple[int, float]]]
    pred_count: list[int]
    profiles: list[_Profile]
    change_points: list[int]  # every capacity change time, sorted
    # Started tasks (``actual_start``) stay where they started, whatever the capacity.
    pinned: list[int | None]
    ids: list[str]

    def base_avail(self, length: int) -> list[list[float]]:
        return [profile.array(length) for profile in self.profiles]


def _build_problem(
    tasks: Sequence[Task], dependencies: Iterable[Dependency], resources: Sequence[Resource]
) -> tuple[_Problem, list[str], list[int]]:
    """The arrays of a plan, its ids and a topological order of its task indexes."""
    network = build_network([task.id for task in tasks], list(dependencies))
    ids = network.ids
    for task in tasks:
        if task.duration < 0:
            raise PlanError(f"task {task.id!r}: negative duration {task.duration}")
    resource_index: dict[str, int] = {}
    profiles: list[_Profile] = []
    for resource in resources:
        if resource.id in resource_index:
            raise PlanError(f"resource {resource.id!r}: duplicate resource id")
        if resource.capacity < 0:
            raise PlanError(f"resource {resource.id!r}: negative capacity")
        resource_index[resource.id] = len(profiles)
        starts, caps = [0], [float(resource.capacity)]
        for change in sorted(resource.changes, key=lambda c: c.start):
            if change.capacity < 0:
                raise PlanError(f"resource {resource.id!r}: negative capacity at {change.start}")
            if change.start <= 0:
                caps[0] = float(change.capacity)
            elif change.start == starts[-1]:
                caps[-1] = float(change.capacity)
            else:
                starts.append(change.start)
                caps.append(float(change.capacity))
        profiles.append(_Profile(starts, caps))

    n = len(tasks)
    duration = [task.duration for task in tasks]
    release = [_release_time(task) for task in tasks]
    preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    succs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    kinds = (DependencyType.FS, DependencyType.SS, DependencyType.FF, DependencyType.SF)
    for i, k, kind, lag in zip(
        network.pred.tolist(),
        network.succ.tolist(),
        network.kind.tolist(),
        network.lag.tolist(),
        strict=True,
    ):
        delta = _start_to_start_delta(kinds[kind], lag, duration[i], duration[k])
        preds[k].append((i, delta))
        succs[i].append((k, delta))

    demands: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    raw_demands: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for j, task in enumerate(tasks):
        if task.duration == 0:
            continue  # milestones take no resource
        per_resource: dict[int, float] = {}
        for demand in task.demands:
            if demand.resource not in resource_index:
                raise PlanError(f"task {task.id!r}: unknown resource {demand.resource!r}")
            if demand.units < 0:
                raise PlanError(f"task {task.id!r}: negative units of {demand.resource!r}")
            r = resource_index[demand.resource]
            per_resource[r] = per_resource.get(r, 0.0) + float(demand.units)
        for r, units in sorted(per_resource.items()):
            if units <= 0:
                continue
            most = max(profiles[r].caps)
            if units > most + _UNIT_TOLERANCE:
                raise EngineError(
                    f"task {task.id!r} needs {units:g} units of resource "
                    f"{resources[r].id!r}, which never has more than {most:g}"
                )
            demands[j].append((r, units - _UNIT_TOLERANCE))
            raw_demands[j].append((r, units))
    change_points = sorted({s for p in profiles for s in p.starts[1:]})
    problem = _Problem(
        n=n,
        duration=duration,
        release=release,
        preds=preds,
        succs=succs,
        demands=demands,
        raw_demands=raw_demands,
        pred_count=[len(p) for p in preds],
        profiles=profiles,
        change_points=change_points,
        pinned=[task.actual_start for task in tasks],
        ids=ids,
    )
    return problem, ids, network.order.tolist()


def _release_time(task: Task) -> int:
    constraint = task.constraint
    if constraint.at is None:
        return 0
    if constraint.type in (ConstraintType.SNET, ConstraintType.MSO):
        return max(0, constraint.at)
    if constraint.type in (ConstraintType.FNET, ConstraintType.MFO):
        return max(0, constraint.at - task.duration)
    return 0


def _mirror(problem: _Problem) -> _Problem:
    """The same problem on a reversed time axis: the backward pass of justification.

    With mirrored start ``m = H - finish``, ``start[k] - start[i] >= delta`` becomes
    ``m[i] - m[k] >= delta + duration[k] - duration[i]``: an edge from k to i. Release
    times turn into deadlines, which the backward pass does not need (the forward pass
    that follows restores them), so they are dropped. The capacity is mirrored per horizon.
    """
    n = problem.n
    preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    succs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    d = problem.duration
    for k in range(n):
        for i, delta in problem.preds[k]:
            mirrored = delta + d[k] - d[i]
            succs[k].append((i, mirrored))
            preds[i].append((k, mirrored))
    return _Problem(
        n=n,
        duration=d,
        release=[0] * n,
        preds=preds,
        succs=succs,
        demands=problem.demands,
        raw_demands=problem.raw_demands,
        pred_count=[len(p) for p in preds],
        profiles=problem.profiles,
        change_points=problem.change_points,
        pinned=[None] * n,  # the forward pass that follows puts them back
        ids=problem.ids,
    )


# --------------------------------------------------------------------------------------
# Schedule generation schemes.
# --------------------------------------------------------------------------------------


class _Avail:
    """Remaining capacity per resource per time unit, grown on demand."""

    __slots__ = ("rows", "length", "tail")

    def __init__(self, rows: list[list[float]], tail: list[float]) -> None:
        self.rows = rows
        self.length = len(rows[0]) if rows else 0
        self.tail = tail  # capacity after the end of ``rows``

    def grow(self, needed: int) -> None:
        extra = max(needed - self.length, self.length, 64)
        for row, cap in zip(self.rows, self.tail, strict=True):
            row.extend([cap] * extra)
        self.length += extra


def _never_fits(avail: _Avail, r: int, units: float, dur: int, t: int) -> bool:
    row = avail.rows[r]
    run = 0
    for value in row[t:]:
        run = run + 1 if value >= units else 0
        if run >= dur:
            return False
    return True


def _reserve(
    avail: _Avail, demand: list[tuple[int, float]], raw: list[tuple[int, float]], t: int, dur: int
) -> None:
    end = t + dur
    if end > avail.length:
        avail.grow(end)
    for r, units in raw:
        row = avail.rows[r]
        row[t:end] = [value - units for value in row[t:end]]


def _serial(problem: _Problem, keys: Sequence[float], avail: _Avail) -> list[int]:
    """Serial SGS: repeatedly take the eligible task with the lowest key, place it as early
    as its placed predecessors and the remaining capacity allow.

    This is the hot loop of the heuristic, hence the inlined fit test: a window that does
    not fit moves past its last overloaded time unit, the next place it could fit."""
    n = problem.n
    duration = problem.duration
    demands = problem.demands
    raw = problem.raw_demands
    succs = problem.succs
    last_change = [p.last_change for p in problem.profiles]
    pinned = problem.pinned
    tail = avail.tail
    rows = avail.rows
    earliest = problem.release[:]
    remaining = problem.pred_count[:]
    start = [0] * n
    heap = [(keys[j], j) for j in range(n) if remaining[j] == 0]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        _, j = pop(heap)
        t = earliest[j]
        if t < 0:
            t = 0
        demand = demands[j]
        fixed = pinned[j]
        if fixed is not None:
            t = fixed  # its capacity is taken before the scheme starts (_Solver.base)
        elif demand:
            dur = duration[j]
            while True:
                end = t + dur
                if end > avail.length:
                    avail.grow(end)
                for r, units in demand:
                    row = rows[r]
                    if min(row[t:end]) < units:
                        k = end - 1
                        while row[k] >= units:
                            k -= 1
                        t = k + 1
                        if (
                            t > last_change[r]
                            and tail[r] < units
                            and _never_fits(avail, r, units, dur, t)
                        ):
                            raise EngineError(
                                f"task {problem.ids[j]!r}: no period of {dur} units has enough"
                                " capacity of its resources"
                            )
                        break
                else:
                    break
            for r, units in raw[j]:
                row = rows[r]
                row[t:end] = [value - units for value in row[t:end]]
        start[j] = t
        for k, delta in succs[j]:
            v = t + delta
            if v > earliest[k]:
                earliest[k] = v
            remaining[k] -= 1
            if remaining[k] == 0:
                push(heap, (keys[k], k))
    return start


def _fits_at(avail: _Avail, demand: list[tuple[int, float]], t: int, dur: int) -> bool:
    end = t + dur
    if end > avail.length:
        avail.grow(end)
    return all(min(avail.rows[r][t:end]) >= units for r, units in demand)


def _parallel(problem: _Problem, keys: Sequence[float], avail: _Avail) -> list[int]:
    """Parallel SGS: advance a clock over decision points; at each, start every eligible
    task (in key order) that fits from now on. Tasks without demands go at their earliest."""
    n = problem.n
    duration = problem.duration
    demands = problem.demands
    raw = problem.raw_demands
    succs = problem.succs
    earliest = problem.release[:]
    remaining = problem.pred_count[:]
    start = [0] * n
    placed = 0
    waiting: list[int] = []  # eligible tasks with demands, not yet started
    # Pinned tasks hold capacity from the start (see _Solver), so their ends are events.
    finishes = [f + duration[j] for j, f in enumerate(problem.pinned) if f is not None]
    heapq.heapify(finishes)
    change_points = problem.change_points
    rows = avail.rows
    sorted_count = 0  # waiting[:sorted_count] is in key order
    clock = 0

    def release_successors(j: int, t: int) -> list[int]:
        out: list[int] = []
        for k, delta in succs[j]:
            v = t + delta
            if v > earliest[k]:
                earliest[k] = v
            remaining[k] -= 1
            if remaining[k] == 0:
                out.append(k)
        return out

    ready = [j for j in range(n) if remaining[j] == 0]
    while placed < n:
        # Tasks without demands never wait for capacity: place them at once, which may
        # release more tasks.
        while ready:
            j = ready.pop()
            fixed = problem.pinned[j]
            if fixed is not None:
                start[j] = fixed
                placed += 1
                heapq.heappush(finishes, fixed + duration[j])
                ready.extend(release_successors(j, fixed))
            elif demands[j]:
                waiting.append(j)
            else:
                t = max(earliest[j], 0)
                start[j] = t
                placed += 1
                ready.extend(release_successors(j, t))
        if not waiting:
            continue
        if len(waiting) > sorted_count:
            waiting.sort(key=keys.__getitem__)
        if clock >= avail.length:
            avail.grow(clock + 1)
        still_waiting: list[int] = []
        for j in waiting:
            # Cheap test at the clock alone first: most waiting tasks fail it.
            if earliest[j] > clock or any(rows[r][clock] < units for r, units in demands[j]):
                still_waiting.append(j)
            elif _fits_at(avail, demands[j], clock, duration[j]):
                _reserve(avail, demands[j], raw[j], clock, duration[j])
                start[j] = clock
                placed += 1
                heapq.heappush(finishes, clock + duration[j])
                ready.extend(release_successors(j, clock))
            else:
                still_waiting.append(j)
        sorted_count = len(still_waiting)
        if sorted_count < len(waiting):
            waiting = still_waiting
            continue
        # Next decision point: a finish, a release of a waiting task, or a capacity change.
        candidates = [earliest[j] for j in waiting if earliest[j] > clock]
        while finishes and finishes[0] <= clock:
            heapq.heappop(finishes)
        if finishes:
            candidates.append(finishes[0])
        candidates.extend(c for c in change_points if c > clock)
        if not candidates:
            # Nothing runs, nothing is released and capacity never changes again: a waiting
            # task that does not fit now never will.
            raise EngineError(
                f"task {problem.ids[waiting[0]]!r}: no period of {duration[waiting[0]]} units"
                " has enough capacity of its resources"
            )
        clock = min(candidates)
    return start


# --------------------------------------------------------------------------------------
# Priority rules, CPM bounds.
# --------------------------------------------------------------------------------------


def _early_starts(problem: _Problem, order: Sequence[int]) -> list[int]:
    early = problem.release[:]
    for j in order:
        fixed = problem.pinned[j]
        t = fixed if fixed is not None else max(early[j], 0)
        early[j] = t
        for k, delta in problem.succs[j]:
            if t + delta > early[k]:
                early[k] = t + delta
    return early


def _late_starts(problem: _Problem, order: Sequence[int], horizon: int) -> list[int]:
    late = [horizon - d for d in problem.duration]
    for j in reversed(order):
        for k, delta in problem.succs[j]:
            if late[k] - delta < late[j]:
                late[j] = late[k] - delta
    return late


def _rule_keys(
    problem: _Problem, order: Sequence[int], priority: Sequence[int], horizon: int
) -> dict[str, list[float]]:
    late = _late_starts(problem, order, horizon)
    d = problem.duration
    n = problem.n
    lft = [float(late[j] + d[j]) for j in range(n)]
    # Transitive successors as bitsets: exact for any size, cheap with Python ints.
    reach = [0] * n
    for j in reversed(order):
        bits = 0
        for k, _ in problem.succs[j]:
            bits |= reach[k] | (1 << k)
        reach[j] = bits
    mts = [-float(bits.bit_count()) for bits in reach]
    grpw = [-float(d[j] + sum(d[k] for k, _ in problem.succs[j])) for j in range(n)]
    spread = float(max(lft, default=0.0) + 1.0)
    total_work = sum(d)
    # Higher priority first; LFT breaks ties between tasks of the same priority.
    prio = [-float(priority[j]) * spread * 2 + lft[j] for j in range(n)]
    return {
        "lft": lft,
        "lst": [float(v) for v in late],
        "mts": [mts[j] + lft[j] / (spread * 2) for j in range(n)],
        "grpw": [grpw[j] + lft[j] / (spread * 2 * (total_work + 1)) for j in range(n)],
        "priority": prio,
    }


# --------------------------------------------------------------------------------------
# The heuristic: SGS + justification + sampling.
# --------------------------------------------------------------------------------------


class _Solver:
    def __init__(
        self,
        problem: _Problem,
        order: list[int],
        lower_bound: int,
        deadline: float,
        clock: Callable[[], float],
    ) -> None:
        self.problem = problem
        self.clock = clock
        self.deadline = deadline
        self.schedules_generated = 0
        self.generation_seconds = 0.0
        # Parallel schedules cost several serial ones (about 5x on a 10,000-task plan), so
        # the deadline check keeps their mean apart.
        self.parallel_generated = 0
        self.parallel_seconds = 0.0
        self.mirror = _mirror(problem)
        self.order = order
        self.lower_bound = lower_bound
        self.tail = [p.final for p in problem.profiles]
        # With constant capacity and nothing pinned, the mirrored profile is the profile.
        self.constant = not problem.change_points and all(p is None for p in problem.pinned)
        base_length = max(
            64, lower_bound * 2, (problem.change_points[-1] + 1) if problem.change_points else 0
        )
        self.base_length = base_length
        self.base = problem.base_avail(base_length)
        # Started tasks hold their capacity before anything else is placed.
        pinned_avail = _Avail(self.base, self.tail)
        for j, fixed in enumerate(problem.pinned):
            if fixed is not None and problem.raw_demands[j]:
                _reserve(
                    pinned_avail,
                    problem.demands[j],
                    problem.raw_demands[j],
                    fixed,
                    problem.duration[j],
                )
        self.base = pinned_avail.rows
        self.base_length = pinned_avail.length
        self.best_start: list[int] | None = None
        self.center: list[int] = []
        self.best_makespan = math.inf
        self.tried = 0

    def avail(self) -> _Avail:
        return _Avail([row[:] for row in self.base], self.tail)

    def mirror_avail(self, horizon: int) -> _Avail:
        if self.constant:
            return self.avail()
        length = max(self.base_length, horizon + 64)
        rows = [p.mirrored_array(horizon, length) for p in self.problem.profiles]
        return _Avail(rows, [p.caps[0] for p in self.problem.profiles])

    def makespan(self, start: Sequence[int]) -> int:
        d = self.problem.duration
        return max((s + d[j] for j, s in enumerate(start)), default=0)

    def consider(self, start: list[int]) -> int:
        self.tried += 1
        span = self.makespan(start)
        if span <= self.best_makespan:
            # Ties move the centre of the local search: a walk along the plateau.
            self.center = start
            if span < self.best_makespan:
                self.best_makespan = span
                self.best_start = start
        return span

    def forward(self, keys: Sequence[float], parallel: bool = False) -> list[int]:
        scheme = _parallel if parallel else _serial
        began = self.clock()
        start = scheme(self.problem, keys, self.avail())
        if parallel:
            self.parallel_generated += 1
            self.parallel_seconds += self.clock() - began
        else:
            self.schedules_generated += 1
            self.generation_seconds += self.clock() - began
        return start

    def out_of_time(self, serial: int, parallel: int = 0) -> bool:
        """Whether ``serial`` more serial and ``parallel`` more parallel schedules would end
        past the deadline."""
        # The mean, not the slowest: one schedule slowed by a busy machine should not end
        # the search.
        serial_mean = self.generation_seconds / max(1, self.schedules_generated)
        parallel_mean = (
            self.parallel_seconds / self.parallel_generated
            if self.parallel_generated
            else 5 * serial_mean
        )
        return self.clock() + serial * serial_mean + parallel * parallel_mean > self.deadline

    def justify(self, start: list[int], rounds: int = 3) -> list[int]:
        """Forward-backward improvement: right-justify every task against the makespan,
        then left-justify again in the order of the right-justified starts; repeat while
        the makespan shrinks."""
        d = self.problem.duration
        span = self.consider(start)
        for _ in range(rounds):
            if self.out_of_time(2):
                break
            horizon = span
            back_keys = [-float(s + d[j]) for j, s in enumerate(start)]
            began = self.clock()
            mirrored = _serial(self.mirror, back_keys, self.mirror_avail(horizon))
            self.schedules_generated += 1
            self.generation_seconds += self.clock() - began
            back_span = max((m + d[j] for j, m in enumerate(mirrored)), default=0)
            # Real starts of the right-justified schedule (its makespan is back_span).
            keys = [float(back_span - m - d[j]) for j, m in enumerate(mirrored)]
            new = self.forward(keys)
            new_span = self.consider(new)
            if new_span >= span:
                break
            start, span = new, new_span
        return start

    def done(self) -> bool:
        return self.best_makespan <= self.lower_bound


def _heuristic(
    problem: _Problem,
    order: list[int],
    priority: Sequence[int],
    lower_bound: int,
    *,
    time_limit: float,
    seed: int,
    rules: Sequence[str],
    schemes: Sequence[str],
    samples: int | None,
    justify: bool,
    clock: Callable[[], float],
) -> tuple[list[int], int]:
    deadline = clock() + time_limit
    solver = _Solver(problem, order, lower_bound, deadline, clock)
    all_keys = _rule_keys(problem, order, priority, max(lower_bound, 1))
    for rule in rules:
        keys = all_keys[rule]
        for scheme in schemes:
            parallel = scheme == "parallel"
            # The first schedule always runs; later ones only when they fit in the time left.
            if solver.best_start is not None and solver.out_of_time(
                0 if parallel else 1, 1 if parallel else 0
            ):
                return _finish(solver)
            start = solver.forward(keys, parallel=parallel)
            if justify:
                solver.justify(start)
            else:
                solver.consider(start)
            if solver.done() or solver.out_of_time(1):
                return _finish(solver)
    if samples is None:
        samples = _default_samples(problem.n)
    if samples <= 0 or not justify:
        return _finish(solver)
    rng = random.Random(seed)  # noqa: S311 -- sampling, not cryptography
    d = problem.duration
    scale = max(1.0, sum(d) / max(1, problem.n))
    lft = all_keys["lft"]
    for round_number in range(samples):
        # One sample in four comes from the LFT rule, three from the best schedule so far
        # (an iterated local search); tuned on PSPLIB j30 and j120. Every other LFT sample
        # uses the parallel scheme.
        parallel = round_number % 8 == 0
        if solver.done() or solver.out_of_time(2 if parallel else 3, 1 if parallel else 0):
            break
        assert solver.best_start is not None
        if round_number % 4 == 0:
            # Sample around a rule: LFT with noise, the more noise the further we are.
            width = scale * (0.5 + 2.0 * rng.random())
            keys = [lft[j] + width * rng.random() for j in range(problem.n)]
        else:
            # Sample around the centre (the best schedule so far, or a later one as good):
            # its starts with small noise.
            best = solver.center
            width = scale * (1.0 + 3.0 * rng.random())
            keys = [best[j] + width * rng.random() for j in range(problem.n)]
        solver.justify(solver.forward(keys, parallel))
    return _finish(solver)


# The exact method needs only a good first solution for its hint and horizon.
_EXACT_SAMPLES = 300
# Up to this many tasks (PSPLIB j90 has 92) CP-SAT proves most instances within seconds,
# so the exact method gives the heuristic only a tenth of its time.
_EXACT_SMALL = 100


def _default_samples(n: int) -> int:
    # About a second or two of sampling on a few hundred tasks; large plans get the rules
    # and justification only (the time limit still applies).
    if n <= 2000:
        return 1000
    return 0


def _finish(solver: _Solver) -> tuple[list[int], int]:
    assert solver.best_start is not None
    return solver.best_start, solver.tried


# --------------------------------------------------------------------------------------
# The exact method: CP-SAT.
# --------------------------------------------------------------------------------------


def _cp_model(
    problem: _Problem, hint: list[int], horizon: int
) -> tuple[cp_model.CpModel, list[cp_model.IntVar], cp_model.IntVar]:
    """The CP-SAT model of ``problem`` within ``horizon``: (model, starts, makespan)."""
    from ortools.sat.python import cp_model

    n = problem.n
    d = problem.duration
    model = cp_model.CpModel()
    starts = [
        model.new_int_var(max(0, problem.release[j]), max(horizon - d[j], 0), f"s{j}")
        if problem.pinned[j] is None
        else model.new_constant(hint[j])
        for j in range(n)
    ]
    for k in range(n):
        for i, delta in problem.preds[k]:
            model.add(starts[k] >= starts[i] + delta)
    makespan = model.new_int_var(0, horizon, "makespan")
    for j in range(n):
        # Every other end is bounded through a chain of dependencies to one of these.
        if not problem.succs[j] or any(delta < d[j] for _, delta in problem.succs[j]):
            model.add(makespan >= starts[j] + d[j])
    scale = _unit_scale(
        [units for demand in problem.raw_demands for _, units in demand]
        + [c for p in problem.profiles for c in p.caps]
    )
    # One interval per task, shared by every resource it uses.
    task_interval = [
        model.new_fixed_size_interval_var(starts[j], d[j], f"i{j}") if d[j] > 0 else None
        for j in range(n)
    ]
    for r, profile in enumerate(problem.profiles):
        intervals = []
        heights = []
        for j in range(n):
            interval = task_interval[j]
            for rr, units in problem.raw_demands[j]:
                if rr == r and interval is not None:
                    intervals.append(interval)
                    heights.append(round(units * scale))
        if not intervals:
            continue
        top = round(max(profile.caps) * scale)
        bounds = [*profile.starts[1:], horizon]
        for begin, end, cap in zip(profile.starts, bounds, profile.caps, strict=True):
            end = min(end, horizon)
            taken = top - round(cap * scale)
            if taken > 0 and end > begin:
                intervals.append(
                    model.new_fixed_size_interval_var(begin, end - begin, f"off{r}_{begin}")
                )
                heights.append(taken)
        model.add_cumulative(intervals, heights, top)
    for j in range(n):
        model.add_hint(starts[j], hint[j])
    model.add_hint(makespan, horizon)
    model.minimize(makespan)
    return model, starts, makespan


def _exact(
    problem: _Problem,
    hint: list[int],
    horizon: int,
    *,
    time_limit: float,
    seed: int,
    workers: int,
) -> tuple[list[int], int, int, bool]:
    """Returns (start, makespan, lower bound, optimal)."""
    from ortools.sat.python import cp_model

    model, starts, _ = _cp_model(problem, hint, horizon)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return hint, horizon, 0, False
    start = [int(solver.value(s)) for s in starts]
    value = int(solver.objective_value)
    bound = int(math.ceil(solver.best_objective_bound - 1e-6))
    return start, value, bound, status == cp_model.OPTIMAL


def _resource_users(problem: _Problem) -> list[list[int]]:
    """For each resource, the tasks that take time on it."""
    users: list[list[int]] = [[] for _ in problem.profiles]
    for j in range(problem.n):
        if problem.duration[j] > 0:
            for r, _ in problem.raw_demands[j]:
                users[r].append(j)
    return users


def _kept_order(
    users: list[list[int]], start: list[int], duration: list[int], free: set[int]
) -> set[tuple[int, int]]:
    """The pairs (i, j) of fixed tasks on one resource where j starts after i finishes in
    ``start``, without those a chain of others implies: on each resource only the tasks
    that start before the first fixed follower of ``i`` finishes (a few per task instead
    of every pair, which made CP-SAT's presolve the slowest part of a neighbourhood)."""
    order: set[tuple[int, int]] = set()
    for tasks in users:
        fixed = sorted((j for j in tasks if j not in free), key=lambda j: start[j])
        starts = [start[j] for j in fixed]
        # first_finish[k]: the earliest finish among fixed[k:].
        first_finish = [start[j] + duration[j] for j in fixed] + [math.inf]
        for k in range(len(fixed) - 1, -1, -1):
            first_finish[k] = min(first_finish[k], first_finish[k + 1])
        for i in fixed:
            first = bisect.bisect_left(starts, start[i] + duration[i])
            horizon = first_finish[first]
            for j in fixed[first:]:
                if start[j] >= horizon:
                    break
                order.add((i, j))
    return order


# Each neighbourhood solve gets at most this long; tuned on the 20 hardest of every 10th
# PSPLIB j120 instance (0.25 s and 1 s were worse or no better).
_LNS_SUB_LIMIT = 0.5
# Tasks freed in the first window (12: no better), at most a fifth of the plan. The window
# grows by 10 % when CP-SAT proves it optimal without a gain and shrinks by this factor
# when CP-SAT runs out of time on it (0.8: no better).
_LNS_FIRST_WINDOW = 30.0
_LNS_SHRINK = 0.9
# Plans up to this size get the neighbourhood search in exact mode; above it, building the
# whole model again for each neighbourhood costs more than the short solve it serves.
_LNS_MAX_TASKS = 2000
# Share of the exact mode's CP-SAT time spent on the whole model (for the lower bound and,
# on easier plans, a proof of optimality) before the neighbourhood search takes the rest.
# PSPLIB j120, every 10th instance, 10 s, idle: 0.2 gave 32.14-32.56 % above the
# critical-path bound in three runs, 0.05 gave 31.83 % with as many proofs (24/60);
# docs/benchmarks.md.
_LNS_FULL_SHARE = 0.05


def _lns(
    problem: _Problem,
    start: list[int],
    *,
    time_limit: float,
    seed: int,
    workers: int,
    lower_bound: int = 0,
) -> list[int]:
    """Large neighbourhood search with CP-SAT around ``start`` (after Godard, Laborie &
    Nuijten 2005): free the tasks of one window of the schedule, keep the order the
    current schedule gives every other pair of tasks that share a resource, let CP-SAT
    reschedule with a short time limit, and keep the result when it is no longer; repeat
    until the time is up or the makespan reaches ``lower_bound``.

    A window is the tasks that start nearest to a random task. Its size grows when CP-SAT
    proves a window optimal without a gain and shrinks when it runs out of time, so each
    solve stays short. (Random sets of tasks instead of windows did markedly worse on
    PSPLIB j120.) Returns the best schedule, never longer than ``start``."""
    from ortools.sat.python import cp_model

    deadline = time.perf_counter() + time_limit
    rng = random.Random(seed)  # noqa: S311 -- neighbourhood choice, not cryptography
    d = problem.duration
    users = _resource_users(problem)
    best = list(start)
    best_span = max(best[j] + d[j] for j in range(problem.n))
    movable = [j for j in range(problem.n) if problem.pinned[j] is None]
    size = max(5.0, min(_LNS_FIRST_WINDOW, len(movable) / 5))
    round_number = 0
    while movable and best_span > lower_bound:
        left = deadline - time.perf_counter()
        if left < 0.05:
            break
        round_number += 1
        k = max(2, min(len(movable), round(size)))
        anchor = rng.choice(movable)
        free = set(sorted(movable, key=lambda j: abs(best[j] - best[anchor]))[:k])
        model, starts, _ = _cp_model(problem, best, best_span)
        for i, j in _kept_order(users, best, d, free):
            model.add(starts[j] >= starts[i] + d[i])
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = min(left, _LNS_SUB_LIMIT)
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed + round_number
        status = solver.solve(model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            value = int(solver.objective_value)
            if value <= best_span:
                # Ties are kept too: a walk along the plateau.
                best = [int(solver.value(s)) for s in starts]
                best_span = value
        # Proven optimal without a gain: look wider; out of time: look narrower.
        size = (
            min(len(movable), size * 1.1)
            if status == cp_model.OPTIMAL
            else max(2.0, size * _LNS_SHRINK)
        )
    return best


def _unit_scale(values: Sequence[float]) -> int:
    """The smallest power-of-ten-ish factor that makes every unit an integer."""
    for scale in (1, 2, 4, 10, 20, 100, 1000, 10000):
        if all(abs(v * scale - round(v * scale)) < 1e-6 for v in values):
            return scale
    return 10000


# --------------------------------------------------------------------------------------
# Entry point.
# --------------------------------------------------------------------------------------


def level(
    tasks: Sequence[Task],
    dependencies: Iterable[Dependency],
    resources: Sequence[Resource],
    *,
    method: str = "heuristic",
    time_limit: float = 10.0,
    seed: int = 0,
    rules: Sequence[str] = RULES,
    schemes: Sequence[str] = SCHEMES,
    samples: int | None = None,
    justify: bool = True,
    workers: int = 2,
    heuristic_time_limit: float | None = None,
    progress: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> LevelResult:
    """Level ``tasks`` against ``resources``; see the module docstring for the methods.

    ``time_limit`` bounds the whole call in seconds. ``samples`` is the number of sampled
    schedules after the priority rules (default: 2000 up to 1000 tasks, fewer above);
    sampling also stops at the time limit or when the schedule reaches the lower bound.
    ``rules`` picks the priority rules; ``rules=("priority",), justify=False`` levels like
    MS Project's "priority, standard" order. ``heuristic_time_limit`` caps the heuristic
    part of ``exact`` (default: a tenth of the time limit up to 100 tasks, 40 % above).
    ``clock`` measures the heuristic's time limit: wall-clock by default; a benchmark on a
    shared machine may pass ``time.process_time`` (CP-SAT's limit is always wall-clock).
    """
    if method not in METHODS:
        raise EngineError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    unknown = [rule for rule in rules if rule not in RULES]
    if unknown or not rules:
        raise EngineError(f"rules: expected some of {', '.join(RULES)}, got {list(rules)!r}")
    if not schemes or any(scheme not in SCHEMES for scheme in schemes):
        raise EngineError(f"schemes: expected some of {', '.join(SCHEMES)}, got {list(schemes)!r}")
    began = time.perf_counter()
    heuristic_began = clock()
    problem, ids, order = _build_problem(tasks, dependencies, resources)
    early = _early_starts(problem, order)
    duration = problem.duration
    critical_path = max((early[j] + duration[j] for j in range(problem.n)), default=0)
    lower_bound = max(critical_path, _energy_bound(problem))
    priority = [task.priority for task in tasks]
    if problem.n == 0:
        return LevelResult({}, {}, 0, {}, 0, 0.0, True, method)
    heuristic_budget = time_limit
    exact_samples: int | None = _EXACT_SAMPLES
    if method == "exact":
        if heuristic_time_limit is not None:
            heuristic_budget = heuristic_time_limit
        elif problem.n <= _EXACT_SMALL:
            heuristic_budget = time_limit / 10
        else:
            # On larger plans CP-SAT on the whole model rarely improves a hard instance within
            # seconds. The sampling heuristic gets 30 % of the time (1,000 samples at most),
            # CP-SAT on the whole model a twentieth of the rest (its bound, and a proof on the
            # easier plans), the neighbourhood search (``_lns``) the remainder. PSPLIB j120,
            # every 10th instance, 10 s: see docs/benchmarks.md.
            heuristic_budget = time_limit * 0.3
            exact_samples = None
    start, tried = _heuristic(
        problem,
        order,
        priority,
        lower_bound,
        time_limit=heuristic_budget - (clock() - heuristic_began),
        seed=seed,
        rules=rules,
        schemes=schemes,
        samples=samples if samples is not None or method == "heuristic" else exact_samples,
        justify=justify,
        clock=clock,
    )
    makespan = max(start[j] + duration[j] for j in range(problem.n))
    optimal = makespan <= lower_bound
    bound = lower_bound
    if method == "exact" and not optimal:
        # Import first: the first import of OR-Tools takes a second or more, which belongs
        # to the time limit too.
        from ortools.sat.python import cp_model  # noqa: F401

        remaining = max(0.1, time_limit - (time.perf_counter() - began))
        search = _EXACT_SMALL < problem.n <= _LNS_MAX_TASKS
        exact_start, exact_makespan, exact_bound, optimal = _exact(
            problem,
            start,
            makespan,
            time_limit=remaining * _LNS_FULL_SHARE if search else remaining,
            seed=seed,
            workers=workers,
        )
        bound = max(bound, exact_bound)
        if exact_makespan <= makespan:
            start, makespan = exact_start, exact_makespan
        optimal = optimal or makespan <= bound
        if search and not optimal:
            # CP-SAT on the whole model rarely shortens a plan of this size within seconds;
            # a neighbourhood search with it does (PSPLIB j120: see docs/benchmarks.md).
            start = _lns(
                problem,
                start,
                time_limit=time_limit - (time.perf_counter() - began),
                seed=seed,
                workers=workers,
                lower_bound=bound,
            )
            makespan = max(start[j] + duration[j] for j in range(problem.n))
            optimal = makespan <= bound
    if progress is not None:
        progress(f"{method}: makespan {makespan}, bound {bound}, {tried} schedules")
    gap = (makespan - bound) / bound if bound > 0 else 0.0
    return LevelResult(
        start={ids[j]: start[j] for j in range(problem.n)},
        finish={ids[j]: start[j] + duration[j] for j in range(problem.n)},
        makespan=makespan,
        moved={ids[j]: start[j] - early[j] for j in range(problem.n) if start[j] != early[j]},
        lower_bound=bound,
        gap=gap,
        optimal=optimal,
        method=method,
        schedules_tried=tried,
        seconds=time.perf_counter() - began,
        early_start={ids[j]: early[j] for j in range(problem.n)},
    )


def _energy_bound(problem: _Problem) -> int:
    """Work / capacity per resource: a lower bound when the capacity never changes."""
    if problem.change_points:
        return 0
    work = [0.0] * len(problem.profiles)
    for j in range(problem.n):
        for r, units in problem.raw_demands[j]:
            work[r] += units * problem.duration[j]
    bound = 0
    for r, total in enumerate(work):
        cap = problem.profiles[r].caps[0]
        if cap > 0 and total > 0:
            bound = max(bound, math.ceil(total / cap - 1e-9))
    return bound
