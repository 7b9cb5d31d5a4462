"""End-to-end: one factory from its application to its recognition as a smart factory, walked in a real Chromium
by the people who make each step — the programme officer, the enterprise, its system integrator and the reviewing
expert (an administrator only opens the enterprise's account) — and the officer's cockpit numbers move.

What no page makes is prepared through the services, as the other tests' builders do, on the live server's
database: the enterprise's **closed on-site diagnosis** (a whole diagnosis with its expert team is long to walk in
a browser: ``tests.programme.project_builders.closed_diagnosis``), and the **production data** a KPI verification
reads — the factory's line, its telemetry-side daily totals and its entered books (the demo's own
``governance_books`` figures, a 25 % productivity gain and a 22 % cost reduction). Everything else — registering
the enterprise, applying, recording the diagnosis, the upgrade plan, construction and robots, the acceptance with
its expert review, running the KPI verification, attaching it, the decision and recognition — is clicked through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import World
from tests.programme.project_builders import closed_diagnosis
from zhizao.accounts.auth import principal_of
from zhizao.accounts.credit_code import complete
from zhizao.accounts.demo import DEMO_USERS, DemoUser
from zhizao.accounts.models import User
from zhizao.accounts.roles import Role
from zhizao.demo import governance_books as books
from zhizao.demo.governance_plan import DemoProject
from zhizao.production import programme_records
from zhizao.programme.kinds import District, EnterpriseSize, Industry, ProjectStage

from .conftest import LiveData
from .live import LiveServer

SCREENSHOT = "/tmp/journey.png"  # noqa: S108 - a fixed place for humans to look at; not asserted
COCKPIT_SCREENSHOT = "/tmp/journey-cockpit.png"  # noqa: S108
INDUSTRY = Industry.AUTOMOTIVE
ENTERPRISE_NAME = "上海松江旅程精密汽车部件有限公司"
CREDIT_CODE = complete("91310117MA1LJ8T2X")
ENTERPRISE_USER = ("journey.enterprise", "Journey-Test-pass-42")
PROJECT_TITLE = "发动机缸体智能工厂建设项目"
INTEGRATOR_NAME = "上海智联系统集成有限公司"  # the demo integrator, whose user is `integrator`
EXPERT_NAME = "李专家"  # the demo expert, whose user is `expert`
ROBOTS_PLANNED = 16
ROBOTS_DEPLOYED = 14
APPLIED_YEAR = 2023  # the verification's windows: the third quarters of 2023 (baseline) and 2024 (evaluation)


def demo_user(role: Role) -> DemoUser:
    return next(user for user in DEMO_USERS if user.role is role)


def sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")


def sign_in_as(page: Any, role: Role) -> None:
    user = demo_user(role)
    sign_in(page, user.username, user.password)


def sign_out(page: Any) -> None:
    page.click("form[action='/logout'] button[type=submit]")
    page.wait_for_url(lambda url: urlsplit(url).path == "/login")


def number(locator: Any) -> int:
    return int(locator.inner_text().strip())


def id_in(page: Any, prefix: str) -> int:
    """The id at the end of the page's address, which must be ``prefix`` + id."""
    expect(page).to_have_url(re.compile(rf"{re.escape(prefix)}\d+$"))
    return int(urlsplit(page.url).path.rsplit("/", 1)[1])


def stage_is(page: Any, stage: ProjectStage) -> None:
    expect(page.locator("#stage")).to_have_attribute("data-stage", stage.value)


@dataclass(frozen=True)
class CockpitNumbers:
    recognised_in_industry: int
    smart_factories: int
    robots_deployed: int
    applied: int  # projects at the applied stage now
    reached_recognised: int  # projects that reached recognition (recognised or benchmark)

    @staticmethod
    def read(page: Any) -> CockpitNumbers:
        page.goto("/programme/cockpit")
        industry = page.locator(f"#industries tr[data-industry='{INDUSTRY.value}'] td")
        funnel = "#funnel tr[data-stage='{}'] td"
        return CockpitNumbers(
            recognised_in_industry=number(industry.nth(1)),
            smart_factories=number(page.locator("#targets [data-target='smart_factories'] .stat")),
            robots_deployed=number(page.locator("#targets [data-target='robots'] .stat")),
            applied=number(page.locator(funnel.format(ProjectStage.APPLIED.value)).nth(1)),
            reached_recognised=number(page.locator(funnel.format(ProjectStage.RECOGNISED.value)).nth(2)),
        )


