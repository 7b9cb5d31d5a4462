"""Pages of the inspection stations: the station list, a station's live view (latest images with verdicts, defect
boxes drawn over the image, the anomaly heat map laid over it, updated by server-sent events), the upload form, an
inspection with its review and audit trail, the review queue, and the defect Pareto and trend (ECharts)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from zhizao.accounts.deps import DatabaseDep, SessionDep, SettingsDep, require_role
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.errors import FieldProblem, InputError
from zhizao.fields import IdPath, IdQuery, NoNul
from zhizao.telemetry.api_ingest import TelemetryStoreDep
from zhizao.telemetry.models import Equipment
from zhizao.ui.forms import attempt, optional_int
from zhizao.ui.i18n import N_, gettext
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render
from zhizao.vision import inspection, quality, review, stations
from zhizao.vision.api_stations import counts_of, inspection_read, read_upload
from zhizao.vision.models import TrainingStatus, VisionModel
from zhizao.vision.station_models import (
    SOURCE_KIND_LABELS,
    VERDICT_LABELS,
    InspectionSource,
    SourceKind,
    VisionInspection,
    VisionRejection,
    VisionStation,
)
from zhizao.vision.station_schemas import Deployment, ReviewIn, StationCreate, StationUpdate
from zhizao.vision.types import VerdictKind

router = APIRouter(include_in_schema=False)
BASE = "/vision/stations"
READERS = frozenset({Role.ADMIN.value, Role.OFFICER.value, Role.ENTERPRISE.value})
NAV = (
    NavItem(N_("Inspection stations"), BASE, roles=READERS, order=290),
    NavItem(N_("Review queue"), "/vision/review", roles=READERS, order=291),
    NavItem(N_("Defect analysis"), "/vision/quality", roles=READERS, order=294),
)
LATEST = 12
LIVE_INTERVAL_S = 2.0
LIVE_MAX_S = 3600  # a stream ends after an hour; the browser's EventSource reconnects on its own

Reader = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE))]
Manager = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
Field = Annotated[str | None, Form(max_length=1000), NoNul]


def _labels() -> dict[str, str]:
    return {kind: gettext(label) for kind, label in VERDICT_LABELS.items()}


def _equipment(session: Session, principal: Principal) -> list[Equipment]:
    query = select(Equipment).order_by(Equipment.enterprise_id, Equipment.code)
    if principal.role == Role.ENTERPRISE:
        query = query.where(Equipment.enterprise_id == principal.organisation_id)
    return list(session.scalars(query.limit(2000)))


def _list_page(
    request: Request, session: Session, principal: Principal, values: dict[str, Any], problems: list[FieldProblem]
) -> Response:
    rows = stations.list_stations(session, principal)
    context = {
        "stations": rows, "equipment": {e.id: e for e in _equipment(session, principal)},
        "counts": {row.id: counts_of(session, row.id) for row in rows}, "values": values, "problems": problems,
        "source_labels": SOURCE_KIND_LABELS, "can_write": principal.role in (Role.ADMIN, Role.ENTERPRISE),
    }  # fmt: skip
    return render(request, "vision/stations.html", context, status_code=422 if problems else 200)


@router.get(BASE)
def station_list(request: Request, principal: Reader, session: SessionDep) -> Response:
    return _list_page(request, session, principal, {}, [])


@router.post(BASE)
def create_station(
    request: Request, principal: Manager, session: SessionDep, name: Field = None, equipment_id: Field = None,
    product_code: Field = None, source_kind: Field = None, folder: Field = None, mqtt_topic: Field = None,
) -> Response:  # fmt: skip
    values = {"name": name, "equipment_id": equipment_id, "product_code": product_code, "source_kind": source_kind,
              "folder": folder, "mqtt_topic": mqtt_topic}  # fmt: skip

    def create() -> VisionStation:
        data = StationCreate.model_validate({
            "name": name or "", "equipment_id": optional_int(equipment_id) or 0, "product_code": product_code or "",
            "source_kind": source_kind or SourceKind.UPLOAD, "folder": folder or None, "mqtt_topic": mqtt_topic or None,
        })  # fmt: skip
        return stations.create_station(session, principal, data)

    created, problems = attempt(create)
    if created is not None:
        return RedirectResponse(f"{BASE}/{created.id}", status_code=303)
    session.rollback()
    return _list_page(request, session, principal, values, problems)


def _station_page(
    request: Request, session: Session, principal: Principal, station_id: int, *,
    problems: list[FieldProblem] | None = None, token: object = None, notice: str | None = None,
) -> Response:  # fmt: skip
    station = stations.get_station(session, principal, station_id)
    latest = session.scalars(
        select(VisionInspection).where(VisionInspection.station_id == station.id)
        .order_by(VisionInspection.id.desc()).limit(LATEST)
    ).all()  # fmt: skip
    rejections = session.scalars(
        select(VisionRejection).where(VisionRejection.station_id == station.id)
        .order_by(VisionRejection.id.desc()).limit(10)
    ).all()  # fmt: skip
    models = session.scalars(
        select(VisionModel).where(
            VisionModel.organisation_id == station.organisation_id, VisionModel.status == TrainingStatus.DONE,
            VisionModel.product_code == station.product_code,
        ).order_by(VisionModel.id.desc()).limit(50)
    ).all()  # fmt: skip
    context = {
        "station": station, "equipment": session.get(Equipment, station.equipment_id),
        "model": session.get(VisionModel, station.model_id) if station.model_id else None, "models": models,
        "latest": [inspection_read(row) for row in latest], "rejections": rejections,
        "counts": counts_of(session, station.id), "problems": problems or [], "token": token, "notice": notice,
        "folder": stations.station_folder(request.app.state.settings.data_dir, station),
        "source_labels": SOURCE_KIND_LABELS, "verdict_labels": VERDICT_LABELS,
        "can_write": principal.role in (Role.ADMIN, Role.ENTERPRISE), "labels_json": json.dumps(_labels()),
    }  # fmt: skip
    return render(request, "vision/station.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/{station_id}")
def station_page(request: Request, station_id: IdPath, principal: Reader, session: SessionDep) -> Response:
    return _station_page(request, session, principal, station_id)


@router.post(BASE + "/{station_id}/upload")
def upload(
    request: Request, station_id: IdPath, principal: Manager, session: SessionDep, settings: SettingsDep,
    store: TelemetryStoreDep, file: Annotated[UploadFile | None, File()] = None,
) -> Response:  # fmt: skip
    with session.begin():
        stations.get_station(session, principal, station_id, manage=True)  # 404 before the file is read

    def run() -> VisionInspection:
        content = read_upload(file if file is not None and file.filename else None)
        name = file.filename if file is not None else None
        return inspection.inspect(session, settings, store, station_id, content, source=InspectionSource.UPLOAD,
                                  original_name=name)  # fmt: skip

    done, problems = attempt(run)
    if done is not None:
        return RedirectResponse(f"{BASE}/{station_id}?inspected={done.id}#latest", status_code=303)
    session.rollback()
    return _station_page(request, session, principal, station_id, problems=problems)


@router.post(BASE + "/{station_id}/deploy")
def deploy(request: Request, station_id: IdPath, principal: Manager, session: SessionDep, model_id: Field = None,
           threshold: Field = None) -> Response:  # fmt: skip
    def run() -> object:
        chosen_model = optional_int(model_id)
        # "none" takes the model off, whatever the threshold field holds
        typed = (threshold or "").strip() if chosen_model is not None else ""
        chosen = Deployment.model_validate({"model_id": chosen_model, "threshold": typed or None})
        return stations.deploy_model(session, principal, station_id, chosen.model_id, chosen.threshold)

    _done, problems = attempt(run)
    if not problems:
        return RedirectResponse(f"{BASE}/{station_id}", status_code=303)
    session.rollback()
    return _station_page(request, session, principal, station_id, problems=problems)


@router.post(BASE + "/{station_id}/settings")
def change_settings(
    request: Request, station_id: IdPath, principal: Manager, session: SessionDep, name: Field = None,
    product_code: Field = None, source_kind: Field = None, folder: Field = None, mqtt_topic: Field = None,
    active: Field = None,
) -> Response:  # fmt: skip
    def change() -> VisionStation:
        data = StationUpdate.model_validate({
            "name": name or None, "product_code": product_code or None, "source_kind": source_kind or None,
            "folder": folder or None, "mqtt_topic": mqtt_topic or None, "active": active == "1",
        })  # fmt: skip
        return stations.update_station(session, principal, station_id, data)

    _done, problems = attempt(change)
    if not problems:
        return RedirectResponse(f"{BASE}/{station_id}", status_code=303)
    session.rollback()
    return _station_page(request, session, principal, station_id, problems=problems)


@router.post(BASE + "/{station_id}/token")
def token(request: Request, station_id: IdPath, principal: Manager, session: SessionDep) -> Response:
    issued = stations.issue_token(session, principal, station_id, str(request.base_url))
    return _station_page(request, session, principal, station_id, token=issued)


async def _events(database: Database, station_id: int, after_id: int, request: Request) -> AsyncIterator[str]:
    last = after_id
    for _ in range(max(1, int(LIVE_MAX_S / LIVE_INTERVAL_S))):
        if await request.is_disconnected():
            return
        rows, counts = await asyncio.to_thread(_newer, database, station_id, last)
        for row in rows:
            last = max(last, row["id"])
            yield f"event: inspection\ndata: {json.dumps(row)}\n\n"
        yield f"event: counts\ndata: {json.dumps(counts)}\n\n"
        await asyncio.sleep(LIVE_INTERVAL_S)


def _newer(database: Database, station_id: int, after_id: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    with database.session() as session:
        rows = session.scalars(
            select(VisionInspection).where(VisionInspection.station_id == station_id, VisionInspection.id > after_id)
            .order_by(VisionInspection.id).limit(LATEST)
        ).all()  # fmt: skip
        station = session.get(VisionStation, station_id)
        counts = {"good": station.good_total, "scrap": station.scrap_total} if station else {}
        return [inspection_read(row).model_dump(mode="json") for row in rows], counts


@router.get(BASE + "/{station_id}/live")
def station_live(
    station_id: IdPath, principal: Reader, session: SessionDep, database: DatabaseDep, request: Request,
    after: IdQuery = None,
) -> Response:  # fmt: skip
    """Server-sent events: each new inspection of the station (``event: inspection``) and its counts."""
    station = stations.get_station(session, principal, station_id)
    return StreamingResponse(
        _events(database, station.id, after or 0, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/vision/inspections/{inspection_id}/image")
def inspection_image(inspection_id: IdPath, principal: Reader, session: SessionDep, settings: SettingsDep
                     ) -> Response:  # fmt: skip
    found = review.get_inspection(session, principal, inspection_id)
    path = inspection.stored_file(settings.data_dir, found.image_path)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


@router.get("/vision/inspections/{inspection_id}/heatmap")
def inspection_heatmap(inspection_id: IdPath, principal: Reader, session: SessionDep, settings: SettingsDep
                       ) -> Response:  # fmt: skip
    found = review.get_inspection(session, principal, inspection_id)
    path = inspection.stored_file(settings.data_dir, found.heatmap_path)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


def _inspection_page(
    request: Request, session: Session, principal: Principal, inspection_id: int,
    problems: list[FieldProblem] | None = None, notice: str | None = None,
) -> Response:  # fmt: skip
    found = review.get_inspection(session, principal, inspection_id)
    station = stations.get_station(session, principal, found.station_id)
    model = session.get(VisionModel, found.model_id) if found.model_id else None
    trail = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "vision_inspection", AuditEntry.entity_id == str(found.id))
        .order_by(AuditEntry.id.desc())
    ).all()  # fmt: skip
    context = {
        "item": inspection_read(found), "station": station, "model": model, "trail": trail,
        "classes": [name for name in (model.classes if model else []) if name.casefold() not in review.PASS_CLASSES],
        "problems": problems or [], "notice": notice, "verdict_labels": VERDICT_LABELS, "kinds": list(VerdictKind),
        "can_review": principal.role in (Role.ADMIN, Role.ENTERPRISE),
    }  # fmt: skip
    return render(request, "vision/inspection.html", context, status_code=422 if problems else 200)


@router.get("/vision/inspections/{inspection_id}")
def inspection_page(request: Request, inspection_id: IdPath, principal: Reader, session: SessionDep) -> Response:
    return _inspection_page(request, session, principal, inspection_id)


@router.post("/vision/inspections/{inspection_id}/review")
def review_form(
    request: Request, inspection_id: IdPath, principal: Manager, session: SessionDep, settings: SettingsDep,
    store: TelemetryStoreDep, kind: Field = None, label: Field = None, note: Field = None, back: Field = None,
) -> Response:  # fmt: skip
    def decide() -> VisionInspection:
        passed = kind == VerdictKind.PASS  # the form keeps the class field filled; a pass has none
        data = ReviewIn.model_validate({"kind": kind or "", "label": None if passed else label or None,
                                        "note": note or None})  # fmt: skip
        return review.review(session, settings, store, principal, inspection_id, data)

    _done, problems = attempt(decide)
    if not problems:
        target = "/vision/review" if back == "queue" else f"/vision/inspections/{inspection_id}?reviewed=1"
        return RedirectResponse(target, status_code=303)
    session.rollback()
    return _inspection_page(request, session, principal, inspection_id, problems=problems)


@router.get("/vision/review")
def review_page(
    request: Request, principal: Reader, session: SessionDep, station_id: IdQuery = None, defects: str | None = None
) -> Response:
    only_defects = defects == "1"
    queue = review.awaiting_review(session, principal, station_id=station_id, defects_only=only_defects, limit=60)
    names = {row.id: row.name for row in stations.list_stations(session, principal)}
    context = {
        "queue": [inspection_read(row) for row in queue], "station_names": names, "station_id": station_id,
        "defects_only": only_defects, "verdict_labels": VERDICT_LABELS, "threshold": review.REVIEW_CONFIDENCE,
        "can_review": principal.role in (Role.ADMIN, Role.ENTERPRISE),
    }  # fmt: skip
    return render(request, "vision/review.html", context)


@router.get("/vision/quality")
def quality_page(
    request: Request, principal: Reader, session: SessionDep, settings: SettingsDep, product: str | None = None,
    station_id: IdQuery = None, days: str | None = None,
) -> Response:  # fmt: skip
    span = optional_int(days)
    span = span if span is not None and 1 <= span <= quality.MAX_DAYS else 7
    end = datetime.now(UTC)
    problems: list[FieldProblem] = []
    try:
        figures = quality.figures(
            session, principal, end - timedelta(days=span), end, timezone=settings.timezone,
            product_code=(product or "").strip()[:64].replace("\x00", "") or None, station_id=station_id,
        )  # fmt: skip
    except InputError as error:
        problems = error.fields or [FieldProblem("", error.message)]
        figures = None
    context = {
        "figures": figures, "figures_json": figures.model_dump_json() if figures else "null", "days": span,
        "product": product or "", "station_id": station_id, "problems": problems,
        "stations": stations.list_stations(session, principal),
    }  # fmt: skip
    return render(request, "vision/quality.html", context, status_code=422 if problems else 200)
