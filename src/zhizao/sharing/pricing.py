"""A listing's stored tariff versions as the billing core's :class:`zhizao.sharing.tariffs.Tariff` values."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.errors import InputError
from zhizao.sharing import models
from zhizao.sharing.tariffs import Tariff
from zhizao.telemetry.timeutil import to_us


@dataclass(frozen=True, slots=True)
class TariffBook:
    """Every version of one listing's tariff, oldest first, and the stored row of each version."""

    listing_id: int
    versions: tuple[Tariff, ...]
    row_ids: dict[int, int]  # version → share_tariff.id

    @property
    def changes_us(self) -> list[int]:
        return [tariff.valid_from_us for tariff in self.versions]


def as_tariff(row: models.Tariff) -> Tariff:
    """The billing core's view of a stored version (its rates are JSON with decimal strings)."""
    body = {
        **row.rates,
        "tariff_id": str(row.listing_id),
        "version": row.version,
        "valid_from_us": to_us(row.valid_from),
    }
    try:
        return Tariff.model_validate_json(json.dumps(body))
    except ValidationError as error:
        raise InputError.for_field(
            f"tariff[{row.listing_id}].v{row.version}", f"the stored tariff cannot price: {error.errors()[0]['msg']}"
        ) from None


def tariff_book(session: Session, listing_id: int) -> TariffBook:
    rows = session.scalars(
        select(models.Tariff).where(models.Tariff.listing_id == listing_id).order_by(models.Tariff.version)
    ).all()
    return TariffBook(listing_id, tuple(as_tariff(row) for row in rows), {row.version: row.id for row in rows})
