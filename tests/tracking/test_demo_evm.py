"""The demo portfolio shows believable earned value: actual cost follows the progress (no
CPI of 11 from done tasks without costs), EAC is never below what is spent, and the mix a
manager expects (one project over budget, one behind schedule, the others on track)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from itpm.portfolio.demo import load_demo
from itpm.portfolio.models import Project
from itpm.tracking.earned_value import project_evm


@pytest.mark.slow
def test_demo_projects_have_plausible_earned_value(db: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    assert load_demo(password="demo-pass-123")
    today = timezone.localdate()
    figures = {}
    for project in Project.objects.order_by("key"):
        evm = project_evm(project, today)
        if evm.budget_at_completion and evm.earned_value:
            figures[project.key] = evm
    # Every project under way with a budget is measured (PORTAL runs sprints in planning).
    assert {"CLOUD", "HWDC", "NET", "PORTAL", "SDESK"} <= set(figures), sorted(figures)
    for key, evm in figures.items():
        shown = f"{key}: CPI {evm.cpi} SPI {evm.spi} EAC {evm.estimate_at_completion} AC {evm.actual_cost}"
        assert evm.cpi is not None and Decimal("0.6") <= evm.cpi <= Decimal("1.5"), shown
        assert evm.spi is not None and Decimal("0.6") <= evm.spi <= Decimal("1.5"), shown
        assert evm.estimate_at_completion is not None, shown
        assert evm.estimate_at_completion >= evm.actual_cost, shown
        assert evm.eac_cpi is not None and evm.eac_cpi >= evm.actual_cost, shown
        if evm.spi_t is not None:
            assert evm.spi_t > 0, shown
    # The story of the demo: NET over budget, HWDC late, CLOUD on track.
    assert figures["NET"].cpi is not None and figures["NET"].cpi < Decimal("0.95")
    assert figures["HWDC"].spi is not None and figures["HWDC"].spi < Decimal("0.95")
    cloud = figures["CLOUD"]
    assert cloud.cpi is not None and cloud.spi is not None
    assert Decimal("0.95") <= cloud.cpi <= Decimal("1.05")
    assert Decimal("0.93") <= cloud.spi <= Decimal("1.07")
