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
from starlette.responses import Response

from zhizao.accounts.deps import CurrentUser, SessionDep
from zhizao.accounts.principal import Principal
from zhizao.errors import FieldProblem
from zhizao.fields import IdPath
from zhizao.programme import service_parks
from zhizao.programme.deps import OVERSEERS, Overseer
from zhizao.programme.kinds import DISTRICT_LABELS, ENTERPRISE_SIZE_LABELS, INDUSTRY_LABELS
from zhizao.programme.page_forms import form_values, submit
from zhizao.programme.schemas_enterprises import ParkCreate, ParkUpdate
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
HOME = "/programme/parks"
NAV = (NavItem(N_("Parks"), HOME, roles=frozenset(OVERSEERS), order=620),)
FormText = Annotated[str, Form()]


def _park_form(name: FormText = "", district: FormText = "", description: FormText = "") -> dict[str, str]:
    """The park form as sent (adding and changing a park post the same fields)."""
    return {"name": name, "district": district, "description": description}


ParkForm = Annotated[dict[str, str], Depends(_park_form)]


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
def add_park(request: Request, principal: Overseer, session: SessionDep, form: ParkForm) -> Response:
    # Blank name and district are left out (reported missing); a blank description is none.
    values = form_values(form, ("name", "district"), blank_is_none=False)
    values["description"] = form["description"].strip() or None
    return submit(
        session,
        lambda: service_parks.create_park(session, principal, ParkCreate.model_validate(values)),
        lambda created: f"{HOME}/{created.id}",
        lambda problems: _list_view(request, principal, session, problems, form),
    )


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
    request: Request, park_id: IdPath, principal: Overseer, session: SessionDep, form: ParkForm
) -> Response:
    values = form_values(form, form, blank_is_none=True)
    return submit(
        session,
        lambda: service_parks.update_park(session, principal, park_id, ParkUpdate.model_validate(values)),
        f"{HOME}/{park_id}",
        lambda problems: _detail_view(request, principal, session, park_id, problems, form),
    )


@router.post(HOME + "/{park_id}/delete")
def remove_park(request: Request, park_id: IdPath, principal: Overseer, session: SessionDep) -> Response:
    """Remove a park; one that still has enterprises is refused and the reason shown on its page."""
    return submit(
        session,
        lambda: service_parks.delete_park(session, principal, park_id),
        HOME,
        lambda problems: _detail_view(request, principal, session, park_id, problems, status_code=409),
    )
