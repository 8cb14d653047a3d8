"""Event types come from the audit actions: a new action without a type fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from itpm.webhooks import events

SOURCE = Path(__file__).resolve().parents[2] / "itpm"
ACTION = re.compile(r'\baction="([a-z_]+\.[a-z_]+)"')


def test_the_catalogue_is_derived_from_every_audit_action_in_the_code() -> None:
    found = {
        m.group(1)
        for path in SOURCE.rglob("*.py")
        for m in ACTION.finditer(path.read_text(encoding="utf-8"))
    }
    assert len(found) > 100
    assert found <= set(events.audit_actions())
    assert set(events.BUILT_ACTIONS) <= set(events.audit_actions())
    catalogue = set(events.event_types())
    for action in found:
        kind = events.event_type(action)
        assert kind is None or kind in catalogue
    for wanted in ("task.created", "project.stage_changed", "ticket.sla_breach",
                   "timesheet.approved", "purchase_request.submitted"):  # fmt: skip
        assert wanted in catalogue
    assert not any(t.split(".")[0] in events.PRIVATE_OBJECTS for t in catalogue)
    assert "risk" in events.families() and "token" not in events.families()


@pytest.mark.parametrize(
    ("action", "event_type"),
    [
        ("task.create", "task.created"),
        ("task.update", "task.updated"),
        ("task.delete", "task.deleted"),
        ("dependency.create", "dependency.created"),
        ("project.stage", "project.stage_changed"),
        ("ticket.create", "ticket.created"),
        ("change_request.approve", "change_request.approved"),
        ("risk.occurred", "risk.occurred"),
        ("token.create", None),
        ("user.create", None),
        ("webhook.rotate_secret", None),
    ],
)
def test_event_type_of_an_action(action: str, event_type: str | None) -> None:
    assert events.event_type(action) == event_type


@pytest.mark.parametrize(
    ("patterns", "event", "matched"),
    [
        (["*"], "task.created", True),
        (["task.*"], "task.created", True),
        (["task.*"], "task_progress.updated", False),
        (["task.created"], "task.updated", False),
        (["risk.*", "task.updated"], "task.updated", True),
    ],
)
def test_matching(patterns: list[str], event: str, matched: bool) -> None:
    assert events.matches(patterns, event) is matched
