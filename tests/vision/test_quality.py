"""Defect figures: the Pareto counts verdicts as reviewed, the trend groups them by local day and shift — the
equipment's work calendar when the stations share one, else the fixed 08–16 / 16–24 / 00–08 shifts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import World
from tests.vision.station_support import PRODUCT, Tenant, station, tenant
from zhizao.db.engine import Database
from zhizao.errors import InputError
from zhizao.production.calendar import Shift, WorkCalendar
from zhizao.production.models import EquipmentSetting, WorkCalendarRecord
from zhizao.telemetry.timeutil import to_us
from zhizao.vision import quality
from zhizao.vision.station_models import CountedAs, InspectionSource, VisionInspection
from zhizao.vision.types import VerdictKind

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def _add(database: Database, owner: Tenant, station_id: int, rows: list[tuple[datetime, str, str | None, str | None]]
         ) -> None:  # fmt: skip
    """(time, model verdict "kind:label", reviewed "kind:label" or None, product or None)"""
    with database.session() as session, session.begin():
        for moment, verdict, reviewed, product in rows:
            kind, _, label = verdict.partition(":")
            review_kind, _, review_label = (reviewed or "").partition(":")
            session.add(VisionInspection(
                station_id=station_id, organisation_id=owner.organisation_id, product_code=product or PRODUCT,
                source=InspectionSource.UPLOAD, received_at=moment, counted_at_us=to_us(moment),
                image_path="vision/inspections/00/" + "0" * 64 + ".png", width=8, height=8,
                verdict_kind=VerdictKind(kind), label=label or None, score=0.9, confidence=0.9, boxes=[],
                latency_ms=1.0, counted_as=CountedAs.GOOD if kind == "pass" else CountedAs.SCRAP,
                reviewed_kind=VerdictKind(review_kind) if review_kind else None, reviewed_label=review_label or None,
            ))  # fmt: skip


def test_pareto_counts_reviewed_verdicts_and_the_trend_uses_fixed_shifts(world: World, database: Database) -> None:
    owner = tenant(world, database)
    station_id = station(database, owner, None)
    _add(database, owner, station_id, [
        (_local(2, 7, 59), "defect:spot", None, None),  # night shift of 2 March
        (_local(2, 8, 0), "defect:spot", None, None),
        (_local(2, 9, 0), "defect:scratch", "pass", None),  # reviewed: a pass after all
        (_local(2, 10, 0), "pass", "defect:crack", None),  # reviewed: a crack the model missed
        (_local(2, 12, 0), "anomalous", None, None),  # no class: "anomalous"
        (_local(2, 23, 59), "defect:spot", None, None),
        (_local(3, 0, 0), "pass", None, None),
        (_local(2, 11, 0), "defect:spot", None, "P-OTHER"),
    ])  # fmt: skip
    with database.session() as session:
        figures = quality.figures(session, owner.principal, _local(1, 0), _local(4, 0), timezone="Asia/Shanghai",
                                  product_code=PRODUCT)  # fmt: skip
    assert [(row.label, row.count) for row in figures.pareto] == [("spot", 3), ("anomalous", 1), ("crack", 1)]
    assert [row.cumulative_share for row in figures.pareto] == [0.6, 0.8, 1.0]
    assert figures.shift_source == quality.FIXED_SOURCE and figures.shifts == ["08–16", "16–24", "00–08"]
    assert [(row.day, row.shift, row.inspected, row.defects) for row in figures.trend] == [
        ("2026-03-02", "08–16", 4, 3), ("2026-03-02", "16–24", 1, 1), ("2026-03-02", "00–08", 1, 1),
        ("2026-03-03", "00–08", 1, 0),
    ]  # fmt: skip
    assert figures.products == ["P-OTHER", PRODUCT]


def test_the_equipment_calendar_decides_the_shifts(world: World, database: Database) -> None:
    owner = tenant(world, database)
    station_id = station(database, owner, None)
    shifts = (Shift(name="early", start="06:00", end="14:00"), Shift(name="night", start="22:00", end="06:00"))
    calendar = WorkCalendar(shifts=shifts, weekdays=frozenset(range(7)))
    with database.session() as session, session.begin():
        record = WorkCalendarRecord(enterprise_id=owner.organisation_id, name="two shifts",
                                    definition=calendar.model_dump(mode="json"))  # fmt: skip
        session.add(record)
        session.flush()
        session.add(EquipmentSetting(equipment_id=owner.equipment_id, enterprise_id=owner.organisation_id,
                                     calendar_id=record.id))  # fmt: skip
    _add(database, owner, station_id, [
        (_local(2, 6, 30), "defect:spot", None, None),
        (_local(2, 15, 0), "pass", None, None),  # between the shifts
        (_local(3, 2, 0), "defect:spot", None, None),  # the night shift that began on 2 March
    ])  # fmt: skip
    with database.session() as session:
        figures = quality.figures(session, owner.principal, _local(1, 0), _local(4, 0), timezone="Asia/Shanghai")
    assert figures.shift_source == "calendar: early, night"
    assert figures.shifts == ["early", "night", quality.OFF_SHIFT]
    assert [(row.day, row.shift, row.inspected, row.defects) for row in figures.trend] == [
        ("2026-03-02", "early", 1, 1), ("2026-03-02", "night", 1, 1), ("2026-03-02", quality.OFF_SHIFT, 1, 0),
    ]  # fmt: skip


def test_a_period_is_checked(world: World, database: Database) -> None:
    owner = tenant(world, database)
    late = datetime(2026, 9, 1, tzinfo=SHANGHAI)
    with database.session() as session, pytest.raises(InputError, match="ends before it starts"):
        quality.figures(session, owner.principal, _local(3, 0), _local(2, 0), timezone="Asia/Shanghai")
    with database.session() as session, pytest.raises(InputError, match="at most 92 days"):
        quality.figures(session, owner.principal, _local(1, 0), late, timezone="Asia/Shanghai")
