"""Pages: the asset ledger with Excel import, equipment with live values and history, a line at a glance."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response, StreamingResponse

from zhizao.accounts.deps import SessionDep
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import FieldProblem, InputError
from zhizao.fields import IdPath, IdQuery
from zhizao.telemetry import assets, excel
from zhizao.telemetry.api import Reader, Writer
from zhizao.telemetry.api_data import StoreDep
from zhizao.telemetry.kinds import EQUIPMENT_TYPE_LABELS, LEVEL_LABELS, NodeLevel
from zhizao.telemetry.models import AssetNode, DeadLetter, Equipment, Signal
from zhizao.telemetry.scope import get_scoped, tenant_clauses
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.timeutil import from_us
from zhizao.ui.forms import optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

NAV = (
    NavItem(N_("Assets"), "/assets", roles=frozenset({Role.ADMIN, Role.OFFICER, Role.ENTERPRISE}), order=200),
    NavItem(N_("Data acquisition"), "/ingest", roles=frozenset({Role.ADMIN, Role.OFFICER, Role.ENTERPRISE}), order=210),
)

STATE_SIGNAL = "machinery_item_state"
LIVE_INTERVAL_S = 2.0
LIVE_MAX_S = 3600  # a stream ends after an hour; the browser's EventSource reconnects on its own


def _tree(nodes: list[AssetNode], equipment: list[Equipment]) -> list[dict[str, Any]]:
    """Nodes nested under their parents, each with its equipment, for the ledger page."""
    children: dict[int | None, list[AssetNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    by_node: dict[int | None, list[Equipment]] = {}
    for item in equipment:
        by_node.setdefault(item.node_id, []).append(item)

    def build(parent: int | None) -> list[dict[str, Any]]:
        return [
            {"node": node, "equipment": by_node.get(node.id, []), "children": build(node.id)}
            for node in children.get(parent, [])
        ]

    return build(None)


@router.get("/assets")
def assets_page(request: Request, principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> Response:
    return assets_view(request, principal, session, enterprise_id)


def assets_view(
    request: Request, principal: Principal, session: Session, enterprise_id: int | None, **extra: Any
) -> Response:
    nodes = list(assets.list_nodes(session, principal, enterprise_id))
    equipment = list(assets.list_equipment(session, principal, enterprise_id=enterprise_id))
    context = {
        "tree": _tree(nodes, equipment),
        "unplaced": [item for item in equipment if item.node_id is None],
        "summary": assets.summary(session, principal, enterprise_id),
        "type_labels": EQUIPMENT_TYPE_LABELS,
        "level_labels": LEVEL_LABELS,
        "enterprise_id": enterprise_id,
        "can_write": principal.role in (Role.ADMIN, Role.ENTERPRISE),
        "lines": [node for node in nodes if node.level == NodeLevel.LINE],
        "problems": [],
        "imported": None,
        **extra,
    }
    return render(request, "telemetry/assets.html", context, status_code=422 if context["problems"] else 200)


@router.post("/assets/import")
def import_page(
    request: Request,
    principal: Writer,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
    enterprise_id: Annotated[str | None, Form()] = None,
) -> Response:
    target = optional_int(enterprise_id)
    target = target if target is not None and target > 0 else None
    try:
        result = excel.import_assets(session, principal, file.file.read(excel.MAX_BYTES + 1), target)
    except InputError as exc:
        session.rollback()
        problems = exc.fields or []
        return assets_view(
            request, principal, session, target, problems=problems or [FieldProblem("file", exc.message)]
        )
    return assets_view(request, principal, session, target, imported=result)


def _latest_payload(store: TelemetryStore, signals: list[Signal]) -> dict[str, Any]:
    latest = store.latest([signal.id for signal in signals])
    values = {}
    for signal in signals:
        point = latest.get(signal.id)
        if point is not None:
            values[str(signal.id)] = {"ts": from_us(point.ts_us).isoformat(), "value": point.value}
    return values


async def _events(store: TelemetryStore, signals: list[Signal], request: Request) -> AsyncIterator[str]:
    for _ in range(int(LIVE_MAX_S / LIVE_INTERVAL_S)):
        if await request.is_disconnected():
            return
        payload = await asyncio.to_thread(_latest_payload, store, signals)
        yield f"event: latest\ndata: {json.dumps(payload)}\n\n"
        await asyncio.sleep(LIVE_INTERVAL_S)


@router.get("/equipment/{equipment_id}/live")
def equipment_live(
    request: Request, equipment_id: IdPath, principal: Reader, session: SessionDep, store: StoreDep
) -> Response:
    """Server-sent events: the latest value of every signal of the equipment, every two seconds."""
    equipment = get_scoped(session, principal, Equipment, equipment_id, "equipment")
    signals = list(session.scalars(select(Signal).where(Signal.equipment_id == equipment.id)))
    return StreamingResponse(
        _events(store, signals, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/lines/{node_id}")
def line_page(request: Request, node_id: IdPath, principal: Reader, session: SessionDep, store: StoreDep) -> Response:
    """Every machine of a line (and its cells) with its current OPC 40001 state at a glance."""
    line = get_scoped(session, principal, AssetNode, node_id, "asset node")
    if line.level != NodeLevel.LINE:
        return RedirectResponse("/assets", status_code=303)
    cells = [node.id for node in session.scalars(select(AssetNode).where(AssetNode.parent_id == line.id))]
    machines = list(
        session.scalars(select(Equipment).where(Equipment.node_id.in_([line.id, *cells])).order_by(Equipment.code))
    )
    state_signals = {
        signal.equipment_id: signal
        for signal in session.scalars(
            select(Signal).where(Signal.equipment_id.in_([m.id for m in machines]), Signal.name == STATE_SIGNAL)
        )
    }
    latest = store.latest([signal.id for signal in state_signals.values()])
    tiles = []
    for machine in machines:
        signal = state_signals.get(machine.id)
        point = latest.get(signal.id) if signal else None
        tiles.append({"equipment": machine, "state": None if point is None else int(point.value), "point": point})
    context = {"line": line, "tiles": tiles, "type_labels": EQUIPMENT_TYPE_LABELS}
    return render(request, "telemetry/line.html", context)


@router.get("/ingest")
def ingest_page(request: Request, principal: Reader, session: SessionDep) -> Response:
    """The ingest pipeline's counters (this web process's view) and the newest dead letters in scope."""
    clauses = tenant_clauses(principal, DeadLetter.enterprise_id)
    letters = session.scalars(select(DeadLetter).where(*clauses).order_by(DeadLetter.id.desc()).limit(100)).all()
    status = getattr(request.app.state, "ingest_status", None)
    return render(request, "telemetry/ingest.html", {"letters": letters, "status": status})
