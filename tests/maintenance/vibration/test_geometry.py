"""Defect frequencies against the hand values for the CWRU drive-end bearing (SKF 6205-2RS JEM)."""

from __future__ import annotations

import pytest

from zhizao.errors import InputError
from zhizao.maintenance.vibration.geometry import SKF_6205, BearingGeometry, defect_frequencies, defect_orders


def test_skf_6205_orders_match_the_published_values() -> None:
    # d/D = 0.3126 / 1.537 = 0.20338; BPFO = 4.5 (1 - 0.20338); BPFI = 4.5 (1 + 0.20338);
    # BSF = 1.537 / (2 * 0.3126) (1 - 0.20338^2); FTF = (1 - 0.20338) / 2.
    orders = defect_orders(SKF_6205)
    assert orders.bpfo == pytest.approx(3.5848, abs=5e-4)
    assert orders.bpfi == pytest.approx(5.4152, abs=5e-4)
    assert orders.bsf == pytest.approx(2.3567, abs=5e-4)
    assert 2 * orders.bsf == pytest.approx(4.7135, abs=1e-3)
    assert orders.ftf == pytest.approx(0.3983, abs=5e-4)


def test_frequencies_scale_with_shaft_speed() -> None:
    hz = defect_frequencies(SKF_6205, 1797)
    # 1797 rpm = 29.95 Hz: BPFO 107.36 Hz, BPFI 162.19 Hz, BSF 70.58 Hz, FTF 11.93 Hz.
    assert hz.bpfo == pytest.approx(107.36, abs=0.02)
    assert hz.bpfi == pytest.approx(162.19, abs=0.02)
    assert hz.bsf == pytest.approx(70.58, abs=0.02)
    assert hz.ftf == pytest.approx(11.93, abs=0.02)


def test_contact_angle_shrinks_the_ball_ratio() -> None:
    # At 60 degrees cos = 0.5: d/D cos = 0.1 for d/D = 0.2, so BPFO = 5 (0.9) = 4.5 for 10 balls.
    angular = BearingGeometry("angular", balls=10, ball_diameter=2.0, pitch_diameter=10.0, contact_angle_deg=60)
    assert defect_orders(angular).bpfo == pytest.approx(4.5)
    assert defect_orders(angular).bpfi == pytest.approx(5.5)


@pytest.mark.parametrize(
    ("balls", "ball", "pitch", "angle", "field"),
    [(2, 1.0, 5.0, 0.0, "balls"), (9, 5.0, 5.0, 0.0, "ball_diameter"), (9, 1.0, 5.0, 90.0, "contact_angle_deg")],
)
def test_impossible_geometry_is_refused(balls: int, ball: float, pitch: float, angle: float, field: str) -> None:
    with pytest.raises(InputError) as caught:
        BearingGeometry("bad", balls=balls, ball_diameter=ball, pitch_diameter=pitch, contact_angle_deg=angle)
    assert caught.value.fields[0].field == field


def test_a_stopped_shaft_has_no_defect_frequencies() -> None:
    with pytest.raises(InputError, match="rpm"):
        defect_frequencies(SKF_6205, 0)
