"""Inspection stations: equipment and models of the station's own enterprise and product only, counter signals
bound to the equipment, safe folders and topics, the gateway token shown once, tenant scope."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from tests.conftest import World
from tests.vision.station_support import PRODUCT, model_row, principal_of, station, tenant
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.errors import Conflict, InputError, NotFound, PermissionDenied
from zhizao.telemetry.kinds import DataType, EquipmentType, Protocol, SignalKind
from zhizao.telemetry.machinery import GOOD_COUNTER, SCRAP_COUNTER
from zhizao.telemetry.models import Device, Equipment, Signal
from zhizao.vision import stations
from zhizao.vision.models import TrainingStatus
from zhizao.vision.station_models import SourceKind, VisionStation
from zhizao.vision.station_schemas import StationCreate, StationUpdate
from zhizao.vision.types import Task


def test_a_station_gets_its_own_counter_device_bound_to_its_equipment(world: World, database: Database) -> None:
    owner = tenant(world, database)
    station_id = station(database, owner, model_row(database, owner.organisation_id))
    with database.session() as session:
        found = session.get(VisionStation, station_id)
        assert found is not None and found.device_id is not None
        device = session.get(Device, found.device_id)
        assert device is not None
        assert (device.code, device.equipment_id, device.enterprise_id) == (
            f"vision-station-{station_id}", owner.equipment_id, owner.organisation_id,
        )  # fmt: skip
        signals = session.scalars(select(Signal).where(Signal.device_id == device.id).order_by(Signal.name)).all()
        assert [(s.name, s.kind, s.data_type, s.equipment_id) for s in signals] == [
            (GOOD_COUNTER, SignalKind.COUNTER, DataType.INT, owner.equipment_id),
            (SCRAP_COUNTER, SignalKind.COUNTER, DataType.INT, owner.equipment_id),
        ]


def test_a_model_for_another_product_is_refused(world: World, database: Database) -> None:
    owner = tenant(world, database)
    other_product = model_row(database, owner.organisation_id, product="P-OTHER")
    with pytest.raises(InputError, match="model for another product") as raised:
        station(database, owner, other_product)
    assert raised.value.fields[0].field == "body.model_id"
    station_id = station(database, owner, None)
    with database.session() as session, pytest.raises(InputError, match="model for another product"):
        stations.deploy_model(session, owner.principal, station_id, other_product)
    with database.session() as session:
        assert stations.get_station(session, owner.principal, station_id).model_id is None


def test_another_tenants_model_and_an_untrained_one_are_refused(world: World, database: Database) -> None:
    owner, other = tenant(world, database), tenant(world, database, "VIS-2")
    theirs = model_row(database, other.organisation_id)
    queued = model_row(database, owner.organisation_id, status=TrainingStatus.QUEUED)
    station_id = station(database, owner, None)
    with database.session() as session, pytest.raises(InputError, match="not a model of this enterprise"):
        stations.deploy_model(session, owner.principal, station_id, theirs)
    with database.session() as session, pytest.raises(InputError, match="not trained"):
        stations.deploy_model(session, owner.principal, station_id, queued)
    mine = model_row(database, owner.organisation_id)
    with database.session() as session:
        assert stations.deploy_model(session, owner.principal, station_id, mine).model_id == mine


def test_equipment_of_another_tenant_is_refused(world: World, database: Database) -> None:
    owner, other = tenant(world, database), tenant(world, database, "VIS-2")
    with database.session() as session, pytest.raises(InputError, match="not a record of this enterprise"):
        stations.create_station(
            session, owner.principal,
            StationCreate(name="x", equipment_id=other.equipment_id, product_code=PRODUCT),
        )  # fmt: skip


def test_equipment_that_counts_parts_already_is_refused(world: World, database: Database) -> None:
    """Production reads one good counter per equipment: a second one would be ignored or counted instead."""
    owner = tenant(world, database)
    with database.session() as session, session.begin():
        device = Device(enterprise_id=owner.organisation_id, equipment_id=owner.equipment_id, code="plc-1",
                        name="PLC", protocol=Protocol.MQTT_JSON)  # fmt: skip
        session.add(device)
        session.flush()
        session.add(Signal(enterprise_id=owner.organisation_id, device_id=device.id, equipment_id=owner.equipment_id,
                           name=GOOD_COUNTER, kind=SignalKind.COUNTER, data_type=DataType.INT))  # fmt: skip
    with pytest.raises(InputError, match="already counts parts"):
        station(database, owner, None)
    with database.session() as session:
        assert session.scalars(select(VisionStation)).all() == []


def test_one_station_per_equipment(world: World, database: Database) -> None:
    owner = tenant(world, database)
    station(database, owner, None)
    with pytest.raises(InputError, match="already counts parts"):
        station(database, owner, None, name="second")


@pytest.mark.parametrize("folder", ["../elsewhere", "/etc", "a/../../b", "..", "a//..", "with space"])
def test_folders_stay_inside_the_enterprise_inbox(world: World, database: Database, folder: str) -> None:
    owner = tenant(world, database)
    with pytest.raises(InputError) as raised:
        station(database, owner, None, source_kind=SourceKind.FOLDER, folder=folder)
    assert raised.value.fields[0].field == "body.folder"


def test_folder_and_mqtt_sources(world: World, database: Database) -> None:
    owner = tenant(world, database)
    with pytest.raises(InputError, match="needs its folder"):
        station(database, owner, None, source_kind=SourceKind.FOLDER)
    station_id = station(database, owner, None, source_kind=SourceKind.MQTT, folder="cam1/")
    topic = f"zhizao/v1/{owner.organisation_id}/vision/{station_id}/images"
    with database.session() as session:
        found = stations.get_station(session, owner.principal, station_id)
        assert found.folder == "cam1"
        assert found.mqtt_topic == topic
    with database.session() as session, session.begin():
        other = Equipment(enterprise_id=owner.organisation_id, code="VIS-1B", name="Inspection 1B",
                          equipment_type=EquipmentType.INSPECTION_STATION)  # fmt: skip
        session.add(other)
        session.flush()
        same_enterprise = replace(owner, equipment_id=other.id)
    with pytest.raises(Conflict, match="already used by another station"):
        station(database, same_enterprise, None, source_kind=SourceKind.MQTT, folder="cam", name="二号工位",
                mqtt_topic=topic)  # fmt: skip
    second = tenant(world, database, "VIS-2")
    # Another enterprise's inspection topic, or a device's data topic, is refused before any clash is looked up.
    for foreign in (topic, f"zhizao/v1/{second.organisation_id}/L1-CNC-01/data",
                    f"zhizao/v1/{second.organisation_id}/vision/a/b/images", "plant/cam/images"):  # fmt: skip
        with pytest.raises(InputError, match="must have the form") as raised:
            station(database, second, None, source_kind=SourceKind.MQTT, folder="cam", mqtt_topic=foreign)
        assert raised.value.fields[0].field == "body.mqtt_topic"
    with pytest.raises(InputError, match="topic name"):
        station(database, second, None, source_kind=SourceKind.MQTT, folder="cam", mqtt_topic="plant/+/images")
    own = f"zhizao/v1/{second.organisation_id}/vision/工位-3/images"
    own_id = station(database, second, None, source_kind=SourceKind.MQTT, folder="cam", mqtt_topic=own)
    with database.session() as session:
        assert stations.get_station(session, second.principal, own_id).mqtt_topic == own


def test_the_gateway_token_is_shown_once_and_replaced_by_the_next(world: World, database: Database) -> None:
    owner = tenant(world, database)
    station_id = station(database, owner, None)
    with database.session() as session:
        first = stations.issue_token(session, owner.principal, station_id, "https://plant.example")
    assert first.token.startswith("zzv_")
    assert first.upload_url == f"https://plant.example/api/vision/gateway/stations/{station_id}/inspections"
    with database.session() as session:
        row = session.get(VisionStation, station_id)
        assert row is not None and row.token_hash is not None and first.token not in row.token_hash
        found = stations.station_for_token(session, first.token)
        assert found is not None and found.id == station_id
    with database.session() as session:
        second = stations.issue_token(session, owner.principal, station_id, "https://plant.example")
    with database.session() as session:
        assert stations.station_for_token(session, first.token) is None
        found = stations.station_for_token(session, second.token)
        assert found is not None and found.id == station_id


def test_another_tenant_gets_404_and_other_roles_are_refused(world: World, database: Database) -> None:
    owner, other = tenant(world, database), tenant(world, database, "VIS-2")
    station_id = station(database, owner, None)
    officer = principal_of(world.user(Role.OFFICER))
    consumer = principal_of(world.user(Role.CONSUMER))
    with database.session() as session, pytest.raises(NotFound):
        stations.get_station(session, other.principal, station_id)
    with database.session() as session, pytest.raises(NotFound):
        stations.update_station(session, other.principal, station_id, StationUpdate(name="mine now"))
    with database.session() as session:
        assert stations.get_station(session, officer, station_id).id == station_id
        with pytest.raises(PermissionDenied):
            stations.get_station(session, officer, station_id, manage=True)
        with pytest.raises(PermissionDenied):
            stations.list_stations(session, consumer)
        assert [s.id for s in stations.list_stations(session, other.principal)] == []
        assert [s.id for s in stations.list_stations(session, owner.principal)] == [station_id]


def test_changing_the_product_under_a_deployed_model_is_refused(world: World, database: Database) -> None:
    owner = tenant(world, database)
    station_id = station(database, owner, model_row(database, owner.organisation_id))
    with database.session() as session, pytest.raises(InputError, match="deployed model"):
        stations.update_station(session, owner.principal, station_id, StationUpdate(product_code="P-OTHER"))
    with database.session() as session:
        stations.deploy_model(session, owner.principal, station_id, None)
    with database.session() as session:
        changed = stations.update_station(session, owner.principal, station_id, StationUpdate(product_code="P-OTHER"))
        assert changed.product_code == "P-OTHER"


def test_a_threshold_is_deployed_with_its_model_and_dropped_with_it(world: World, database: Database) -> None:
    owner = tenant(world, database)
    anomaly = model_row(database, owner.organisation_id, task=Task.ANOMALY, classes=())
    station_id = station(database, owner, None)
    with database.session() as session:
        deployed = stations.deploy_model(session, owner.principal, station_id, anomaly, 8.5)
        assert (deployed.model_id, deployed.threshold) == (anomaly, 8.5)
    with database.session() as session:  # deployed again without one: the model's own
        assert stations.deploy_model(session, owner.principal, station_id, anomaly).threshold is None
    with database.session() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "vision_station.deploy").order_by(AuditEntry.id)
        ).all()
        assert [(entry.before, entry.after) for entry in entries] == [
            ({"model_id": None, "threshold": None}, {"model_id": anomaly, "threshold": 8.5}),
            ({"model_id": anomaly, "threshold": 8.5}, {"model_id": anomaly, "threshold": None}),
        ]


def test_a_threshold_the_model_cannot_take_changes_nothing(world: World, database: Database) -> None:
    owner = tenant(world, database)
    classifier = model_row(database, owner.organisation_id)
    detector = model_row(database, owner.organisation_id, task=Task.DETECT, classes=("scratch",))
    station_id = station(database, owner, detector)
    cases = [(classifier, 0.5, "most probable class"), (detector, 2.0, "at most 1"), (None, 0.5, "needs a model")]
    for model_id, threshold, message in cases:
        with database.session() as session, pytest.raises(InputError, match=message) as raised:
            stations.deploy_model(session, owner.principal, station_id, model_id, threshold)
        assert raised.value.fields[0].field == "body.threshold"
    with database.session() as session:
        unchanged = stations.get_station(session, owner.principal, station_id)
        assert (unchanged.model_id, unchanged.threshold) == (detector, None)
