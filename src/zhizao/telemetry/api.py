"""JSON API of the asset model: nodes, equipment, devices and their credentials, signals, the summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, UploadFile, status
from pydantic import BaseModel

from zhizao.accounts.deps import SessionDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.fields import IdPath, IdQuery
from zhizao.telemetry import assets, devices, excel, retention
from zhizao.telemetry.kinds import EquipmentType
from zhizao.telemetry.models import AssetNode, Device, Equipment, Signal
from zhizao.telemetry.schemas import (
    AssetSummary,
    DeviceCreate,
    DeviceCredential,
    DeviceRead,
    DeviceUpdate,
    EquipmentCreate,
    EquipmentRead,
    EquipmentUpdate,
    IngestPolicyRead,
    IngestPolicyUpdate,
    NodeCreate,
    NodeRead,
    NodeUpdate,
    SignalCreate,
    SignalRead,
    SignalUpdate,
)
from zhizao.telemetry.scope import ASSET_READERS, ASSET_WRITERS, get_scoped

router = APIRouter(prefix="/api", tags=["assets"])

Reader = Annotated[Principal, Depends(require_role(*ASSET_READERS))]
Writer = Annotated[Principal, Depends(require_role(*ASSET_WRITERS))]


@router.get("/assets/summary")
def asset_summary(principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> AssetSummary:
    """Equipment per type, robots among them, devices and signals, within the caller's scope."""
    return assets.summary(session, principal, enterprise_id)


