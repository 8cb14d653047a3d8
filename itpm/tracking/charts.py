"""Server-rendered SVG charts (S-curve, SPI/CPI trend, burn bar). Presentation attributes only
(fill, stroke): the strict CSP forbids style attributes, and WeasyPrint renders inline SVG
in the PDF the same way. Every chart is paired with a table of its numbers by the template."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe

PV, EV, AC = "#2563eb", "#16a34a", "#dc2626"
SPI_COLOR, CPI_COLOR = "#7c3aed", "#ea580c"


def _num(value: object) -> float | None:
    if value is None or value == "":
        return None
    return float(Decimal(str(value)))


def _polyline(points: list[tuple[float, float]], color: str, dash: str = "") -> str:
    if not points:
        return ""
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"{extra}/>'


def _frame(
    width: int, height: int, title: str, body: str, legend: Sequence[tuple[str, str]]
) -> SafeString:
    items = "".join(
        f'<rect x="{60 + i * 130}" y="8" width="12" height="12" fill="{c}"/>'
        f'<text x="{76 + i * 130}" y="18" font-size="11" fill="#374151">{escape(n)}</text>'
        for i, (n, c) in enumerate(legend)
    )
    # Every interpolated text is escaped or a number.
    return mark_safe(  # noqa: S308  # nosemgrep: itpm-mark-safe
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>{items}{body}</svg>"
    )


def _axes(left: int, top: int, right: int, bottom: int, ymax: float, labels: list[str],
          fmt: str = "{:,.0f}") -> str:  # fmt: skip
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#9ca3af"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#9ca3af"/>']  # fmt: skip
    for i in range(5):
        value = ymax * i / 4
        y = bottom - (bottom - top) * i / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="#6b7280">{escape(fmt.format(value))}</text>'
        )
    n = len(labels)
    step = max(1, n // 8)
    for i in range(0, n, step):
        x = left + (right - left) * (i / max(n - 1, 1))
        parts.append(
            f'<text x="{x:.1f}" y="{bottom + 14}" font-size="10" text-anchor="middle" '
            f'fill="#6b7280">{escape(labels[i])}</text>'
        )
    return "".join(parts)


def s_curve_svg(points: list[dict[str, Any]], *, status_week: str | None = None,
                width: int = 640, height: int = 260) -> SafeString:  # fmt: skip
    """Cumulative PV, EV and AC per week: ``[{"week", "pv", "ev"?, "ac"?}, ...]``."""
    left, top, right, bottom = 64, 28, width - 12, height - 24
    if not points:
        return _frame(width, height, "S-curve: no plan yet", "", [])
    values = [v for p in points for k in ("pv", "ev", "ac") if (v := _num(p.get(k))) is not None]
    ymax = max(values + [1.0]) * 1.05
    n = len(points)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + (right - left) * (i / max(n - 1, 1)), bottom - (bottom - top) * v / ymax

    series = {}
    for key in ("pv", "ev", "ac"):
        series[key] = [
            xy(i, v) for i, p in enumerate(points) if (v := _num(p.get(key))) is not None
        ]
    body = _axes(left, top, right, bottom, ymax, [str(p["week"])[5:] for p in points])
    if status_week:
        for i, p in enumerate(points):
            if p["week"] == status_week:
                x = xy(i, 0)[0]
                body += (f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" '
                         f'stroke="#111827" stroke-dasharray="3 3"/>')  # fmt: skip
    body += _polyline(series["pv"], PV) + _polyline(series["ac"], AC) + _polyline(series["ev"], EV)
    for x, y in series["ev"]:
        body += f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{EV}"/>'
    return _frame(width, height, "S-curve: planned value, earned value and actual cost", body,
                  [("Planned value (PV)", PV), ("Earned value (EV)", EV), ("Actual cost (AC)", AC)])  # fmt: skip


def trend_svg(rows: list[dict[str, Any]], *, width: int = 640, height: int = 200) -> SafeString:
    """SPI and CPI per weekly snapshot, with the 1.0 line: ``[{"week", "spi", "cpi"}]``."""
    left, top, right, bottom = 64, 28, width - 12, height - 24
    if not rows:
        return _frame(width, height, "SPI/CPI trend: no snapshots yet", "", [])
    values = [v for r in rows for k in ("spi", "cpi") if (v := _num(r.get(k))) is not None]
    # Indices far from 1 (a CPI of 14 in week 1, when almost nothing was spent) would flatten
    # the interesting band: the axis stops at 2 and such points sit on its top edge.
    ymax = min(max(values + [1.2]) * 1.05, 2.0)
    n = len(rows)

    def xy(i: int, v: float) -> tuple[float, float]:
        v = min(v, ymax)
        return left + (right - left) * (i / max(n - 1, 1)), bottom - (bottom - top) * v / ymax

    body = _axes(left, top, right, bottom, ymax, [str(r["week"])[5:] for r in rows], "{:.2f}")
    y1 = xy(0, 1.0)[1]
    body += f'<line x1="{left}" y1="{y1:.1f}" x2="{right}" y2="{y1:.1f}" stroke="#111827" stroke-dasharray="4 3"/>'
    for key, color in (("spi", SPI_COLOR), ("cpi", CPI_COLOR)):
        pts = [xy(i, v) for i, r in enumerate(rows) if (v := _num(r.get(key))) is not None]
        body += _polyline(pts, color)
        body += "".join(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"/>' for x, y in pts
        )
    return _frame(
        width, height, "SPI and CPI trend", body, [("SPI", SPI_COLOR), ("CPI", CPI_COLOR)]
    )


def merge_history(
    points: list[dict[str, Any]], snapshots: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Put the snapshots' earned value on the weekly curve (EV history is only known from them)."""
    ev = {str(s["week"]): s["ev"] for s in snapshots}
    return [{**p, **({"ev": ev[str(p["week"])]} if str(p["week"]) in ev else {})} for p in points]
