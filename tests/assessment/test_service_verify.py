"""Data-verified evidence: measured from the enterprise's telemetry, it grades the ratings it supports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from tests.assessment.builders import admin, enterprise, principal_of
from tests.conftest import World
from tests.telemetry.builders import build_plant
from zhizao.assessment import service, service_ratings, service_verify
from zhizao.assessment.kinds import EvidenceGrade, TelemetryCheck
from zhizao.assessment.schemas import RatingInput, SelfAssessmentCreate
from zhizao.telemetry import assets, devices
from zhizao.telemetry.kinds import EquipmentType, Protocol
from zhizao.telemetry.models import Device
from zhizao.telemetry.schemas import DeviceCreate, EquipmentCreate

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("share", "rating"), [(1.0, 1.0), (0.9, 1.0), (0.89, 0.8), (0.7, 0.8), (0.69, 0.5), (0.4, 0.5), (0.39, 0.0)]
)
def test_thresholds(share: float, rating: float) -> None:
    assert service_verify.supported_rating(share) == rating


def _meter(world: World, enterprise_id: int, line_id: int) -> int:
    with world.database.session() as session:
        meter = assets.create_equipment(
            session,
            admin(world),
            EquipmentCreate(
                enterprise_id=enterprise_id,
                node_id=line_id,
                code="L1-EM-01",
                name="产线电表",
                equipment_type=EquipmentType.ENERGY_METER,
            ),
        )
        device = devices.create_device(
            session,
            admin(world),
            DeviceCreate(
                enterprise_id=enterprise_id,
                equipment_id=meter.id,
                code="L1-EM-01",
                name="meter",
                protocol=Protocol.MODBUS,
            ),
        )
    return device.id


def _seen(world: World, device_id: int, at: datetime) -> None:
    with world.database.session() as session, session.begin():
        session.execute(update(Device).where(Device.id == device_id).values(last_seen_at=at))


def test_supported_ratings_become_data_verified_with_the_figure(world: World) -> None:
    target = enterprise(world)
    plant = build_plant(world, target.id)  # a CNC with a reporting gateway (data and state points), a robot without
    meter_device = _meter(world, target.id, plant.line_id)
    _seen(world, plant.device_id, NOW - timedelta(days=2))
    _seen(world, meter_device, NOW - timedelta(days=1))
    actor = principal_of(target.user)
    with world.database.session() as session:
        draft = service.create_self_assessment(session, actor, SelfAssessmentCreate())
    ratings = [
        RatingInput(item="equipment.L2.1", rating=0.5, comment="网关已接入"),  # connectivity 1 of 2 → supports 0.5
        RatingInput(item="equipment.L3.1", rating=1),  # … not 1
        RatingInput(item="production.energy.L2.1", rating=1),  # 1 of 1 line metered
        RatingInput(item="production.operations.L2.3", rating=0.5, evidence_grade=EvidenceGrade.SITE_CHECKED),
        RatingInput(item="data.L1.1", rating=1),  # not verifiable by telemetry
    ]
    with world.database.session() as session:
        service_ratings.save_ratings(session, actor, draft.id, ratings)
    with world.database.session() as session:
        report = service_verify.verify(session, actor, draft.id, NOW)
    shares = {entry.check: (entry.measured, entry.total, entry.supported_rating) for entry in report.measurements}
    assert shares == {
        TelemetryCheck.EQUIPMENT_CONNECTIVITY: (1, 2, 0.5),
        TelemetryCheck.DATA_ACQUISITION: (1, 2, 0.5),
        TelemetryCheck.EQUIPMENT_MANAGEMENT: (1, 2, 0.5),
        TelemetryCheck.PRODUCTION_MONITORING: (1, 2, 0.5),
        TelemetryCheck.ENERGY_METERING: (1, 1, 1.0),
    }
    assert report.verified_items == ["equipment.L2.1", "production.energy.L2.1"]
    assert report.unsupported_items == ["equipment.L3.1"]
    with world.database.session() as session:
        stored = {row.item_id: row for row in service_ratings.visible_ratings(session, actor, draft.id)}
    assert stored["equipment.L2.1"].evidence_grade == EvidenceGrade.DATA_VERIFIED
    assert stored["equipment.L2.1"].comment == (
        "网关已接入\n[telemetry] 50%: 1 of 2 pieces of core equipment have a device that reported in the last 30 days"
        " (2026-11-28)"
    )
    assert stored["equipment.L3.1"].evidence_grade == EvidenceGrade.SELF_DECLARED
    assert stored["production.operations.L2.3"].evidence_grade == EvidenceGrade.SITE_CHECKED
    assert stored["data.L1.1"].evidence_grade == EvidenceGrade.SELF_DECLARED
    # Verifying again replaces the note rather than piling notes up.
    with world.database.session() as session:
        service_verify.verify(session, actor, draft.id, NOW + timedelta(days=1))
    with world.database.session() as session:
        again = {row.item_id: row for row in service_ratings.visible_ratings(session, actor, draft.id)}
    assert again["equipment.L2.1"].comment.count("[telemetry]") == 1
    assert again["equipment.L2.1"].comment.endswith("(2026-11-29)")


def test_devices_silent_for_more_than_thirty_days_do_not_count(world: World) -> None:
    target = enterprise(world)
    plant = build_plant(world, target.id)
    _seen(world, plant.device_id, NOW - timedelta(days=31))
    with world.database.session() as session:
        found = service_verify.measure(session, target.id, NOW)
    assert found[TelemetryCheck.EQUIPMENT_CONNECTIVITY].measured == 0
    assert found[TelemetryCheck.ENERGY_METERING].measured == 0
    with world.database.session() as session:
        assert service_verify.measure(session, enterprise(world).id, NOW) == {}  # no telemetry at all: no figures
