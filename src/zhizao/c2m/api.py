"""JSON API of C2M mass customisation (``/api/c2m``).

Makers (enterprise users of the maker; administrators for any maker) upload product model versions as drafts,
check and release them, retire them, and read their orders with BOM and routing. Any signed-in user reads the
released models and steps through the configurator; consumers place orders and read their own. Another maker's
version or order, another consumer's order, and a model with no released version are 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Path, Query, UploadFile, status
from sqlalchemy.orm import Session

from zhizao.accounts.deps import CurrentUser, SessionDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.c2m import orders, versions
from zhizao.c2m.configuring import configurator_view
from zhizao.c2m.definitions import MAX_UPLOAD_BYTES, parse_body, parse_upload
from zhizao.c2m.models import OrderStatus
from zhizao.c2m.product.configurator import configurator_for
from zhizao.c2m.product.model import MODEL_CODE_PATTERN, ProductModel
from zhizao.c2m.regions import Region
from zhizao.c2m.schemas import (
    BomLineRead,
    CompletionRead,
    ModelListing,
    OrderCreate,
    OrderDetail,
    OrderPage,
    OrderRead,
    ReleaseReportRead,
    Selection,
    StepRead,
    VersionDetail,
    VersionRead,
)
from zhizao.c2m.summaries import bom_lines, listing, order_detail, report_read, step_read, version_detail
from zhizao.errors import InputError
from zhizao.fields import IdPath, IdQuery, Limit, Offset

router = APIRouter(prefix="/api/c2m", tags=["C2M mass customisation"])

Maker = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
MakerReader = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE))]
Consumer = Annotated[Principal, Depends(require_role(Role.CONSUMER))]
CodePath = Annotated[str, Path(pattern=MODEL_CODE_PATTERN)]
Week = Annotated[str | None, Query(max_length=10, description="ISO week, e.g. 2026-W48 (Asia/Shanghai)")]


@router.post("/models", status_code=status.HTTP_201_CREATED)
def create_version(
    principal: Maker, session: SessionDep, definition: Annotated[dict[str, Any], Body()],
    enterprise_id: IdQuery = None,
) -> VersionRead:  # fmt: skip
    """A draft version from the model as JSON (the format of docs/c2m-configurator.md); every problem is a 422
    naming its field (``body.rules.3.any_of.1``). 409 when the version exists or the code is another maker's."""
    model = parse_body(definition)
    return VersionRead.model_validate(versions.create_draft(session, principal, model, enterprise_id=enterprise_id))


@router.post("/models/upload", status_code=status.HTTP_201_CREATED)
def upload_version(
    principal: Maker, session: SessionDep, file: Annotated[UploadFile, File()], enterprise_id: IdQuery = None
) -> VersionRead:
    """A draft version from an uploaded YAML or JSON file; problems name their place (``file.families.0.code``)."""
    model = parse_upload(file.file.read(MAX_UPLOAD_BYTES + 1), file.filename)
    row = versions.create_draft(session, principal, model, enterprise_id=enterprise_id, field="file")
    return VersionRead.model_validate(row)


@router.get("/versions")
def list_versions(principal: MakerReader, session: SessionDep) -> list[VersionRead]:
    """Every version of the caller's enterprise's models (all makers' for administrators and officers)."""
    return [VersionRead.model_validate(row) for row in versions.list_versions(session, principal)]


@router.get("/versions/{version_id}")
def read_version(version_id: IdPath, principal: MakerReader, session: SessionDep) -> VersionDetail:
    """A version with its families, options, rules, BOM size, routing and (once released) its release report."""
    return version_detail(versions.get_version(session, principal, version_id))


@router.get("/versions/{version_id}/release-check")
def check_version(version_id: IdPath, principal: MakerReader, session: SessionDep) -> ReleaseReportRead:
    """What releasing the version now would find, against the version released before it."""
    row = versions.get_version(session, principal, version_id)
    return report_read(versions.release_check(session, row))


@router.post("/versions/{version_id}/release")
def release_version(version_id: IdPath, principal: Maker, session: SessionDep) -> ReleaseReportRead:
    """Release a draft. 422 naming each error of the checks (conflicting rules, dead options, a version not newer
    than the released one, …) and nothing changes; warnings are returned and stored with the version."""
    _row, report = versions.release(session, principal, version_id)
    return report_read(report)


