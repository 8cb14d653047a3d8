"""Critical path method: early and late dates, floats and the critical path.

Conventions (MS Project's defaults, on the integer working-time axis):

- A task occupies ``[start, finish)``: ``finish = start + duration``. Nothing starts
  before the project start, position 0.
- Links: FS ``start(s) >= finish(p) + lag``; SS ``start(s) >= start(p) + lag``;
  FF ``finish(s) >= finish(p) + lag``; SF ``finish(s) >= start(p) + lag``. A negative lag
  is a lead.
- Constraints, with "tasks honor their constraint dates": SNET/FNET raise the early
  dates; SNLT/FNLT cap the early dates (even against a link, which then shows as negative
  float on the predecessors) and the late dates; MSO/MFO pin both; ALAP tasks are moved
  to their late dates after the backward pass, and their successors follow.
  A ``deadline`` caps the late finish only.
- Late dates: a task without successors may finish as late as the project finish
  (``project_finish`` if given, else the latest early finish).
- ``total_float = late_finish - early_finish``; ``free_float`` is the slack to the
  tightest successor link (to the project finish for a task without successors).
  Critical means ``total_float <= 0`` (completed tasks are never critical).
- Summary tasks (those that are some task's ``parent``) are not scheduled themselves:
  a link to or from a summary applies to every leaf task under it, and the summary's dates
  roll up (earliest start, latest finish of its leaves). Their own duration, constraint
  and progress are ignored.
- Progress, with a status date: a task with ``actual_finish`` is fixed where it
  happened. A task with ``actual_start`` only starts there and its remaining duration
  (``remaining``, or ``duration`` minus the time since the actual start) runs from the
  status date on. A task not started cannot start before the status date.

The passes run over numpy arrays: level by level (one vector step per depth of the
network) when the network is wide, or a tight loop over compressed rows when it is a
long, narrow chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from itpm.engine.errors import PlanError
from itpm.engine.model import ConstraintType, Dependency, Task
from itpm.engine.network import FF, FS, SF, Network, build_network

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_FAR = np.int64(1) << np.int64(60)


@dataclass(frozen=True, slots=True)
class TaskSchedule:
    """The computed dates of one task, in axis units."""

    id: str
    early_start: int
    early_finish: int
    late_start: int
    late_finish: int
    total_float: int
    free_float: int
    critical: bool
    summary: bool = False


@dataclass(frozen=True, slots=True)
class Schedule:
    """Dates of all tasks as arrays aligned with ``ids`` (input order, summaries too).

    ``schedule["A"]`` or ``schedule.tasks`` give ``TaskSchedule`` objects; the arrays are
    there for callers that handle 100,000 tasks at once.
    """

    ids: list[str]
    early_start: IntArray
    early_finish: IntArray
    late_start: IntArray
    late_finish: IntArray
    total_float: IntArray
    free_float: IntArray
    critical: BoolArray
    summary: BoolArray
    project_finish: int
    critical_path: list[str]

    def __getitem__(self, task_id: str) -> TaskSchedule:
        return self._row(self.ids.index(task_id))

    def _row(self, i: int) -> TaskSchedule:
        return TaskSchedule(
            id=self.ids[i],
            early_start=int(self.early_start[i]),
            early_finish=int(self.early_finish[i]),
            late_start=int(self.late_start[i]),
            late_finish=int(self.late_finish[i]),
            total_float=int(self.total_float[i]),
            free_float=int(self.free_float[i]),
            critical=bool(self.critical[i]),
            summary=bool(self.summary[i]),
        )

    @property
    def tasks(self) -> dict[str, TaskSchedule]:
        """Every task's dates by id."""
        return {task_id: self._row(i) for i, task_id in enumerate(self.ids)}


