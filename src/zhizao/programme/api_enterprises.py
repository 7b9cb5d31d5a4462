"""JSON API of the programme's editions, enterprises and parks (thin: the services hold the rules and the scope).

Editions and parks are the programme's, not a tenant's: every signed-in user lists them (and reads the current
edition), while reading one by id, and every change, is the programme office's. An enterprise user lists and reads
only its own enterprise and changes only its address, contacts and number of employees.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, UploadFile, status

from zhizao.accounts.deps import CurrentUser, SessionDep
from zhizao.accounts.schemas import Page
from zhizao.fields import IdPath, Limit, Offset
from zhizao.programme import enterprises_excel, service_editions, service_enterprises, service_parks
from zhizao.programme.deps import EnterpriseReader, Overseer
from zhizao.programme.downloads import xlsx_download
from zhizao.programme.editions import EditionDefinition
from zhizao.programme.schemas_enterprises import (
    EditionRead,
    EditionUpdate,
    EnterpriseCreate,
    EnterpriseFilter,
    EnterpriseImportReport,
    EnterpriseRead,
    EnterpriseUpdate,
    ParkCreate,
    ParkDetail,
    ParkRead,
    ParkUpdate,
    RecordFields,
)
from zhizao.ui.spreadsheet import DEFAULT_MAX_BYTES

router = APIRouter(prefix="/api/programme", tags=["programme"])

Filters = Annotated[EnterpriseFilter, Query()]


# --- editions ------------------------------------------------------------------------------------------------


@router.get("/editions")
def list_editions(principal: CurrentUser, session: SessionDep) -> list[EditionRead]:
    return [service_editions.edition_read(row) for row in service_editions.list_editions(session)]


@router.post("/editions", status_code=status.HTTP_201_CREATED)
def create_edition(data: EditionDefinition, principal: Overseer, session: SessionDep) -> EditionRead:
    """Add an edition (e.g. 2023–2025) with its targets and rules; it becomes current only when marked so."""
    return service_editions.edition_read(service_editions.create_edition(session, principal, data))


@router.get("/editions/current")
def current_edition(principal: CurrentUser, session: SessionDep) -> EditionRead:
    return service_editions.edition_read(service_editions.current_edition(session))


@router.get("/editions/{edition_id}")
def get_edition(edition_id: IdPath, principal: Overseer, session: SessionDep) -> EditionRead:
    return service_editions.edition_read(service_editions.get_edition(session, edition_id))


@router.patch("/editions/{edition_id}")
def update_edition(edition_id: IdPath, data: EditionUpdate, principal: Overseer, session: SessionDep) -> EditionRead:
    """Change an edition's name, years, targets or rules; targets and rules are replaced whole."""
    return service_editions.edition_read(service_editions.update_edition(session, principal, edition_id, data))


@router.post("/editions/{edition_id}/current")
def make_edition_current(edition_id: IdPath, principal: Overseer, session: SessionDep) -> EditionRead:
    return service_editions.edition_read(service_editions.make_current(session, principal, edition_id))


# --- enterprises ---------------------------------------------------------------------------------------------


@router.get("/enterprises")
def list_enterprises(
    principal: EnterpriseReader, session: SessionDep, filters: Filters, offset: Offset = 0, limit: Limit = 50
) -> Page[EnterpriseRead]:
    return service_enterprises.list_enterprises(session, principal, filters, offset=offset, limit=limit)


@router.post("/enterprises", status_code=status.HTTP_201_CREATED)
def register_enterprise(data: EnterpriseCreate, principal: Overseer, session: SessionDep) -> EnterpriseRead:
    """Register an enterprise: its organisation (name, credit code) and its programme record, together."""
    return service_enterprises.register_enterprise(session, principal, data)


@router.get("/enterprises/export", response_class=Response)
def export_enterprises(principal: Overseer, session: SessionDep, filters: Filters) -> Response:
    """The filtered enterprises as an .xlsx workbook in the import's columns."""
    rows = service_enterprises.all_enterprises(session, principal, filters)
    return xlsx_download(enterprises_excel.export_workbook(rows), "zhizao-enterprises.xlsx")


@router.get("/enterprises/import/template", response_class=Response)
def enterprise_import_template(principal: Overseer) -> Response:
    return xlsx_download(enterprises_excel.template_workbook(), "zhizao-enterprise-import.xlsx")


@router.post("/enterprises/import")
def import_enterprises(file: UploadFile, principal: Overseer, session: SessionDep) -> EnterpriseImportReport:
    """Register the enterprises of an .xlsx workbook: all rows or none; each problem is named `rows[N].column`."""
    content = file.file.read(DEFAULT_MAX_BYTES + 1)
    return enterprises_excel.import_enterprises(session, principal, content)


@router.get("/enterprises/{enterprise_id}")
def get_enterprise(enterprise_id: IdPath, principal: EnterpriseReader, session: SessionDep) -> EnterpriseRead:
    return service_enterprises.get_enterprise(session, principal, enterprise_id)


@router.put("/enterprises/{enterprise_id}")
def put_enterprise_record(
    enterprise_id: IdPath, data: RecordFields, principal: Overseer, session: SessionDep
) -> EnterpriseRead:
    """Give an enterprise organisation registered elsewhere its programme record (or replace the record)."""
    return service_enterprises.put_record(session, principal, enterprise_id, data)


@router.patch("/enterprises/{enterprise_id}")
def update_enterprise(
    enterprise_id: IdPath, data: EnterpriseUpdate, principal: EnterpriseReader, session: SessionDep
) -> EnterpriseRead:
    return service_enterprises.update_enterprise(session, principal, enterprise_id, data)


# --- parks ---------------------------------------------------------------------------------------------------


@router.get("/parks")
def list_parks(principal: CurrentUser, session: SessionDep) -> list[ParkRead]:
    return service_parks.list_parks(session)


@router.post("/parks", status_code=status.HTTP_201_CREATED)
def create_park(data: ParkCreate, principal: Overseer, session: SessionDep) -> ParkRead:
    return service_parks.create_park(session, principal, data)


@router.get("/parks/{park_id}")
def get_park(park_id: IdPath, principal: Overseer, session: SessionDep) -> ParkDetail:
    """A park with its enterprises."""
    return service_parks.park_detail(session, principal, park_id)


@router.patch("/parks/{park_id}")
def update_park(park_id: IdPath, data: ParkUpdate, principal: Overseer, session: SessionDep) -> ParkRead:
    return service_parks.update_park(session, principal, park_id, data)


@router.delete("/parks/{park_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_park(park_id: IdPath, principal: Overseer, session: SessionDep) -> Response:
    service_parks.delete_park(session, principal, park_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