@router.post("/versions/{version_id}/retire")
def retire_version(version_id: IdPath, principal: Maker, session: SessionDep) -> VersionRead:
    """No new orders on this version (409 when already retired)."""
    return VersionRead.model_validate(versions.retire(session, principal, version_id))


@router.get("/models")
def list_models(principal: CurrentUser, session: SessionDep) -> list[ModelListing]:
    """The released models, each at its current version."""
    return [listing(row) for row in versions.released_models(session)]


@router.get("/models/{code}")
def read_model(code: CodePath, principal: CurrentUser, session: SessionDep) -> StepRead:
    """The current version of a released model with nothing chosen: every family and option, and what the model
    alone rules out (a discontinued option)."""
    _row, model = versions.orderable(session, code, field="path.code")
    return step_read(configurator_view(model, []))


def _selected(session: Session, code: str, selection: Selection) -> ProductModel:
    _row, model = versions.orderable(session, code, field="path.code")
    if selection.version != model.version:
        raise InputError.for_field(
            "body.version",
            f"the configuration was made on version {selection.version} of {model.code}; version {model.version} "
            "is current: configure it again",
        )
    return model


@router.post("/models/{code}/step")
def step(code: CodePath, selection: Selection, principal: CurrentUser, session: SessionDep) -> StepRead:
    """The configurator after these choices: each option chosen, selectable, required by the choices, or
    unavailable with its reasons (worded in the request's language) and the choices behind them; the price so far;
    whether the choices are a whole valid configuration. Choices no configuration contains are not an error: the
    answer is ``valid: false`` with the conflicting rules. 422 for an unknown option (``body.chosen.N``) or a stale
    ``body.version``."""
    model = _selected(session, code, selection)
    return step_read(configurator_view(model, list(selection.chosen)))


@router.post("/models/{code}/complete")
def complete(code: CodePath, selection: Selection, principal: CurrentUser, session: SessionDep) -> CompletionRead:
    """The cheapest valid configuration containing the choices; 422 with the conflicting rules when there is none."""
    model = _selected(session, code, selection)
    done = configurator_for(model).complete(list(selection.chosen))
    return CompletionRead(
        code=model.code, version=model.version, chosen=list(done.chosen), added=list(done.added), price=done.price,
        optimal=done.optimal,
    )  # fmt: skip


@router.post("/orders", status_code=status.HTTP_201_CREATED)
def place_order(data: OrderCreate, principal: Consumer, session: SessionDep) -> OrderDetail:
    """Order a whole valid configuration of the current version: 422 naming ``body.version`` when it was made on an
    older version, ``body.chosen.N`` for a discontinued or unknown option, ``body.chosen`` with each broken rule;
    nothing is stored then. The order is exploded into BOM and routing and confirmed at once."""
    request = orders.OrderRequest(data.model_code, data.version, data.chosen, data.region)
    order = orders.place_order(session, principal, request)
    return order_detail(session, order)


@router.get("/orders")
def list_orders(
    principal: CurrentUser, session: SessionDep, status: OrderStatus | None = None, region: Region | None = None,
    week: Week = None, offset: Offset = 0, limit: Limit = 50,
) -> OrderPage:  # fmt: skip
    """Consumers: their own orders; makers: their enterprise's; administrators and officers: all. Newest first."""
    where = orders.OrderFilter(status, region, None if week is None else orders.parse_week(week, "query.week"))
    rows, total = orders.list_orders(session, principal, where, offset=offset, limit=limit)
    return OrderPage(total=total, offset=offset, limit=limit, items=[OrderRead.model_validate(row) for row in rows])


@router.get("/orders/{order_id}")
def read_order(order_id: IdPath, principal: CurrentUser, session: SessionDep) -> OrderDetail:
    """The order with its timeline (events) and its operations as scheduled and as they ran."""
    return order_detail(session, orders.get_order(session, principal, order_id))


@router.get("/orders/{order_id}/bom")
def order_bom(order_id: IdPath, principal: MakerReader, session: SessionDep) -> list[BomLineRead]:
    """The order's bill of materials, exploded from the exact version it was ordered on."""
    return bom_lines(session, orders.get_order(session, principal, order_id))
