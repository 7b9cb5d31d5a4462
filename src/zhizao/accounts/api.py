"""JSON API for accounts. Thin: parse, authorise (shared dependencies), call the service, shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from zhizao.accounts import audit, auth, service
from zhizao.accounts.deps import AdminUser, CurrentUser, OverseerUser, SessionDep, SettingsDep, client_address
from zhizao.accounts.roles import Role
from zhizao.accounts.schemas import (
    AccessToken,
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenRead,
    AuditEntryRead,
    Me,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    Page,
    PasswordChange,
    PasswordReset,
    UserCreate,
    UserRead,
    UserUpdate,
)
from zhizao.fields import IdPath, IdQuery, Limit, Offset, TextQuery

router = APIRouter(prefix="/api")


@router.post("/auth/token", tags=["auth"], summary="OAuth2 password flow: exchange credentials for a token")
def login_for_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> AccessToken:
    user = auth.authenticate(session, settings, form.username, form.password, remote_addr=client_address(request))
    return auth.issue_access(settings, user)


@router.get("/me", tags=["auth"])
def read_me(principal: CurrentUser, session: SessionDep) -> Me:
    user = service.get_user(session, principal, principal.user_id)
    return Me.model_validate(
        {**UserRead.model_validate(user).model_dump(), "organisation_name": principal.organisation_name}
    )


@router.post("/me/password", tags=["auth"], status_code=status.HTTP_204_NO_CONTENT)
def change_password(data: PasswordChange, principal: CurrentUser, session: SessionDep) -> Response:
    service.change_own_password(session, principal, data)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/tokens", tags=["auth"])
def list_tokens(principal: CurrentUser, session: SessionDep) -> list[ApiTokenRead]:
    return [ApiTokenRead.model_validate(row) for row in auth.list_api_tokens(session, principal)]


@router.post("/me/tokens", tags=["auth"], status_code=status.HTTP_201_CREATED)
def create_token(data: ApiTokenCreate, principal: CurrentUser, session: SessionDep) -> ApiTokenCreated:
    row, token = auth.create_api_token(session, principal, data)
    return ApiTokenCreated.model_validate({**ApiTokenRead.model_validate(row).model_dump(), "token": token})


@router.delete("/me/tokens/{token_id}", tags=["auth"])
def revoke_token(token_id: IdPath, principal: CurrentUser, session: SessionDep) -> ApiTokenRead:
    return ApiTokenRead.model_validate(auth.revoke_api_token(session, principal, token_id))


@router.get("/organisations", tags=["organisations"])
def list_organisations(
    principal: CurrentUser, session: SessionDep, offset: Offset = 0, limit: Limit = 50
) -> Page[OrganisationRead]:
    rows, total = service.list_organisations(session, principal, offset=offset, limit=limit)
    items = [OrganisationRead.model_validate(row) for row in rows]
    return Page[OrganisationRead](items=items, total=total, offset=offset, limit=limit)


@router.post("/organisations", tags=["organisations"], status_code=status.HTTP_201_CREATED)
def create_organisation(data: OrganisationCreate, principal: AdminUser, session: SessionDep) -> OrganisationRead:
    return OrganisationRead.model_validate(service.create_organisation(session, principal, data))


@router.get("/organisations/{organisation_id}", tags=["organisations"])
def read_organisation(organisation_id: IdPath, principal: CurrentUser, session: SessionDep) -> OrganisationRead:
    return OrganisationRead.model_validate(service.get_organisation(session, principal, organisation_id))


@router.patch("/organisations/{organisation_id}", tags=["organisations"])
def update_organisation(
    organisation_id: IdPath, data: OrganisationUpdate, principal: AdminUser, session: SessionDep
) -> OrganisationRead:
    return OrganisationRead.model_validate(service.update_organisation(session, principal, organisation_id, data))


@router.get("/users", tags=["users"])
def list_users(
    principal: AdminUser,
    session: SessionDep,
    organisation_id: IdQuery = None,
    role: Role | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[UserRead]:
    rows, total = service.list_users(
        session, principal, organisation_id=organisation_id, role=role, offset=offset, limit=limit
    )
    return Page[UserRead](items=[UserRead.model_validate(r) for r in rows], total=total, offset=offset, limit=limit)


@router.post("/users", tags=["users"], status_code=status.HTTP_201_CREATED)
def create_user(data: UserCreate, principal: AdminUser, session: SessionDep) -> UserRead:
    return UserRead.model_validate(service.create_user(session, principal, data))


@router.get("/users/{user_id}", tags=["users"])
def read_user(user_id: IdPath, principal: AdminUser, session: SessionDep) -> UserRead:
    return UserRead.model_validate(service.get_user(session, principal, user_id))


@router.patch("/users/{user_id}", tags=["users"])
def update_user(user_id: IdPath, data: UserUpdate, principal: AdminUser, session: SessionDep) -> UserRead:
    return UserRead.model_validate(service.update_user(session, principal, user_id, data))


@router.post("/users/{user_id}/password", tags=["users"], status_code=status.HTTP_204_NO_CONTENT)
def reset_password(user_id: IdPath, data: PasswordReset, principal: AdminUser, session: SessionDep) -> Response:
    service.reset_password(session, principal, user_id, data.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/audit", tags=["audit"])
def list_audit(
    principal: OverseerUser,
    session: SessionDep,
    entity_type: TextQuery = None,
    actor_id: IdQuery = None,
    organisation_id: IdQuery = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[AuditEntryRead]:
    rows, total = audit.list_entries(
        session,
        organisation_id=organisation_id,
        entity_type=entity_type,
        actor_id=actor_id,
        offset=offset,
        limit=limit,
    )
    return Page[AuditEntryRead](
        items=[AuditEntryRead.model_validate(r) for r in rows], total=total, offset=offset, limit=limit
    )
