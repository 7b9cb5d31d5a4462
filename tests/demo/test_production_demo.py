"""The demo's production history: the simulator's upgrade shows up in the OEE the platform measures, and the
programme verification run on it finds the productivity gain."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import World
from zhizao.accounts import demo as accounts_demo
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.demo import production as production_demo
from zhizao.production import kpi_service
from zhizao.production.kpi import kpis
from zhizao.production.models import KpiVerification
from zhizao.production.programme import VerificationRules
from zhizao.settings import Settings
from zhizao.simulator import seed as factory_demo

END_MS = 1_767_225_600_000 + 2 * 3_600_000  # 2026-01-01 10:00 Asia/Shanghai: November, then December, then a day
# One month per window keeps the test short; the demo itself uses three (the plan's default rule of 90 days).
RULES = VerificationRules(min_window_days=28)


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)  # months of history on one backend are enough: the store suites cover both


def test_the_upgrade_raises_measured_oee_and_productivity(database: Database, settings: Settings, world: World) -> None:
    accounts_demo.seed(database, settings)
    factory_demo.seed(database, settings)
    production_demo.seed(database, settings)
    plan = production_demo.HistoryPlan.monthly(END_MS, months=1)
    assert plan.baseline[0].isoformat() == "2025-11-01" and plan.evaluation[1].isoformat() == "2025-12-31"
    report = production_demo.seed_history(database, plan, RULES)
    officer = world.user(Role.OFFICER)
    actor = Principal(officer.user_id, officer.username, officer.username, Role.OFFICER, officer.organisation_id)
    enterprise_id = factory_demo.demo_enterprise_id(database)
    with database.session() as session:
        scope = kpi_service.resolve_scope(session, actor, enterprise_id=enterprise_id)
        before = kpi_service.overall(session, scope, *plan.baseline)
        after = kpi_service.overall(session, scope, *plan.evaluation)
        verification = session.scalars(
            select(KpiVerification).where(KpiVerification.enterprise_id == enterprise_id)
        ).one()
    # Three shifts, seven days: every machine plans the whole day, and the history leaves no gap.
    assert before.pbt_us == 12 * 30 * 86_400_000_000 and after.pbt_us == 12 * 31 * 86_400_000_000
    assert after.unknown_us == 0
    oee_before, oee_after = kpis(before).oee, kpis(after).oee
    assert oee_before is not None and oee_after is not None
    assert 0.3 < oee_before < oee_after < 1.0
    assert after.gq / 31 > 1.15 * before.gq / 30  # the simulator's smart factory makes about 30 % more good parts
    assert verification.productivity_verdict == "meets", verification.result
    assert ("verified productivity", "meets") in [tuple(row) for row in report.rows]
