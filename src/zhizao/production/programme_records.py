"""What an enterprise enters for programme KPIs, in the database: monthly labour hours and costs, and deliveries.

``EnterpriseInput.kind`` is ``labour_hours`` (category ""), ``amount`` or ``price_index`` (category: a
``CostCategory``), the names of the fields they become in ``WindowInputs``. An Excel import replaces all of an
enterprise's records at once (``replace_entered_records``); ``entered_for_window`` reads a window's share back
with ``EnteredRecords.for_window``'s rules.

Who may do what: enterprise users their own enterprise only; officers and administrators read any enterprise;
administrators and enterprise users replace entered records; everyone else is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from pydantic import ValidationError
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import FieldProblem, InputError, PermissionDenied, plain_message
from zhizao.production.models import Delivery as DeliveryRecord
from zhizao.production.models import EnterpriseInput
from zhizao.production.programme_excel import read_entered_records
from zhizao.production.programme_inputs import CostLine, Delivery, EnteredRecords, LabourMonth, months_between
from zhizao.telemetry import scope
from zhizao.telemetry.scope import enterprise_for_write

READERS = (Role.ADMIN, Role.OFFICER, Role.ENTERPRISE)  # read entered records, run and read verifications
WRITERS = (Role.ADMIN, Role.ENTERPRISE)  # replace entered records

LABOUR_HOURS, AMOUNT, PRICE_INDEX = "labour_hours", "amount", "price_index"
KINDS = (LABOUR_HOURS, AMOUNT, PRICE_INDEX)

# EnterpriseInput.value is NUMERIC(20, 4). SQLite keeps it as a double, exact to 15 significant digits; a value
# that would come back different is refused rather than stored rounded.
STORED_PLACES = Decimal("0.0001")
STORED_DIGITS = 15
MAX_QUANTITY = 2**31 - 1  # Delivery.quantity is an INTEGER column


@dataclass(frozen=True, slots=True)
class ImportCounts:
    enterprise_id: int
    labour_months: int
    cost_lines: int
    deliveries: int
    replaced_inputs: int  # EnterpriseInput rows removed (one per labour month, two per cost line)
    replaced_deliveries: int


# --- access ------------------------------------------------------------------------------------------------


def require_role_in(actor: Principal, roles: Iterable[Role]) -> None:
    if actor.role not in roles:
        raise PermissionDenied(f"role {actor.role.value} may not do this")


def enterprise_for_read(session: Session, actor: Principal, requested: int | None, field: str) -> int:
    """The enterprise a read is about (``telemetry.scope.enterprise_for_read``), for the programme's readers only."""
    require_role_in(actor, READERS)
    return scope.enterprise_for_read(session, actor, requested, field)


# --- entered records ---------------------------------------------------------------------------------------


def _storable(value: Decimal, field: str, problems: list[FieldProblem]) -> None:
    if value != value.quantize(STORED_PLACES) or len(value.normalize().as_tuple().digits) > STORED_DIGITS:
        problems.append(FieldProblem(field, f"{value} has more than 4 decimal places or 15 digits"))


def replace_entered_records(
    session: Session, actor: Principal, enterprise_id: int | None, records: EnteredRecords
) -> ImportCounts:
    """Replace all of the enterprise's monthly inputs and deliveries with ``records``, in one transaction."""
    require_role_in(actor, WRITERS)
    problems: list[FieldProblem] = []
    for entry in records.labour:
        _storable(entry.hours, f"labour.{entry.month}.hours", problems)
    for line in records.costs:
        _storable(line.amount, f"costs.{line.month}.{line.category}.amount", problems)
        _storable(line.price_index, f"costs.{line.month}.{line.category}.price_index", problems)
    problems += [
        FieldProblem(f"deliveries.{delivery.order_id}.quantity", f"at most {MAX_QUANTITY}")
        for delivery in records.deliveries
        if delivery.quantity > MAX_QUANTITY
    ]
    if problems:
        raise InputError(f"{len(problems)} values cannot be stored exactly; nothing was imported", fields=problems)
    with session.begin():
        enterprise = enterprise_for_write(session, actor, enterprise_id)
        removed_inputs = _count(session, EnterpriseInput.enterprise_id == enterprise)
        removed_deliveries = _count(session, DeliveryRecord.enterprise_id == enterprise)
        session.execute(delete(EnterpriseInput).where(EnterpriseInput.enterprise_id == enterprise))
        session.execute(delete(DeliveryRecord).where(DeliveryRecord.enterprise_id == enterprise))
        session.add_all(_input_rows(enterprise, records))
        session.add_all(
            DeliveryRecord(
                enterprise_id=enterprise,
                order_ref=delivery.order_id,
                product_code=delivery.product,
                quantity=delivery.quantity,
                order_date=delivery.order_date,
                delivery_date=delivery.delivery_date,
            )
            for delivery in records.deliveries
        )
        counts = ImportCounts(
            enterprise_id=enterprise,
            labour_months=len(records.labour),
            cost_lines=len(records.costs),
            deliveries=len(records.deliveries),
            replaced_inputs=removed_inputs,
            replaced_deliveries=removed_deliveries,
        )
        audit.record(
            session, actor, action="programme_inputs.import", entity_type="enterprise_input",
            organisation_id=enterprise,
            before={"inputs": counts.replaced_inputs, "deliveries": counts.replaced_deliveries},
            after={"labour_months": counts.labour_months, "cost_lines": counts.cost_lines,
                   "deliveries": counts.deliveries},
        )  # fmt: skip
    return counts


