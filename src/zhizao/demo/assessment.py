"""Demo seeder for maturity assessment: diagnosed enterprises across industries and levels, an expert pool and the
demo integrator's capabilities, all made through the real services so that scores, gap plans, agreement figures
and audit entries are the ones the platform computes.

Each enterprise gets a closed on-site diagnosis whose consensus ratings are generated (deterministically, from a
checksum of each item id) to reach a chosen level and partial score: every level up to the chosen one is rated
1 or 0.8 (so it is reached), the next level is tuned towards the partial score with the scoring's own
coefficients, the levels above are rated 0 or 0.5. The diagnoses are opened and staffed before any is closed, so
the team proposals balance the experts' workload as they would in a real programme.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import service as accounts
from zhizao.accounts.auth import principal_of
from zhizao.accounts.demo import DEMO_ORGANISATIONS
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.accounts.schemas import OrganisationCreate, UserCreate
from zhizao.assessment import service_diagnosis, service_pool, service_ratings
from zhizao.assessment.kinds import EnterpriseType, EvidenceGrade
from zhizao.assessment.model import MaturityModel, load_model
from zhizao.assessment.models import AssessmentResult
from zhizao.assessment.schemas import DiagnosisCreate, ExpertCreate, IntegratorUpdate, ProfileUpdate, RatingInput
from zhizao.assessment.scoring import ALLOWED_RATINGS, level_coefficients
from zhizao.assessment.service_access import team
from zhizao.db.engine import Database
from zhizao.seeding import SeedReport
from zhizao.settings import Settings
from zhizao.simulator.seed import DEMO_ENTERPRISE

DEMO_EXPERT_LOGIN = "expert"  # the accounts seeder's expert; it leads the diagnoses of 汽车零部件 enterprises
ORGANISATION_NAMES = {org.key: org.name for org in DEMO_ORGANISATIONS}
INTEGRATOR_CAPABILITIES = ["data_platform", "system_integration", "iiot", "mes", "aps", "eam", "wms", "ems"]
RATING_COMMENTS = {
    0.8: "大部分满足，个别记录不完整",
    0.5: "部分满足，尚未覆盖全部产线",
    0.0: "未见相关制度、记录或系统",
}
CLOSE_ENOUGH = 1e-9


@dataclass(frozen=True, slots=True)
class DemoTarget:
    """An enterprise to diagnose and the result its ratings are generated for: ``level`` + ``partial``."""

    name: str
    industry: str
    enterprise_type: EnterpriseType
    district: str
    level: int
    partial: float  # the next level's score, below the threshold
    existing: bool = False  # seeded by the accounts seeder; otherwise created here
    uses_demo_integrator: bool = False


DEMO_TARGETS = (
    DemoTarget(DEMO_ENTERPRISE, "汽车零部件", EnterpriseType.DISCRETE, "浦东新区", 3, 0.55, existing=True,
               uses_demo_integrator=True),
    DemoTarget(ORGANISATION_NAMES["enterprise2"], "生物医药", EnterpriseType.PROCESS, "浦东新区", 2, 0.6,
               existing=True),
    DemoTarget("上海嘉定汽车电子有限公司", "汽车零部件", EnterpriseType.DISCRETE, "嘉定区", 2, 0.3,
               uses_demo_integrator=True),
    DemoTarget("上海松江智能终端有限公司", "电子信息", EnterpriseType.DISCRETE, "松江区", 4, 0.2),
    DemoTarget("上海闵行数控装备有限公司", "高端装备", EnterpriseType.DISCRETE, "闵行区", 3, 0.1),
    DemoTarget("上海奉贤健康食品有限公司", "食品", EnterpriseType.PROCESS, "奉贤区", 1, 0.45),
    DemoTarget("上海金山精细化工有限公司", "精细化工", EnterpriseType.PROCESS, "金山区", 1, 0.7,
               uses_demo_integrator=True),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DemoExpert:
    username: str  # a new user, except the accounts seeder's expert
    display_name: str
    industries: tuple[str, ...]
    specialities: tuple[str, ...]
    region: str
    employed_by_integrator: bool = False  # a conflict of interest the team rules must respect


DEMO_EXPERTS = (
    DemoExpert(DEMO_EXPERT_LOGIN, "李专家", ("汽车零部件", "高端装备"), ("MES", "精益生产"), "浦东新区"),
    DemoExpert("expert_wang", "王建国", ("电子信息", "高端装备"), ("工业互联网", "数据治理"), "徐汇区"),
    DemoExpert("expert_zhou", "周慧", ("生物医药", "食品"), ("GMP", "过程控制"), "浦东新区"),
    DemoExpert("expert_liu", "刘洋", ("食品", "精细化工"), ("能源管理", "安全环保"), "闵行区",
               employed_by_integrator=True),
    DemoExpert("expert_zhao", "赵敏", ("精细化工", "生物医药"), ("信息安全", "ERP"), "金山区"),
    DemoExpert("expert_sun", "孙强", ("高端装备", "电子信息"), ("工业机器人", "自动化"), "嘉定区"),
)  # fmt: skip


def _checksum(*parts: str) -> int:
    """A stable pseudo-random number per item (``hash()`` changes between runs)."""
    return zlib.crc32("|".join(parts).encode())


def consensus_ratings(model: MaturityModel, target: DemoTarget) -> list[RatingInput]:
    """Ratings of every applicable item that score ``target.level`` + about ``target.partial``."""
    by_level: dict[int, list[str]] = {}
    for requirement in model.applicable(target.enterprise_type):
        by_level.setdefault(requirement.level, []).append(requirement.id)
    values: dict[str, float] = {}
    for level, items in by_level.items():
        if level <= target.level:
            values.update((item, 0.8 if _checksum(item) % 3 == 0 else 1.0) for item in items)
        elif level > target.level + 1:
            values.update((item, 0.5 if _checksum(item) % 2 else 0.0) for item in items)
    next_items = by_level.get(target.level + 1, [])
    if next_items:
        values.update(_tuned(model, target, next_items))
    return [
        RatingInput(
            item=item,
            rating=rating,
            evidence_grade=_grade(item),
            comment=RATING_COMMENTS.get(rating, ""),
        )
        for item, rating in sorted(values.items())
    ]


def _tuned(model: MaturityModel, target: DemoTarget, items: Sequence[str]) -> dict[str, float]:
    """Ratings of the next level's items whose score (Σ coefficient × rating) comes as close to ``target.partial``
    as whole steps allow: start every item at 0.5, then raise items to 1 (or lower them to 0) in checksum order
    while the score stays on the near side of the target."""
    coefficients = level_coefficients(model, target.enterprise_type, target.level + 1, set(items))
    ratings = dict.fromkeys(items, 0.5)
    score = 0.5
    step = 0.5 if target.partial > score else -0.5
    for item in sorted(items, key=lambda item: _checksum(target.name, item)):
        change = coefficients[item] * step
        if abs(score + change - target.partial) < abs(score - target.partial) - CLOSE_ENOUGH:
            ratings[item] += step
            score += change
    return ratings


def _grade(item: str) -> EvidenceGrade:
    """Most items checked on site, the rest backed by documents: a confidence of about 60 %."""
    return EvidenceGrade.SITE_CHECKED if _checksum("grade", item) % 5 < 3 else EvidenceGrade.DOCUMENTED


def independent_ratings(consensus: Sequence[RatingInput], expert: str) -> list[RatingInput]:
    """An expert's own ratings before the consensus: the agreed value, one step off for about one item in seven,
    so the agreement figures have something to show."""
    steps = sorted(ALLOWED_RATINGS)
    ratings = []
    for entry in consensus:
        assert entry.rating is not None
        value = entry.rating
        if _checksum(expert, entry.item) % 7 == 0:
            index = steps.index(value)
            value = steps[index + 1] if index + 1 < len(steps) else steps[index - 1]
        ratings.append(RatingInput(item=entry.item, rating=value, evidence_grade=entry.evidence_grade))
    return ratings


# --- seeding -----------------------------------------------------------------------------------------------


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, f"user {username!r} is seeded by the accounts seeder first"
    return user


def _organisation_id(session: Session, name: str) -> int:
    found = session.scalar(select(Organisation.id).where(Organisation.name == name))
    assert found is not None, f"organisation {name!r} is seeded by the accounts seeder first"
    return found


def _enterprises(session: Session) -> dict[str, int]:
    """Each target's organisation id, creating the ones the accounts seeder does not make."""
    ids = {}
    for target in DEMO_TARGETS:
        session.rollback()
        if target.existing:
            ids[target.name] = _organisation_id(session, target.name)
            session.rollback()
            continue
        data = OrganisationCreate(name=target.name, kind=OrganisationKind.ENTERPRISE, district=target.district)
        ids[target.name] = accounts.create_organisation(session, None, data).id
    return ids


