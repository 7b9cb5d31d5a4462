"""Versioned tariffs, money rounding and the cancellation / no-show rules. Pure: no I/O.

Money is ``Decimal`` CNY. Every invoice line is rounded once, ROUND_HALF_UP to the fen (0.01 CNY), from the exact
product of its quantity and rate (:func:`fen`); totals are sums of rounded lines, so a lessee who adds the lines gets
the total to the fen.

A tariff version is immutable. The version in force at an instant is the one with the latest ``valid_from_us`` at or
before it; a new version therefore ends the previous one, and a period that crosses a change is split there
(:func:`segments`). A new version may not start before the end of what has already been invoiced
(:func:`add_version`), so a tariff change never alters an issued invoice.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zhizao.errors import Conflict, FieldProblem, InputError, plain_message

__all__ = [
    "FEN",
    "US_PER_HOUR",
    "CancellationBand",
    "IncidentKind",
    "Tariff",
    "TariffSegment",
    "add_version",
    "cancellation_fee",
    "cancellation_share",
    "fen",
    "in_force",
    "no_show_fee",
    "segments",
    "validate_tariff",
]

FEN = Decimal("0.01")
US_PER_HOUR = 3_600_000_000

Rate = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
Share = Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)]


class IncidentKind(StrEnum):
    """Incidents the lessee is charged for, each at its own flat rate."""

    CRASH = "crash"  # collision of tool / spindle with workpiece or fixture
    OVERLOAD = "overload"  # spindle or axis overload alarm


class CancellationBand(BaseModel):
    """Cancelling with at least ``min_notice_h`` hours' notice costs ``share`` of the booked time at the hourly rate."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    min_notice_h: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
    share: Share


class Tariff(BaseModel):
    """One version of a machine's tariff: fee = r_h·T_bill + Σ_k c_k·ΔD_k + N_setup·r_setup + incidents − SLA credits.

    Rates: ``hourly_rate`` CNY/h of billable time; ``wear_rates[component_id]`` CNY per unit of consumed damage
    (ΔD = 1 is one whole component life, so c_k is the component's replacement cost); ``setup_rate`` CNY per setup;
    ``incident_rates`` CNY per incident; ``sla_credit_rate`` CNY credited per hour of owner downtime in a job window.
    """

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    tariff_id: Annotated[str, Field(min_length=1, max_length=64)]
    version: Annotated[int, Field(ge=1)]
    valid_from_us: int
    hourly_rate: Rate
    setup_rate: Rate
    wear_rates: Mapping[str, Rate] = Field(default_factory=dict)
    # Keys arrive as plain strings from JSON columns; the enum still refuses unknown kinds.
    incident_rates: Mapping[Annotated[IncidentKind, Field(strict=False)], Rate] = Field(default_factory=dict)
    sla_credit_rate: Rate = Decimal(0)
    no_show_share: Share = Decimal(1)
    # A list from a JSON column is as good as a tuple; the bands themselves stay strict.
    cancellation: Annotated[tuple[CancellationBand, ...], Field(strict=False)] = (
        CancellationBand(min_notice_h=Decimal(0), share=Decimal(0)),
    )

    @field_validator("cancellation")
    @classmethod
    def _bands(cls, bands: tuple[CancellationBand, ...]) -> tuple[CancellationBand, ...]:
        notices = [band.min_notice_h for band in bands]
        if not notices or min(notices) != 0:
            raise ValueError("the cancellation bands must include one with min_notice_h 0")
        if len(set(notices)) != len(notices):
            raise ValueError("two cancellation bands have the same min_notice_h")
        return tuple(sorted(bands, key=lambda band: band.min_notice_h))

    @model_validator(mode="after")
    def _more_notice_costs_no_more(self) -> Tariff:
        shares = [band.share for band in self.cancellation]
        if any(later > earlier for earlier, later in itertools.pairwise(shares)):
            raise ValueError("a cancellation with more notice must not cost a larger share")
        return self


def validate_tariff(data: object) -> Tariff:
    """A :class:`Tariff` from a mapping of Python values (Decimals for rates), or :class:`InputError` naming every bad
    field (``body.hourly_rate``, ``body.wear_rates.spindle``, …)."""
    try:
        return Tariff.model_validate(data)
    except ValidationError as error:
        problems = [
            FieldProblem(".".join(["body", *(str(part) for part in item["loc"])]), plain_message(item["msg"]))
            for item in error.errors()
        ]
        raise InputError("the tariff is not valid", fields=problems) from None


