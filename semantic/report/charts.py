"""Sparkline PNGs for the email: small, transparent-free, readable on light backgrounds."""

from __future__ import annotations

import io
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")  # no display: render to memory only
import matplotlib.pyplot as plt  # noqa: E402

GOOD, BAD, NEUTRAL = "#15803d", "#b91c1c", "#475569"


def sparkline_png(values: list[Decimal | float | None], is_good: bool | None) -> bytes:
    """An 8-week trend line, 240×60 px; the last point marked in the colour of the week's change."""
    points = [float(v) if v is not None else float("nan") for v in values]
    colour = NEUTRAL if is_good is None else GOOD if is_good else BAD
    figure, axes = plt.subplots(figsize=(2.4, 0.6), dpi=100)
    try:
        axes.plot(range(len(points)), points, color=NEUTRAL, linewidth=1.5)
        if points and points[-1] == points[-1]:  # not NaN
            axes.plot([len(points) - 1], [points[-1]], marker="o", markersize=4, color=colour)
        axes.set_axis_off()
        figure.patch.set_facecolor("white")
        figure.subplots_adjust(left=0.02, right=0.98, top=0.92, bottom=0.08)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", facecolor="white")
        return buffer.getvalue()
    finally:
        plt.close(figure)