def schedule(
    tasks: Sequence[Task],
    dependencies: Sequence[Dependency],
    *,
    status: int | None = None,
    project_finish: int | None = None,
) -> Schedule:
    """Forward and backward pass over ``tasks`` linked by ``dependencies``.

    ``status`` is the status date on the axis (progress is read from the tasks' actual
    fields, see the module doc). ``project_finish`` overrides the finish that late dates
    count back from. Raises ``PlanError`` for bad tasks or links and ``CycleError`` for a
    dependency cycle.
    """
    all_ids = [task.id for task in tasks]
    position = {task_id: i for i, task_id in enumerate(all_ids)}
    if len(position) != len(all_ids):
        build_network(all_ids, ())  # raises the duplicate-id error
    children: dict[str, list[str]] = {}
    for i, task in enumerate(tasks):
        if task.parent is not None:
            if task.parent not in position:
                raise PlanError(f"tasks[{i}].parent: unknown task id {task.parent!r}")
            children.setdefault(task.parent, []).append(task.id)
    _check_parents_acyclic(tasks, children)
    leaves = [task for task in tasks if task.id not in children]
    leaf_ids = [task.id for task in leaves]
    if children:
        dependencies = _expand_summary_links(dependencies, children, position)
    network = build_network(leaf_ids, dependencies)
    passes = _Passes(network, leaves, status, tasks_position=position)
    passes.run(project_finish)
    return _assemble(tasks, children, passes, position)


def expand_summaries(
    tasks: Sequence[Task], dependencies: Sequence[Dependency]
) -> tuple[list[Task], list[Dependency]]:
    """The leaf tasks, and the links with every summary end replaced by its leaf tasks.

    This is what ``schedule`` works on; leveling and simulation can use it too.
    """
    position = {task.id: i for i, task in enumerate(tasks)}
    children: dict[str, list[str]] = {}
    for task in tasks:
        if task.parent is not None:
            children.setdefault(task.parent, []).append(task.id)
    leaves = [task for task in tasks if task.id not in children]
    if children:
        return leaves, _expand_summary_links(dependencies, children, position)
    return leaves, list(dependencies)


def _check_parents_acyclic(tasks: Sequence[Task], children: dict[str, list[str]]) -> None:
    parent_of = {task.id: task.parent for task in tasks if task.parent is not None}
    for task in tasks:
        seen = {task.id}
        node = parent_of.get(task.id)
        while node is not None:
            if node in seen:
                raise PlanError(f"task {task.id!r}: its parent chain loops back through {node!r}")
            seen.add(node)
            node = parent_of.get(node)


def _leaf_descendants(summary: str, children: dict[str, list[str]]) -> list[str]:
    leaves: list[str] = []
    stack = [summary]
    while stack:
        node = stack.pop()
        if node in children:
            stack.extend(reversed(children[node]))
        else:
            leaves.append(node)
    return leaves


def _expand_summary_links(
    dependencies: Sequence[Dependency],
    children: dict[str, list[str]],
    position: dict[str, int],
) -> list[Dependency]:
    """Replace each link touching a summary by links between their leaf tasks."""
    expanded: list[Dependency] = []
    cache: dict[str, list[str]] = {}

    def leaves_of(task_id: str) -> list[str]:
        if task_id not in children:
            return [task_id]
        if task_id not in cache:
            cache[task_id] = _leaf_descendants(task_id, children)
        return cache[task_id]

    for i, dep in enumerate(dependencies):
        if dep.predecessor not in children and dep.successor not in children:
            expanded.append(dep)
            continue
        for name in (dep.predecessor, dep.successor):
            if name not in position:
                field = "predecessor" if name == dep.predecessor else "successor"
                raise PlanError(f"dependencies[{i}].{field}: unknown task id {name!r}")
        predecessors = leaves_of(dep.predecessor)
        successors = leaves_of(dep.successor)
        if set(predecessors) & set(successors):
            raise PlanError(
                f"dependencies[{i}]: {dep.predecessor!r} and {dep.successor!r} are a summary "
                "and a task inside it; they cannot be linked"
            )
        expanded.extend(
            Dependency(predecessor=p, successor=s, type=dep.type, lag=dep.lag)
            for p in predecessors
            for s in successors
        )
    return expanded