def _expert_pool(session: Session, admin: Principal, integrator_id: int) -> dict[str, Principal]:
    """The pool's experts as principals by username; new experts are users of the expert committee."""
    committee = _organisation_id(session, ORGANISATION_NAMES["experts"])
    session.rollback()
    principals = {}
    for expert in DEMO_EXPERTS:
        session.rollback()  # reading a committed row's attributes began a transaction; each service opens its own
        if expert.username != DEMO_EXPERT_LOGIN:
            data = UserCreate(
                username=expert.username,
                display_name=expert.display_name,
                password=f"zhizao-{expert.username}-demo",
                role=Role.EXPERT,
                organisation_id=committee,
            )
            accounts.create_user(session, None, data)
        user = _user(session, expert.username)
        principals[expert.username] = principal_of(user)
        session.rollback()
        employer = integrator_id if expert.employed_by_integrator else committee
        record = ExpertCreate(
            user_id=principals[expert.username].user_id,
            industries=list(expert.industries),
            specialities=list(expert.specialities),
            employer_id=employer,
            region=expert.region,
        )
        service_pool.create_expert(session, admin, record)
    return principals


def _diagnose(
    session: Session, officer: Principal, experts: dict[int, Principal], diagnosis_id: int, target: DemoTarget
) -> None:
    """Accept, rate independently, agree the consensus and close one staffed diagnosis."""
    members = [experts[expert.user_id] for _member, expert in team(session, diagnosis_id)]
    session.rollback()
    for member in members:
        service_diagnosis.respond(session, member, diagnosis_id, accept=True)
    consensus = consensus_ratings(load_model(), target)
    for member in members:
        service_ratings.save_ratings(session, member, diagnosis_id, independent_ratings(consensus, member.username))
    session.rollback()
    service_diagnosis.start_consensus(session, members[0], diagnosis_id)  # the lead expert moves it on
    service_ratings.save_ratings(session, members[0], diagnosis_id, consensus)  # …and records the consensus
    service_diagnosis.close(session, officer, diagnosis_id)


