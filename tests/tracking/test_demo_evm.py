"""The demo portfolio shows believable earned value: actual cost follows the progress (no
CPI of 11 from done tasks without costs), EAC is never below what is spent, and the mix a
manager expects (one project over budget, one behind schedule, the others on track). The
demo's HWDC status report renders as a PDF whose first page is looked at as an image."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from itpm.portfolio.demo import load_demo
from itpm.portfolio.models import Project
from itpm.tracking.earned_value import project_evm
from itpm.tracking.models import StatusReport
from itpm.tracking.reports import status_report_pdf


@pytest.mark.slow
def test_demo_projects_have_plausible_earned_value_and_a_readable_report_pdf(
    db: Any, settings: Any, tmp_path: Any
) -> None:
    # One test, because loading the demo is the expensive part.
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
    _the_demo_report_pdf_reads_well(tmp_path)


def _the_demo_report_pdf_reads_well(tmp_path: Any) -> None:
    """The published HWDC report of the demo, as PDF: its first page carries the project, the
    figures of the report and the S-curve's three colours; it is saved as a PNG next to the test."""
    import pypdfium2 as pdfium

    report = StatusReport.objects.select_related("project").get(project__key="HWDC")
    assert report.state == "published"
    document = pdfium.PdfDocument(status_report_pdf(report))
    page = document[0]
    text = page.get_textpage().get_text_range()
    assert report.project.name in text, text[:300]
    assert "SPI" in text and "CPI" in text
    assert str(report.data["evm"]["spi"]) in text, "the frozen SPI is not on page 1"
    assert "Rack delivery slipped" in text  # the manager's commentary made it in
    image = page.render(scale=1.5).to_pil()
    image.save(tmp_path / "hwdc-report-page-1.png")
    grey = image.convert("L")
    pixels = list(grey.get_flattened_data())
    mean = sum(pixels) / len(pixels)
    assert sum((p - mean) ** 2 for p in pixels) / len(pixels) > 100, "page 1 is blank"
    colours = set(image.convert("RGB").get_flattened_data())
    assert any(r < 80 and g < 120 and b > 200 for r, g, b in colours), "no PV line (blue)"
    # The RAG chips are drawn in colour: the demo's schedule is behind (amber or red), and its
    # chip's fill (report-pdf.css) is on the page.
    fills = {"amber": (254, 243, 199), "red": (254, 226, 226)}
    assert report.rag["schedule"] in fills
    want = fills[report.rag["schedule"]]
    assert any(all(abs(c - w) <= 3 for c, w in zip(rgb, want, strict=True)) for rgb in colours), (
        f"no {report.rag['schedule']} RAG chip"
    )
