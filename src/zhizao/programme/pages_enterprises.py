"""Pages of the programme's enterprise register (企业库): the list with filters, registration, giving an existing
enterprise organisation its record, the Excel import (every bad row shown) and one enterprise with its edit form.

The editions and parks pages are in ``pages_editions`` and ``pages_parks`` and are served by this module's router.
An enterprise user sees only its own enterprise here and edits only its address, contacts and employees; another
enterprise is a 404, as in the API. Forms go through the same services and schemas as the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Query, Request, UploadFile
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep
from zhizao.accounts.principal import Principal
from zhizao.errors import FieldProblem
from zhizao.fields import IdPath, Offset
from zhizao.programme import enterprises_excel, pages_editions, pages_parks, service_enterprises, service_parks
from zhizao.programme.deps import OVERSEERS, EnterpriseReader, Overseer
from zhizao.programme.kinds import DISTRICT_LABELS, ENTERPRISE_SIZE_LABELS, INDUSTRY_LABELS
from zhizao.programme.page_forms import PostedStrings, form_values, submit
from zhizao.programme.schemas_enterprises import (
    SELF_SERVICE_FIELDS,
    EnterpriseCreate,
    EnterpriseFilter,
    EnterpriseUpdate,
    RecordFields,
)
from zhizao.ui.forms import attempt, optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.spreadsheet import DEFAULT_MAX_BYTES
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(pages_editions.router)
router.include_router(pages_parks.router)

HOME = "/programme/enterprises"
PAGE_SIZE = 50
NAV: tuple[NavItem, ...] = (
    NavItem(N_("Enterprises"), HOME, roles=frozenset(OVERSEERS), order=610),
    *pages_parks.NAV,
    *pages_editions.NAV,
)
CHOICES = {"industries": INDUSTRY_LABELS, "districts": DISTRICT_LABELS, "sizes": ENTERPRISE_SIZE_LABELS}


@router.get(HOME)
def enterprises_page(
    request: Request,
    principal: EnterpriseReader,
    session: SessionDep,
    filters: Annotated[EnterpriseFilter, Query()],
    offset: Offset = 0,
) -> Response:
    return _list_view(request, principal, session, filters, offset)


def _list_view(
    request: Request,
    principal: Principal,
    session: Session,
    filters: EnterpriseFilter,
    offset: int = 0,
    *,
    problems: list[FieldProblem] | None = None,
    form: Mapping[str, str] | None = None,
    imported: int | None = None,
) -> Response:
    page = service_enterprises.list_enterprises(session, principal, filters, offset=offset, limit=PAGE_SIZE)
    query = urlencode(filters.model_dump(mode="json", exclude_none=True))
    context = {
        "page": page,
        "filters": filters,
        "query": query,
        "parks": service_parks.list_parks(session),
        "can_register": principal.sees_all_tenants,
        "unrecorded": service_enterprises.organisations_without_record(session) if principal.sees_all_tenants else [],
        "problems": problems or [],
        "form": form or {},
        "imported": imported,
        **CHOICES,
    }
    return render(request, "programme/enterprises_list.html", context, status_code=422 if problems else 200)


@router.post(HOME)
def register_enterprise(request: Request, principal: Overseer, session: SessionDep, form: PostedStrings) -> Response:
    values = form_values(form, EnterpriseCreate.model_fields, blank_is_none=False)
    return submit(
        session,
        lambda: service_enterprises.register_enterprise(session, principal, EnterpriseCreate.model_validate(values)),
        lambda created: f"{HOME}/{created.enterprise_id}",
        lambda problems: _list_view(request, principal, session, EnterpriseFilter(), problems=problems, form=form),
    )


@router.post(HOME + "/records")
def record_existing_enterprise(
    request: Request, principal: Overseer, session: SessionDep, form: PostedStrings
) -> Response:
    """Give an enterprise organisation registered elsewhere (e.g. by an administrator) its programme record."""
    values = form_values(form, RecordFields.model_fields, blank_is_none=False)
    enterprise_id = optional_int(form.get("enterprise_id"))

    def view(problems: list[FieldProblem]) -> Response:
        return _list_view(request, principal, session, EnterpriseFilter(), problems=problems, form=form)

    if enterprise_id is None or enterprise_id < 1:
        return view([FieldProblem("enterprise_id", "choose an enterprise")])
    return submit(
        session,
        lambda: service_enterprises.put_record(session, principal, enterprise_id, RecordFields.model_validate(values)),
        lambda saved: f"{HOME}/{saved.enterprise_id}",
        view,
    )


@router.post(HOME + "/import")
def import_enterprises(
    request: Request, principal: Overseer, session: SessionDep, file: Annotated[UploadFile, File()]
) -> Response:
    """Import a workbook; each bad row's problems are listed on the page and nothing is registered."""
    content = file.file.read(DEFAULT_MAX_BYTES + 1)
    report, problems = attempt(lambda: enterprises_excel.import_enterprises(session, principal, content))
    session.rollback()
    if report is None:
        return _list_view(request, principal, session, EnterpriseFilter(), problems=problems)
    return _list_view(request, principal, session, EnterpriseFilter(), imported=report.registered)


@router.get(HOME + "/{enterprise_id}")
def enterprise_page(
    request: Request, enterprise_id: IdPath, principal: EnterpriseReader, session: SessionDep
) -> Response:
    return _detail_view(request, principal, session, enterprise_id)


def _editable(principal: Principal) -> tuple[str, ...]:
    fields = tuple(EnterpriseUpdate.model_fields)
    return fields if principal.sees_all_tenants else tuple(name for name in fields if name in SELF_SERVICE_FIELDS)


def _detail_view(
    request: Request,
    principal: Principal,
    session: Session,
    enterprise_id: int,
    *,
    problems: list[FieldProblem] | None = None,
    form: Mapping[str, str] | None = None,
) -> Response:
    enterprise = service_enterprises.get_enterprise(session, principal, enterprise_id)
    values = {name: "" if value is None else str(value) for name, value in enterprise.model_dump(mode="json").items()}
    context = {
        "enterprise": enterprise,
        "editable": _editable(principal),
        "form": {**values, **(form or {})},
        "parks": service_parks.list_parks(session),
        "problems": problems or [],
        **CHOICES,
    }
    return render(request, "programme/enterprises_detail.html", context, status_code=422 if problems else 200)


@router.post(HOME + "/{enterprise_id}")
def update_enterprise(
    request: Request, enterprise_id: IdPath, principal: EnterpriseReader, session: SessionDep, form: PostedStrings
) -> Response:
    values = form_values(form, _editable(principal), blank_is_none=True)
    if values.get("credit_code") is None:
        # Blank leaves the code as it is: an organisation registered without one keeps none until it is typed.
        values.pop("credit_code", None)
    return submit(
        session,
        lambda: service_enterprises.update_enterprise(
            session, principal, enterprise_id, EnterpriseUpdate.model_validate(values)
        ),
        f"{HOME}/{enterprise_id}",
        lambda problems: _detail_view(request, principal, session, enterprise_id, problems=problems, form=form),
    )
