"""Monte Carlo schedule risk analysis: how likely is each finish date, and which tasks drive it.

Every iteration draws a duration for each task from its three-point estimate, adds the
delays of the risk events that occur, and runs the critical-path forward and backward
passes. All iterations run at once: durations are an iterations x tasks matrix (stored
task-major, so that each task's samples are one contiguous vector), and the passes walk the
tasks in topological order doing one numpy operation per link across all iterations.

Distributions (Vose, *Risk Analysis*, 3rd ed., ch. 9 and 14):

* ``"triangular"``: the triangular distribution on (optimistic, most likely, pessimistic),
  sampled by its inverse CDF. Mean (a + m + b) / 3, variance
  (a² + b² + m² - ab - am - bm) / 18.
* ``"pert"``: the PERT-beta distribution with lambda = 4: a + (b - a) * Beta(alpha, beta),
  alpha = 1 + 4 (m - a) / (b - a), beta = 1 + 4 (b - m) / (b - a); mean (a + 4m + b) / 6,
  variance (mean - a)(b - mean) / 7. Sampled by inverse CDF from a quantile table per task
  (``pert_quantile_table``).

Tasks without an estimate keep their deterministic duration. Risk events (``RiskEvent``)
occur independently in each iteration with their probability; when one occurs its delay is
added to its task's duration (or, for a risk without a task, to the project finish) and its
cost to the project cost.

Links (FS, SS, FF, SF with lags; a negative lag is a lead), constraints, deadlines, summary
tasks and progress follow the deterministic schedule (``itpm.engine.cpm``) exactly, so that
an iteration whose durations equal the plan's reproduces its dates and critical tasks:
summaries are expanded with ``cpm.expand_summaries`` (a link to or from a summary applies to
every leaf under it); SNET/FNET raise and SNLT/FNLT cap the early dates, MSO/MFO pin them,
and the finish-side constraints use each iteration's own duration; a deadline caps the late
finish; tasks with actual dates are pinned where ``cpm`` pins them, with their actual or
remaining span, unsampled; tasks not started do not start before the status date. ALAP
tasks are simulated as ASAP (moving them late does not change the project finish).

The criticality index of a task is the share of iterations in which its total float, from a
backward pass of that iteration against that iteration's project finish, is zero: the task
lies on a critical path of that iteration (Van Slyke, "Monte Carlo methods and the PERT
problem", *Operations Research* 11 (1963); PMI *Practice Standard for Scheduling*, 3rd ed.).

Repeatability: iterations are split into fixed blocks of at most ``_BLOCK`` iterations, each
drawing from its own stream spawned from ``seed`` (``numpy.random.SeedSequence.spawn``).
The split depends only on ``iterations``, so a seed gives the same result on any machine
and with any number of worker threads (``workers``; numpy releases the GIL in its kernels,
but threads only pay off on an otherwise idle multi-core machine, so the default is one).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from itpm.engine.cpm import _progress as progress_span  # the schedule's own progress rules
from itpm.engine.cpm import expand_summaries
from itpm.engine.errors import EngineError, PlanError
from itpm.engine.model import ConstraintType, Dependency, RiskEvent, Task
from itpm.engine.network import FF, FS, SF, SS, build_network

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Distribution = Literal["pert", "triangular"]

__all__ = ["Forecast", "forecast"]

#: Percentiles reported for the finish and the cost.
PERCENTILES = (10, 50, 80, 95)
#: Largest block of iterations simulated at once; bounds memory to about
#: 3 matrices x _BLOCK x tasks x 8 bytes per worker.
_BLOCK = 8192
#: Lambda of the PERT-beta distribution (Vose, ch. 14).
_PERT_LAMBDA = 4.0
#: Cells of the PERT quantile tables, and trapezoids of the CDF integration behind them.
_QUANTILE_CELLS = 1024
_CDF_POINTS = 2048


@dataclass(frozen=True, slots=True)
class Forecast:
    """The outcome of ``forecast``. Times are on the working-time axis.

    ``finish_percentiles`` maps 10, 50, 80, 95 to the finish that many percent of the
    iterations meet or beat; ``criticality`` maps every task id (leaves and summaries; a
    summary too) to its criticality index in
    [0, 1]. A summary is critical in an iteration when the latest late finish of its leaves
    is not after their latest early finish, as in ``cpm``. ``finish_samples`` keeps every
    iteration's finish for further statistics.
    Cost fields are ``None`` unless ``cost_rates``, ``base_cost`` or a risk cost was given.
    """

    iterations: int
    seed: int | None
    finish_samples: FloatArray
    finish_percentiles: dict[int, float]
    mean_finish: float
    stdev_finish: float
    probability_on_time: float | None
    criticality: dict[str, float]
    histogram_edges: list[float]
    histogram_counts: list[int]
    cost_percentiles: dict[int, float] | None = None
    mean_cost: float | None = None
    #: Every iteration's cost (base cost included), when there is a cost.
    cost_samples: FloatArray | None = None


@dataclass(frozen=True, slots=True)
class _Plan:
    """The leaf network prepared for simulation: parallel arrays and per-task link lists."""

    ids: list[str]
    order: list[int]
    base: FloatArray  # deterministic durations
    # Clamps from constraints and progress, as in cpm._Passes: early start is
    # min(max(x, start_low, finish_low - d), start_high, finish_high - d); late finish is
    # max(min(x, late_finish_high, late_start_high + d), late_finish_low, late_start_low + d),
    # with d the iteration's duration. Infinite where a task has no such clamp.
    start_low: FloatArray
    start_high: FloatArray
    finish_low: FloatArray
    finish_high: FloatArray
    late_start_low: FloatArray
    late_start_high: FloatArray
    late_finish_low: FloatArray
    late_finish_high: FloatArray
    completed: list[bool]  # completed tasks are fixed and never critical
    sampled: IntArray  # indices of tasks with a non-degenerate estimate
    low: FloatArray  # estimates of the sampled tasks
    mode: FloatArray
    high: FloatArray
    incoming: list[list[tuple[int, int, float]]]  # per task: (predecessor, kind, lag)
    outgoing: list[list[tuple[int, int, float]]]  # per task: (successor, kind, lag)
    risk_task: list[int]  # -1 for a project-level risk
    risk_also: list[list[int]]  # further tasks the same occurrence delays
    risk_probability: list[float]
    risk_delay: list[float]
    risk_cost: list[float]
    cost_rates: FloatArray | None


@dataclass(frozen=True, slots=True)
class _BlockResult:
    finish: FloatArray
    critical_counts: IntArray
    summary_counts: IntArray
    cost: FloatArray | None


def forecast(
    tasks: Sequence[Task],
    dependencies: Sequence[Dependency],
    *,
    iterations: int,
    seed: int | None = None,
    risks: Sequence[RiskEvent] = (),
    distribution: Distribution = "pert",
    target: float | None = None,
    cost_rates: Mapping[str, float] | None = None,
    base_cost: float = 0.0,
    status: int | None = None,
    bins: int = 30,
    workers: int = 1,
) -> Forecast:
    """Simulate the plan ``iterations`` times and summarize the finish and the critical tasks.

    ``target`` is an axis position; ``probability_on_time`` is the share of iterations that
    finish at or before it. ``cost_rates`` gives a cost per working unit of a task's
    (sampled) duration; with ``base_cost`` and the risk costs it makes the cost
    distribution. ``status`` is the status date on the axis, for plans with progress.
    ``workers`` is the number of threads running blocks of iterations; it does not
    change the result.
    """
    if iterations < 1:
        raise EngineError("iterations: must be at least 1")
    if distribution not in ("pert", "triangular"):
        raise EngineError(f"distribution: expected pert or triangular, got {distribution!r}")
    if bins < 1:
        raise EngineError("bins: must be at least 1")
    plan, summaries = _prepare(tasks, dependencies, risks, cost_rates, status)
    with_cost = cost_rates is not None or base_cost != 0.0 or any(r.cost for r in risks)

    block_count = max(1, math.ceil(iterations / _BLOCK))
    sizes = [len(part) for part in np.array_split(np.arange(iterations), block_count)]
    streams = np.random.SeedSequence(seed).spawn(block_count)
    summary_leaves = [np.asarray(leaves, dtype=np.int64) for leaves in summaries.values()]
    pert_table = (
        pert_quantile_table(plan.low, plan.mode, plan.high)
        if distribution == "pert" and plan.sampled.size
        else None
    )

    def run(block: int) -> _BlockResult:
        rng = np.random.default_rng(streams[block])
        return _simulate(
            plan, rng, sizes[block], distribution, pert_table, summary_leaves, with_cost
        )

    threads = min(block_count, max(1, workers))
    if threads > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = list(pool.map(run, range(block_count)))
    else:
        results = [run(block) for block in range(block_count)]

    finish = np.concatenate([r.finish for r in results])
    critical = np.sum([r.critical_counts for r in results], axis=0)
    summary_critical = np.sum([r.summary_counts for r in results], axis=0)
    criticality = {task_id: float(critical[i]) / iterations for i, task_id in enumerate(plan.ids)}
    for k, summary_id in enumerate(summaries):
        criticality[summary_id] = float(summary_critical[k]) / iterations
    counts, edges = np.histogram(finish, bins=bins)
    cost_percentiles = None
    mean_cost = None
    cost = None
    if with_cost:
        cost = np.concatenate([r.cost for r in results if r.cost is not None]) + base_cost
        cost_percentiles = _percentiles(cost)
        mean_cost = float(cost.mean())
    return Forecast(
        iterations=iterations,
        seed=seed,
        finish_samples=finish,
        finish_percentiles=_percentiles(finish),
        mean_finish=float(finish.mean()),
        stdev_finish=float(finish.std(ddof=1)) if iterations > 1 else 0.0,
        probability_on_time=None if target is None else float(np.mean(finish <= target)),
        criticality=criticality,
        histogram_edges=[float(edge) for edge in edges],
        histogram_counts=[int(count) for count in counts],
        cost_percentiles=cost_percentiles,
        mean_cost=mean_cost,
        cost_samples=cost,
    )


def _percentiles(samples: FloatArray) -> dict[int, float]:
    values = np.percentile(samples, PERCENTILES)
    return {p: float(v) for p, v in zip(PERCENTILES, values, strict=True)}


def _leaf_network(
    tasks: Sequence[Task], dependencies: Sequence[Dependency]
) -> tuple[list[Task], list[Dependency], dict[str, list[str]]]:
    """Leaf tasks, links between leaves, and the leaves under each summary task.

    The links come from ``cpm.expand_summaries``, so the simulation reads summaries exactly
    as the deterministic schedule does: a link to or from a summary applies to every leaf
    under it. This function adds the checks that ``cpm.schedule`` makes before expanding
    (unknown parents, parent chains that loop) and the summary -> leaves map.
    """
    known = {task.id for task in tasks}
    children: dict[str, list[str]] = {}
    for position, task in enumerate(tasks):
        if task.parent is not None:
            if task.parent not in known:
                raise PlanError(f"tasks[{position}].parent: unknown task id {task.parent!r}")
            children.setdefault(task.parent, []).append(task.id)
    leaves_under: dict[str, list[str]] = {}

    def collect(task_id: str, path: tuple[str, ...]) -> list[str]:
        if task_id in path:
            raise PlanError(f"task {task_id!r}: its parent chain loops back through {task_id!r}")
        if task_id not in children:
            return [task_id]
        if task_id not in leaves_under:
            found: list[str] = []
            for child in children[task_id]:
                found.extend(collect(child, (*path, task_id)))
            leaves_under[task_id] = found
        return leaves_under[task_id]

    for summary_id in children:
        collect(summary_id, ())
    leaves, links = expand_summaries(tasks, dependencies)
    return leaves, links, leaves_under


def _prepare(
    tasks: Sequence[Task],
    dependencies: Sequence[Dependency],
    risks: Sequence[RiskEvent],
    cost_rates: Mapping[str, float] | None,
    status: int | None,
) -> tuple[_Plan, dict[str, list[int]]]:
    leaves, links, summaries = _leaf_network(tasks, dependencies)
    if not leaves:
        raise PlanError("tasks: the plan has no tasks")
    network = build_network([t.id for t in leaves], links)
    n = network.size
    base = np.empty(n)
    start_low = np.full(n, 0.0 if status is None else float(status))
    start_high = np.full(n, np.inf)
    finish_low = np.full(n, -np.inf)
    finish_high = np.full(n, np.inf)
    late_start_low = np.full(n, -np.inf)
    late_start_high = np.full(n, np.inf)
    late_finish_low = np.full(n, -np.inf)
    late_finish_high = np.full(n, np.inf)
    completed = [False] * n
    sampled: list[int] = []
    low: list[float] = []
    mode: list[float] = []
    high: list[float] = []
    task_position = {task.id: k for k, task in enumerate(tasks)}
    for i, task in enumerate(leaves):
        where = f"tasks[{task_position[task.id]}]"
        if task.duration < 0:
            raise PlanError(f"{where}.duration: must be >= 0")
        base[i] = task.duration
        if task.actual_finish is not None or task.actual_start is not None:
            # Progress is read exactly as the deterministic schedule reads it: the task
            # is pinned at its actual start with its actual or remaining span, unsampled.
            fixed_start, span, done = progress_span(task, status, where)
            base[i] = span
            start_low[i] = start_high[i] = fixed_start
            if done:
                completed[i] = True
                late_finish_low[i] = late_finish_high[i] = fixed_start + span
            continue
        at = task.constraint.at
        kind = task.constraint.type
        if kind not in (ConstraintType.ASAP, ConstraintType.ALAP):
            if at is None:
                raise PlanError(f"{where}.constraint: {kind} needs a date")
            if kind is ConstraintType.SNET:
                start_low[i] = max(start_low[i], at)
            elif kind is ConstraintType.FNET:
                finish_low[i] = at
            elif kind is ConstraintType.SNLT:
                start_high[i] = late_start_high[i] = at
            elif kind is ConstraintType.FNLT:
                finish_high[i] = late_finish_high[i] = at
            elif kind is ConstraintType.MSO:
                start_low[i] = start_high[i] = late_start_low[i] = late_start_high[i] = at
            elif kind is ConstraintType.MFO:
                finish_low[i] = finish_high[i] = late_finish_low[i] = late_finish_high[i] = at
        if task.deadline is not None:
            late_finish_high[i] = min(late_finish_high[i], task.deadline)
        estimate = task.estimate
        if estimate is None or task.milestone:
            continue
        a, m, b = estimate.optimistic, estimate.most_likely, estimate.pessimistic
        if not (math.isfinite(a) and math.isfinite(m) and math.isfinite(b)):
            raise PlanError(f"{where}.estimate: must be finite numbers")
        if a < 0:
            raise PlanError(f"{where}.estimate: optimistic must not be negative")
        if a > m:
            raise PlanError(f"{where}.estimate: optimistic > most_likely")
        if m > b:
            raise PlanError(f"{where}.estimate: most_likely > pessimistic")
        if a == b:
            base[i] = a
            continue
        sampled.append(i)
        low.append(a)
        mode.append(m)
        high.append(b)

    incoming: list[list[tuple[int, int, float]]] = [[] for _ in range(n)]
    outgoing: list[list[tuple[int, int, float]]] = [[] for _ in range(n)]
    for p, s, k, lag in zip(
        network.pred.tolist(),
        network.succ.tolist(),
        network.kind.tolist(),
        network.lag.tolist(),
        strict=True,
    ):
        incoming[s].append((p, k, float(lag)))
        outgoing[p].append((s, k, float(lag)))

    risk_task: list[int] = []
    for position, risk in enumerate(risks):
        if not 0.0 <= risk.probability <= 1.0:
            raise PlanError(f"risks[{position}].probability: must be within 0..1")
        if risk.task is None:
            risk_task.append(-1)
        elif risk.task in network.index:
            risk_task.append(network.index[risk.task])
        elif risk.task in summaries:
            raise PlanError(f"risks[{position}].task: {risk.task!r} is a summary task")
        else:
            raise PlanError(f"risks[{position}].task: unknown task id {risk.task!r}")
    risk_also: list[list[int]] = []
    for position, risk in enumerate(risks):
        also: list[int] = []
        for other in risk.also_tasks:
            if other not in network.index:
                raise PlanError(f"risks[{position}].also_tasks: unknown leaf task id {other!r}")
            also.append(network.index[other])
        risk_also.append(also)

    rates = None
    if cost_rates is not None:
        rates = np.zeros(n)
        for task_id, rate in cost_rates.items():
            if task_id not in network.index:
                raise PlanError(f"cost_rates: unknown leaf task id {task_id!r}")
            rates[network.index[task_id]] = rate

    plan = _Plan(
        ids=network.ids,
        order=network.order.tolist(),
        base=base,
        start_low=start_low,
        start_high=start_high,
        finish_low=finish_low,
        finish_high=finish_high,
        late_start_low=late_start_low,
        late_start_high=late_start_high,
        late_finish_low=late_finish_low,
        late_finish_high=late_finish_high,
        completed=completed,
        sampled=np.asarray(sampled, dtype=np.int64),
        low=np.asarray(low, dtype=np.float64),
        mode=np.asarray(mode, dtype=np.float64),
        high=np.asarray(high, dtype=np.float64),
        incoming=incoming,
        outgoing=outgoing,
        risk_task=risk_task,
        risk_also=risk_also,
        risk_probability=[r.probability for r in risks],
        risk_delay=[r.delay for r in risks],
        risk_cost=[r.cost for r in risks],
        cost_rates=rates,
    )
    summary_leaf_indices = {
        summary_id: [network.index[leaf] for leaf in leaves_of]
        for summary_id, leaves_of in summaries.items()
    }
    return plan, summary_leaf_indices


def pert_quantile_table(
    low: FloatArray, mode: FloatArray, high: FloatArray
) -> npt.NDArray[np.float32]:
    """Quantiles of each task's PERT-beta distribution, as a fraction of (b - a).

    Row k holds the quantiles of Beta(alpha_k, beta_k) at u = 0, 1/K, ..., 1 with
    K = ``_QUANTILE_CELLS``, alpha = 1 + 4 (m - a) / (b - a), beta = 1 + 4 (b - m) / (b - a)
    (Vose, ch. 14). The CDF is integrated numerically (trapezoids on a cosine-spaced grid,
    dense near 0 and 1 where the density bends most) and inverted by interpolation.
    Sampling then needs one uniform number and one table look-up per duration, several
    times faster than the two gamma variates of the textbook method (X / (X + Y)). With
    K = 1024 the sampled CDF is within 1e-4 of the exact one (within 5e-4 in the outermost
    cell of each tail), far below the sampling error of any practical iteration count;
    tests/engine/test_montecarlo.py checks it against closed-form Beta CDFs.
    """
    span = high - low
    alpha = 1.0 + _PERT_LAMBDA * (mode - low) / span
    beta = 1.0 + _PERT_LAMBDA * (high - mode) / span
    t = np.linspace(0.0, 1.0, _CDF_POINTS + 1)
    x = 0.5 * (1.0 - np.cos(np.pi * t))
    inner = slice(1, -1)
    log_x = np.log(x[inner])
    log_rest = np.log1p(-x[inner])
    weight = 0.5 * np.pi * np.sin(np.pi * t[inner])  # dx/dt
    unique, rows = np.unique(np.stack([alpha, beta], axis=1), axis=0, return_inverse=True)
    density = np.zeros((unique.shape[0], t.size))
    # The density up to its normalizing constant, times dx/dt; both ends carry zero
    # weight because dx/dt is zero there.
    density[:, inner] = (
        np.exp((unique[:, :1] - 1.0) * log_x + (unique[:, 1:] - 1.0) * log_rest) * weight
    )
    cdf = np.zeros_like(density)
    np.cumsum(0.5 * (density[:, 1:] + density[:, :-1]), axis=1, out=cdf[:, 1:])
    cdf /= cdf[:, -1:]
    u = np.linspace(0.0, 1.0, _QUANTILE_CELLS + 1)
    table = np.empty((unique.shape[0], u.size), dtype=np.float32)
    for k in range(unique.shape[0]):
        table[k] = np.interp(u, cdf[k], x)
    result: npt.NDArray[np.float32] = table[rows.reshape(-1)]
    return result


def _sample_durations(
    plan: _Plan,
    rng: np.random.Generator,
    width: int,
    distribution: Distribution,
    pert_table: npt.NDArray[np.float32] | None,
) -> FloatArray:
    """Durations of every task in every iteration, shape (tasks, width).

    Both distributions are sampled by inverting their CDF at uniform variates, in single
    precision (ample for durations; the passes then run in double precision).
    """
    durations = np.repeat(plan.base[:, np.newaxis], width, axis=1)
    if plan.sampled.size == 0:
        return durations
    a = plan.low[:, np.newaxis].astype(np.float32)
    m = plan.mode[:, np.newaxis].astype(np.float32)
    b = plan.high[:, np.newaxis].astype(np.float32)
    shape = (plan.sampled.size, width)
    u = rng.random(shape, dtype=np.float32)
    if distribution == "triangular" or pert_table is None:
        # F(x) = (x-a)^2 / ((b-a)(m-a)) for x <= m, 1 - (b-x)^2 / ((b-a)(b-m)) above (Vose, ch. 9).
        split = (m - a) / (b - a)
        rising = a + np.sqrt(u * ((b - a) * (m - a)))
        falling = b - np.sqrt((1.0 - u) * ((b - a) * (b - m)))
        durations[plan.sampled] = np.where(u < split, rising, falling)
    else:
        # Linear interpolation in the quantile table: u * K falls in cell floor(u * K).
        cells = pert_table.shape[1] - 1
        u *= cells
        cell = np.minimum(u.astype(np.int32), cells - 1)
        u -= cell  # now the position within the cell
        cell += (np.arange(shape[0], dtype=np.int32) * (cells + 1))[:, np.newaxis]
        flat = pert_table.reshape(-1)
        below = flat[cell]
        cell += 1
        fraction = flat[cell]
        fraction -= below
        fraction *= u
        fraction += below
        durations[plan.sampled] = a + (b - a) * fraction
    return durations


def _simulate(
    plan: _Plan,
    rng: np.random.Generator,
    width: int,
    distribution: Distribution,
    pert_table: npt.NDArray[np.float32] | None,
    summary_leaves: list[IntArray],
    with_cost: bool,
) -> _BlockResult:
    """One block of iterations: sample, forward pass, backward pass, criticality."""
    durations = _sample_durations(plan, rng, width, distribution, pert_table)
    n = len(plan.ids)
    project_delay = np.zeros(width)
    cost = np.zeros(width) if with_cost else None
    for task, also, probability, delay, risk_cost in zip(
        plan.risk_task,
        plan.risk_also,
        plan.risk_probability,
        plan.risk_delay,
        plan.risk_cost,
        strict=True,
    ):
        occurs = rng.random(width) < probability
        if task >= 0:
            if not plan.completed[task]:  # a finished task cannot be delayed any more
                durations[task] += delay * occurs
        else:
            project_delay += delay * occurs
        for other in also:
            if not plan.completed[other]:
                durations[other] += delay * occurs
        if cost is not None:
            cost += risk_cost * occurs
    if cost is not None and plan.cost_rates is not None:
        cost += plan.cost_rates @ durations

    # Forward pass (PMBOK 6th ed., 6.5.2.2): early start and finish per task and iteration.
    start = np.empty_like(durations)
    finish = np.empty_like(durations)
    scratch = np.empty(width)
    finish_bound = np.empty(width)
    for j in plan.order:
        s = start[j]
        d = durations[j]
        s.fill(plan.start_low[j])
        has_finish_bound = plan.finish_low[j] > -np.inf
        if has_finish_bound:
            finish_bound.fill(plan.finish_low[j])
        for i, kind, lag in plan.incoming[j]:
            # FS and SS bound the successor's start, FF and SF its finish.
            source = finish[i] if kind in (FS, FF) else start[i]
            target = s if kind in (FS, SS) else finish_bound
            if kind in (FF, SF) and not has_finish_bound:
                np.add(source, lag, out=finish_bound)
                has_finish_bound = True
            elif lag == 0.0:
                np.maximum(target, source, out=target)
            else:
                np.add(source, lag, out=scratch)
                np.maximum(target, scratch, out=target)
        if has_finish_bound:
            np.subtract(finish_bound, d, out=scratch)
            np.maximum(s, scratch, out=s)
        if plan.start_high[j] < np.inf:
            np.minimum(s, plan.start_high[j], out=s)
        if plan.finish_high[j] < np.inf:
            np.subtract(plan.finish_high[j], d, out=scratch)
            np.minimum(s, scratch, out=s)
        np.add(s, d, out=finish[j])
    project_finish = finish.max(axis=0)
    # A summary is critical as in cpm: the latest late finish of its leaves is not after
    # their latest early finish (and not all of them are completed).
    summary_early_finish = [finish[leaves].max(axis=0) for leaves in summary_leaves]

    # Backward pass against each iteration's own finish. Late finishes overwrite the early
    # finishes and late starts overwrite the early starts, task by task in reverse order:
    # once a task is done, only its late dates are read again.
    tolerance = 1e-9 * max(1.0, float(np.abs(project_finish).max()))
    critical = np.zeros((n, width), dtype=np.bool_)
    late_finish = np.empty(width)
    for i in reversed(plan.order):
        late_finish[:] = project_finish
        for j, kind, lag in plan.outgoing[i]:
            # The bound on i's finish from a link to j (Moder, Phillips & Davis, ch. 4).
            source = start[j] if kind in (FS, SS) else finish[j]  # late dates of j by now
            np.subtract(source, lag, out=scratch)
            if kind in (SS, SF):
                scratch += durations[i]
            np.minimum(late_finish, scratch, out=late_finish)
        d = durations[i]
        if plan.late_finish_high[i] < np.inf:
            np.minimum(late_finish, plan.late_finish_high[i], out=late_finish)
        if plan.late_start_high[i] < np.inf:
            np.add(d, plan.late_start_high[i], out=scratch)
            np.minimum(late_finish, scratch, out=late_finish)
        if plan.late_finish_low[i] > -np.inf:
            np.maximum(late_finish, plan.late_finish_low[i], out=late_finish)
        if plan.late_start_low[i] > -np.inf:
            np.add(d, plan.late_start_low[i], out=scratch)
            np.maximum(late_finish, scratch, out=late_finish)
        if not plan.completed[i]:
            np.subtract(late_finish, finish[i], out=scratch)
            np.less_equal(scratch, tolerance, out=critical[i])
        finish[i] = late_finish
        np.subtract(late_finish, durations[i], out=start[i])

    critical_counts = np.count_nonzero(critical, axis=1).astype(np.int64)
    summary_counts = np.asarray(
        [
            0
            if all(plan.completed[i] for i in leaves.tolist())
            else np.count_nonzero(finish[leaves].max(axis=0) - early <= tolerance)
            for leaves, early in zip(summary_leaves, summary_early_finish, strict=True)
        ],
        dtype=np.int64,
    )
    return _BlockResult(
        finish=project_finish + project_delay,
        critical_counts=critical_counts,
        summary_counts=summary_counts,
        cost=cost,
    )
