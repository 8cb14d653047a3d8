"""Errors the engine raises. Each message names the offending task, field or value."""

from __future__ import annotations


class EngineError(ValueError):
    """Bad input to the engine: the message is shown to the user as it is."""


class PlanError(EngineError):
    """A plan that cannot be read: unknown task id, malformed date, negative duration..."""


class CycleError(EngineError):
    """The dependencies form a cycle; ``cycle`` lists the task ids on it, in order."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("dependency cycle: " + " -> ".join([*cycle, cycle[0]]))
