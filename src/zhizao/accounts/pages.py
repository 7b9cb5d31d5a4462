"""HTML pages for accounts: user and organisation management (admin), the audit log, one's own account."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from zhizao.accounts import audit, auth, service
from zhizao.accounts.deps import AdminUser, CurrentUser, OverseerUser, SessionDep
from zhizao.accounts.roles import ORGANISATION_KIND_LABELS, ROLE_LABELS, OrganisationKind, Role
from zhizao.accounts.schemas import (
    SHANGHAI_DISTRICTS,
    ApiTokenCreate,
    OrganisationCreate,
    OrganisationUpdate,
    Page,
    PasswordChange,
    UserCreate,
    UserUpdate,
)
from zhizao.fields import IdPath, NoNul, Offset, TextQuery
from zhizao.ui.forms import attempt, optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

NAV = (
    NavItem(N_("Users"), "/admin/users", roles=frozenset({Role.ADMIN}), group="admin", order=900),
    NavItem(N_("Organisations"), "/admin/organisations", roles=frozenset({Role.ADMIN}), group="admin", order=910),
    NavItem(N_("Audit log"), "/admin/audit", roles=frozenset({Role.ADMIN, Role.OFFICER}), group="admin", order=920),
)

PAGE_SIZE = 50
T = TypeVar("T")

OptionalText = Annotated[str | None, Form(max_length=300), NoNul]
Text = Annotated[str, Form(max_length=300), NoNul]


def _choices() -> dict[str, Any]:
    return {
        "roles": list(Role),
        "kinds": list(OrganisationKind),
        "role_labels": ROLE_LABELS,
        "kind_labels": ORGANISATION_KIND_LABELS,
        "districts": SHANGHAI_DISTRICTS,
    }


# --- users -------------------------------------------------------------------------------------------------


def _users_page(
    request: Request, session: SessionDep, principal: AdminUser, offset: int, role: Role | None, **extra: Any
) -> Response:
    rows, total = service.list_users(session, principal, role=role, offset=offset, limit=PAGE_SIZE)
    organisations, _ = service.list_organisations(session, principal, limit=1000)
    context = {
        "page": Page[Any](items=list(rows), total=total, offset=offset, limit=PAGE_SIZE),
        "organisations": organisations,
        "role_filter": role,
        "problems": [],
        "form": {},
        **_choices(),
        **extra,
    }
    return render(request, "accounts/users.html", context, status_code=422 if extra.get("problems") else 200)


@router.get("/admin/users")
def users_page(
    request: Request,
    principal: AdminUser,
    session: SessionDep,
    offset: Offset = 0,
    role: Role | None = None,
) -> Response:
    return _users_page(request, session, principal, offset, role)


@router.post("/admin/users")
def create_user_page(
    request: Request,
    principal: AdminUser,
    session: SessionDep,
    username: Text,
    display_name: Text,
    password: Text,
    role: Text,
    organisation_id: OptionalText = None,
    email: OptionalText = None,
) -> Response:
    form = {"username": username, "display_name": display_name, "role": role, "email": email or ""}
    user, problems = attempt(
        lambda: service.create_user(
            session,
            principal,
            UserCreate(
                username=username,
                display_name=display_name,
                password=password,
                role=role,
                organisation_id=optional_int(organisation_id),
                email=email or None,
            ),
        )
    )
    if user is None:
        session.rollback()
        return _users_page(request, session, principal, 0, None, problems=problems, form=form)
    return RedirectResponse(f"/admin/users/{user.id}?created=1", status_code=303)


def _user_detail(request: Request, session: SessionDep, principal: AdminUser, user_id: int, **extra: Any) -> Response:
    user = service.get_user(session, principal, user_id)
    organisations, _ = service.list_organisations(session, principal, limit=1000)
    context = {
        "user": user,
        "organisations": organisations,
        "problems": [],
        "notice": None,
        **_choices(),
        **extra,
    }
    return render(request, "accounts/user_detail.html", context, status_code=422 if extra.get("problems") else 200)


@router.get("/admin/users/{user_id}")
def user_detail_page(
    request: Request, user_id: IdPath, principal: AdminUser, session: SessionDep, created: int = 0
) -> Response:
    return _user_detail(request, session, principal, user_id, notice=N_("User created.") if created else None)


@router.post("/admin/users/{user_id}")
def update_user_page(
    request: Request,
    user_id: IdPath,
    principal: AdminUser,
    session: SessionDep,
    display_name: Text,
    role: Text,
    organisation_id: OptionalText = None,
    email: OptionalText = None,
    is_active: OptionalText = None,
) -> Response:
    data = {
        "display_name": display_name,
        "role": role,
        "organisation_id": optional_int(organisation_id),
        "email": email or None,
        "is_active": is_active == "on",
    }
    updated, problems = attempt(
        lambda: service.update_user(session, principal, user_id, UserUpdate.model_validate(data))
    )
    session.rollback()
    notice = N_("Changes saved.") if updated else None
    return _user_detail(request, session, principal, user_id, problems=problems, notice=notice)


@router.post("/admin/users/{user_id}/password")
def reset_password_page(
    request: Request, user_id: IdPath, principal: AdminUser, session: SessionDep, new_password: Text
) -> Response:
    _, problems = attempt(lambda: service.reset_password(session, principal, user_id, new_password))
    session.rollback()
    notice = None if problems else N_("Password reset. The user is signed out everywhere.")
    return _user_detail(request, session, principal, user_id, problems=problems, notice=notice)


# --- organisations -----------------------------------------------------------------------------------------


def _organisations_page(
    request: Request, session: SessionDep, principal: AdminUser, offset: int, **extra: Any
) -> Response:
    rows, total = service.list_organisations(session, principal, offset=offset, limit=PAGE_SIZE)
    context = {
        "page": Page[Any](items=list(rows), total=total, offset=offset, limit=PAGE_SIZE),
        "problems": [],
        "form": {},
        **_choices(),
        **extra,
    }
    status = 422 if extra.get("problems") else 200
    return render(request, "accounts/organisations.html", context, status_code=status)


@router.get("/admin/organisations")
def organisations_page(request: Request, principal: AdminUser, session: SessionDep, offset: Offset = 0) -> Response:
    return _organisations_page(request, session, principal, offset)


@router.post("/admin/organisations")
def create_organisation_page(
    request: Request,
    principal: AdminUser,
    session: SessionDep,
    name: Text,
    kind: Text,
    credit_code: OptionalText = None,
    district: OptionalText = None,
) -> Response:
    form = {"name": name, "kind": kind, "credit_code": credit_code or "", "district": district or ""}
    data = {"name": name, "kind": kind, "credit_code": credit_code or None, "district": district or None}
    created, problems = attempt(
        lambda: service.create_organisation(session, principal, OrganisationCreate.model_validate(data))
    )
    if created is None:
        session.rollback()
        return _organisations_page(request, session, principal, 0, problems=problems, form=form)
    return RedirectResponse(f"/admin/organisations/{created.id}", status_code=303)


def _organisation_detail(
    request: Request, session: SessionDep, principal: AdminUser, organisation_id: int, **extra: Any
) -> Response:
    organisation = service.get_organisation(session, principal, organisation_id)
    members, _ = service.list_users(session, principal, organisation_id=organisation_id, limit=200)
    context = {"org": organisation, "members": members, "problems": [], "notice": None, **_choices(), **extra}
    status = 422 if extra.get("problems") else 200
    return render(request, "accounts/organisation_detail.html", context, status_code=status)


@router.get("/admin/organisations/{organisation_id}")
def organisation_detail_page(
    request: Request, organisation_id: IdPath, principal: AdminUser, session: SessionDep
) -> Response:
    return _organisation_detail(request, session, principal, organisation_id)


@router.post("/admin/organisations/{organisation_id}")
def update_organisation_page(
    request: Request,
    organisation_id: IdPath,
    principal: AdminUser,
    session: SessionDep,
    name: Text,
    credit_code: OptionalText = None,
    district: OptionalText = None,
    is_active: OptionalText = None,
) -> Response:
    data = {
        "name": name,
        "credit_code": credit_code or None,
        "district": district or None,
        "is_active": is_active == "on",
    }
    updated, problems = attempt(
        lambda: service.update_organisation(
            session, principal, organisation_id, OrganisationUpdate.model_validate(data)
        )
    )
    session.rollback()
    notice = N_("Changes saved.") if updated else None
    return _organisation_detail(request, session, principal, organisation_id, problems=problems, notice=notice)


# --- audit log ---------------------------------------------------------------------------------------------


@router.get("/admin/audit")
def audit_page(
    request: Request,
    principal: OverseerUser,
    session: SessionDep,
    offset: Offset = 0,
    entity_type: TextQuery = None,
) -> Response:
    rows, total = audit.list_entries(session, entity_type=entity_type or None, offset=offset, limit=PAGE_SIZE)
    page = Page[Any](items=list(rows), total=total, offset=offset, limit=PAGE_SIZE)
    return render(request, "accounts/audit.html", {"page": page, "entity_type": entity_type or ""})


# --- my account --------------------------------------------------------------------------------------------


def _account_page(request: Request, session: SessionDep, principal: CurrentUser, **extra: Any) -> Response:
    user = service.get_user(session, principal, principal.user_id)
    tokens = auth.list_api_tokens(session, principal)
    context = {"user": user, "tokens": tokens, "problems": [], "notice": None, "new_token": None, **extra}
    return render(request, "accounts/account.html", context, status_code=422 if extra.get("problems") else 200)


@router.get("/account")
def account_page(request: Request, principal: CurrentUser, session: SessionDep) -> Response:
    return _account_page(request, session, principal)


@router.post("/account/password")
def change_password_page(
    request: Request, principal: CurrentUser, session: SessionDep, current_password: Text, new_password: Text
) -> Response:
    _, problems = attempt(
        lambda: service.change_own_password(
            session, principal, PasswordChange(current_password=current_password, new_password=new_password)
        )
    )
    if problems:
        session.rollback()
        return _account_page(request, session, principal, problems=problems)
    # Every session, this one included, was signed out by the change: sign in again with the new password.
    request.session.clear()
    return RedirectResponse("/login?next=/account", status_code=303)


@router.post("/account/tokens")
def create_token_page(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    name: Text,
    expires_in_days: OptionalText = None,
) -> Response:
    data = {"name": name, "expires_in_days": optional_int(expires_in_days)}
    created, problems = attempt(lambda: auth.create_api_token(session, principal, ApiTokenCreate.model_validate(data)))
    session.rollback()
    new_token = created[1] if created else None
    return _account_page(request, session, principal, problems=problems, new_token=new_token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token_page(request: Request, token_id: IdPath, principal: CurrentUser, session: SessionDep) -> Response:
    auth.revoke_api_token(session, principal, token_id)
    return RedirectResponse("/account", status_code=303)
