"""API shapes of editions, enterprises and parks: XCreate / XUpdate / XRead families.

An enterprise is an organisation (name, credit code) plus its programme record; ``enterprise_id`` is the
organisation's id throughout. Every bound below is a column's, so that no value a database cannot store gets past
the schema (a 422 naming the field, never a 500).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from zhizao.accounts import credit_code
from zhizao.fields import IdField, NoNul
from zhizao.programme.editions import EditionRules, EditionTargets
from zhizao.programme.kinds import District, EnterpriseSize, Industry


def _valid_credit_code(value: str) -> str:
    problem = credit_code.problem_with(value)
    if problem:
        raise ValueError(problem)
    return value


def _bounded_text(max_length: int, min_length: int = 1) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Name = Annotated[str, _bounded_text(200), NoNul]
# 统一社会信用代码, upper-cased before the GB 32100-2015 check.
CreditCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True), NoNul, AfterValidator(_valid_credit_code)
]
Address = Annotated[str, _bounded_text(300), NoNul]
ContactName = Annotated[str, _bounded_text(100), NoNul]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\-() ]{5,40}$")]
Email = Annotated[EmailStr, Field(max_length=254)]
Employees = Annotated[int, Field(ge=0, le=10_000_000)]
RevenueCny = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]  # the column is Numeric(16, 2)
Description = Annotated[str, _bounded_text(2000, 0), NoNul]

# The fields an enterprise's own users may change; everything else is the programme office's.
SELF_SERVICE_FIELDS = frozenset({"employees", "address", "contact_name", "contact_phone", "contact_email"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- editions ------------------------------------------------------------------------------------------------


class EditionUpdate(_Strict):
    """Any of an edition's values; ``targets`` and ``rules`` are replaced whole and validated whole."""

    name: Name | None = None
    start_year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    end_year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    targets: EditionTargets | None = None
    rules: EditionRules | None = None


class EditionRead(BaseModel):
    id: int
    code: str
    name: str
    start_year: int
    end_year: int
    targets: EditionTargets
    rules: EditionRules
    is_current: bool
    created_at: datetime
    updated_at: datetime


# --- enterprises ---------------------------------------------------------------------------------------------


class RecordFields(_Strict):
    """The programme record of an enterprise (what the programme office knows beyond the organisation)."""

    industry: Industry
    district: District
    park_id: IdField | None = None
    size: EnterpriseSize
    employees: Employees | None = None
    annual_revenue_cny: RevenueCny | None = None
    address: Address | None = None
    contact_name: ContactName | None = None
    contact_phone: Phone | None = None
    contact_email: Email | None = None


class EnterpriseCreate(RecordFields):
    """Register an enterprise: its organisation and its programme record, together."""

    name: Name
    credit_code: CreditCode


class EnterpriseUpdate(_Strict):
    """Change an enterprise; an enterprise user may send only ``SELF_SERVICE_FIELDS``."""

    name: Name | None = None
    credit_code: CreditCode | None = None
    industry: Industry | None = None
    district: District | None = None
    park_id: IdField | None = None
    size: EnterpriseSize | None = None
    employees: Employees | None = None
    annual_revenue_cny: RevenueCny | None = None
    address: Address | None = None
    contact_name: ContactName | None = None
    contact_phone: Phone | None = None
    contact_email: Email | None = None


class EnterpriseRead(BaseModel):
    enterprise_id: int
    name: str
    credit_code: str | None
    industry: Industry
    district: District
    park_id: int | None
    park_name: str | None
    size: EnterpriseSize
    employees: int | None
    annual_revenue_cny: Decimal | None
    address: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    created_at: datetime
    updated_at: datetime


class EnterpriseFilter(BaseModel):
    """What the list and the export are narrowed by; ``q`` matches a name or a credit code. Other query parameters
    are ignored, as for any route."""

    industry: Industry | None = None
    district: District | None = None
    park_id: IdField | None = None
    size: EnterpriseSize | None = None
    q: Annotated[str, Field(max_length=64), NoNul] | None = None


class EnterpriseImportReport(BaseModel):
    rows: int
    registered: int


# --- parks ---------------------------------------------------------------------------------------------------


class ParkCreate(_Strict):
    name: Name
    district: District
    description: Description | None = None


class ParkUpdate(_Strict):
    name: Name | None = None
    district: District | None = None
    description: Description | None = None


class ParkRead(BaseModel):
    id: int
    name: str
    district: District
    description: str | None
    enterprise_count: int
    created_at: datetime


class ParkDetail(ParkRead):
    """A park with the enterprises in it that the caller may see."""

    enterprises: list[EnterpriseRead]
