"""Programme-KPI verification against the database: window inputs from telemetry totals and entered records, and
stored verifications. The maths is pure (``programme``); this module feeds it and keeps its results.

A window's inputs come from two places:

- telemetry totals the sync job keeps: good, scrap and rework units per product and the energy of each day
  (``DailyOutput``), and which equipment reported on which day (``BucketTotals``); each product is weighed by
  its planned run time per unit (the PRU of its most general ``Operation``);
- what the enterprise entered, monthly and per order (``programme_records``, re-exported here).

Enterprise users verify their own enterprise only; officers and administrators any enterprise; others are refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, NamedTuple

from pydantic import Field, ValidationError
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import FieldProblem, InputError
from zhizao.production.materialise import UNKNOWN_PRODUCT
from zhizao.production.models import BucketTotals, DailyOutput, KpiVerification, Operation, Product
from zhizao.production.programme import DEFAULT, Kpi, Verification, VerificationRules, verify
from zhizao.production.programme_inputs import Coverage, ProductOutput, WindowInputs
from zhizao.production.programme_records import (
    READERS,
    WRITERS,
    ImportCounts,
    entered_for_window,
    entered_records,
    enterprise_for_read,
    import_workbook,
    input_error,
    plain,
    replace_entered_records,
    require_role_in,
)
from zhizao.production.sources import production_signals
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.scope import enterprise_for_write, get_scoped, tenant_clauses
from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "programme_inputs.import": N_("Imported programme KPI inputs"),
    "kpi_verification.create": N_("Ran a programme KPI verification"),
}

# Windows lie in the programme's era; a date near year 9999 would overflow month arithmetic.
EARLIEST, LATEST = date(1990, 1, 1), date(2099, 12, 31)
MAX_WINDOW_DAYS = 3660  # ten years, the longest window the rules allow
WindowDate = Annotated[date, Field(ge=EARLIEST, le=LATEST)]


@dataclass(frozen=True, slots=True)
class DateWindow:
    """Whole local days, both ends inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class MeasuredWindow(NamedTuple):
    inputs: WindowInputs
    notes: tuple[str, ...]  # facts about how the inputs were gathered, added to the verification's notes


# --- window inputs -----------------------------------------------------------------------------------------


def check_window(label: str, window: DateWindow) -> None:
    """A window the platform can measure: inside the programme's era, not reversed, at most ten years."""
    problems = [
        FieldProblem(f"body.{label}_{edge}", f"must lie between {EARLIEST} and {LATEST}")
        for edge, day in (("start", window.start), ("end", window.end))
        if not EARLIEST <= day <= LATEST
    ]
    if not problems and window.end < window.start:
        problems.append(FieldProblem(f"body.{label}_end", "the window ends before it starts"))
    elif not problems and window.days > MAX_WINDOW_DAYS:
        problems.append(FieldProblem(f"body.{label}_end", f"a window is at most {MAX_WINDOW_DAYS} days"))
    if problems:
        raise InputError(f"the {label} window is not usable", fields=problems)


def reference_values(session: Session, enterprise_id: int) -> dict[str, Decimal]:
    """Per product code, its planned run time per unit in seconds: the PRU of its most general operation (any
    equipment, else an equipment type, else a named piece of equipment; the first defined among equals)."""
    rows = session.execute(
        select(Product.code, Operation.equipment_id, Operation.equipment_type, Operation.pru_ms)
        .join(Operation, Operation.product_id == Product.id)
        .where(Product.enterprise_id == enterprise_id)
        .order_by(Operation.id)
    ).all()
    best: dict[str, tuple[int, int]] = {}
    for code, equipment_id, equipment_type, pru_ms in rows:
        specificity = 2 if equipment_id is not None else 1 if equipment_type is not None else 0
        if code not in best or specificity < best[code][0]:
            best[code] = (specificity, pru_ms)
    return {code: Decimal(pru_ms).scaleb(-3) for code, (_specificity, pru_ms) in best.items()}