class _Passes:
    """The arrays of one scheduling run over the leaf tasks."""

    def __init__(
        self,
        network: Network,
        leaves: Sequence[Task],
        status: int | None,
        *,
        tasks_position: dict[str, int],
    ) -> None:
        n = network.size
        self.network = network
        self.status = status
        span = np.zeros(n, dtype=np.int64)
        # Clamps of the early start and of the late finish: value = min(max(x, low), high).
        early_low = np.full(n, 0 if status is None else status, dtype=np.int64)
        early_high = np.full(n, _FAR, dtype=np.int64)
        late_low = np.full(n, -_FAR, dtype=np.int64)
        late_high = np.full(n, _FAR, dtype=np.int64)
        self.completed = np.zeros(n, dtype=np.bool_)
        alap: list[int] = []
        for i, task in enumerate(leaves):
            where = f"tasks[{tasks_position[task.id]}]"
            if task.duration < 0:
                raise PlanError(f"{where}.duration: must be >= 0")
            duration = task.duration
            if task.actual_finish is not None or task.actual_start is not None:
                fixed_start, span[i], done = _progress(task, status, where)
                early_low[i] = early_high[i] = fixed_start
                if done:
                    self.completed[i] = True
                    late_low[i] = late_high[i] = fixed_start + span[i]
                continue
            span[i] = duration
            constraint = task.constraint
            kind = constraint.type
            if kind != ConstraintType.ASAP and kind != ConstraintType.ALAP:
                if constraint.at is None:
                    raise PlanError(f"{where}.constraint: {kind} needs a date")
                at = constraint.at
                if kind == ConstraintType.SNET:
                    early_low[i] = max(early_low[i], at)
                elif kind == ConstraintType.FNET:
                    early_low[i] = max(early_low[i], at - duration)
                elif kind == ConstraintType.SNLT:
                    early_high[i] = at
                    late_high[i] = at + duration
                elif kind == ConstraintType.FNLT:
                    early_high[i] = at - duration
                    late_high[i] = at
                elif kind == ConstraintType.MSO:
                    early_low[i] = early_high[i] = at
                    late_low[i] = late_high[i] = at + duration
                elif kind == ConstraintType.MFO:
                    early_low[i] = early_high[i] = at - duration
                    late_low[i] = late_high[i] = at
            elif kind == ConstraintType.ALAP:
                alap.append(i)
            if task.deadline is not None:
                late_high[i] = min(late_high[i], task.deadline)
        self.span = span
        self.early_low, self.early_high = early_low, early_high
        self.late_low, self.late_high = late_low, late_high
        self.alap = np.asarray(alap, dtype=np.int64)
        pred, succ, link = network.pred, network.succ, network.kind
        pred_finish = (link == FS) | (link == FF)
        succ_finish = (link == FF) | (link == SF)
        # start(s) >= start(p) + forward_offset
        self.forward_offset = (
            network.lag
            + np.where(pred_finish, span[pred], 0)
            - np.where(succ_finish, span[succ], 0)
        )
        # finish(p) <= finish(s) + backward_offset
        self.backward_offset = -self.forward_offset - span[succ] + span[pred]
        self.early_start = np.zeros(n, dtype=np.int64)
        self.late_finish = np.zeros(n, dtype=np.int64)
        self.finish = 0

    # The two passes ---------------------------------------------------------------

    def run(self, project_finish: int | None) -> None:
        self.early_start = self._forward(self.early_low, self.early_high)
        early_finish = self.early_start + self.span
        self.finish = int(early_finish.max()) if early_finish.size else 0
        limit = self.finish if project_finish is None else project_finish
        self.late_finish = self._backward(limit)
        if self.alap.size:
            # Move ALAP tasks to their late start, then let successors follow.
            late_start = self.late_finish[self.alap] - self.span[self.alap]
            pinned = np.maximum(self.early_start[self.alap], late_start)
            low, high = self.early_low.copy(), self.early_high.copy()
            low[self.alap] = pinned
            high[self.alap] = pinned
            self.early_start = self._forward(low, high)

    def _forward(self, low: IntArray, high: IntArray) -> IntArray:
        net = self.network
        early_start = low.copy()
        if net.depth is not None and net.pred.size:
            depth = net.depth
            edges = np.lexsort((net.succ, depth[net.succ]))
            succ_sorted = net.succ[edges]
            pred_sorted = net.pred[edges]
            offset_sorted = self.forward_offset[edges]
            level_of_edge = depth[succ_sorted]
            bounds = np.searchsorted(level_of_edge, np.arange(int(depth.max()) + 2))
            node_bounds = np.searchsorted(depth[net.order], np.arange(int(depth.max()) + 2))
            new_group = np.ones(succ_sorted.size, dtype=np.bool_)
            new_group[1:] = succ_sorted[1:] != succ_sorted[:-1]
            group_start = np.flatnonzero(new_group)
            group_bounds = np.searchsorted(group_start, bounds)
            order = net.order
            # Level 0 has no incoming links: only the clamps apply.
            nodes = order[node_bounds[0] : node_bounds[1]]
            early_start[nodes] = np.minimum(early_start[nodes], high[nodes])
            for level in range(1, len(bounds) - 1):
                lo, hi = int(bounds[level]), int(bounds[level + 1])
                if lo == hi:
                    continue
                candidate = early_start[pred_sorted[lo:hi]] + offset_sorted[lo:hi]
                starts = group_start[group_bounds[level] : group_bounds[level + 1]] - lo
                best = np.maximum.reduceat(candidate, starts)
                targets = succ_sorted[starts + lo]
                early_start[targets] = np.maximum(early_start[targets], best)
                nodes = order[node_bounds[level] : node_bounds[level + 1]]
                early_start[nodes] = np.minimum(early_start[nodes], high[nodes])
            return early_start
        # Narrow network: a plain loop over incoming links in topological order.
        in_start, in_edges = _csr(net.succ, net.size)
        preds = net.pred[in_edges].tolist()
        offsets = self.forward_offset[in_edges].tolist()
        bounds_list = in_start.tolist()
        values = early_start.tolist()
        highs = high.tolist()
        for node in net.order.tolist():
            value = values[node]
            for k in range(bounds_list[node], bounds_list[node + 1]):
                candidate = values[preds[k]] + offsets[k]
                if candidate > value:
                    value = candidate
            values[node] = min(value, highs[node])
        return np.asarray(values, dtype=np.int64)

    def _backward(self, limit: int) -> IntArray:
        net = self.network
        late_finish = np.full(net.size, limit, dtype=np.int64)
        low, high = self.late_low, self.late_high
        if net.depth is not None and net.pred.size:
            depth = net.depth
            edges = np.lexsort((net.pred, -depth[net.pred]))
            pred_sorted = net.pred[edges]
            succ_sorted = net.succ[edges]
            offset_sorted = self.backward_offset[edges]
            top = int(depth.max())
            # Levels from the deepest down: edges grouped by their predecessor's depth.
            level_of_edge = top - depth[pred_sorted]
            bounds = np.searchsorted(level_of_edge, np.arange(top + 2))
            reverse_depth = top - depth[net.order[::-1]]
            order = net.order[::-1]
            node_bounds = np.searchsorted(reverse_depth, np.arange(top + 2))
            new_group = np.ones(pred_sorted.size, dtype=np.bool_)
            new_group[1:] = pred_sorted[1:] != pred_sorted[:-1]
            group_start = np.flatnonzero(new_group)
            group_bounds = np.searchsorted(group_start, bounds)
            for level in range(top + 1):
                lo, hi = int(bounds[level]), int(bounds[level + 1])
                if lo < hi:
                    candidate = late_finish[succ_sorted[lo:hi]] + offset_sorted[lo:hi]
                    starts = group_start[group_bounds[level] : group_bounds[level + 1]] - lo
                    best = np.minimum.reduceat(candidate, starts)
                    targets = pred_sorted[starts + lo]
                    late_finish[targets] = np.minimum(late_finish[targets], best)
                nodes = order[node_bounds[level] : node_bounds[level + 1]]
                late_finish[nodes] = np.maximum(
                    np.minimum(late_finish[nodes], high[nodes]), low[nodes]
                )
            return late_finish
        out_start, out_edges = _csr(net.pred, net.size)
        succs = net.succ[out_edges].tolist()
        offsets = self.backward_offset[out_edges].tolist()
        bounds_list = out_start.tolist()
        values = late_finish.tolist()
        lows, highs = low.tolist(), high.tolist()
        for node in reversed(net.order.tolist()):
            value = values[node]
            for k in range(bounds_list[node], bounds_list[node + 1]):
                candidate = values[succs[k]] + offsets[k]
                if candidate < value:
                    value = candidate
            values[node] = max(min(value, highs[node]), lows[node])
        return np.asarray(values, dtype=np.int64)

    # Results ----------------------------------------------------------------------

    def free_float(self) -> IntArray:
        net = self.network
        early_finish = self.early_start + self.span
        free = self.finish - early_finish
        if net.pred.size:
            slack = self.early_start[net.succ] - (self.early_start[net.pred] + self.forward_offset)
            tightest = np.full(net.size, _FAR, dtype=np.int64)
            np.minimum.at(tightest, net.pred, slack)
            has_successor = tightest < _FAR
            free[has_successor] = tightest[has_successor]
        return free

    def critical_path(self, critical: BoolArray) -> list[int]:
        """Walk back from the first critical task ending at the finish along driving links."""
        net = self.network
        early_finish = self.early_start + self.span
        ends = np.flatnonzero(critical & (early_finish == self.finish))
        if ends.size == 0:
            return []
        # Prefer an end with no successors: the path then reaches the real finish.
        has_successor = np.zeros(net.size, dtype=np.bool_)
        has_successor[net.pred] = True
        open_ends = ends[~has_successor[ends]]
        if open_ends.size:
            ends = open_ends
        in_start, in_edges = _csr(net.succ, net.size)
        node = int(ends[0])
        path = [node]
        seen = {node}
        while True:
            chosen = -1
            for k in in_edges[in_start[node] : in_start[node + 1]].tolist():
                p = int(net.pred[k])
                driving = self.early_start[p] + self.forward_offset[k] == self.early_start[node]
                if driving and critical[p] and p not in seen and (chosen < 0 or p < chosen):
                    chosen = p
            if chosen < 0:
                break
            path.append(chosen)
            seen.add(chosen)
            node = chosen
        path.reverse()
        return path