def fen(amount: Fraction | Decimal | int) -> Decimal:
    """Round an exact amount of CNY to the fen, half up (away from zero for negative amounts, as for positive)."""
    exact = Fraction(amount)
    sign = -1 if exact < 0 else 1
    hundredths = abs(exact) * 100
    whole = hundredths.numerator // hundredths.denominator
    if (hundredths - whole) * 2 >= 1:
        whole += 1
    return (Decimal(sign * whole) / 100).quantize(FEN, rounding=ROUND_HALF_UP)


class TariffSegment(NamedTuple):
    """Part ``[start_us, end_us)`` of a period during which ``tariff`` is in force."""

    tariff: Tariff
    start_us: int
    end_us: int


def _book(tariffs: Sequence[Tariff]) -> list[Tariff]:
    ordered = sorted(tariffs, key=lambda t: (t.valid_from_us, t.version))
    for earlier, later in itertools.pairwise(ordered):
        if later.tariff_id != earlier.tariff_id:
            raise InputError.for_field(
                "tariffs", f"versions of two tariffs mixed: {earlier.tariff_id}, {later.tariff_id}"
            )
        if later.valid_from_us == earlier.valid_from_us or later.version <= earlier.version:
            raise InputError.for_field(
                "tariffs", f"tariff {later.tariff_id} versions must start later as their number grows ({later.version})"
            )
    return ordered


def in_force(tariffs: Sequence[Tariff], at_us: int) -> Tariff:
    """The version in force at ``at_us``; :class:`InputError` before the first version."""
    current = None
    for tariff in _book(tariffs):
        if tariff.valid_from_us <= at_us:
            current = tariff
    if current is None:
        raise InputError.for_field("tariffs", f"no tariff version is in force at {at_us}")
    return current


def segments(tariffs: Sequence[Tariff], start_us: int, end_us: int) -> list[TariffSegment]:
    """``[start_us, end_us)`` split at every tariff change inside it, each piece with the version in force."""
    if end_us < start_us:
        raise InputError.for_field("period", "the period ends before it starts")
    book = _book(tariffs)
    out: list[TariffSegment] = []
    cursor = start_us
    while cursor < end_us:
        tariff = in_force(book, cursor)
        later = [t.valid_from_us for t in book if t.valid_from_us > cursor]
        stop = min([end_us, *later])
        out.append(TariffSegment(tariff, cursor, stop))
        cursor = stop
    return out


def add_version(tariffs: Sequence[Tariff], new: Tariff, *, invoiced_until_us: int) -> list[Tariff]:
    """The book with ``new`` added. Refused (:class:`Conflict`) if it would start before ``invoiced_until_us`` (the end
    of the last issued invoice) or does not follow the latest version, because it would change what was invoiced."""
    book = _book(tariffs)
    if new.valid_from_us < invoiced_until_us:
        raise Conflict(
            f"tariff version {new.version} starts at {new.valid_from_us}, before the end of issued invoices "
            f"({invoiced_until_us}); a tariff change may only take effect after them"
        )
    if book and (new.valid_from_us <= book[-1].valid_from_us or new.version <= book[-1].version):
        raise Conflict("a new tariff version must start after, and be numbered above, the latest one")
    return _book([*book, new])


def cancellation_share(tariff: Tariff, notice_us: int) -> Decimal:
    """The share of the booked value charged for a cancellation with ``notice_us`` of notice (booking start minus
    cancellation time): the band with the largest ``min_notice_h`` not above the notice. Cancelling at or after the
    booked start is a no-show (:func:`no_show_fee`), not a cancellation."""
    if notice_us <= 0:
        raise InputError.for_field("notice_us", "cancelling at or after the booked start is a no-show")
    notice_h = Fraction(notice_us, US_PER_HOUR)
    return [band.share for band in tariff.cancellation if Fraction(band.min_notice_h) <= notice_h][-1]


def _booked_value(tariff: Tariff, booked_us: int) -> Fraction:
    if booked_us < 0:
        raise InputError.for_field("booked_us", "the booked window has a negative length")
    return Fraction(tariff.hourly_rate) * Fraction(booked_us, US_PER_HOUR)


def cancellation_fee(tariff: Tariff, booked_us: int, notice_us: int) -> Decimal:
    """fee = share(notice) · r_h · booked hours, rounded to the fen."""
    return fen(_booked_value(tariff, booked_us) * Fraction(cancellation_share(tariff, notice_us)))


def no_show_fee(tariff: Tariff, booked_us: int) -> Decimal:
    """fee = no_show_share · r_h · booked hours, rounded to the fen: the lessee held the machine and never came."""
    return fen(_booked_value(tariff, booked_us) * Fraction(tariff.no_show_share))
