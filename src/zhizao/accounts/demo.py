"""Demo data for accounts: one organisation of each kind and one user per role, with known passwords."""

from __future__ import annotations

from dataclasses import dataclass

from zhizao.accounts import service
from zhizao.accounts.credit_code import complete
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.accounts.schemas import OrganisationCreate, UserCreate
from zhizao.db.engine import Database
from zhizao.seeding import SeedReport
from zhizao.settings import Settings


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    name: str
    kind: OrganisationKind
    credit_code_stem: str | None  # 17 characters; the check character is computed
    district: str | None


DEMO_ORGANISATIONS = (
    DemoOrganisation("government", "上海市经济和信息化委员会", OrganisationKind.GOVERNMENT, None, "黄浦区"),
    DemoOrganisation("experts", "上海市智能制造专家委员会", OrganisationKind.EXPERT_BODY, None, "徐汇区"),
    DemoOrganisation(
        "enterprise",
        "上海临港汽车零部件有限公司",
        OrganisationKind.ENTERPRISE,
        "91310115MA1H7G2X0",
        "浦东新区",
    ),
    DemoOrganisation(
        "enterprise2",
        "上海张江生物制药有限公司",
        OrganisationKind.ENTERPRISE,
        "91310115MA1K4B8C3",
        "浦东新区",
    ),
    DemoOrganisation(
        "integrator", "上海智联系统集成有限公司", OrganisationKind.INTEGRATOR, "91310112MA1G5H6J9", "闵行区"
    ),
    DemoOrganisation("platform", "上海电梯工业互联网平台有限公司", OrganisationKind.PLATFORM, None, "嘉定区"),
    DemoOrganisation("consumers", "个人消费者", OrganisationKind.CONSUMER, None, None),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    organisation_key: str | None

    @property
    def password(self) -> str:
        # Known on purpose: the demo serves on loopback only, and the README lists these logins.
        return f"zhizao-{self.username}-demo"


DEMO_USERS = (
    DemoUser("admin", "孙工（平台运维）", Role.ADMIN, "government"),
    DemoUser("officer", "王主任（经信委）", Role.OFFICER, "government"),
    DemoUser("expert", "李专家", Role.EXPERT, "experts"),
    DemoUser("enterprise", "张工（临港汽车零部件）", Role.ENTERPRISE, "enterprise"),
    DemoUser("integrator", "陈经理（智联集成）", Role.INTEGRATOR, "integrator"),
    DemoUser("platform", "赵运营（电梯平台）", Role.PLATFORM, "platform"),
    DemoUser("consumer", "刘女士", Role.CONSUMER, "consumers"),
)


def seed(database: Database, settings: Settings) -> SeedReport:
    organisation_ids: dict[str, int] = {}
    with database.session() as session:
        for org in DEMO_ORGANISATIONS:
            created = service.create_organisation(
                session,
                None,
                OrganisationCreate(
                    name=org.name,
                    kind=org.kind,
                    credit_code=complete(org.credit_code_stem) if org.credit_code_stem else None,
                    district=org.district,
                ),
            )
            organisation_ids[org.key] = created.id
        for user in DEMO_USERS:
            service.create_user(
                session,
                None,
                UserCreate(
                    username=user.username,
                    display_name=user.display_name,
                    password=user.password,
                    role=user.role,
                    organisation_id=organisation_ids[user.organisation_key] if user.organisation_key else None,
                ),
            )
    return SeedReport(
        title="Demo logins (one per role)",
        headers=("role", "username", "password"),
        rows=[(user.role.value, user.username, user.password) for user in DEMO_USERS],
    )