def measure_window(
    session: Session, enterprise_id: int, window: DateWindow, label: str, rules: VerificationRules = DEFAULT
) -> MeasuredWindow:
    """One window's ``WindowInputs``: telemetry totals and coverage, the product master, the entered records."""
    in_window = (DailyOutput.enterprise_id == enterprise_id, DailyOutput.local_date.between(window.start, window.end))
    output = session.execute(
        select(DailyOutput.product_code, func.sum(DailyOutput.good), func.sum(DailyOutput.scrap),
               func.sum(DailyOutput.rework))
        .where(*in_window)
        .group_by(DailyOutput.product_code)
    ).all()  # fmt: skip
    counts = {code: (int(good or 0), int(scrap or 0), int(rework or 0)) for code, good, scrap, rework in output}
    unknown = sum(counts.pop(UNKNOWN_PRODUCT, (0, 0, 0)))
    products = _products(session, enterprise_id, counts, label)
    notes = _unattributed(label, unknown, sum(sum(units) for units in counts.values()), rules)
    equipment_ids = session.scalars(select(Equipment.id).where(Equipment.enterprise_id == enterprise_id)).all()
    signals = production_signals(session, equipment_ids)
    energy: Decimal | None = None
    if any(found.energy is not None for found in signals.values()):
        # Summed here, not in SQL: SQLite would add the NUMERIC values as doubles.
        kwh = session.scalars(select(DailyOutput.energy_kwh).where(*in_window, DailyOutput.energy_kwh != 0))
        energy = plain(sum(kwh, Decimal(0)))
    entered = entered_for_window(session, enterprise_id, window.start, window.end, label)
    try:
        inputs = WindowInputs(
            start=window.start,
            end=window.end,
            products=products,
            labour_hours=entered.labour_hours,
            costs=entered.costs,
            energy_kwh=energy,
            deliveries=entered.deliveries,
            coverage=_coverage(session, enterprise_id, window, {i for i, s in signals.items() if s.state is not None}),
        )
    except ValidationError as exc:
        raise input_error(exc, label) from None
    return MeasuredWindow(inputs, notes)


def _products(
    session: Session, enterprise_id: int, counts: dict[str, tuple[int, int, int]], label: str
) -> tuple[ProductOutput, ...]:
    references = reference_values(session, enterprise_id)
    missing = sorted(code for code, units in counts.items() if any(units) and code not in references)
    if missing:
        raise InputError(
            f"{len(missing)} products made in the {label} window have no planned run time per unit",
            fields=[
                FieldProblem(f"{label}.products.{code}", f"product {code} has no operation with a PRU; add one")
                for code in missing
            ],
        )
    return tuple(
        ProductOutput(product=code, good=good, scrap=scrap, rework=rework, reference_value=references[code])
        for code, (good, scrap, rework) in sorted(counts.items())
        if good or scrap or rework
    )


def _unattributed(label: str, unknown: int, attributed: int, rules: VerificationRules) -> tuple[str, ...]:
    """Units made while no order or program named the product cannot be weighed, so they are left out; as long as
    they are no larger a share of the output than the coverage rule lets telemetry miss, they are only noted."""
    if not unknown:
        return ()
    share = Fraction(unknown, unknown + attributed)
    if share > 1 - Fraction(rules.min_coverage):
        message = (
            f"{unknown} of {unknown + attributed} units ({float(share):.1%}) were made while no production order "
            f"or program named the product; at most {float(1 - rules.min_coverage):.1%} may be left out. Name the "
            f"product of each program in the operations or plan the orders, and let the sync job recompute"
        )
        raise InputError(message, fields=[FieldProblem(f"{label}.products", message)])
    return (
        f"{unknown} units of the {label} window ({float(share):.1%}) were made while no order or program named "
        f"the product; they are left out of the equivalent units and the defect rate",
    )


def _coverage(session: Session, enterprise_id: int, window: DateWindow, with_state: set[int]) -> Coverage:
    """Days with any per-shift or per-day totals of the enterprise's equipment, and which equipment had any."""
    in_window = (BucketTotals.enterprise_id == enterprise_id, BucketTotals.local_date.between(window.start, window.end))
    days = session.scalar(select(func.count(distinct(BucketTotals.local_date))).where(*in_window)) or 0
    reporting = set(session.scalars(select(BucketTotals.equipment_id).where(*in_window).distinct()))
    # Equipment with a state signal is expected to report; equipment that reported without one still counts.
    total = len(with_state | reporting)
    return Coverage(telemetry_days=int(days), equipment_reporting=len(reporting), equipment_total=max(total, 1))


