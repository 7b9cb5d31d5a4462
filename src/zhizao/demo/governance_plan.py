"""The demo programme as a plan, before anything is written: about 150 enterprises over the seven industries and
Shanghai's 16 districts, each with the lifecycle stage its project reaches and the figures it reports on the way.

Pure and seeded (``random.Random(643)``), so every demo run builds the same programme. Stage counts per industry
follow the 2020–2022 quotas: most industries are near their quota of recognised factories, a few are behind, so the
cockpit shows both. Credit codes are valid GB 32100-2015 codes built from each district's administrative code.

The seven enterprises the assessment demo diagnoses join the programme too (``assessment_demo_projects``), the demo
enterprise in construction so that the browser demo can walk its project on to acceptance.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from zhizao.accounts.credit_code import ALPHABET, complete
from zhizao.accounts.schemas import SHANGHAI_DISTRICTS
from zhizao.demo.assessment import DEMO_TARGETS
from zhizao.programme.kinds import District, EnterpriseSize, Industry, ProjectStage
from zhizao.simulator.seed import DEMO_ENTERPRISE

SEED = 643  # 沪经信制〔2020〕643号

# Administrative division codes (GB/T 2260) of Shanghai's districts: characters 3–8 of a credit code.
DIVISION_CODES: dict[District, str] = {
    District.HUANGPU: "310101",
    District.XUHUI: "310104",
    District.CHANGNING: "310105",
    District.JINGAN: "310106",
    District.PUTUO: "310107",
    District.HONGKOU: "310109",
    District.YANGPU: "310110",
    District.MINHANG: "310112",
    District.BAOSHAN: "310113",
    District.JIADING: "310114",
    District.PUDONG: "310115",
    District.JINSHAN: "310116",
    District.SONGJIANG: "310117",
    District.QINGPU: "310118",
    District.FENGXIAN: "310120",
    District.CHONGMING: "310151",
}
DISTRICT_NAMES: dict[District, str] = {
    District.HUANGPU: "黄浦",
    District.XUHUI: "徐汇",
    District.CHANGNING: "长宁",
    District.JINGAN: "静安",
    District.PUTUO: "普陀",
    District.HONGKOU: "虹口",
    District.YANGPU: "杨浦",
    District.MINHANG: "闵行",
    District.BAOSHAN: "宝山",
    District.JIADING: "嘉定",
    District.PUDONG: "浦东",
    District.JINSHAN: "金山",
    District.SONGJIANG: "松江",
    District.QINGPU: "青浦",
    District.FENGXIAN: "奉贤",
    District.CHONGMING: "崇明",
}
# Where manufacturing sits: the central districts host few factories, the outer ones most.
DISTRICT_WEIGHTS: dict[District, int] = {
    District.HUANGPU: 1,
    District.XUHUI: 2,
    District.CHANGNING: 1,
    District.JINGAN: 2,
    District.PUTUO: 2,
    District.HONGKOU: 1,
    District.YANGPU: 2,
    District.MINHANG: 12,
    District.BAOSHAN: 9,
    District.JIADING: 14,
    District.PUDONG: 20,
    District.JINSHAN: 8,
    District.SONGJIANG: 12,
    District.QINGPU: 7,
    District.FENGXIAN: 8,
    District.CHONGMING: 2,
}
PRODUCT_WORDS: dict[Industry, tuple[str, ...]] = {
    Industry.AUTOMOTIVE: ("汽车零部件", "汽车电子", "新能源汽车", "动力总成", "汽车座椅", "车身冲压"),
    Industry.ELECTRONICS: ("集成电路", "智能终端", "电子元器件", "显示面板", "通信设备", "传感器"),
    Industry.HIGH_END_EQUIPMENT: ("数控机床", "工业机器人", "智能装备", "电梯", "精密机械", "能源装备"),
    Industry.BIOMEDICINE: ("生物制药", "医疗器械", "制剂", "疫苗", "诊断试剂"),
    Industry.AEROSPACE: ("航空部件", "航天设备", "民机配套", "卫星应用"),
    Industry.CHEMICALS_MATERIALS: ("精细化工", "新材料", "高分子材料", "特种涂料", "碳纤维"),
    Industry.FMCG_ENVIRONMENTAL: ("食品", "日用化学", "节能环保设备", "家居用品", "纺织服装"),
}
BRANDS = (
    "华", "申", "浦", "恒", "鼎", "睿", "嘉", "瑞", "联", "德", "科", "信", "宏", "锦", "泰", "源", "汇", "晟",
    "创", "达", "博", "安", "捷", "富", "新", "越", "启", "航", "明", "远",
)  # fmt: skip

# How many of each industry's projects end at each stage, in the order of ``PLAN_STAGES`` (143 in all; with the seven
# enterprises the assessment demo diagnosed, the programme has 150).
PLAN_STAGES = (
    ProjectStage.BENCHMARK,
    ProjectStage.RECOGNISED,
    ProjectStage.ACCEPTED,
    ProjectStage.IN_CONSTRUCTION,
    ProjectStage.PLAN_APPROVED,
    ProjectStage.DIAGNOSED,
    ProjectStage.APPLIED,
    ProjectStage.REJECTED,
    ProjectStage.WITHDRAWN,
)
STAGE_PLAN: dict[Industry, tuple[int, ...]] = {
    Industry.AUTOMOTIVE:          (2, 15, 2, 4, 2, 2, 2, 1, 1),
    Industry.ELECTRONICS:         (2, 13, 2, 4, 2, 2, 3, 1, 1),
    Industry.HIGH_END_EQUIPMENT:  (1, 12, 2, 5, 2, 2, 2, 1, 0),
    Industry.BIOMEDICINE:         (1, 6, 1, 2, 1, 1, 2, 0, 1),
    Industry.AEROSPACE:           (1, 4, 1, 2, 1, 1, 1, 1, 0),
    Industry.CHEMICALS_MATERIALS: (0, 6, 1, 2, 1, 1, 1, 0, 1),
    Industry.FMCG_ENVIRONMENTAL:  (0, 5, 1, 3, 1, 2, 2, 1, 0),
}  # fmt: skip
# Where a rejected or withdrawn project stopped.
STOPPED_AT = (ProjectStage.APPLIED, ProjectStage.DIAGNOSED, ProjectStage.PLAN_APPROVED)
# In these industries the first project in construction has had an acceptance that failed: its verification fell
# short of the plan's 20 %, so the cockpit and the acceptance list show a failed decision as well.
FAILED_ACCEPTANCE_INDUSTRIES = (Industry.AUTOMOTIVE, Industry.ELECTRONICS, Industry.HIGH_END_EQUIPMENT)
SIZES = ((EnterpriseSize.LARGE, 3), (EnterpriseSize.MEDIUM, 5), (EnterpriseSize.SMALL, 2))


@dataclass(frozen=True, slots=True)
class DemoProject:
    """One enterprise of the demo programme and how far its project goes."""

    name: str
    credit_code: str | None  # None for the assessment demo's enterprises, which are registered without one
    industry: Industry
    district: District
    size: EnterpriseSize
    employees: int
    stage: ProjectStage
    stopped_at: ProjectStage | None  # for rejected and withdrawn projects: the stage they left
    maturity_level: int  # the level its diagnosis reaches (diagnosed and later)
    robots_planned: int
    robots_deployed: int  # installed so far (in construction: part of the plan)
    budget_cny: Decimal
    productivity_gain_pct: Decimal  # what its verification finds (accepted and later, or a failed acceptance)
    cost_reduction_pct: Decimal
    applied_year: int
    failed_acceptance: bool = False  # in construction after an acceptance that failed on its verified KPIs
    existing: bool = False  # an organisation the accounts or assessment demo made; the others are registered here


def _weighted(rng: random.Random, weights: dict[District, int]) -> District:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _credit_code(rng: random.Random, district: District, taken: set[str]) -> str:
    while True:
        body = "".join(rng.choice(ALPHABET) for _ in range(9))
        code = complete("91" + DIVISION_CODES[district] + body)
        if code not in taken:
            taken.add(code)
            return code


def _name(rng: random.Random, industry: Industry, district: District, taken: set[str]) -> str:
    while True:
        brand = "".join(rng.sample(BRANDS, 2))
        name = f"上海{DISTRICT_NAMES[district]}{brand}{rng.choice(PRODUCT_WORDS[industry])}有限公司"
        if name not in taken:
            taken.add(name)
            return name


def _level(rng: random.Random, stage: ProjectStage) -> int:
    if stage is ProjectStage.BENCHMARK:
        return rng.choice((4, 4, 5))
    if stage in (ProjectStage.RECOGNISED, ProjectStage.ACCEPTED):
        return rng.choice((2, 3, 3, 3, 4))
    return rng.choice((1, 2, 2, 3))


# Verified productivity gain and cost reduction, in tenths of a per cent: (productivity low, high, cost low, high).
# An acceptance passes only when both meet the plan's 20 % (the edition's rules), so accepted and recognised
# factories lie between 20.5 % and the high thirties and benchmarks above them; the other stages' figures are what
# a failed acceptance verified, short of 20 %.
GAIN_RANGES: dict[ProjectStage, tuple[int, int, int, int]] = {
    ProjectStage.BENCHMARK: (280, 450, 240, 390),
    ProjectStage.RECOGNISED: (205, 380, 205, 320),
    ProjectStage.ACCEPTED: (205, 380, 205, 320),
}
SHORT_OF_TARGET = (120, 195, 80, 195)


def _gains(rng: random.Random, stage: ProjectStage) -> tuple[Decimal, Decimal]:
    low, high, cost_low, cost_high = GAIN_RANGES.get(stage, SHORT_OF_TARGET)
    productivity = Decimal(rng.randint(low, high)).scaleb(-1)
    cost = Decimal(rng.randint(cost_low, cost_high)).scaleb(-1)
    return productivity, cost


def demo_projects(seed: int = SEED) -> list[DemoProject]:
    """The whole demo programme, in a stable order (industry, then stage, then name)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
    codes: set[str] = set()
    names: set[str] = set()
    projects: list[DemoProject] = []
    # The first sixteen go one to each district, so that every district appears; the rest where factories are.
    every_district = list(District)
    for industry, counts in STAGE_PLAN.items():
        for stage, count in zip(PLAN_STAGES, counts, strict=True):
            for index in range(count):
                district = every_district.pop() if every_district else _weighted(rng, DISTRICT_WEIGHTS)
                size = rng.choices([s for s, _ in SIZES], weights=[w for _, w in SIZES])[0]
                robots = rng.randint(8, 160) if size is not EnterpriseSize.SMALL else rng.randint(4, 30)
                deployed = {
                    ProjectStage.IN_CONSTRUCTION: robots * rng.randint(20, 80) // 100,
                    ProjectStage.ACCEPTED: robots,
                    ProjectStage.RECOGNISED: robots,
                    ProjectStage.BENCHMARK: robots,
                }.get(stage, 0)
                productivity, cost = _gains(rng, stage)
                projects.append(
                    DemoProject(
                        name=_name(rng, industry, district, names),
                        credit_code=_credit_code(rng, district, codes),
                        industry=industry,
                        district=district,
                        size=size,
                        employees={EnterpriseSize.LARGE: 1800, EnterpriseSize.MEDIUM: 420}.get(size, 120)
                        + rng.randint(0, 300),
                        stage=stage,
                        stopped_at=rng.choice(STOPPED_AT)
                        if stage in (ProjectStage.REJECTED, ProjectStage.WITHDRAWN)
                        else None,
                        maturity_level=_level(rng, stage),
                        robots_planned=robots,
                        robots_deployed=deployed,
                        budget_cny=Decimal(rng.randint(30, 900) * 100_000),
                        productivity_gain_pct=productivity,
                        cost_reduction_pct=cost,
                        applied_year=rng.choice((2020, 2020, 2021, 2021, 2022)),
                        failed_acceptance=stage is ProjectStage.IN_CONSTRUCTION
                        and index == 0
                        and industry in FAILED_ACCEPTANCE_INDUSTRIES,
                    )
                )
    return projects


