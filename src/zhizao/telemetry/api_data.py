"""JSON API of the stored data: raw samples (paged), downsampled series, latest values, CSV and Parquet export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import select
from starlette.responses import Response, StreamingResponse

from zhizao.accounts.deps import SessionDep
from zhizao.errors import InputError
from zhizao.fields import IdPath
from zhizao.telemetry.api import Reader
from zhizao.telemetry.models import Equipment, Signal
from zhizao.telemetry.scope import get_scoped
from zhizao.telemetry.store.base import Aggregate, Point, TelemetryStore
from zhizao.telemetry.timeutil import from_us, to_us

router = APIRouter(prefix="/api", tags=["telemetry data"])

MAX_RAW_LIMIT = 50_000
MAX_BUCKETS = 20_000
EXPORT_PAGE = 50_000
MAX_EXPORT_ROWS = 5_000_000


def get_store(request: Request) -> TelemetryStore:
    store: TelemetryStore = request.app.state.telemetry_store
    return store


StoreDep = Annotated[TelemetryStore, Depends(get_store)]
Start = Annotated[datetime, Query(description="Inclusive, ISO 8601 with a time-zone offset.")]
End = Annotated[datetime, Query(description="Exclusive, ISO 8601 with a time-zone offset.")]


class RawPoint(BaseModel):
    ts: datetime
    value: float | str


class RawPage(BaseModel):
    signal_id: int
    points: list[RawPoint]
    next_after: datetime | None  # pass as `after` for the next page; null on the last page


class SeriesPoint(BaseModel):
    bucket: datetime
    value: float


class Series(BaseModel):
    signal_id: int
    aggregate: Aggregate
    bucket_seconds: int
    points: list[SeriesPoint]


class LatestValue(BaseModel):
    signal_id: int
    name: str
    unit: str | None
    ts: datetime | None
    value: float | None


def _range(start: datetime, end: datetime) -> tuple[int, int]:
    for field, moment in (("query.start", start), ("query.end", end)):
        if moment.tzinfo is None:
            raise InputError.for_field(field, "include a time-zone offset, e.g. 2026-11-28T08:00:00+08:00")
    start_us, end_us = to_us(start), to_us(end)
    if end_us <= start_us:
        raise InputError.for_field("query.end", "must be after start")
    return start_us, end_us


@router.get("/signals/{signal_id}/raw")
def raw_samples(
    signal_id: IdPath,
    start: Start,
    end: End,
    principal: Reader,
    session: SessionDep,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=MAX_RAW_LIMIT)] = 10_000,
    after: datetime | None = None,
) -> RawPage:
    signal = get_scoped(session, principal, Signal, signal_id, "signal")
    start_us, end_us = _range(start, end)
    if signal.kind == "text":
        texts = store.raw_text(signal.id, start_us, end_us, limit=limit)
        points = [RawPoint(ts=from_us(point.ts_us), value=point.value) for point in texts]
        return RawPage(signal_id=signal.id, points=points, next_after=None)
    after_us = to_us(after) if after is not None and after.tzinfo is not None else None
    rows = store.raw(signal.id, start_us, end_us, limit=limit, after_us=after_us)
    next_after = from_us(rows[-1].ts_us) if len(rows) == limit else None
    return RawPage(
        signal_id=signal.id,
        points=[RawPoint(ts=from_us(point.ts_us), value=point.value) for point in rows],
        next_after=next_after,
    )


@router.get("/signals/{signal_id}/series")
def downsampled_series(
    signal_id: IdPath,
    start: Start,
    end: End,
    principal: Reader,
    session: SessionDep,
    store: StoreDep,
    bucket_seconds: Annotated[int, Query(ge=1, le=31 * 86_400)] = 60,
    aggregate: Aggregate = Aggregate.AVG,
) -> Series:
    signal = get_scoped(session, principal, Signal, signal_id, "signal")
    start_us, end_us = _range(start, end)
    bucket_us = bucket_seconds * 1_000_000
    if (end_us - start_us) // bucket_us > MAX_BUCKETS:
        raise InputError.for_field("query.bucket_seconds", f"would give more than {MAX_BUCKETS} buckets: widen it")
    buckets = store.downsample([signal.id], start_us, end_us, bucket_us, aggregate).get(signal.id, [])
    points = [SeriesPoint(bucket=from_us(row.bucket_us), value=row.value) for row in buckets]
    return Series(signal_id=signal.id, aggregate=aggregate, bucket_seconds=bucket_seconds, points=points)


@router.get("/equipment/{equipment_id}/latest")
def latest_values(equipment_id: IdPath, principal: Reader, session: SessionDep, store: StoreDep) -> list[LatestValue]:
    equipment = get_scoped(session, principal, Equipment, equipment_id, "equipment")
    signals = session.scalars(select(Signal).where(Signal.equipment_id == equipment.id).order_by(Signal.name)).all()
    latest = store.latest([signal.id for signal in signals])
    values = []
    for signal in signals:
        point = latest.get(signal.id)
        values.append(
            LatestValue(
                signal_id=signal.id,
                name=signal.name,
                unit=signal.unit,
                ts=from_us(point.ts_us) if point else None,
                value=point.value if point else None,
            )
        )
    return values


@router.get("/signals/{signal_id}/export", response_class=Response)
def export_samples(
    signal_id: IdPath,
    start: Start,
    end: End,
    principal: Reader,
    session: SessionDep,
    store: StoreDep,
    format: Annotated[str, Query(pattern="^(csv|parquet)$")] = "csv",
) -> Response:
    """All raw samples in the range, as CSV (streamed) or Parquet (ts as UTC timestamp[us], value as float64)."""
    signal = get_scoped(session, principal, Signal, signal_id, "signal")
    start_us, end_us = _range(start, end)
    filename = f"signal-{signal.id}-{start:%Y%m%dT%H%M%S}-{end:%Y%m%dT%H%M%S}"
    pages = _pages(store, signal.id, start_us, end_us)
    if format == "csv":
        headers = {"Content-Disposition": f'attachment; filename="{filename}.csv"'}
        return StreamingResponse(_csv_lines(signal.name, pages), media_type="text/csv; charset=utf-8", headers=headers)
    timestamps: list[int] = []
    values: list[float] = []
    for page in pages:
        timestamps.extend(point.ts_us for point in page)
        values.extend(point.value for point in page)
    table = pa.table(
        {"ts": pa.array(timestamps, type=pa.timestamp("us", tz="UTC")), "value": pa.array(values, type=pa.float64())}
    ).replace_schema_metadata({"signal_id": str(signal.id), "signal": signal.name, "unit": signal.unit or ""})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    headers = {"Content-Disposition": f'attachment; filename="{filename}.parquet"'}
    return Response(buffer.getvalue(), media_type="application/vnd.apache.parquet", headers=headers)


def _pages(store: TelemetryStore, signal_id: int, start_us: int, end_us: int) -> Iterator[list[Point]]:
    after: int | None = None
    sent = 0
    while sent < MAX_EXPORT_ROWS:
        page = store.raw(signal_id, start_us, end_us, limit=EXPORT_PAGE, after_us=after)
        if not page:
            return
        yield page
        sent += len(page)
        if len(page) < EXPORT_PAGE:
            return
        after = page[-1].ts_us


def _csv_lines(name: str, pages: Iterator[list[Point]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["ts", name])
    for page in pages:
        for point in page:
            writer.writerow([from_us(point.ts_us).isoformat(), repr(point.value)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
