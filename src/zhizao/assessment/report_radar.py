"""The radar chart of domain scores, drawn with reportlab's vector graphics (no chart library, no raster image).

One axis per domain, clockwise from the top; rings at 0.2 … 1.0 with the threshold ring dashed; the scores as a
filled polygon with a dot on each axis; each axis labelled with the domain's name and score. A caption above the
chart names the level. The drawing is a flowable, so it sits in the PDF's story like a table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, String
from reportlab.lib import colors
from reportlab.lib.units import mm

RING_STEPS = (0.2, 0.4, 0.6, 0.8, 1.0)
RADAR_HEIGHT = 105 * mm
CAPTION_SIZE = 10
LABEL_SIZE = 7.5
SERIES = colors.HexColor("#1f5fbf")
SERIES_FILL = colors.Color(SERIES.red, SERIES.green, SERIES.blue, alpha=0.28)
RING = colors.HexColor("#c5ccd6")
THRESHOLD_RING = colors.HexColor("#d0542c")
AXIS = colors.HexColor("#8a96a6")
INK = colors.HexColor("#1b2430")


@dataclass(frozen=True, slots=True)
class RadarAxis:
    label: str
    score: float  # 0–1


def radar_chart(
    axes: Sequence[RadarAxis], *, width: float, caption: str, threshold: float, legend: str, font: str
) -> Drawing:
    """The chart ``width`` points wide and :data:`RADAR_HEIGHT` high; ``font`` must be registered already."""
    drawing = Drawing(width, RADAR_HEIGHT)
    drawing.add(
        String(
            width / 2,
            RADAR_HEIGHT - CAPTION_SIZE,
            caption,
            fontName=font,
            fontSize=CAPTION_SIZE,
            fillColor=INK,
            textAnchor="middle",
        )
    )
    drawing.add(
        String(width / 2, 2, legend, fontName=font, fontSize=LABEL_SIZE, fillColor=THRESHOLD_RING, textAnchor="middle")
    )
    # Leave room for the caption above, the legend below and the labels around the rings.
    centre_x, centre_y = width / 2, (RADAR_HEIGHT - CAPTION_SIZE - 4 * mm) / 2 + 3 * mm
    radius = min(width / 2 - 40 * mm, centre_y - 9 * mm)
    directions = [_direction(index, len(axes)) for index in range(len(axes))]

    for step in RING_STEPS:
        drawing.add(_ring(centre_x, centre_y, radius * step, directions, RING, dashed=False))
    drawing.add(_ring(centre_x, centre_y, radius * threshold, directions, THRESHOLD_RING, dashed=True))
    for dx, dy in directions:
        drawing.add(
            Line(centre_x, centre_y, centre_x + dx * radius, centre_y + dy * radius, strokeColor=AXIS, strokeWidth=0.5)
        )
    for step in RING_STEPS:  # scale along the first axis (straight up)
        drawing.add(
            String(
                centre_x + 1.5, centre_y + radius * step + 1, f"{step:.1f}", fontName=font, fontSize=5.5, fillColor=AXIS
            )
        )

    points = [
        (centre_x + dx * radius * _clamped(axis.score), centre_y + dy * radius * _clamped(axis.score))
        for axis, (dx, dy) in zip(axes, directions, strict=True)
    ]
    if len(points) >= 3:
        flat = [coordinate for point in points for coordinate in point]
        drawing.add(Polygon(flat, fillColor=SERIES_FILL, strokeColor=SERIES, strokeWidth=1.4))
    elif len(points) == 2:  # two domains make a line, not an area
        (x1, y1), (x2, y2) = points
        drawing.add(Line(x1, y1, x2, y2, strokeColor=SERIES, strokeWidth=1.4))
    for x, y in points:
        drawing.add(Circle(x, y, 1.6, fillColor=SERIES, strokeColor=SERIES, strokeWidth=0.5))

    for axis, (dx, dy) in zip(axes, directions, strict=True):
        drawing.add(_label(axis, centre_x + dx * (radius + 4 * mm), centre_y + dy * (radius + 4 * mm), dx, font))
    return drawing


def _direction(index: int, count: int) -> tuple[float, float]:
    """Unit vector of axis ``index`` of ``count``: the first straight up, the others clockwise."""
    angle = math.pi / 2 - 2 * math.pi * index / count
    return math.cos(angle), math.sin(angle)


def _clamped(score: float) -> float:
    return min(max(score, 0.0), 1.0)


def _ring(
    centre_x: float,
    centre_y: float,
    radius: float,
    directions: Sequence[tuple[float, float]],
    colour: colors.Color,
    *,
    dashed: bool,
) -> Polygon:
    flat = [value for dx, dy in directions for value in (centre_x + dx * radius, centre_y + dy * radius)]
    ring = Polygon(flat, fillColor=None, strokeColor=colour, strokeWidth=0.9 if dashed else 0.5)
    if dashed:
        ring.strokeDashArray = [3, 2]
    return ring


def _label(axis: RadarAxis, x: float, y: float, dx: float, font: str) -> String:
    # Labels right of the centre start at the axis end, those left of it end there, those above and below centre
    # on it: the text then never runs back over the rings.
    anchor = "start" if dx > 0.3 else "end" if dx < -0.3 else "middle"
    return String(
        x,
        y - LABEL_SIZE / 3,
        f"{axis.label} {axis.score:.2f}",
        fontName=font,
        fontSize=LABEL_SIZE,
        fillColor=INK,
        textAnchor=anchor,
    )
