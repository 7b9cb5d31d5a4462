"""JSON API of the inspection stations (``/api/vision``): stations, deployment, the gateway token, inspections by
upload (a user) or from a camera gateway (the station's token), the review queue and the defect figures.

Enterprise users of the station's enterprise and administrators manage stations, upload and review; officers read.
Another tenant's station or inspection is 404. Image files are served by the pages
(``/vision/inspections/{id}/image`` and ``…/heatmap``), to the same callers.

    POST /api/vision/gateway/stations/{station_id}/inspections
        A camera gateway sends one image (multipart field ``file``; optional form field ``taken_at``, RFC 3339)
        with ``Authorization: Bearer <station token>``: 401 without a valid token, 404 when the token is another
        station's (of this or another tenant), 422 for an image the station cannot inspect (nothing is counted).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts.deps import DatabaseDep, SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import AuthenticationFailed, InputError, NotFound
from zhizao.fields import IdPath, IdQuery, Limit, Offset, TextQuery
from zhizao.telemetry.api_ingest import TelemetryStoreDep
from zhizao.vision import inspection, quality, review, stations
from zhizao.vision.images import MAX_IMAGE_BYTES
from zhizao.vision.station_models import InspectionSource, VisionInspection, VisionRejection, VisionStation
from zhizao.vision.station_schemas import (
    Deployment,
    GatewayToken,
    InspectionRead,
    QualityFigures,
    RejectionRead,
    ReviewIn,
    StationCreate,
    StationRead,
    StationUpdate,
    box_rows,
)

router = APIRouter(prefix="/api/vision", tags=["vision stations"])
Reader = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE))]
Manager = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
station_token = HTTPBearer(auto_error=False, scheme_name="StationToken", description="The station's gateway token.")
MAX_PERIOD = timedelta(days=quality.MAX_DAYS)


def station_read(station: VisionStation) -> StationRead:
    return StationRead.model_validate(
        {
            **{key: getattr(station, key) for key in StationRead.model_fields if hasattr(station, key)},
            "has_token": station.token_hash is not None,
        }
    )


def inspection_read(row: VisionInspection) -> InspectionRead:
    return InspectionRead.model_validate(
        {
            **{key: getattr(row, key) for key in InspectionRead.model_fields if hasattr(row, key)},
            "boxes": box_rows(row.boxes),
            "has_heatmap": row.heatmap_path is not None,
            "image_url": f"/vision/inspections/{row.id}/image",
            "heatmap_url": f"/vision/inspections/{row.id}/heatmap" if row.heatmap_path else None,
        }
    )


def read_upload(file: UploadFile | None) -> bytes:
    """The uploaded file's bytes (at most one more than the limit, so that an oversized file is refused)."""
    if file is None:
        raise InputError.for_field("body.file", "attach the image (multipart field 'file')")
    return file.file.read(MAX_IMAGE_BYTES + 1)


@router.get("/stations")
def list_stations(principal: Reader, session: SessionDep, organisation_id: IdQuery = None) -> list[StationRead]:
    return [station_read(row) for row in stations.list_stations(session, principal, organisation_id)]


@router.post("/stations", status_code=status.HTTP_201_CREATED)
def create_station(data: StationCreate, principal: Manager, session: SessionDep) -> StationRead:
    return station_read(stations.create_station(session, principal, data))


@router.get("/stations/{station_id}")
def read_station(station_id: IdPath, principal: Reader, session: SessionDep) -> StationRead:
    return station_read(stations.get_station(session, principal, station_id))


@router.patch("/stations/{station_id}")
def update_station(station_id: IdPath, data: StationUpdate, principal: Manager, session: SessionDep) -> StationRead:
    return station_read(stations.update_station(session, principal, station_id, data))


@router.put("/stations/{station_id}/model")
def deploy_model(station_id: IdPath, data: Deployment, principal: Manager, session: SessionDep) -> StationRead:
    """Deploy a trained model of the station's enterprise and product (``null`` takes the model off), optionally
    with the station's own decision threshold (anomaly: a score; detect: a box score; none for classify)."""
    return station_read(stations.deploy_model(session, principal, station_id, data.model_id, data.threshold))


@router.post("/stations/{station_id}/token", status_code=status.HTTP_201_CREATED)
def issue_token(station_id: IdPath, principal: Manager, session: SessionDep, request: Request) -> GatewayToken:
    """A new gateway token, shown this once (only its SHA-256 is kept); the previous one stops working."""
    return stations.issue_token(session, principal, station_id, str(request.base_url))


def managed_station_id(station_id: IdPath, principal: Manager, session: SessionDep) -> int:
    """The caller's own station, checked before the upload is read (another tenant's: 404 at once)."""
    with session.begin():
        return stations.get_station(session, principal, station_id, manage=True).id


@router.post("/stations/{station_id}/inspections", status_code=status.HTTP_201_CREATED)
def upload_inspection(
    station_id: Annotated[int, Depends(managed_station_id)], principal: Manager, session: SessionDep,
    settings: SettingsDep, store: TelemetryStoreDep, file: UploadFile | None = None,
) -> InspectionRead:  # fmt: skip
    """Inspect one image (multipart field ``file``): 422 naming ``body.file`` when it is corrupt, empty, too large,
    a colour image or not the model's size, and when the station has no model; nothing is stored or counted then."""
    content = read_upload(file)
    name = file.filename if file is not None else None
    found = inspection.inspect(session, settings, store, station_id, content, source=InspectionSource.UPLOAD,
                               original_name=name)  # fmt: skip
    return inspection_read(found)


