"""Geometry of the forecast charts (histogram, S-curve, tornado); templates draw the SVG.

Only numbers and escaped-by-the-template labels leave here; presentation attributes (fill,
stroke) are set in the templates, which the strict CSP allows.
"""

from __future__ import annotations

from typing import Any

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 50, 20, 20, 60


def histogram(results: dict[str, Any]) -> dict[str, Any]:
    """Bars of the finish-date histogram and the S-curve (cumulative share) over them."""
    bins = results.get("histogram") or []
    if not bins:
        return {}
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max(b["count"] for b in bins) or 1
    width = plot_w / len(bins)
    bars, points, labels = [], [], []
    for i, b in enumerate(bins):
        height = plot_h * b["count"] / top
        x = LEFT + i * width
        bars.append({"x": round(x + 1, 1), "y": round(TOP + plot_h - height, 1),
                     "w": round(max(1.0, width - 2), 1), "h": round(height, 1),
                     "title": f"until {b['to_date'][:10]}: {b['count']} runs"})  # fmt: skip
        points.append(f"{x + width:.1f},{TOP + plot_h * (1 - b['cumulative']):.1f}")
        if i % max(1, len(bins) // 6) == 0:
            labels.append({"x": round(x, 1), "text": b["to_date"][:10]})
    points.insert(0, f"{LEFT:.1f},{TOP + plot_h:.1f}")
    markers = []
    span = bins[-1]["to_hours"] - bins[0]["from_hours"] or 1.0
    for name in ("p50", "p80", "p95"):
        value = results["finish"][name]["hours"]
        x = LEFT + plot_w * (value - bins[0]["from_hours"]) / span
        markers.append(
            {"x": round(x, 1), "label": name.upper(), "date": results["finish"][name]["date"][:10]}
        )
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "top": TOP, "bottom": TOP + plot_h,
        "right": WIDTH - RIGHT, "bars": bars, "curve": " ".join(points), "labels": labels,
        "label_y": TOP + plot_h + 16, "max_count": top, "markers": markers,
        "pct_y": [{"y": round(TOP + plot_h * (1 - p / 100), 1), "text": f"{p} %"} for p in (0, 50, 100)],
    }  # fmt: skip


def tornado(results: dict[str, Any]) -> dict[str, Any]:
    rows = results.get("tornado") or []
    if not rows:
        return {}
    base = results["finish"]["p50"]["hours"]
    low = min(min(r["low_hours"] for r in rows), base)
    high = max(max(r["high_hours"] for r in rows), base)
    span = (high - low) or 1.0
    label_w, plot_w, row_h = 260, 400, 24

    def x_of(hours: float) -> float:
        return float(label_w + plot_w * (hours - low) / span)

    bars = []
    for i, r in enumerate(rows):
        x1, x2 = x_of(r["low_hours"]), x_of(r["high_hours"])
        bars.append({"y": 20 + i * row_h, "x": round(min(x1, x2), 1),
                     "w": round(max(2.0, abs(x2 - x1)), 1), "label": r["label"][:42],
                     "kind": r["kind"], "swing": r["swing_hours"], "ty": 20 + i * row_h + 14})  # fmt: skip
    return {"width": label_w + plot_w + 70, "height": 30 + len(rows) * row_h, "bars": bars,
            "base_x": round(x_of(base), 1), "label_w": label_w}  # fmt: skip
