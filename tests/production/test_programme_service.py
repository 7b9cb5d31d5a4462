"""Programme-KPI verification against the database, on both backends: windows built from stored telemetry totals
and entered records, stored results, verdicts, coverage, and who may see and run what."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import World
from tests.production.programme_builders import (
    BASELINE,
    EVALUATION,
    Factory,
    actor_of,
    add_daily_output,
    add_output,
    add_reporting_days,
    build_factory,
    entered_records,
)
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.errors import InputError, NotFound, PermissionDenied
from zhizao.production import programme_service as service
from zhizao.production.models import DailyOutput, EnterpriseInput, KpiVerification
from zhizao.production.models import Delivery as DeliveryRecord
from zhizao.production.programme import FORMULA_VERSION, Kpi, Reason, ReasonCode, Verdict, VerificationRules
from zhizao.production.programme_inputs import Coverage, LabourMonth
from zhizao.production.programme_service import DateWindow
from zhizao.telemetry import devices
from zhizao.telemetry.kinds import Protocol, SignalKind
from zhizao.telemetry.schemas import DeviceCreate, SignalCreate


@pytest.fixture
def factory(world: World) -> Factory:
    built = build_factory(world)
    with world.database.session() as session:
        service.replace_entered_records(session, built.admin, built.enterprise_id, entered_records())
    return built


def _codes(reasons: Iterable[Reason]) -> set[str]:
    return {reason.code.value for reason in reasons}


def test_window_inputs_are_built_from_daily_output_day_totals_and_entered_records(
    factory: Factory, world: World
) -> None:
    with world.database.session() as session:
        measured = service.measure_window(session, factory.enterprise_id, BASELINE, "baseline")
    inputs = measured.inputs
    assert [(p.product, p.good, p.scrap, p.rework, p.reference_value) for p in inputs.products] == [
        ("A", 600, 30, 10, Decimal(60)),  # the general operation's 60 s, not the machine's 45 s
        ("B", 200, 10, 0, Decimal(120)),  # the type-level 120 s, not the machine's 100 s
    ]
    assert inputs.energy_kwh == Decimal(12000)
    # The robot has no state signal, so the CNC is all the equipment expected to report; it did, every day.
    assert inputs.coverage == Coverage(telemetry_days=90, equipment_reporting=1, equipment_total=1)
    assert inputs.labour_hours == Decimal(1000)
    assert sorted((line.month, line.category.value, line.amount) for line in inputs.costs)[:2] == [
        ("2025-01", "energy", Decimal(6000)),
        ("2025-01", "materials", Decimal(26000)),
    ]
    assert sum(line.amount for line in inputs.costs) == Decimal(100_000)
    assert [delivery.order_id for delivery in inputs.deliveries] == ["SO-1", "SO-2"]
    assert measured.notes == ()


def test_a_stored_verification_holds_its_inputs_formula_version_coverage_and_verdicts(
    factory: Factory, world: World
) -> None:
    officer = actor_of(world, Role.OFFICER)
    with world.database.session() as session:
        row = service.run_verification(session, officer, factory.enterprise_id, BASELINE, EVALUATION)
        verification_id = row.id
    with world.database.session() as session:
        stored = session.get(KpiVerification, verification_id)
        assert stored is not None
        assert (stored.productivity_verdict, stored.cost_verdict) == ("meets", "does_not_meet")
        assert stored.formula_version == FORMULA_VERSION == stored.result["formula_version"]
        assert stored.created_by == officer.user_id
        assert stored.result["baseline_inputs"]["coverage"] == {
            "telemetry_days": 90, "equipment_reporting": 1, "equipment_total": 1,
        }  # fmt: skip
        assert stored.result["evaluation_inputs"]["labour_hours"] == "1000"
        assert stored.result["evaluation"]["equivalent_units"] == "960"
        verification = service.verification_of(stored)
        assert verification.kpi(Kpi.PRODUCTIVITY).change == Decimal("0.2")
        cost = verification.kpi(Kpi.OPERATING_COST)
        assert (cost.baseline, cost.evaluation) == (Decimal(125), Decimal("104.1666666666666666666666667"))
        assert verification.kpi(Kpi.DELIVERY_DAYS_MEAN).baseline == Decimal(9)  # (10 + 8) / 2
        assert verification.kpi(Kpi.DELIVERY_DAYS_MEAN).evaluation == Decimal("5.5")
        assert verification.kpi(Kpi.ENERGY_KWH_PER_UNIT).baseline == Decimal(15)
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "kpi_verification.create")).one()
        assert audit.organisation_id == factory.enterprise_id and audit.entity_id == str(verification_id)
        assert audit.after is not None and audit.after["productivity_verdict"] == "meets"


def test_low_telemetry_coverage_makes_the_measured_kpis_insufficient(world: World) -> None:
    factory = build_factory(world, output=False)
    with world.database.session() as session:
        service.replace_entered_records(session, factory.admin, factory.enterprise_id, entered_records())
    add_output(world.database, factory)
    assert add_reporting_days(world.database, factory.plant, BASELINE, skip_every=3) == 60  # 60 of 90 days
    add_reporting_days(world.database, factory.plant, EVALUATION)
    with world.database.session() as session:
        row = service.run_verification(session, factory.admin, factory.enterprise_id, BASELINE, EVALUATION)
        verification = service.verification_of(row)
    productivity = verification.kpi(Kpi.PRODUCTIVITY)
    assert productivity.verdict is Verdict.INSUFFICIENT_DATA and row.productivity_verdict == "insufficient_data"
    assert _codes(productivity.reasons) == {ReasonCode.LOW_COVERAGE.value}
    assert productivity.change == Decimal("0.2")  # still shown, just not verified
    assert verification.baseline.coverage.day_share == Decimal(60) / Decimal(90)
    # Delivery times do not come from telemetry, so coverage does not touch them.
    assert verification.kpi(Kpi.DELIVERY_DAYS_MEAN).verdict is Verdict.NO_TARGET


def test_equipment_that_should_report_but_did_not_lowers_coverage(factory: Factory, world: World) -> None:
    with world.database.session() as session:
        devices.create_signal(
            session,
            factory.admin,
            SignalCreate(device_id=factory.plant.device_id, name="operation_mode", kind=SignalKind.STATE),
        )
    robot_state = _state_signal_for_robot(world, factory)
    assert robot_state
    with world.database.session() as session:
        measured = service.measure_window(session, factory.enterprise_id, BASELINE, "baseline")
    assert measured.inputs.coverage == Coverage(telemetry_days=90, equipment_reporting=1, equipment_total=2)


def _state_signal_for_robot(world: World, factory: Factory) -> int:
    with world.database.session() as session:
        device = devices.create_device(
            session,
            factory.admin,
            DeviceCreate(
                enterprise_id=factory.enterprise_id,
                equipment_id=factory.plant.robot_id,
                code="L1-RB-01",
                name="robot controller",
                protocol=Protocol.MQTT_JSON,
            ),
        )
        signal = devices.create_signal(
            session,
            factory.admin,
            SignalCreate(device_id=device.id, name="machinery_item_state", kind=SignalKind.STATE),
        )
        return signal.id


def test_nothing_entered_reads_as_missing_not_as_zero(world: World) -> None:
    factory = build_factory(world)
    with world.database.session() as session:
        row = service.run_verification(session, factory.admin, factory.enterprise_id, BASELINE, EVALUATION)
        verification = service.verification_of(row)
    assert verification.baseline_inputs.labour_hours is None and verification.baseline_inputs.costs == ()
    for kpi in (Kpi.PRODUCTIVITY, Kpi.OPERATING_COST, Kpi.DELIVERY_DAYS_MEAN):
        assert verification.kpi(kpi).verdict is Verdict.INSUFFICIENT_DATA
        assert ReasonCode.MISSING_INPUT.value in _codes(verification.kpi(kpi).reasons)
    # What telemetry measured is still verified: the defect rate (40 + 10) / 850 → 15 / 765.
    assert verification.kpi(Kpi.DEFECT_RATE).verdict is Verdict.NO_TARGET
    assert verification.kpi(Kpi.DEFECT_RATE).baseline == Decimal(50) / Decimal(850)


def test_a_month_missing_from_the_entered_records_is_an_error_naming_it(world: World) -> None:
    factory = build_factory(world)
    with world.database.session() as session:
        records = entered_records(skip_labour="2025-05")
        service.replace_entered_records(session, factory.admin, factory.enterprise_id, records)
    with world.database.session() as session, pytest.raises(InputError) as raised:
        service.run_verification(session, factory.admin, factory.enterprise_id, BASELINE, EVALUATION)
    assert [problem.field for problem in raised.value.fields] == ["evaluation.labour.2025-05"]
    with world.database.session() as session:
        assert session.scalars(select(KpiVerification)).all() == []


def test_a_window_of_monthly_records_must_be_whole_months(factory: Factory, world: World) -> None:
    with world.database.session() as session, pytest.raises(InputError) as raised:
        service.run_verification(
            session, factory.admin, factory.enterprise_id, DateWindow(date(2025, 1, 2), BASELINE.end), EVALUATION
        )
    assert [problem.field for problem in raised.value.fields] == ["baseline.start"]


def test_a_product_without_a_planned_run_time_is_an_error(factory: Factory, world: World) -> None:
    add_daily_output(world.database, factory.plant, date(2025, 5, 20), "C", 10)
    with world.database.session() as session, pytest.raises(InputError) as raised:
        service.run_verification(session, factory.admin, factory.enterprise_id, BASELINE, EVALUATION)
    assert [problem.field for problem in raised.value.fields] == ["evaluation.products.C"]
    assert "PRU" in raised.value.fields[0].message


def test_units_of_unknown_product_are_noted_when_few_and_refused_when_many(factory: Factory, world: World) -> None:
    add_daily_output(world.database, factory.plant, date(2025, 5, 21), "", 8)  # 8 of 773 units: about 1 %
    with world.database.session() as session:
        row = service.run_verification(session, factory.admin, factory.enterprise_id, BASELINE, EVALUATION)
        verification = service.verification_of(row)
    assert verification.evaluation.equivalent_units == Decimal(960)  # left out of EU
    assert any("8 units of the evaluation window (1.0%)" in note for note in verification.notes)
    add_daily_output(world.database, factory.plant, date(2025, 5, 22), "", 200)
    with world.database.session() as session, pytest.raises(InputError) as raised:
        service.run_verification(session, factory.admin, factory.enterprise_id, BASELINE, EVALUATION)
    assert raised.value.fields[0].field == "evaluation.products"
    assert "208 of 973 units" in raised.value.message


def test_rules_are_applied_and_stored(factory: Factory, world: World) -> None:
    rules = VerificationRules(productivity_target=Decimal("0.25"), min_window_days=30)
    with world.database.session() as session:
        row = service.run_verification(session, factory.admin, factory.enterprise_id, BASELINE, EVALUATION, rules)
    assert row.productivity_verdict == "does_not_meet"  # +20 % falls short of +25 %
    assert row.result["rules"]["productivity_target"] == "0.25"


def test_replacing_entered_records_replaces_everything_or_nothing(factory: Factory, world: World) -> None:
    smaller = entered_records().model_copy(update={"labour": (LabourMonth(month="2025-01", hours=Decimal(8)),)})
    with world.database.session() as session:
        counts = service.replace_entered_records(session, factory.admin, factory.enterprise_id, smaller)
    assert (counts.labour_months, counts.cost_lines, counts.deliveries) == (1, 12, 4)
    assert (counts.replaced_inputs, counts.replaced_deliveries) == (6 + 2 * 12, 4)
    unstorable = smaller.model_copy(update={"labour": (LabourMonth(month="2025-01", hours=Decimal("1.23456")),)})
    with world.database.session() as session, pytest.raises(InputError) as raised:
        service.replace_entered_records(session, factory.admin, factory.enterprise_id, unstorable)
    assert [problem.field for problem in raised.value.fields] == ["labour.2025-01.hours"]
    with world.database.session() as session:
        enterprise, records = service.entered_records(session, factory.admin, factory.enterprise_id)
        assert enterprise == factory.enterprise_id
        assert records.labour == (LabourMonth(month="2025-01", hours=Decimal(8)),)
        assert len(records.costs) == 12 and len(records.deliveries) == 4
        assert session.scalars(select(EnterpriseInput.kind).distinct()).all()  # stored, not only cached
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "programme_inputs.import"))
        assert len(actions.all()) == 2  # the fixture's import and the first replacement; the refused one left none


def test_enterprise_users_see_and_verify_only_their_own_enterprise(factory: Factory, world: World) -> None:
    other = build_factory(world, output=False)
    own_user = actor_of(world, Role.ENTERPRISE, factory.enterprise_id)
    other_user = actor_of(world, Role.ENTERPRISE, other.enterprise_id)
    with world.database.session() as session:
        mine = service.run_verification(session, own_user, None, BASELINE, EVALUATION)
        mine_id = mine.id
    with world.database.session() as session, pytest.raises(NotFound):
        service.run_verification(session, other_user, factory.enterprise_id, BASELINE, EVALUATION)
    with world.database.session() as session:
        with pytest.raises(NotFound):
            service.read_verification(session, other_user, mine_id)
        with pytest.raises(NotFound):
            service.entered_records(session, other_user, factory.enterprise_id)
        assert service.list_verifications(session, other_user) == []
        assert service.list_verifications(session, other_user, factory.enterprise_id) == []
        assert [row.id for row in service.list_verifications(session, own_user)] == [mine_id]
        officer = actor_of(world, Role.OFFICER)
        assert [row.id for row in service.list_verifications(session, officer)] == [mine_id]
        assert service.read_verification(session, officer, mine_id).enterprise_id == factory.enterprise_id
    with world.database.session() as session, pytest.raises(PermissionDenied):
        service.replace_entered_records(session, officer, factory.enterprise_id, entered_records())
    for role in (Role.EXPERT, Role.INTEGRATOR, Role.CONSUMER):
        outsider = actor_of(world, role)
        with world.database.session() as session:
            with pytest.raises(PermissionDenied):
                service.run_verification(session, outsider, factory.enterprise_id, BASELINE, EVALUATION)
            with pytest.raises(PermissionDenied):
                service.list_verifications(session, outsider)
            with pytest.raises(PermissionDenied):
                service.read_verification(session, outsider, mine_id)
    with world.database.session() as session:
        assert session.scalars(select(DailyOutput.enterprise_id).distinct()).all() == [factory.enterprise_id]
        assert session.scalars(select(DeliveryRecord.enterprise_id).distinct()).all() == [factory.enterprise_id]


def test_windows_outside_the_programme_era_or_reversed_are_refused(factory: Factory, world: World) -> None:
    with world.database.session() as session, pytest.raises(InputError) as raised:
        service.run_verification(
            session,
            factory.admin,
            factory.enterprise_id,
            DateWindow(date(2025, 3, 31), date(2025, 1, 1)),
            DateWindow(date(2025, 4, 1), date(9999, 12, 31)),
        )
    assert [problem.field for problem in raised.value.fields] == ["body.baseline_end"]
    with world.database.session() as session, pytest.raises(InputError) as raised:
        service.run_verification(
            session, factory.admin, factory.enterprise_id, BASELINE, DateWindow(date(2025, 4, 1), date(9999, 12, 31))
        )
    assert [problem.field for problem in raised.value.fields] == ["body.evaluation_end"]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 8, 15), ((2025, 1, 1), (2025, 3, 31), (2025, 4, 1), (2025, 6, 30))),
        (date(2025, 7, 1), ((2025, 1, 1), (2025, 3, 31), (2025, 4, 1), (2025, 6, 30))),
        (date(2025, 1, 10), ((2024, 7, 1), (2024, 9, 30), (2024, 10, 1), (2024, 12, 31))),
        (date(2025, 3, 31), ((2024, 7, 1), (2024, 9, 30), (2024, 10, 1), (2024, 12, 31))),
    ],
)
def test_default_windows_are_the_last_two_full_quarters(today: date, expected: tuple[tuple[int, ...], ...]) -> None:
    baseline, evaluation = service.default_windows(today)
    assert (baseline.start, baseline.end, evaluation.start, evaluation.end) == tuple(date(*d) for d in expected)
