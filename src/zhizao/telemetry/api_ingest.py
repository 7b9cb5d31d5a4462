"""``POST /api/ingest/{enterprise_id}/{device_code}``: a device sends samples over HTTP, with its own token.

The body is the MQTT JSON payload (``zhizao.connectors.mqtt_json``); it goes through the same decoding, registry
and store as MQTT, synchronously: the answer comes after the commit. Devices are not users, so the route uses no
user authentication: ``Authorization: Bearer <device token>``, whose SHA-256 is ``Device.secret_hash``.

    200  {"stored", "duplicates", "rejected": [{"index", "reason", "detail"}]}: per-sample rejections (NaN, a
         timestamp out of range, an unknown signal, …) do not fail the request; ``index`` counts the ``samples``
         first, then the entries of ``values`` in order
    400  the body is not JSON (reason malformed_json)          ┐ kept as a dead letter, committed
    413  over 256 KiB or over 10,000 samples (reason oversize)  │ before the answer; the error names
    422  JSON, but not the payload's shape (reason schema)      ┘ the reason
    401  no token, or not a device's token
    403  the device is disabled
    404  the token's device is not ``{enterprise_id}/{device_code}`` (another device, another tenant)
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CollectorRegistry
from pydantic import BaseModel
from sqlalchemy import select
from starlette.exceptions import HTTPException

from zhizao.accounts.credentials import hash_api_token
from zhizao.accounts.deps import DatabaseDep
from zhizao.connectors.mqtt_json.payload import MAX_SAMPLES, decode_payload
from zhizao.db.engine import Database
from zhizao.errors import (
    AuthenticationFailed,
    ConfigurationError,
    FieldProblem,
    InputError,
    MalformedInput,
    NotFound,
    PermissionDenied,
)
from zhizao.telemetry.ingest.assemble import Assembler, dedupe
from zhizao.telemetry.ingest.decoding import DeviceRef, Rejection
from zhizao.telemetry.ingest.metrics import IngestMetrics
from zhizao.telemetry.kinds import Protocol, RejectReason
from zhizao.telemetry.models import Device
from zhizao.telemetry.registry import Registry
from zhizao.telemetry.store.base import Batch, TelemetryStore
from zhizao.telemetry.timeutil import from_us, now_us

INGEST_PATH = "/api/ingest/{enterprise_id}/{device_code}"
PREPARE_INTERVAL_US = 600_000_000

router = APIRouter(tags=["ingest"])
device_token = HTTPBearer(
    auto_error=False, scheme_name="DeviceToken", description="The device's own token (not a user's)."
)


class IngestRejection(BaseModel):
    index: int | None  # None: the whole message
    reason: RejectReason
    detail: str


class IngestResult(BaseModel):
    stored: int
    duplicates: int
    rejected: list[IngestRejection]


_TS = {"oneOf": [{"type": "integer"}, {"type": "string", "format": "date-time"}]}
_VALUE = {"oneOf": [{"type": "number"}, {"type": "boolean"}, {"type": "string"}]}
PAYLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "samples": {
            "type": "array",
            "maxItems": MAX_SAMPLES,
            "items": {
                "type": "object",
                "required": ["signal", "value"],
                "properties": {"signal": {"type": "string", "maxLength": 200}, "ts": _TS, "value": _VALUE},
            },
        },
        "ts": _TS,
        "values": {"type": "object", "additionalProperties": _VALUE},
    },
}


class HttpIngest:
    """The HTTP side of ingest for one app: its registry cache and its metrics."""

    def __init__(self, database: Database, metrics_registry: CollectorRegistry) -> None:
        self.registry = Registry(database)
        self.assembler = Assembler(self.registry)
        self.metrics = IngestMetrics(metrics_registry, prefix="zhizao_http_ingest")
        self._prepared_at_us = 0

    def ingest(self, store: TelemetryStore, device: Device, body: bytes) -> IngestResult:
        self.metrics.received(Protocol.HTTP.value)
        received_us = now_us()
        decoded = decode_payload(DeviceRef(device.enterprise_id, device.code), body, received_us)
        assembled = self.assembler.assemble(
            decoded, source=Protocol.HTTP, topic=None, payload=body, received_at=from_us(received_us)
        )
        points, texts, repeats = dedupe(assembled.points, assembled.texts)
        if received_us - self._prepared_at_us >= PREPARE_INTERVAL_US:
            store.prepare(received_us)
            self._prepared_at_us = received_us
        result = store.write(Batch(points=points, texts=texts, dead_letters=assembled.dead_letters))
        self.metrics.committed(
            inserted=result.inserted,
            duplicates=result.duplicates + repeats,
            dead_letters=result.dead_letters,
            seconds=0,
        )
        for rejection in assembled.rejections:
            self.metrics.reject(rejection.reason.value)
        if assembled.newest_ts_us is not None:
            self.metrics.lag.observe(max(0.0, (now_us() - assembled.newest_ts_us) / 1e6))
        if assembled.device_ids:
            self.registry.touch(assembled.device_ids, from_us(received_us))
        whole = [rejection for rejection in assembled.rejections if rejection.position is None]
        if whole:
            raise _refusal(whole[0])
        return IngestResult(
            stored=result.inserted,
            duplicates=result.duplicates + repeats,
            rejected=[
                IngestRejection(index=r.position, reason=r.reason, detail=r.detail) for r in assembled.rejections
            ],
        )


def _refusal(rejection: Rejection) -> Exception:
    message = f"{rejection.reason.value}: {rejection.detail}"
    if rejection.reason == RejectReason.MALFORMED_JSON:
        return MalformedInput(message)
    if rejection.reason == RejectReason.OVERSIZE:
        return HTTPException(413, message)
    if rejection.reason == RejectReason.DEVICE_DISABLED:
        return PermissionDenied(message)
    if rejection.reason in (RejectReason.UNKNOWN_TENANT, RejectReason.UNKNOWN_DEVICE):
        return NotFound(message)
    return InputError(message, fields=[FieldProblem("body", message)])


_setup_lock = threading.Lock()


def get_telemetry_store(request: Request) -> TelemetryStore:
    store: TelemetryStore | None = getattr(request.app.state, "telemetry_store", None)
    if store is None:
        raise ConfigurationError("the app has no telemetry store (set app.state.telemetry_store in create_app)")
    return store


def get_http_ingest(request: Request, database: DatabaseDep) -> HttpIngest:
    """One ``HttpIngest`` per app, made on first use; its metrics go to ``app.state.metrics``."""
    state = request.app.state
    with _setup_lock:
        service: HttpIngest | None = getattr(state, "http_ingest", None)
        if service is None:
            metrics = getattr(state, "metrics", None)
            service = HttpIngest(database, metrics if isinstance(metrics, CollectorRegistry) else CollectorRegistry())
            state.http_ingest = service
    return service


def authenticated_device(
    database: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(device_token)],
) -> Device:
    """The device whose token the request carries (``Authorization: Bearer <device token>``)."""
    if credentials is None or not credentials.credentials:
        raise AuthenticationFailed("send the device's token: 'Authorization: Bearer <device token>'")
    with database.sessions() as session:
        device = session.scalars(
            select(Device).where(Device.secret_hash == hash_api_token(credentials.credentials))
        ).first()
        if device is None:
            raise AuthenticationFailed("the device token is not valid")
        session.expunge(device)
    return device


TelemetryStoreDep = Annotated[TelemetryStore, Depends(get_telemetry_store)]
HttpIngestDep = Annotated[HttpIngest, Depends(get_http_ingest)]
DeviceDep = Annotated[Device, Depends(authenticated_device)]


@router.post(
    INGEST_PATH,
    response_model=IngestResult,
    summary="Send samples of one device (its token, not a user's)",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": PAYLOAD_SCHEMA}}}},
)
async def ingest(
    device: DeviceDep,
    enterprise_id: Annotated[int, Path(ge=1)],
    device_code: Annotated[str, Path(min_length=1, max_length=64)],
    request: Request,
    store: TelemetryStoreDep,
    service: HttpIngestDep,
) -> IngestResult:
    if device.enterprise_id != enterprise_id or device.code != device_code:
        raise NotFound("no such device")  # the token's device is another one, perhaps of another tenant
    if not device.is_active:
        raise PermissionDenied("the device is disabled")
    body = await request.body()
    return await run_in_threadpool(service.ingest, store, device, body)
