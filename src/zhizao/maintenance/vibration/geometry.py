"""Bearing defect frequencies from geometry and shaft speed (pure; no I/O).

A localised defect is struck once per passage of a rolling element (outer race, BPFO), once per passage of
the inner race over a ball (BPFI), twice per ball revolution when the ball's own defect touches both races
(BSF is the spin frequency; the impacts come at 2 x BSF), and the cage turns at FTF. The classic kinematic
formulas assume rolling without slip; real bearings slip by 1-2 %, which is why the features search a band
around each order instead of one bin.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from zhizao.errors import InputError


@dataclass(frozen=True, slots=True)
class BearingGeometry:
    """Rolling-element bearing geometry: ``ball_diameter`` and ``pitch_diameter`` in one unit (any; only the
    ratio matters), contact angle in degrees."""

    name: str
    balls: int
    ball_diameter: float
    pitch_diameter: float
    contact_angle_deg: float = 0.0

    def __post_init__(self) -> None:
        if self.balls < 3:
            raise InputError.for_field("balls", f"a bearing has at least 3 rolling elements, not {self.balls}")
        if not 0 < self.ball_diameter < self.pitch_diameter:
            raise InputError.for_field(
                "ball_diameter", "the ball diameter must be positive and smaller than the pitch diameter"
            )
        if not 0 <= self.contact_angle_deg < 90:
            raise InputError.for_field("contact_angle_deg", "the contact angle must lie in [0, 90) degrees")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class DefectOrders:
    """Defect frequencies as multiples of the shaft frequency (orders): independent of speed."""

    bpfo: float
    bpfi: float
    bsf: float
    ftf: float

    def in_hz(self, shaft_hz: float) -> DefectOrders:
        return DefectOrders(self.bpfo * shaft_hz, self.bpfi * shaft_hz, self.bsf * shaft_hz, self.ftf * shaft_hz)


# The CWRU drive-end bearing (SKF 6205-2RS JEM), dimensions in inches as the CWRU site publishes them.
SKF_6205 = BearingGeometry("SKF 6205-2RS JEM", balls=9, ball_diameter=0.3126, pitch_diameter=1.537)


def defect_orders(geometry: BearingGeometry) -> DefectOrders:
    """BPFO, BPFI, BSF and FTF in orders of the shaft frequency (outer race fixed, inner race turning)."""
    ratio = geometry.ball_diameter / geometry.pitch_diameter * math.cos(math.radians(geometry.contact_angle_deg))
    half_balls = geometry.balls / 2
    return DefectOrders(
        bpfo=half_balls * (1 - ratio),
        bpfi=half_balls * (1 + ratio),
        bsf=geometry.pitch_diameter / (2 * geometry.ball_diameter) * (1 - ratio**2),
        ftf=(1 - ratio) / 2,
    )


def defect_frequencies(geometry: BearingGeometry, rpm: float) -> DefectOrders:
    """The same frequencies in Hz at a shaft speed in revolutions per minute."""
    if not rpm > 0 or not math.isfinite(rpm):
        raise InputError.for_field("rpm", f"the shaft speed must be a positive number of rpm, not {rpm}")
    return defect_orders(geometry).in_hz(rpm / 60)
