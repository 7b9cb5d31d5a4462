"""The demo's production history: the simulator's upgrade shows up in the OEE the platform measures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import World
from zhizao.accounts import demo as accounts_demo
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.demo import production as production_demo
from zhizao.production import kpi_service
from zhizao.production.kpi import kpis
from zhizao.settings import Settings
from zhizao.simulator import seed as factory_demo

END_MS = 1_767_225_600_000 + 10 * 3_600_000  # 2026-01-01 18:00 Asia/Shanghai
DAYS = 4


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)  # months of history on one backend are enough: the store suites cover both


def test_the_upgrade_raises_measured_oee_and_output(database: Database, settings: Settings, world: World) -> None:
    accounts_demo.seed(database, settings)
    factory_demo.seed(database, settings)
    production_demo.seed(database, settings)
    report = production_demo.seed_history(database, end_ms=END_MS, window_days=DAYS)
    assert report.rows
    plan = production_demo.HistoryPlan.ending(END_MS, DAYS)
    officer = world.user(Role.OFFICER)
    actor = Principal(officer.user_id, officer.username, officer.username, Role.OFFICER, officer.organisation_id)
    with database.session() as session:
        scope = kpi_service.resolve_scope(session, actor, enterprise_id=factory_demo.demo_enterprise_id(database))
        before = kpi_service.overall(session, scope, *plan.baseline)
        after = kpi_service.overall(session, scope, *plan.evaluation)
        days = kpi_service.buckets(session, scope, plan.baseline[0], plan.evaluation[1], kpi_service.Granularity.DAY)
    assert len(days) == 2 * DAYS
    assert plan.evaluation[0] - plan.baseline[1] == timedelta(days=1)
    # Three shifts, seven days: every machine plans the whole day, and the history leaves no gap.
    assert before.pbt_us == after.pbt_us == 12 * DAYS * 86_400_000_000
    assert after.unknown_us == 0
    oee_before, oee_after = kpis(before).oee, kpis(after).oee
    assert oee_before is not None and oee_after is not None
    assert 0.3 < oee_before < oee_after < 1.0
    assert after.gq > 1.15 * before.gq  # the simulator's smart factory makes about 30 % more good parts