def import_workbook(session: Session, actor: Principal, enterprise_id: int | None, content: bytes) -> ImportCounts:
    """Replace the enterprise's records with a filled template's, or raise one ``InputError`` naming every bad cell.
    The enterprise is checked first, so a caller of another tenant learns nothing about its file."""
    require_role_in(actor, WRITERS)
    enterprise = enterprise_for_write(session, actor, enterprise_id)
    session.rollback()  # ends the read; the replacement runs in a transaction of its own
    return replace_entered_records(session, actor, enterprise, read_entered_records(content))


def _count(session: Session, condition: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).where(condition)) or 0


def _input_rows(enterprise_id: int, records: EnteredRecords) -> list[EnterpriseInput]:
    rows = [
        EnterpriseInput(enterprise_id=enterprise_id, month=first_day(entry.month), kind=LABOUR_HOURS, category="",
                        value=entry.hours)
        for entry in records.labour
    ]  # fmt: skip
    for line in records.costs:
        assert line.month is not None  # EnteredRecords requires every entered cost's month
        for kind, value in ((AMOUNT, line.amount), (PRICE_INDEX, line.price_index)):
            rows.append(
                EnterpriseInput(enterprise_id=enterprise_id, month=first_day(line.month), kind=kind,
                                category=line.category.value, value=value)
            )  # fmt: skip
    return rows


def plain(value: Decimal) -> Decimal:
    """A stored NUMERIC without the column's trailing zeros (1000.0000 → 1000), as it was entered."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def entered_records(session: Session, actor: Principal, enterprise_id: int | None) -> tuple[int, EnteredRecords]:
    """The enterprise (resolved as for any read) and all it has entered, months and orders in order."""
    enterprise = enterprise_for_read(session, actor, enterprise_id, "query.enterprise_id")
    inputs = session.scalars(
        select(EnterpriseInput)
        .where(EnterpriseInput.enterprise_id == enterprise, EnterpriseInput.kind.in_(KINDS))
        .order_by(EnterpriseInput.month, EnterpriseInput.kind, EnterpriseInput.category)
    ).all()
    deliveries = session.scalars(
        select(DeliveryRecord)
        .where(DeliveryRecord.enterprise_id == enterprise)
        .order_by(DeliveryRecord.delivery_date, DeliveryRecord.order_ref)
    ).all()
    return enterprise, stored_records(inputs, deliveries, "entered")


def stored_records(
    inputs: Sequence[EnterpriseInput], deliveries: Sequence[DeliveryRecord], label: str
) -> EnteredRecords:
    """Stored rows back as ``EnteredRecords``; a half-stored cost line (amount without index) is an error."""
    labour: list[LabourMonth] = []
    costs: dict[tuple[str, str], dict[str, Decimal]] = {}
    for row in inputs:
        month = f"{row.month.year:04d}-{row.month.month:02d}"
        if row.kind == LABOUR_HOURS:
            labour.append(LabourMonth(month=month, hours=plain(row.value)))
        else:
            costs.setdefault((month, row.category), {})[row.kind] = plain(row.value)
    problems = [
        FieldProblem(f"{label}.costs.{month}.{category}", "a cost needs both its amount and its price index")
        for (month, category), values in costs.items()
        if set(values) != {AMOUNT, PRICE_INDEX}
    ]
    if problems:
        raise InputError("the stored cost records are incomplete; import the workbook again", fields=problems)
    try:
        return EnteredRecords(
            labour=tuple(labour),
            costs=tuple(
                CostLine(category=category, amount=values[AMOUNT], price_index=values[PRICE_INDEX], month=month)
                for (month, category), values in costs.items()
            ),
            deliveries=tuple(
                Delivery(
                    order_id=row.order_ref,
                    product=row.product_code or "",
                    quantity=row.quantity,
                    order_date=row.order_date,
                    delivery_date=row.delivery_date,
                )
                for row in deliveries
            ),
        )
    except ValidationError as exc:
        raise input_error(exc, label) from None


class EnteredFigures(NamedTuple):
    labour_hours: Decimal | None
    costs: tuple[CostLine, ...]
    deliveries: tuple[Delivery, ...]


def entered_for_window(session: Session, enterprise_id: int, start: date, end: date, label: str) -> EnteredFigures:
    """The entered figures of the window [start, end]. Nothing entered for its months reads as "not entered" (the
    KPIs that need it are insufficient); anything entered must cover every month (``EnteredRecords.for_window``)."""
    months = [first_day(month) for month in months_between(start, end)]
    inputs = session.scalars(
        select(EnterpriseInput).where(
            EnterpriseInput.enterprise_id == enterprise_id,
            EnterpriseInput.kind.in_(KINDS),
            EnterpriseInput.month.in_(months),
        )
    ).all()
    deliveries = session.scalars(
        select(DeliveryRecord)
        .where(
            DeliveryRecord.enterprise_id == enterprise_id,
            DeliveryRecord.delivery_date.between(start, end),
        )
        .order_by(DeliveryRecord.delivery_date, DeliveryRecord.order_ref)
    ).all()
    records = stored_records(inputs, deliveries, label)
    if not records.labour and not records.costs:
        return EnteredFigures(None, (), records.deliveries)
    try:
        found = records.for_window(start, end)
    except InputError as exc:
        raise InputError(
            f"{label} window: {exc.message}", fields=[FieldProblem(f"{label}.{p.field}", p.message) for p in exc.fields]
        ) from None
    return EnteredFigures(found.labour_hours, found.costs, found.deliveries)


def input_error(exc: ValidationError, label: str) -> InputError:
    """A pydantic error of the maths' models as an ``InputError`` naming each field under ``label``."""
    problems = [
        FieldProblem(".".join([label, *(str(part) for part in error["loc"])]), plain_message(error["msg"]))
        for error in exc.errors()
    ]
    return InputError(f"the {label} inputs are inconsistent", fields=problems)