@router.get("/assets/nodes")
def list_nodes(principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> list[NodeRead]:
    return [NodeRead.model_validate(row) for row in assets.list_nodes(session, principal, enterprise_id)]


@router.post("/assets/nodes", status_code=status.HTTP_201_CREATED)
def create_node(data: NodeCreate, principal: Writer, session: SessionDep) -> NodeRead:
    return NodeRead.model_validate(assets.create_node(session, principal, data))


@router.get("/assets/nodes/{node_id}")
def read_node(node_id: IdPath, principal: Reader, session: SessionDep) -> NodeRead:
    return NodeRead.model_validate(get_scoped(session, principal, AssetNode, node_id, "asset node"))


@router.patch("/assets/nodes/{node_id}")
def update_node(node_id: IdPath, data: NodeUpdate, principal: Writer, session: SessionDep) -> NodeRead:
    return NodeRead.model_validate(assets.update_node(session, principal, node_id, data))


@router.delete("/assets/nodes/{node_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_node(node_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    assets.delete_node(session, principal, node_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/equipment")
def list_equipment(
    principal: Reader,
    session: SessionDep,
    enterprise_id: IdQuery = None,
    node_id: IdQuery = None,
    equipment_type: EquipmentType | None = None,
) -> list[EquipmentRead]:
    rows = assets.list_equipment(
        session, principal, enterprise_id=enterprise_id, node_id=node_id, equipment_type=equipment_type
    )
    return [EquipmentRead.model_validate(row) for row in rows]


@router.post("/equipment", status_code=status.HTTP_201_CREATED)
def create_equipment(data: EquipmentCreate, principal: Writer, session: SessionDep) -> EquipmentRead:
    return EquipmentRead.model_validate(assets.create_equipment(session, principal, data))


@router.get("/equipment/{equipment_id}")
def read_equipment(equipment_id: IdPath, principal: Reader, session: SessionDep) -> EquipmentRead:
    return EquipmentRead.model_validate(get_scoped(session, principal, Equipment, equipment_id, "equipment"))


@router.patch("/equipment/{equipment_id}")
def update_equipment(
    equipment_id: IdPath, data: EquipmentUpdate, principal: Writer, session: SessionDep
) -> EquipmentRead:
    return EquipmentRead.model_validate(assets.update_equipment(session, principal, equipment_id, data))


@router.delete("/equipment/{equipment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_equipment(equipment_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    assets.delete_equipment(session, principal, equipment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _device_read(device: Device) -> DeviceRead:
    return DeviceRead.model_validate(device).model_copy(update={"has_credential": device.secret_hash is not None})


@router.get("/devices")
def list_devices(
    principal: Reader, session: SessionDep, enterprise_id: IdQuery = None, equipment_id: IdQuery = None
) -> list[DeviceRead]:
    rows = devices.list_devices(session, principal, enterprise_id=enterprise_id, equipment_id=equipment_id)
    return [_device_read(row) for row in rows]


@router.post("/devices", status_code=status.HTTP_201_CREATED)
def create_device(data: DeviceCreate, principal: Writer, session: SessionDep) -> DeviceRead:
    return _device_read(devices.create_device(session, principal, data))


@router.get("/devices/{device_id}")
def read_device(device_id: IdPath, principal: Reader, session: SessionDep) -> DeviceRead:
    return _device_read(get_scoped(session, principal, Device, device_id, "device"))


@router.patch("/devices/{device_id}")
def update_device(device_id: IdPath, data: DeviceUpdate, principal: Writer, session: SessionDep) -> DeviceRead:
    return _device_read(devices.update_device(session, principal, device_id, data))


@router.post("/devices/{device_id}/credentials", status_code=status.HTTP_201_CREATED)
def issue_device_credential(
    device_id: IdPath, request: Request, principal: Writer, session: SessionDep
) -> DeviceCredential:
    """A new token for the device; shown once; the previous token stops working."""
    return devices.issue_credential(session, principal, device_id, str(request.base_url))


@router.get("/signals")
def list_signals(
    principal: Reader,
    session: SessionDep,
    enterprise_id: IdQuery = None,
    device_id: IdQuery = None,
    equipment_id: IdQuery = None,
) -> list[SignalRead]:
    rows = devices.list_signals(
        session, principal, enterprise_id=enterprise_id, device_id=device_id, equipment_id=equipment_id
    )
    return [SignalRead.model_validate(row) for row in rows]


@router.post("/signals", status_code=status.HTTP_201_CREATED)
def create_signal(data: SignalCreate, principal: Writer, session: SessionDep) -> SignalRead:
    return SignalRead.model_validate(devices.create_signal(session, principal, data))


@router.get("/signals/{signal_id}")
def read_signal(signal_id: IdPath, principal: Reader, session: SessionDep) -> SignalRead:
    return SignalRead.model_validate(get_scoped(session, principal, Signal, signal_id, "signal"))


@router.patch("/signals/{signal_id}")
def update_signal(signal_id: IdPath, data: SignalUpdate, principal: Writer, session: SessionDep) -> SignalRead:
    return SignalRead.model_validate(devices.update_signal(session, principal, signal_id, data))


class ImportReport(BaseModel):
    rows: int
    nodes_created: int
    equipment_created: int
    equipment_updated: int


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/assets/import")
def import_assets(
    file: UploadFile, principal: Writer, session: SessionDep, enterprise_id: IdQuery = None
) -> ImportReport:
    """Import an asset list (.xlsx): all rows or none; every problem is reported as `row N: column`."""
    content = file.file.read(excel.MAX_BYTES + 1)
    result = excel.import_assets(session, principal, content, enterprise_id)
    return ImportReport(**result.__dict__)


@router.get("/assets/import/template", response_class=Response)
def import_template(principal: Writer) -> Response:
    headers = {"Content-Disposition": 'attachment; filename="zhizao-asset-import.xlsx"'}
    return Response(excel.template_workbook(), media_type=XLSX, headers=headers)


@router.get("/ingest-policy")
def read_ingest_policy(principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> IngestPolicyRead:
    """Auto-registration of unknown devices and signals, and data retention, of one enterprise."""
    return retention.read_policy(session, principal, enterprise_id)


@router.put("/ingest-policy")
def update_ingest_policy(
    data: IngestPolicyUpdate, principal: Writer, session: SessionDep, enterprise_id: IdQuery = None
) -> IngestPolicyRead:
    return retention.update_policy(session, principal, enterprise_id, data)
