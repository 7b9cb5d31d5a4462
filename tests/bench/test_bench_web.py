"""``zhizao bench web``: the pages are timed through the real app and every figure is reported.

The demo programme takes half a minute and more to seed, so these tests time the pages on small hand-built
databases (and the command end to end with only the accounts seeder and the default edition); nothing here is timed.
The cockpit's statements per request are checked not to grow with the projects: the benchmark's proof of no N+1.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import World
from tests.programme.project_builders import project_at
from zhizao.accounts import demo as accounts_demo
from zhizao.accounts.roles import Role
from zhizao.bench import web
from zhizao.bench.cli import bench_app
from zhizao.bench.infra import BenchError
from zhizao.bench.web import PAGES, TARGET_PATH, PageTiming, WebOptions, WebResult, judge, run_web, time_pages
from zhizao.db.engine import Database
from zhizao.programme import service_editions
from zhizao.programme.kinds import Industry, ProjectStage
from zhizao.seeding import Seeder, SeedReport
from zhizao.settings import Settings


def _edition(database: Database, settings: Settings) -> SeedReport:
    with database.session() as session:
        service_editions.ensure_default_edition(session)
    return SeedReport(title="edition")


SMALL: tuple[Seeder, ...] = (accounts_demo.seed, _edition)


def _assert_sane(timing: PageTiming) -> None:
    assert timing.status == 200 and timing.bytes > 0
    assert 1 <= timing.statements_min <= timing.statements <= timing.statements_max
    assert 0 < timing.min_s <= timing.median_s <= timing.p95_s <= timing.max_s


def test_every_page_is_timed_with_its_statements(database: Database, settings: Settings, world: World) -> None:
    officer = world.user(Role.OFFICER)
    _edition(database, settings)
    project_at(world, ProjectStage.RECOGNISED, industry=Industry.ELECTRONICS)
    timings = time_pages(database, settings, officer.username, officer.password, repeat=2)
    assert [timing.path for timing in timings] == [page.path for page in PAGES]
    for timing in timings:
        _assert_sane(timing)
    result = WebResult(backend="sqlite", database="", machine="", repeat=2, warmup=2, seed_s=0.0, timings=timings)
    judge(result)
    cockpit = next(timing for timing in timings if timing.path == TARGET_PATH)
    assert result.target_p95_s == cockpit.p95_s and result.target_met == (cockpit.p95_s < result.target_s)


def test_the_cockpit_sends_as_many_statements_for_five_projects_as_for_one(
    database: Database, settings: Settings, world: World
) -> None:
    officer = world.user(Role.OFFICER)
    _edition(database, settings)
    cockpit = [page for page in PAGES if "cockpit" in page.path]

    def statements() -> list[int]:
        timings = time_pages(database, settings, officer.username, officer.password, cockpit, repeat=1)
        return [timing.statements for timing in timings]

    project_at(world, ProjectStage.RECOGNISED, industry=Industry.ELECTRONICS)
    one = statements()
    for stage, industry in (
        (ProjectStage.RECOGNISED, Industry.AUTOMOTIVE),
        (ProjectStage.ACCEPTED, Industry.ELECTRONICS),
        (ProjectStage.IN_CONSTRUCTION, Industry.BIOMEDICINE),
        (ProjectStage.APPLIED, Industry.AUTOMOTIVE),
    ):
        project_at(world, stage, industry=industry)
    assert statements() == one


@pytest.mark.slow
def test_the_command_prints_a_table_and_a_json_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web, "SEEDERS", SMALL)  # the demo's programme would take half a minute and more
    result = CliRunner().invoke(bench_app, ["web", "--sqlite", "--repeat", "2", "--json"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["bench"] == "web" and line["backend"] == "sqlite" and line["repeat"] == 2
    assert [title for title, _seconds in line["seeders"]] == ["Demo logins (one per role)", "edition"]
    assert [timing["path"] for timing in line["timings"]] == [page.path for page in PAGES]
    assert all(timing["median_s"] > 0 and timing["statements"] > 0 for timing in line["timings"])
    assert isinstance(line["target_met"], bool) and line["target_p95_s"] > 0


def test_run_web_refuses_no_repeats() -> None:
    with pytest.raises(BenchError):
        run_web(WebOptions(sqlite=True, repeat=0), seeders=SMALL)