# The assessment demo's enterprises: their industries in the programme's terms, and where their projects stand.
ASSESSMENT_INDUSTRIES: dict[str, Industry] = {
    "汽车零部件": Industry.AUTOMOTIVE,
    "生物医药": Industry.BIOMEDICINE,
    "电子信息": Industry.ELECTRONICS,
    "高端装备": Industry.HIGH_END_EQUIPMENT,
    "食品": Industry.FMCG_ENVIRONMENTAL,
    "精细化工": Industry.CHEMICALS_MATERIALS,
}
DISTRICTS_BY_NAME: dict[str, District] = dict(zip(SHANGHAI_DISTRICTS, District, strict=True))
# name → (stage, stopped at, size, employees, robots planned, robots deployed, budget in ¥10k, gains, applied year)
ASSESSMENT_STAGES: dict[str, tuple[ProjectStage, ProjectStage | None, EnterpriseSize, int, int, int, int,
                                   tuple[str, str], int]] = {
    DEMO_ENTERPRISE: (ProjectStage.IN_CONSTRUCTION, None, EnterpriseSize.MEDIUM, 680, 24, 9, 3600, ("0", "0"), 2021),
    "上海张江生物制药有限公司": (ProjectStage.PLAN_APPROVED, None, EnterpriseSize.LARGE, 1450, 18, 0, 5200, ("0", "0"),
                                  2021),
    "上海嘉定汽车电子有限公司": (ProjectStage.ACCEPTED, None, EnterpriseSize.MEDIUM, 520, 36, 36, 2800,
                                  ("23.4", "21.6"), 2020),
    "上海松江智能终端有限公司": (ProjectStage.RECOGNISED, None, EnterpriseSize.LARGE, 2300, 120, 120, 8600,
                                  ("31.2", "24.8"), 2020),
    "上海闵行数控装备有限公司": (ProjectStage.IN_CONSTRUCTION, None, EnterpriseSize.MEDIUM, 610, 40, 22, 4100,
                                  ("0", "0"), 2021),
    "上海奉贤健康食品有限公司": (ProjectStage.DIAGNOSED, None, EnterpriseSize.SMALL, 210, 0, 0, 900, ("0", "0"), 2022),
    "上海金山精细化工有限公司": (ProjectStage.WITHDRAWN, ProjectStage.DIAGNOSED, EnterpriseSize.MEDIUM, 380, 0, 0,
                                  1500, ("0", "0"), 2022),
}  # fmt: skip


def assessment_demo_projects() -> list[DemoProject]:
    """The assessment demo's seven enterprises as programme entries, at the levels their diagnoses reached."""
    projects = []
    for target in DEMO_TARGETS:
        stage, stopped, size, employees, planned, deployed, budget, gains, year = ASSESSMENT_STAGES[target.name]
        projects.append(
            DemoProject(
                name=target.name,
                credit_code=None,
                industry=ASSESSMENT_INDUSTRIES[target.industry],
                district=DISTRICTS_BY_NAME[target.district],
                size=size,
                employees=employees,
                stage=stage,
                stopped_at=stopped,
                maturity_level=target.level,
                robots_planned=planned,
                robots_deployed=deployed,
                budget_cny=Decimal(budget * 10_000),
                productivity_gain_pct=Decimal(gains[0]),
                cost_reduction_pct=Decimal(gains[1]),
                applied_year=year,
                existing=True,
            )
        )
    return projects