def seed(database: Database, settings: Settings) -> SeedReport:
    rows = []
    with database.session() as session:
        admin = principal_of(session.scalars(select(User).where(User.role == Role.ADMIN).order_by(User.id)).one())
        officer = principal_of(_user(session, "officer"))
        integrator_id = _organisation_id(session, ORGANISATION_NAMES["integrator"])
        session.rollback()
        service_pool.put_integrator(
            session, admin, integrator_id, IntegratorUpdate(capabilities=INTEGRATOR_CAPABILITIES)
        )
        enterprises = _enterprises(session)
        by_user = {principal.user_id: principal for principal in _expert_pool(session, admin, integrator_id).values()}
        session.rollback()
        for target in DEMO_TARGETS:
            profile = ProfileUpdate(
                industry=target.industry,
                enterprise_type=target.enterprise_type,
                integrator_ids=[integrator_id] if target.uses_demo_integrator else [],
            )
            service_pool.update_profile(session, admin, enterprises[target.name], profile)
        # Open and staff every diagnosis first, so each proposal counts the others in the experts' workload.
        diagnoses = []
        for target in DEMO_TARGETS:
            create = DiagnosisCreate(enterprise_id=enterprises[target.name], team_size=2)
            diagnosis_id = service_diagnosis.open_diagnosis(session, officer, create).id
            session.rollback()
            service_diagnosis.propose_team(session, officer, diagnosis_id)
            diagnoses.append((diagnosis_id, target))
        for diagnosis_id, target in diagnoses:
            session.rollback()
            _diagnose(session, officer, by_user, diagnosis_id, target)
            result = session.get(AssessmentResult, diagnosis_id)
            assert result is not None
            lead = next(expert for _member, expert in team(session, diagnosis_id))
            rows.append(
                (
                    target.name,
                    target.industry,
                    str(result.score["level"]),
                    f"{result.score['overall']:.2f}",
                    next(p.display_name for p in by_user.values() if p.user_id == lead.user_id),
                )
            )
            session.rollback()
    return SeedReport(
        title="Maturity diagnoses (closed)",
        headers=("enterprise", "industry", "level", "score", "lead expert"),
        rows=rows,
    )
