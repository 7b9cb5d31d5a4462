"""API shapes for accounts: XCreate / XUpdate / XRead families."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from zhizao.accounts import credit_code
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.fields import IdField, NoNul, Text

SHANGHAI_DISTRICTS = (
    "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区",
    "宝山区", "嘉定区", "浦东新区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区",
)  # fmt: skip

Username = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.\-]{3,64}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
Password = Annotated[str, Field(min_length=1, max_length=256), NoNul]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganisationBase(_Strict):
    @field_validator("credit_code", check_fields=False)
    @classmethod
    def _valid_credit_code(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = value.strip().upper()
        problem = credit_code.problem_with(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("district", check_fields=False)
    @classmethod
    def _known_district(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if value not in SHANGHAI_DISTRICTS:
            raise ValueError("must be one of Shanghai's 16 districts, e.g. 浦东新区")
        return value


class OrganisationCreate(OrganisationBase):
    name: Name
    kind: OrganisationKind
    credit_code: Text | None = None
    district: Text | None = None


class OrganisationUpdate(OrganisationBase):
    name: Name | None = None
    credit_code: Text | None = None
    district: Text | None = None
    is_active: bool | None = None


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: OrganisationKind
    credit_code: str | None
    district: str | None
    is_active: bool
    created_at: datetime


class UserCreate(_Strict):
    username: Username
    display_name: Name
    password: Password
    role: Role
    organisation_id: IdField | None = None
    email: EmailStr | None = None


class UserUpdate(_Strict):
    display_name: Name | None = None
    email: EmailStr | None = None
    role: Role | None = None
    organisation_id: IdField | None = None
    is_active: bool | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    email: str | None
    role: Role
    organisation_id: int | None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class PasswordReset(_Strict):
    new_password: Password


class PasswordChange(_Strict):
    current_password: Password
    new_password: Password


class ApiTokenCreate(_Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiTokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenRead):
    token: str = Field(description="Shown once; store it now. Send as 'Authorization: Bearer <token>'.")


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    actor_role: str
    organisation_id: int | None
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    remote_addr: str | None
    detail: str | None


class Me(UserRead):
    organisation_name: str | None