# --- what no page makes, prepared through the services ----------------------------------------------------


def prepare_diagnosis(live: LiveData, enterprise_id: int) -> int:
    """A closed on-site diagnosis of the enterprise at maturity level 3 (the edition asks for at least 2)."""
    return closed_diagnosis(World(live.database), enterprise_id, maturity_level=3)


def prepare_production_data(live: LiveData, enterprise_id: int) -> tuple[str, str, str, str]:
    """The factory's line, both windows' telemetry-side daily totals and its entered books, as the demo seeder
    writes them; returns the verification windows (baseline start and end, evaluation start and end)."""
    factory = DemoProject(
        name=ENTERPRISE_NAME, credit_code=CREDIT_CODE, industry=INDUSTRY, district=District.SONGJIANG,
        size=EnterpriseSize.MEDIUM, employees=320, stage=ProjectStage.ACCEPTED, stopped_at=None, maturity_level=3,
        robots_planned=ROBOTS_PLANNED, robots_deployed=ROBOTS_DEPLOYED, budget_cny=Decimal("3200000"),
        productivity_gain_pct=Decimal("25.0"), cost_reduction_pct=Decimal("22.0"), applied_year=APPLIED_YEAR,
    )  # fmt: skip
    with live.database.session() as session:
        admin = principal_of(session.scalars(select(User).where(User.username == demo_user(Role.ADMIN).username)).one())
        equipment_id = books.build_line(session, admin, enterprise_id, INDUSTRY)
        labour_hours = Decimal(max(24, factory.employees // 20) * 8)
        figures = books.day_figures(factory, labour_hours)
        books.write_totals(session, enterprise_id, equipment_id, factory, figures)
        session.rollback()
        programme_records.replace_entered_records(
            session, admin, enterprise_id, books.entered_books(factory, labour_hours, figures)
        )
    baseline, evaluation = books.windows(APPLIED_YEAR)
    return (baseline.start.isoformat(), baseline.end.isoformat(), evaluation.start.isoformat(),
            evaluation.end.isoformat())  # fmt: skip


# --- the journey ---------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_one_factory_from_application_to_recognition(page: Any, live_server: LiveServer, live_data: LiveData) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # The officer makes sure the programme runs an edition (the bundled 2020–2022 one), and reads the cockpit.
    sign_in_as(page, Role.OFFICER)
    page.goto("/programme/editions")
    if page.locator("#add-bundled").count():
        page.click("#add-bundled button[type=submit]")
        expect(page.locator("#editions #current")).to_have_count(1)
    before = CockpitNumbers.read(page)

    # 1. The officer registers the enterprise with the programme (企业库).
    page.goto("/programme/enterprises")
    form = page.locator("form#register")
    form.locator("input[name=name]").fill(ENTERPRISE_NAME)
    form.locator("input[name=credit_code]").fill(CREDIT_CODE)
    form.locator("select[name=industry]").select_option(INDUSTRY.value)
    form.locator("select[name=district]").select_option(District.SONGJIANG.value)
    form.locator("select[name=size]").select_option(EnterpriseSize.MEDIUM.value)
    form.locator("input[name=employees]").fill("320")
    form.locator("button[type=submit]").click()
    enterprise_id = id_in(page, "/programme/enterprises/")
    sign_out(page)

    # An administrator opens the enterprise's account.
    sign_in_as(page, Role.ADMIN)
    page.goto("/admin/users")
    form = page.locator("form#new-user")
    form.locator("input[name=username]").fill(ENTERPRISE_USER[0])
    form.locator("input[name=display_name]").fill("吴工（旅程测试）")
    form.locator("input[name=password]").fill(ENTERPRISE_USER[1])
    form.locator("select[name=role]").select_option(Role.ENTERPRISE.value)
    form.locator("select[name=organisation_id]").select_option(str(enterprise_id))
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/users/\d+\?created=1$"))
    sign_out(page)

    # 2. The enterprise applies (申报) and starts its upgrade plan, naming its system integrator.
    sign_in(page, *ENTERPRISE_USER)
    page.goto("/programme/projects")
    page.locator("form#apply input[name=title]").fill(PROJECT_TITLE)
    page.locator("form#apply button[type=submit]").click()
    project_id = id_in(page, "/programme/projects/")
    stage_is(page, ProjectStage.APPLIED)
    form = page.locator("form#plan-form")
    form.locator("select[name=integrator_id]").select_option(label=INTEGRATOR_NAME)
    form.locator("input[name=budget_cny]").fill("3200000")
    form.locator("button[type=submit]").click()
    expect(page.locator("#plan-status")).to_have_attribute("data-status", "draft")
    sign_out(page)
    project_page = f"/programme/projects/{project_id}"

    # 3. Experts diagnose the factory on site (prepared); the officer records the closed diagnosis.
    diagnosis_id = prepare_diagnosis(live_data, enterprise_id)
    sign_in_as(page, Role.OFFICER)
    assert CockpitNumbers.read(page).applied == before.applied + 1
    page.goto(project_page)
    form = page.locator("form#action-record_diagnosis")
    expect(form.locator("input[name=diagnosis_id]")).to_have_value(str(diagnosis_id))  # the latest, suggested
    form.locator("button[type=submit]").click()
    stage_is(page, ProjectStage.DIAGNOSED)
    expect(page.locator("#maturity-level")).to_have_text("3")
    sign_out(page)

    # 4. The integrator completes the plan and submits it; the officer approves it.
    sign_in_as(page, Role.INTEGRATOR)
    page.goto("/programme/projects")
    page.locator("#projects").get_by_role("link", name=PROJECT_TITLE).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(project_page)}$"))
    form = page.locator("form#plan-form")
    form.locator("input[name=robots_to_deploy]").fill(str(ROBOTS_PLANNED))
    form.locator("textarea[name=summary]").fill("以 MES 与机器人加工单元为核心，缸体加工线全面联网与数据采集")
    for row, (title, due) in enumerate((("MES 上线", "2024-03-31"), ("机器人加工单元投产", "2024-06-30"))):
        form.locator("input[name=milestone_title]").nth(row).fill(title)
        form.locator("input[name=milestone_due]").nth(row).fill(due)
    form.locator("button[type=submit]").click()
    expect(page.locator("#milestones tbody tr")).to_have_count(2)
    page.locator("form#submit-plan button[type=submit]").click()
    expect(page.locator("#plan-status")).to_have_attribute("data-status", "submitted")
    sign_out(page)

    sign_in_as(page, Role.OFFICER)
    page.goto(project_page)
    page.locator("form#approve-plan button[type=submit]").click()
    stage_is(page, ProjectStage.PLAN_APPROVED)
    expect(page.locator("#integrator")).to_have_text(INTEGRATOR_NAME)
    sign_out(page)

    # 5. The enterprise starts construction and reports the robots it has installed.
    sign_in(page, *ENTERPRISE_USER)
    page.goto(project_page)
    page.locator("form#action-start_construction button[type=submit]").click()
    stage_is(page, ProjectStage.IN_CONSTRUCTION)
    page.locator("form#robots-form input[name=robots_deployed]").fill(str(ROBOTS_DEPLOYED))
    page.locator("form#robots-form button[type=submit]").click()
    expect(page.locator("#robots")).to_have_text(f"{ROBOTS_DEPLOYED} / {ROBOTS_PLANNED}")
    sign_out(page)

    # 6. The officer opens the acceptance (验收) and assigns the expert; the expert reviews it as passing.
    windows = prepare_production_data(live_data, enterprise_id)  # the factory ran on its line meanwhile
    sign_in_as(page, Role.OFFICER)
    page.goto("/programme/acceptances")
    form = page.locator("form#open-acceptance")
    form.locator("select[name=project_id]").select_option(label=f"{ENTERPRISE_NAME} · {PROJECT_TITLE}")
    form.locator("select[name=expert_user_ids]").select_option(label=EXPERT_NAME)
    form.locator("button[type=submit]").click()
    acceptance_id = id_in(page, "/programme/acceptances/")
    acceptance_page = f"/programme/acceptances/{acceptance_id}"
    expect(page.locator("#status")).to_have_attribute("data-status", "open")
    sign_out(page)

    sign_in_as(page, Role.EXPERT)
    page.goto("/programme/acceptances")
    page.locator(f"#acceptances tr[data-acceptance='{acceptance_id}'] a").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(acceptance_page)}$"))
    form = page.locator("form#review-form")
    form.locator("input[name=opinion][value=pass]").check()
    form.locator("textarea[name=comment]").fill("缸体线联网率与数据采集达到要求，同意通过验收。")
    form.locator("button[type=submit]").click()
    expect(page.locator("#reviews tr[data-opinion='pass']")).to_have_count(1)
    sign_out(page)

    # The officer verifies the KPIs from the factory's data, marks the checklist, attaches the verification and
    # decides: passed, and the project is accepted.
    sign_in_as(page, Role.OFFICER)
    names = ("baseline_start", "baseline_end", "evaluation_start", "evaluation_end")
    query = "&".join(f"{name}={value}" for name, value in zip(names, windows, strict=True))
    page.goto(f"/production/programme/enterprises/{enterprise_id}?{query}")
    page.locator("form#run-form button[type=submit]").click()
    verification_id = id_in(page, "/production/programme/verifications/")

    page.goto(acceptance_page)
    checklist = page.locator("form#checklist-form")
    for box in checklist.locator("input[name=passed]").all():
        box.check()
    checklist.locator("button[type=submit]").click()
    expect(page.locator("#checklist tr[data-passed='false']")).to_have_count(0)
    form = page.locator("form#attach-verification")
    form.locator("select[name=verification_id]").select_option(str(verification_id))
    form.locator("button[type=submit]").click()
    expect(page.locator("#kpi-results tr[data-kpi]").first).to_be_visible()
    expect(page.locator("#ready")).to_be_visible()  # every requirement for a pass is met
    form = page.locator("form#decision-form")
    form.locator("input[name=decision][value=passed]").check()
    form.locator("textarea[name=rationale]").fill("清单项全部满足，劳动生产率与运营成本指标经核验达标，专家评审通过。")
    form.locator("button[type=submit]").click()
    expect(page.locator("#status")).to_have_attribute("data-status", "decided")
    expect(page.locator("#decision")).to_be_visible()

    # 7. The officer recognises the factory (认定).
    page.goto(project_page)
    stage_is(page, ProjectStage.ACCEPTED)
    page.locator("form#action-recognise button[type=submit]").click()
    stage_is(page, ProjectStage.RECOGNISED)

    # 8. The cockpit's numbers have moved.
    after = CockpitNumbers.read(page)
    assert after.recognised_in_industry == before.recognised_in_industry + 1
    assert after.smart_factories == before.smart_factories + 1
    assert after.reached_recognised == before.reached_recognised + 1
    assert after.robots_deployed == before.robots_deployed + ROBOTS_DEPLOYED
    assert after.applied == before.applied
    page.screenshot(path=COCKPIT_SCREENSHOT, full_page=True)
    sign_out(page)

    # And the public smart-factory list names it, to anyone.
    page.goto("/public/smart-factories")
    row = page.locator(f"#smart-factories tr[data-project='{project_id}']")
    expect(row).to_contain_text(ENTERPRISE_NAME)
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert errors == []
