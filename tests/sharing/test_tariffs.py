"""Tariff versions, rounding to the fen, and the cancellation / no-show rules."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from zhizao.errors import Conflict, InputError
from zhizao.sharing.tariffs import (
    CancellationBand,
    add_version,
    cancellation_fee,
    fen,
    in_force,
    no_show_fee,
    segments,
    validate_tariff,
)

H = 3_600_000_000
DAY = 24 * H
MARCH = 1_709_251_200_000_000  # 2024-03-01 00:00 UTC


def tariff_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tariff_id": "vmc-850",
        "version": 1,
        "valid_from_us": MARCH,
        "hourly_rate": Decimal("120.00"),
        "setup_rate": Decimal("50.00"),
        "wear_rates": {"spindle": Decimal("90000"), "T1": Decimal("400")},
        "incident_rates": {"crash": Decimal("2000"), "overload": Decimal("200")},
        "sla_credit_rate": Decimal("150"),
        "no_show_share": Decimal("0.5"),
        "cancellation": (
            CancellationBand(min_notice_h=Decimal(48), share=Decimal(0)),
            CancellationBand(min_notice_h=Decimal(24), share=Decimal("0.25")),
            CancellationBand(min_notice_h=Decimal(0), share=Decimal("0.5")),
        ),
    }
    data.update(changes)
    return data


V1 = validate_tariff(tariff_data())
V2 = validate_tariff(tariff_data(version=2, valid_from_us=MARCH + 14 * DAY, hourly_rate=Decimal("132.00")))


def test_negative_rates_are_refused_with_field_errors() -> None:
    with pytest.raises(InputError) as error:
        validate_tariff(tariff_data(hourly_rate=Decimal(-1), wear_rates={"spindle": Decimal("-5")}))
    fields = {problem.field for problem in error.value.fields}
    assert fields == {"body.hourly_rate", "body.wear_rates.spindle"}


def test_strings_and_floats_are_not_money() -> None:
    with pytest.raises(InputError) as error:
        validate_tariff(tariff_data(hourly_rate=120.5))
    assert error.value.fields[0].field == "body.hourly_rate"


def test_cancellation_bands_must_start_at_zero_notice_and_never_grow_with_notice() -> None:
    with pytest.raises(InputError):
        validate_tariff(tariff_data(cancellation=(CancellationBand(min_notice_h=Decimal(24), share=Decimal(1)),)))
    growing = (
        CancellationBand(min_notice_h=Decimal(0), share=Decimal("0.1")),
        CancellationBand(min_notice_h=Decimal(24), share=Decimal("0.5")),
    )
    with pytest.raises(InputError):
        validate_tariff(tariff_data(cancellation=growing))


@pytest.mark.parametrize(
    ("exact", "rounded"),
    [
        (Decimal("0.005"), Decimal("0.01")),
        (Decimal("0.00499999"), Decimal("0.00")),
        (Decimal("2.675"), Decimal("2.68")),
        (Decimal("-0.005"), Decimal("-0.01")),
        (Fraction(1, 3), Decimal("0.33")),
        (Fraction(2, 3), Decimal("0.67")),
        (12, Decimal("12.00")),
    ],
)
def test_fen_rounds_half_up(exact: Fraction | Decimal | int, rounded: Decimal) -> None:
    assert fen(exact) == rounded
    assert str(fen(exact)) == str(rounded)


def test_a_period_across_a_tariff_change_is_split_there() -> None:
    assert segments([V2, V1], MARCH, MARCH + 31 * DAY) == [
        (V1, MARCH, MARCH + 14 * DAY),
        (V2, MARCH + 14 * DAY, MARCH + 31 * DAY),
    ]
    assert in_force([V1, V2], MARCH + 14 * DAY - 1) == V1
    with pytest.raises(InputError):
        in_force([V1, V2], MARCH - 1)


def test_a_new_version_may_not_reach_back_into_invoiced_time() -> None:
    v3 = validate_tariff(tariff_data(version=3, valid_from_us=MARCH + 20 * DAY))
    with pytest.raises(Conflict):
        add_version([V1, V2], v3, invoiced_until_us=MARCH + 31 * DAY)
    assert add_version([V1, V2], v3, invoiced_until_us=MARCH + 20 * DAY) == [V1, V2, v3]
    stale = validate_tariff(tariff_data(version=2, valid_from_us=MARCH + 25 * DAY))
    with pytest.raises(Conflict):
        add_version([V1, V2], stale, invoiced_until_us=0)


@pytest.mark.parametrize(
    ("notice_h", "fee"),
    [(72, Decimal("0.00")), (48, Decimal("0.00")), (30, Decimal("120.00")), (2, Decimal("240.00"))],
)
def test_cancellation_fee_by_notice(notice_h: int, fee: Decimal) -> None:
    # Booked 4 h at 120 CNY/h = 480 CNY: 0 % with ≥ 48 h notice, 25 % with ≥ 24 h, 50 % with less.
    assert cancellation_fee(V1, 4 * H, notice_h * H) == fee


def test_cancelling_at_the_start_is_a_no_show() -> None:
    with pytest.raises(InputError):
        cancellation_fee(V1, 4 * H, 0)
    assert no_show_fee(V1, 4 * H) == Decimal("240.00")  # 50 % of 4 h · 120 CNY/h
    assert no_show_fee(V2, 90 * 60_000_000) == Decimal("99.00")  # 50 % of 1.5 h · 132 CNY/h