def gateway_station(
    station_id: IdPath,
    database: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(station_token)],
) -> int:
    """The station whose token the request carries, if it is ``station_id``."""
    if credentials is None or not credentials.credentials:
        raise AuthenticationFailed("send the station's token: 'Authorization: Bearer <station token>'")
    with database.session() as session:
        found = stations.station_for_token(session, credentials.credentials)
    if found is None:
        raise AuthenticationFailed("the station token is not valid")
    if found.id != station_id:
        raise NotFound(f"inspection station {station_id} not found")  # another station's token, perhaps a tenant's
    return found.id


@router.post(
    "/gateway/stations/{station_id}/inspections", status_code=status.HTTP_201_CREATED,
    summary="A camera gateway sends an image (the station's token, not a user's)",
)  # fmt: skip
def gateway_inspection(
    station_id: Annotated[int, Depends(gateway_station)], database: DatabaseDep, settings: SettingsDep,
    store: TelemetryStoreDep, file: UploadFile | None = None,
    taken_at: Annotated[AwareDatetime | None, Form()] = None,
) -> InspectionRead:  # fmt: skip
    content = read_upload(file)
    with database.session() as session:
        found = inspection.inspect(
            session, settings, store, station_id, content, source=InspectionSource.GATEWAY,
            received_at=taken_at.astimezone(UTC) if taken_at else None,
            original_name=file.filename if file is not None else None,
        )  # fmt: skip
        return inspection_read(found)


@router.get("/stations/{station_id}/inspections")
def list_inspections(
    station_id: IdPath, principal: Reader, session: SessionDep, offset: Offset = 0, limit: Limit = 50
) -> list[InspectionRead]:
    """The station's inspections, newest first."""
    station = stations.get_station(session, principal, station_id)
    query = select(VisionInspection).where(VisionInspection.station_id == station.id)
    rows = session.scalars(query.order_by(VisionInspection.id.desc()).offset(offset).limit(limit))
    return [inspection_read(row) for row in rows]


@router.get("/stations/{station_id}/rejections")
def list_rejections(
    station_id: IdPath, principal: Reader, session: SessionDep, offset: Offset = 0, limit: Limit = 50
) -> list[RejectionRead]:
    """Images of the station's folder or topic that could not be inspected, with the reason (never counted)."""
    station = stations.get_station(session, principal, station_id)
    query = select(VisionRejection).where(VisionRejection.station_id == station.id)
    rows = session.scalars(query.order_by(VisionRejection.id.desc()).offset(offset).limit(limit))
    return [RejectionRead.model_validate(row) for row in rows]


@router.get("/inspections/{inspection_id}")
def read_inspection(inspection_id: IdPath, principal: Reader, session: SessionDep) -> InspectionRead:
    return inspection_read(review.get_inspection(session, principal, inspection_id))


@router.get("/review")
def review_queue(
    principal: Reader, session: SessionDep, station_id: IdQuery = None, defects_only: bool = False,
    offset: Offset = 0, limit: Limit = 50,
) -> list[InspectionRead]:  # fmt: skip
    """Unreviewed defects and anomalies, and verdicts below the confidence bar; the least sure first."""
    rows = review.awaiting_review(
        session, principal, station_id=station_id, defects_only=defects_only, limit=limit, offset=offset
    )
    return [inspection_read(row) for row in rows]


@router.post("/inspections/{inspection_id}/review")
def review_inspection(
    inspection_id: IdPath, data: ReviewIn, principal: Manager, session: SessionDep, settings: SettingsDep,
    store: TelemetryStoreDep,
) -> InspectionRead:  # fmt: skip
    """Confirm (the model's verdict) or correct (any other) one inspection; audited. A correction that changes
    good ↔ scrap adds a correcting unit to the new count, and the image joins the model's dataset."""
    return inspection_read(review.review(session, settings, store, principal, inspection_id, data))


@router.get("/quality")
def quality_figures(
    principal: Reader, session: SessionDep, settings: SettingsDep, start: AwareDatetime | None = None,
    end: AwareDatetime | None = None, product_code: TextQuery = None, station_id: IdQuery = None,
    organisation_id: IdQuery = None, days: Annotated[int, Query(ge=1, le=quality.MAX_DAYS)] = 7,
) -> QualityFigures:  # fmt: skip
    """Defect Pareto and defect rate per day and shift over [start, end) (default: the last ``days`` days)."""
    finish = end or datetime.now(UTC)
    begin = start or finish - timedelta(days=days)
    return quality.figures(
        session, principal, begin, finish, timezone=settings.timezone, product_code=product_code or None,
        station_id=station_id, organisation_id=organisation_id,
    )  # fmt: skip


def counts_of(session: Session, station_id: int) -> tuple[int, int]:
    """(inspections, rejections) of a station, for the pages."""
    inspected = session.scalar(select(func.count()).where(VisionInspection.station_id == station_id)) or 0
    rejected = session.scalar(select(func.count()).where(VisionRejection.station_id == station_id)) or 0
    return inspected, rejected