def _csr(keys: IntArray, n: int) -> tuple[IntArray, IntArray]:
    edges = np.argsort(keys, kind="stable").astype(np.int64)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=start[1:])
    return start, edges


def _progress(task: Task, status: int | None, where: str) -> tuple[int, int, bool]:
    """(fixed start, span, completed) of a task with actual dates."""
    if task.actual_finish is not None:
        start = (
            task.actual_start
            if task.actual_start is not None
            else task.actual_finish - task.duration
        )
        if task.actual_finish < start:
            raise PlanError(f"{where}.actual_finish: is before the actual start")
        return start, task.actual_finish - start, True
    assert task.actual_start is not None
    start = task.actual_start
    if task.remaining is not None:
        if task.remaining < 0:
            raise PlanError(f"{where}.remaining: must be >= 0")
        remaining = task.remaining
        done = max(task.duration - remaining, 0)
    elif status is not None:
        done = min(max(status - start, 0), task.duration)
        remaining = task.duration - done
    else:
        done, remaining = 0, task.duration
    resume = start + done if status is None else max(status, start + done)
    return start, resume + remaining - start, False


def _assemble(
    tasks: Sequence[Task],
    children: dict[str, list[str]],
    passes: _Passes,
    position: dict[str, int],
) -> Schedule:
    n = len(tasks)
    net = passes.network
    leaf_rows = np.fromiter((position[task_id] for task_id in net.ids), np.int64, net.size)
    early_start = np.zeros(n, dtype=np.int64)
    early_finish = np.zeros(n, dtype=np.int64)
    late_finish = np.zeros(n, dtype=np.int64)
    late_start = np.zeros(n, dtype=np.int64)
    free_float = np.zeros(n, dtype=np.int64)
    early_start[leaf_rows] = passes.early_start
    early_finish[leaf_rows] = passes.early_start + passes.span
    late_finish[leaf_rows] = passes.late_finish
    late_start[leaf_rows] = passes.late_finish - passes.span
    free_float[leaf_rows] = passes.free_float()
    summary = np.zeros(n, dtype=np.bool_)
    completed = np.zeros(n, dtype=np.bool_)
    completed[leaf_rows] = passes.completed
    for summary_id in children:
        row = position[summary_id]
        rows = [position[leaf] for leaf in _leaf_descendants(summary_id, children)]
        summary[row] = True
        early_start[row] = early_start[rows].min()
        early_finish[row] = early_finish[rows].max()
        late_start[row] = late_start[rows].min()
        late_finish[row] = late_finish[rows].max()
        completed[row] = bool(completed[rows].all())
    total_float = late_finish - early_finish
    if children:
        free_float[summary] = total_float[summary]
    critical = (total_float <= 0) & ~completed
    leaf_critical = critical[leaf_rows]
    path = [net.ids[i] for i in passes.critical_path(leaf_critical)]
    return Schedule(
        ids=[task.id for task in tasks],
        early_start=early_start,
        early_finish=early_finish,
        late_start=late_start,
        late_finish=late_finish,
        total_float=total_float,
        free_float=free_float,
        critical=critical,
        summary=summary,
        project_finish=passes.finish,
        critical_path=path,
    )
