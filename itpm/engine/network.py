"""The dependency network as flat numpy arrays, in topological order.

``build_network`` checks a plan's links once (unknown ids, duplicate ids, self-links,
cycles) and turns them into parallel integer arrays that the CPM pass, the leveling
heuristic and the Monte Carlo sampler walk without touching Python objects per edge.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from itpm.engine.errors import CycleError, PlanError
from itpm.engine.model import Dependency, DependencyType

_PREDECESSOR = attrgetter("predecessor")
_SUCCESSOR = attrgetter("successor")
_TYPE = attrgetter("type")
_LAG = attrgetter("lag")

IntArray = npt.NDArray[np.int64]

#: Link type codes used in ``Network.kind``.
FS, SS, FF, SF = 0, 1, 2, 3

KIND_CODE: dict[str, int] = {
    DependencyType.FS: FS,
    DependencyType.SS: SS,
    DependencyType.FF: FF,
    DependencyType.SF: SF,
}


@dataclass(frozen=True, slots=True)
class Network:
    """Tasks and links of a plan as arrays.

    ``ids[i]`` is the task at index ``i``; edge ``e`` goes from ``pred[e]`` to ``succ[e]``
    with link type ``kind[e]`` (0 FS, 1 SS, 2 FF, 3 SF) and ``lag[e]`` working units
    (negative for a lead). ``order`` lists every index so that each edge goes from an
    earlier to a later position. Edges keep the order of the ``dependencies`` given.
    """

    ids: list[str]
    index: dict[str, int]
    order: IntArray
    pred: IntArray
    succ: IntArray
    kind: npt.NDArray[np.int8]
    lag: IntArray
    #: Longest path (in links) from a task without predecessors to each task, when the
    #: network is shallow enough to be walked level by level with numpy; else ``None``.
    depth: IntArray | None = None

    @property
    def size(self) -> int:
        """Number of tasks."""
        return len(self.ids)


def build_network(task_ids: Sequence[str], dependencies: Sequence[Dependency]) -> Network:
    """Index ``task_ids`` and ``dependencies`` and sort them topologically.

    Raises ``PlanError`` for a duplicate task id, a link naming an unknown task or a
    link from a task to itself, and ``CycleError`` (listing the ids on one cycle, in link
    order) when the links form a cycle.
    """
    ids = list(task_ids)
    index = {task_id: i for i, task_id in enumerate(ids)}
    if len(index) != len(ids):
        seen: set[str] = set()
        for position, task_id in enumerate(ids):
            if task_id in seen:
                raise PlanError(f"tasks[{position}].id: duplicate task id {task_id!r}")
            seen.add(task_id)
    n = len(ids)
    m = len(dependencies)
    try:
        lookup = index.__getitem__
        pred = np.array(list(map(lookup, map(_PREDECESSOR, dependencies))), dtype=np.int64)
        succ = np.array(list(map(lookup, map(_SUCCESSOR, dependencies))), dtype=np.int64)
    except KeyError:
        for position, d in enumerate(dependencies):
            for field_name, task_id in (("predecessor", d.predecessor), ("successor", d.successor)):
                if task_id not in index:
                    raise PlanError(
                        f"dependencies[{position}].{field_name}: unknown task id {task_id!r}"
                    ) from None
        raise  # pragma: no cover - a KeyError always has a culprit above
    try:
        kind = np.array(list(map(KIND_CODE.__getitem__, map(_TYPE, dependencies))), np.int8)
    except KeyError:
        for position, d in enumerate(dependencies):
            if d.type not in KIND_CODE:
                raise PlanError(
                    f"dependencies[{position}].type: expected FS, SS, FF or SF, got {d.type!r}"
                ) from None
        raise  # pragma: no cover
    lag = np.array(list(map(_LAG, dependencies)), dtype=np.int64).reshape(m)
    loops = np.flatnonzero(pred == succ)
    if loops.size:
        position = int(loops[0])
        raise PlanError(
            f"dependencies[{position}]: task {ids[int(pred[position])]!r} cannot depend on itself"
        )
    order, depth = _levels(n, pred, succ)
    if order is None:
        order = _topological_order(n, pred, succ, ids)
    return Network(
        ids=ids, index=index, order=order, pred=pred, succ=succ, kind=kind, lag=lag, depth=depth
    )


def successor_csr(n: int, pred: IntArray, succ: IntArray) -> tuple[IntArray, IntArray]:
    """Compressed rows of out-edges: edges of node ``i`` are ``edges[start[i]:start[i+1]]``."""
    edges = np.argsort(pred, kind="stable").astype(np.int64)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pred, minlength=n), out=start[1:])
    return start, edges


#: Walking level by level pays while levels hold this many tasks on average.
_MIN_TASKS_PER_LEVEL = 48
_PROBE_LEVELS = 256


def _levels(n: int, pred: IntArray, succ: IntArray) -> tuple[IntArray | None, IntArray | None]:
    """Kahn's algorithm one whole level at a time, in numpy.

    Returns the order (grouped by depth, indices ascending within a level) and the depth
    of every task. A deep, narrow network (a long chain) would need one numpy round per
    task, so when levels turn out small this gives up and returns ``(None, None)``; the
    caller then runs the plain Kahn loop. An unfinished order also returns ``None``.
    """
    start, edges = successor_csr(n, pred, succ)
    targets = succ[edges]
    indegree = np.bincount(succ, minlength=n)
    frontier = np.flatnonzero(indegree == 0)
    depth = np.zeros(n, dtype=np.int64)
    parts: list[IntArray] = []
    placed = 0
    level = 0
    while frontier.size:
        depth[frontier] = level
        parts.append(frontier)
        placed += frontier.size
        level += 1
        if level >= _PROBE_LEVELS and placed < level * _MIN_TASKS_PER_LEVEL:
            return None, None
        first = start[frontier]
        counts = start[frontier + 1] - first
        total = int(counts.sum())
        if total == 0:
            break
        offsets = np.repeat(first - (np.cumsum(counts) - counts), counts)
        reached = targets[offsets + np.arange(total, dtype=np.int64)]
        reached, times = np.unique(reached, return_counts=True)
        indegree[reached] -= times
        frontier = reached[indegree[reached] == 0]
    if placed < n:
        return None, None
    return np.concatenate(parts) if parts else np.zeros(0, np.int64), depth


def _topological_order(n: int, pred: IntArray, succ: IntArray, ids: list[str]) -> IntArray:
    """Kahn's algorithm over CSR lists; ties are broken by task index (deterministic)."""
    start, edges = successor_csr(n, pred, succ)
    targets = succ[edges].tolist()
    bounds = start.tolist()
    indegree = np.bincount(succ, minlength=n).tolist()
    queue = deque(i for i in range(n) if indegree[i] == 0)
    order: list[int] = []
    append = order.append
    popleft = queue.popleft
    push = queue.append
    while queue:
        node = popleft()
        append(node)
        for target in targets[bounds[node] : bounds[node + 1]]:
            indegree[target] -= 1
            if indegree[target] == 0:
                push(target)
    if len(order) < n:
        raise CycleError(_find_cycle(n, pred, succ, indegree, ids))
    return np.asarray(order, dtype=np.int64)


def _find_cycle(
    n: int, pred: IntArray, succ: IntArray, indegree: list[int], ids: list[str]
) -> list[str]:
    """One cycle among the nodes Kahn could not remove.

    Every such node keeps a predecessor that is also left over, so walking backwards
    from one of them must revisit a node; the walk between the two visits is a cycle.
    """
    left = np.asarray(indegree, dtype=np.int64) > 0
    keep = left[pred] & left[succ]
    first_pred: dict[int, int] = {}
    for u, v in zip(pred[keep].tolist(), succ[keep].tolist(), strict=True):
        first_pred.setdefault(v, u)
    node = int(np.flatnonzero(left)[0])
    seen: dict[int, int] = {}
    walk: list[int] = []
    while node not in seen:
        seen[node] = len(walk)
        walk.append(node)
        node = first_pred[node]
    cycle = walk[seen[node] :]
    cycle.reverse()  # the walk went against the links
    smallest = cycle.index(min(cycle))
    cycle = cycle[smallest:] + cycle[:smallest]
    return [ids[i] for i in cycle]