# --- verifications -----------------------------------------------------------------------------------------


def run_verification(
    session: Session,
    actor: Principal,
    enterprise_id: int | None,
    baseline: DateWindow,
    evaluation: DateWindow,
    rules: VerificationRules = DEFAULT,
) -> KpiVerification:
    """Measure both windows, verify, and store the result with its inputs, formula version and verdicts."""
    require_role_in(actor, READERS)
    check_window("baseline", baseline)
    check_window("evaluation", evaluation)
    with session.begin():
        enterprise = enterprise_for_write(session, actor, enterprise_id)
        before = measure_window(session, enterprise, baseline, "baseline", rules)
        after = measure_window(session, enterprise, evaluation, "evaluation", rules)
        try:
            verification = verify(before.inputs, after.inputs, rules=rules)
        except ValidationError as exc:
            raise input_error(exc, "result") from None
        if before.notes or after.notes:
            verification = verification.model_copy(update={"notes": (*verification.notes, *before.notes, *after.notes)})
        row = KpiVerification(
            enterprise_id=enterprise,
            baseline_start=baseline.start,
            baseline_end=baseline.end,
            evaluation_start=evaluation.start,
            evaluation_end=evaluation.end,
            formula_version=verification.formula_version,
            productivity_verdict=verification.kpi(Kpi.PRODUCTIVITY).verdict.value,
            cost_verdict=verification.kpi(Kpi.OPERATING_COST).verdict.value,
            result=verification.model_dump(mode="json"),
            created_by=actor.user_id,
        )
        session.add(row)
        session.flush()
        audit.record(
            session, actor, action="kpi_verification.create", entity_type="kpi_verification", entity_id=row.id,
            organisation_id=enterprise,
            after=audit.snapshot(row, ("baseline_start", "baseline_end", "evaluation_start", "evaluation_end",
                                       "formula_version", "productivity_verdict", "cost_verdict")),
        )  # fmt: skip
    return row


def list_verifications(
    session: Session, actor: Principal, enterprise_id: int | None = None, *, limit: int = 200
) -> Sequence[KpiVerification]:
    """Verifications in the caller's scope (of one enterprise when named), newest first."""
    require_role_in(actor, READERS)
    query = select(KpiVerification).where(*tenant_clauses(actor, KpiVerification.enterprise_id, enterprise_id))
    return session.scalars(query.order_by(KpiVerification.id.desc()).limit(limit)).all()


def read_verification(session: Session, actor: Principal, verification_id: int) -> KpiVerification:
    require_role_in(actor, READERS)
    return get_scoped(session, actor, KpiVerification, verification_id, "verification")


def read_verifications(
    session: Session, actor: Principal, verification_ids: Iterable[int]
) -> dict[int, KpiVerification]:
    """Several verifications in one query, by id; ids outside the caller's scope (or absent) are left out."""
    require_role_in(actor, READERS)
    wanted = set(verification_ids)
    if not wanted:
        return {}
    query = select(KpiVerification).where(
        KpiVerification.id.in_(wanted), *tenant_clauses(actor, KpiVerification.enterprise_id)
    )
    return {row.id: row for row in session.scalars(query)}


def verification_of(row: KpiVerification) -> Verification:
    """The stored result as the maths' model (it was stored as ``Verification.model_dump(mode="json")``)."""
    return Verification.model_validate(row.result)


def default_windows(today: date) -> tuple[DateWindow, DateWindow]:
    """The last two full calendar quarters before ``today``: the earlier is the baseline, the later the evaluation."""
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    evaluation = _quarter_ending(this_quarter - timedelta(days=1))
    baseline = _quarter_ending(evaluation.start - timedelta(days=1))
    return baseline, evaluation


def _quarter_ending(last_day: date) -> DateWindow:
    return DateWindow(date(last_day.year, last_day.month - 2, 1), last_day)


__all__ = [
    "ACTION_LABELS",
    "READERS",
    "WRITERS",
    "DateWindow",
    "ImportCounts",
    "MeasuredWindow",
    "check_window",
    "default_windows",
    "entered_records",
    "enterprise_for_read",
    "import_workbook",
    "list_verifications",
    "measure_window",
    "read_verification",
    "reference_values",
    "replace_entered_records",
    "run_verification",
    "verification_of",
]
