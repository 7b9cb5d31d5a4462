"""Pages of programme-KPI verification («KPI 核验»): per enterprise its verifications and a form to run one, each
verification with every input, intermediate figure, formula and verdict, and the entered-data import."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, SettingsDep
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.errors import FieldProblem
from zhizao.fields import IdPath, NoNul
from zhizao.production import programme_service as service
from zhizao.production.api_programme import Reader, VerificationCreate, Writer
from zhizao.production.models import KpiVerification
from zhizao.production.programme import DEFINITIONS, Kpi, KpiResult, Verdict, Verification
from zhizao.production.programme_excel import MAX_BYTES
from zhizao.production.programme_figures import ReasonCode, WindowFigures, to_fen
from zhizao.production.programme_inputs import CostCategory, WindowInputs
from zhizao.ui.forms import attempt
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

HOME = "/production/programme"
NAV = (NavItem(N_("KPI verification"), HOME, roles=frozenset({Role.ADMIN, Role.OFFICER, Role.ENTERPRISE}), order=310),)
WINDOW_FIELDS = ("baseline_start", "baseline_end", "evaluation_start", "evaluation_end")
FormDate = Annotated[str, Form(max_length=20), NoNul]
QueryDate = Annotated[date | None, Query()]
SHOWN_DELIVERIES = 200

KPI_LABELS = {
    Kpi.PRODUCTIVITY: N_("Productivity"),
    Kpi.OPERATING_COST: N_("Operating cost per unit"),
    Kpi.DEFECT_RATE: N_("Defect rate"),
    Kpi.ENERGY_KWH_PER_UNIT: N_("Energy per unit (kWh)"),
    Kpi.ENERGY_TCE_PER_UNIT: N_("Energy per unit (tce)"),
    Kpi.DELIVERY_DAYS_MEAN: N_("Order-to-delivery time (mean)"),
    Kpi.DELIVERY_DAYS_MEDIAN: N_("Order-to-delivery time (median)"),
}
UNIT_LABELS = {
    Kpi.PRODUCTIVITY: N_("equivalent units per labour hour"),
    Kpi.OPERATING_COST: N_("CNY at baseline prices per equivalent unit"),
    Kpi.DEFECT_RATE: N_("share of produced units"),
    Kpi.ENERGY_KWH_PER_UNIT: N_("kWh per equivalent unit"),
    Kpi.ENERGY_TCE_PER_UNIT: N_("tce per equivalent unit"),
    Kpi.DELIVERY_DAYS_MEAN: N_("days"),
    Kpi.DELIVERY_DAYS_MEDIAN: N_("days"),
}
VERDICT_LABELS = {
    Verdict.MEETS: N_("Meets target"),
    Verdict.DOES_NOT_MEET: N_("Does not meet target"),
    Verdict.INSUFFICIENT_DATA: N_("Insufficient data"),
    Verdict.NO_TARGET: N_("No target"),
}
REASON_LABELS = {
    ReasonCode.WINDOW_TOO_SHORT: N_("Window too short"),
    ReasonCode.LOW_COVERAGE: N_("Telemetry coverage too low"),
    ReasonCode.WINDOWS_NOT_ORDERED: N_("Windows overlap or are out of order"),
    ReasonCode.MISSING_INPUT: N_("Input not entered"),
    ReasonCode.ZERO_DENOMINATOR: N_("Nothing to divide by"),
    ReasonCode.ZERO_BASELINE: N_("Baseline value is zero"),
    ReasonCode.UNMATCHED_COSTS: N_("Cost categories differ between the windows"),
}
COST_LABELS = {
    CostCategory.MATERIALS: N_("Materials"),
    CostCategory.LABOUR: N_("Labour"),
    CostCategory.ENERGY: N_("Energy"),
    CostCategory.MAINTENANCE: N_("Maintenance"),
    CostCategory.OTHER: N_("Other costs"),
}


# --- formatting (the stored figures carry 28 significant digits; a page shows what a reader can check) --------


def figure(value: Decimal | int | None) -> str:
    """About five significant digits, whole numbers with thousands separators, no trailing zeros."""
    if value is None:
        return "—"
    number = Decimal(value)
    if number == 0:
        return "0"
    places = min(10, max(0, 4 - number.adjusted()))
    text = f"{number:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value: Decimal | None) -> str:
    return "—" if value is None else f"{to_fen(value):,}"


def percent(value: Decimal | None, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:{'+' if signed else ''}.2f} %".replace("-", "−")


# --- view models -------------------------------------------------------------------------------------------


def _kpi_inputs(kpi: Kpi, before: WindowFigures, after: WindowFigures) -> list[tuple[str, str, str]]:
    """The figures a KPI is computed from, baseline and evaluation side by side."""

    def row(label: str, value: Any, formatter: Any = figure) -> tuple[str, str, str]:
        return label, formatter(value(before)), formatter(value(after))

    units = row(N_("Equivalent units (EU)"), lambda w: w.equivalent_units)
    if kpi is Kpi.PRODUCTIVITY:
        return [units, row(N_("Labour hours"), lambda w: w.labour_hours)]
    if kpi is Kpi.OPERATING_COST:
        return [
            row(N_("Operating cost at baseline prices (CNY)"), lambda w: w.cost_at_constant_prices, money),
            row(N_("Operating cost, nominal (CNY)"), lambda w: w.cost_nominal, money),
            units,
        ]
    if kpi is Kpi.DEFECT_RATE:
        return [
            row(N_("Scrap units"), lambda w: w.scrap_units),
            row(N_("Rework units"), lambda w: w.rework_units),
            row(N_("Produced units"), lambda w: w.produced_units),
        ]
    if kpi is Kpi.ENERGY_KWH_PER_UNIT:
        return [row(N_("Electricity (kWh)"), lambda w: w.energy_kwh), units]
    if kpi is Kpi.ENERGY_TCE_PER_UNIT:
        return [row(N_("Energy (tce)"), lambda w: w.energy_tce), units]
    return [row(N_("Delivered orders"), lambda w: w.deliveries)]


def _target(result: KpiResult) -> str:
    if result.target is None:
        return "—"
    sign = "≥" if result.target.direction.value == "at_least" else "≤"
    return f"{sign} {percent(result.target.change, signed=True)}"


def kpi_rows(verification: Verification) -> list[dict[str, Any]]:
    return [
        {
            "kpi": result.kpi.value,
            "label": KPI_LABELS[result.kpi],
            "unit": UNIT_LABELS[result.kpi],
            "formula": DEFINITIONS[result.kpi].formula,
            "baseline": figure(result.baseline),
            "evaluation": figure(result.evaluation),
            "change": percent(result.change, signed=True),
            "target": _target(result),
            "verdict": result.verdict.value,
            "verdict_label": VERDICT_LABELS[result.verdict],
            "reasons": [(REASON_LABELS[reason.code], reason.message) for reason in result.reasons],
            "inputs": _kpi_inputs(result.kpi, verification.baseline, verification.evaluation),
        }
        for result in verification.kpis
    ]


def window_rows(inputs: WindowInputs, figures: WindowFigures) -> dict[str, Any]:
    coverage = inputs.coverage
    return {
        "inputs": inputs,
        "figures": figures,
        "telemetry_days": f"{coverage.telemetry_days} / {inputs.days} ({percent(figures.coverage.day_share)})",
        "equipment": f"{coverage.equipment_reporting} / {coverage.equipment_total} "
        f"({percent(figures.coverage.equipment_share)})",
        "coverage": percent(figures.coverage.share),
        "costs": [
            {
                "month": line.month or "",
                "category": COST_LABELS[line.category],
                "amount": money(line.amount),
                "price_index": figure(line.price_index),
                "constant": money(line.amount * 100 / line.price_index),
            }
            for line in inputs.costs
        ],
        "categories": [
            (COST_LABELS[cost.category], money(cost.nominal), money(cost.at_constant_prices)) for cost in figures.costs
        ],
    }


# --- pages -------------------------------------------------------------------------------------------------


@router.get(HOME)
def programme_home(request: Request, principal: Reader, session: SessionDep) -> Response:
    """Enterprise users go to their own page; officers and admins choose an enterprise."""
    if not principal.sees_all_tenants:
        return RedirectResponse(f"{HOME}/enterprises/{principal.organisation_id}", status_code=303)
    enterprises = session.scalars(
        select(Organisation).where(Organisation.kind == OrganisationKind.ENTERPRISE).order_by(Organisation.name)
    ).all()
    newest = select(func.max(KpiVerification.id)).group_by(KpiVerification.enterprise_id)
    latest = {
        row.enterprise_id: row for row in session.scalars(select(KpiVerification).where(KpiVerification.id.in_(newest)))
    }
    context = {"enterprises": enterprises, "latest": latest, "verdict_labels": VERDICT_LABELS}
    return render(request, "production/programme_choose.html", context)


def _enterprise(session: Session, principal: Principal, enterprise_id: int) -> Organisation:
    found = session.get(Organisation, service.enterprise_for_read(session, principal, enterprise_id, "path"))
    assert found is not None  # enterprise_for_read has checked it exists
    return found


def enterprise_view(
    request: Request,
    principal: Principal,
    session: Session,
    enterprise_id: int,
    form: dict[str, str],
    problems: list[FieldProblem] | None = None,
) -> Response:
    enterprise = _enterprise(session, principal, enterprise_id)
    context = {
        "enterprise": enterprise,
        "verifications": service.list_verifications(session, principal, enterprise.id),
        "verdict_labels": VERDICT_LABELS,
        "form": form,
        "problems": problems or [],
    }
    return render(request, "production/programme_enterprise.html", context, status_code=422 if problems else 200)


@router.get(HOME + "/enterprises/{enterprise_id}")
def enterprise_page(
    request: Request,
    enterprise_id: IdPath,
    principal: Reader,
    session: SessionDep,
    settings: SettingsDep,
    baseline_start: QueryDate = None,
    baseline_end: QueryDate = None,
    evaluation_start: QueryDate = None,
    evaluation_end: QueryDate = None,
) -> Response:
    """Verifications of one enterprise and the form to run one: the windows given in the address (a demo links
    its own), else the last two full quarters before today."""
    baseline, evaluation = service.default_windows(datetime.now(ZoneInfo(settings.timezone)).date())
    given = (baseline_start, baseline_end, evaluation_start, evaluation_end)
    defaults = (baseline.start, baseline.end, evaluation.start, evaluation.end)
    form = {
        name: (value or default).isoformat()
        for name, value, default in zip(WINDOW_FIELDS, given, defaults, strict=True)
    }
    return enterprise_view(request, principal, session, enterprise_id, form)


@router.post(HOME + "/enterprises/{enterprise_id}/verifications")
def run_verification_page(
    request: Request,
    enterprise_id: IdPath,
    principal: Reader,
    session: SessionDep,
    baseline_start: FormDate,
    baseline_end: FormDate,
    evaluation_start: FormDate,
    evaluation_end: FormDate,
) -> Response:
    form = dict(zip(WINDOW_FIELDS, (baseline_start, baseline_end, evaluation_start, evaluation_end), strict=True))
    _enterprise(session, principal, enterprise_id)  # another tenant's enterprise is a 404 before anything runs
    session.rollback()  # the service opens its own transaction

    def run() -> KpiVerification:
        data = VerificationCreate.model_validate({**form, "enterprise_id": enterprise_id})
        return service.run_verification(
            session,
            principal,
            enterprise_id,
            service.DateWindow(data.baseline_start, data.baseline_end),
            service.DateWindow(data.evaluation_start, data.evaluation_end),
        )

    created, problems = attempt(run)
    if created is None:
        session.rollback()
        return enterprise_view(request, principal, session, enterprise_id, form, problems)
    return RedirectResponse(f"{HOME}/verifications/{created.id}", status_code=303)


@router.get(HOME + "/verifications/{verification_id}")
def verification_page(request: Request, verification_id: IdPath, principal: Reader, session: SessionDep) -> Response:
    """One verification: per KPI its inputs, formula, values, Δ, target and verdict; then every window input."""
    row = service.read_verification(session, principal, verification_id)
    verification = service.verification_of(row)
    context = {
        "row": row,
        "enterprise": session.get(Organisation, row.enterprise_id),
        "verification": verification,
        "kpis": kpi_rows(verification),
        "windows": [
            (N_("Baseline"), window_rows(verification.baseline_inputs, verification.baseline)),
            (N_("Evaluation"), window_rows(verification.evaluation_inputs, verification.evaluation)),
        ],
        "figure": figure,
        "percent": percent,
    }
    return render(request, "production/programme_verification.html", context)


def inputs_view(request: Request, principal: Principal, session: Session, enterprise_id: int, **extra: Any) -> Response:
    enterprise, records = service.entered_records(session, principal, enterprise_id)
    context = {
        "enterprise": session.get(Organisation, enterprise),
        "labour": [(entry.month, figure(entry.hours)) for entry in records.labour],
        "costs": [
            (line.month, COST_LABELS[line.category], money(line.amount), figure(line.price_index))
            for line in records.costs
        ],
        "deliveries": records.deliveries[-SHOWN_DELIVERIES:],
        "delivery_count": len(records.deliveries),
        "can_import": principal.role in service.WRITERS,
        "problems": [],
        "imported": None,
        **extra,
    }
    return render(request, "production/programme_inputs.html", context, status_code=422 if context["problems"] else 200)


@router.get(HOME + "/enterprises/{enterprise_id}/inputs")
def inputs_page(request: Request, enterprise_id: IdPath, principal: Reader, session: SessionDep) -> Response:
    """What the enterprise entered, the template to download and the form to upload it filled in."""
    return inputs_view(request, principal, session, enterprise_id)


@router.post(HOME + "/enterprises/{enterprise_id}/inputs")
def import_inputs_page(
    request: Request,
    enterprise_id: IdPath,
    principal: Writer,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    content = file.file.read(MAX_BYTES + 1)
    imported, problems = attempt(lambda: service.import_workbook(session, principal, enterprise_id, content))
    session.rollback()
    return inputs_view(request, principal, session, enterprise_id, imported=imported, problems=problems)
