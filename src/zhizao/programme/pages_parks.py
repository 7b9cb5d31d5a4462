"""Pages of smart-manufacturing parks (智能制造特色产业园区): the parks with their number of enterprises, one park
with the enterprises in it, and the programme office's forms to add, change and remove parks.

Every signed-in user may open them; the enterprises a park lists are those the caller may see (all for the
programme office, its own for an enterprise user), as the service decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import CurrentUser, SessionDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.errors import FieldProblem
from zhizao.fields import IdPath
from zhizao.programme import service_parks
from zhizao.programme.kinds import DISTRICT_LABELS, ENTERPRISE_SIZE_LABELS, INDUSTRY_LABELS
from zhizao.programme.schemas_enterprises import ParkCreate, ParkUpdate
from zhizao.programme.service_enterprises import OVERSEERS
from zhizao.ui.forms import attempt
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
HOME = "/programme/parks"
NAV = (NavItem(N_("Parks"), HOME, roles=frozenset(OVERSEERS), order=620),)
Overseer = Annotated[Principal, Depends(require_role(*OVERSEERS))]
FormText = Annotated[str, Form()]


def _park_fields(name: str, district: str, description: str) -> dict[str, str | None]:
    """A park form's values: blank name and district left out (reported missing), a blank description is none."""
    values: dict[str, str | None] = {"description": description.strip() or None}
    values |= {key: value.strip() for key, value in (("name", name), ("district", district)) if value.strip()}
    return values


@router.get(HOME)
def parks_page(request: Request, principal: CurrentUser, session: SessionDep) -> Response:
    return _list_view(request, principal, session)


def _list_view(
    request: Request,
    principal: Principal,
    session: Session,
    problems: list[FieldProblem] | None = None,
    form: Mapping[str, str] | None = None,
) -> Response:
    context = {
        "parks": service_parks.list_parks(session),
        "districts": DISTRICT_LABELS,
        "can_edit": principal.sees_all_tenants,
        "problems": problems or [],
        "form": form or {},
    }
    return render(request, "programme/parks_list.html", context, status_code=422 if problems else 200)


@router.post(HOME)
def add_park(
    request: Request,
    principal: Overseer,
    session: SessionDep,
    name: FormText = "",
    district: FormText = "",
    description: FormText = "",
) -> Response:
    values = _park_fields(name, district, description)
    created, problems = attempt(
        lambda: service_parks.create_park(session, principal, ParkCreate.model_validate(values))
    )
    if created is None:
        session.rollback()
        form = {"name": name, "district": district, "description": description}
        return _list_view(request, principal, session, problems, form)
    return RedirectResponse(f"{HOME}/{created.id}", status_code=303)


@router.get(HOME + "/{park_id}")
def park_page(request: Request, park_id: IdPath, principal: CurrentUser, session: SessionDep) -> Response:
    return _detail_view(request, principal, session, park_id)


def _detail_view(
    request: Request,
    principal: Principal,
    session: Session,
    park_id: int,
    problems: list[FieldProblem] | None = None,
    form: Mapping[str, str] | None = None,
    status_code: int = 422,
) -> Response:
    """One park; ``status_code`` is the answer's when there are problems to show."""
    park = service_parks.park_detail(session, principal, park_id)
    values = {"name": park.name, "district": park.district.value, "description": park.description or ""}
    context = {
        "park": park,
        "districts": DISTRICT_LABELS,
        "industries": INDUSTRY_LABELS,
        "sizes": ENTERPRISE_SIZE_LABELS,
        "can_edit": principal.sees_all_tenants,
        "problems": problems or [],
        "form": values | dict(form or {}),
    }
    return render(request, "programme/parks_detail.html", context, status_code=status_code if problems else 200)


@router.post(HOME + "/{park_id}")
def change_park(
    request: Request,
    park_id: IdPath,
    principal: Overseer,
    session: SessionDep,
    name: FormText = "",
    district: FormText = "",
    description: FormText = "",
) -> Response:
    values = {
        "name": name.strip() or None,
        "district": district.strip() or None,
        "description": description.strip() or None,
    }
    saved, problems = attempt(
        lambda: service_parks.update_park(session, principal, park_id, ParkUpdate.model_validate(values))
    )
    if saved is None:
        session.rollback()
        form = {"name": name, "district": district, "description": description}
        return _detail_view(request, principal, session, park_id, problems, form)
    return RedirectResponse(f"{HOME}/{park_id}", status_code=303)


@router.post(HOME + "/{park_id}/delete")
def remove_park(request: Request, park_id: IdPath, principal: Overseer, session: SessionDep) -> Response:
    """Remove a park; one that still has enterprises is refused and the reason shown on its page."""
    _done, problems = attempt(lambda: service_parks.delete_park(session, principal, park_id))
    if problems:
        session.rollback()
        return _detail_view(request, principal, session, park_id, problems, status_code=409)
    return RedirectResponse(HOME, status_code=303)
