"""Security tests turn the login lockout and the API write limit back on (tests/conftest.py
turns them off for everyone else) with small, fast numbers."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def limits(settings: Any) -> Any:
    settings.ITPM_LOGIN_MAX_FAILURES = 5
    settings.ITPM_LOGIN_MAX_FAILURES_PER_IP = 20
    settings.ITPM_LOGIN_LOCKOUT_SECONDS = 900
    settings.ITPM_API_WRITES_PER_MINUTE = 10
    return settings


# The help-desk people (agents, a requester) for the upload tests.
from tests.helpdesk.conftest import desk  # noqa: E402, F401
