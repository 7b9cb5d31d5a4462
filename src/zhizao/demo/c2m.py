"""Demo seeder: C2M mass customisation — a vehicle maker's customisable electric SUV, its plant, and twelve weeks of
consumer orders built in it.

上海智行汽车有限公司 (login ``carmaker``) makes the 智行 S7 (the product core's demo model, released as version 1)
in its Anting plant: two press lines, four body-welding robot cells, two paint robots, four final-assembly stations
and three test lines, each a piece of equipment of the asset model and a work centre of the routing's kind. About
three hundred orders of the last twelve weeks (``demo.c2m_history``) are stored with their operations, as the plant
ran them, and their timelines: the older ones shipped, the last days' scheduled or in production, the newest few only
confirmed, waiting for the planner. The demo consumer (``consumer``) has two of them: one shipped, one under way.
The other buyers are simulated accounts that cannot sign in.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from zhizao.accounts import service as accounts_service
from zhizao.accounts.auth import principal_of
from zhizao.accounts.demo import DemoUser
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.accounts.schemas import OrganisationCreate, UserCreate
from zhizao.c2m import versions
from zhizao.c2m.models import ConsumerOrder, OrderEvent, OrderOperation, WorkCentre
from zhizao.c2m.orders import DEFAULT_LEAD_DAYS, order_number
from zhizao.c2m.product.loading import load_demo_model
from zhizao.db.engine import Database
from zhizao.demo.c2m_history import Centre, SimulatedOrder, simulate
from zhizao.seeding import SeedReport
from zhizao.settings import Settings
from zhizao.telemetry import assets
from zhizao.telemetry.kinds import EquipmentType, NodeLevel
from zhizao.telemetry.schemas import EquipmentCreate, NodeCreate

MAKER = "上海智行汽车有限公司"
MAKER_USER = DemoUser("carmaker", "黄工（智行汽车·定制）", Role.ENTERPRISE, None)
DEMO_CONSUMER = "consumer"
BUYERS = 80
SEED = 643
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
TITLES = ("先生", "女士")
# (area code, area name, routing kind, equipment type, how many, code prefix, station name)
PLANT = (
    ("ZX-PR", "冲压车间", "press", EquipmentType.PRESS, 2, "ZX-PR", "冲压线 {n}"),
    ("ZX-BW", "焊装车间", "body_welding", EquipmentType.INDUSTRIAL_ROBOT, 4, "ZX-BW", "焊装机器人工位 {n}"),
    ("ZX-PT", "涂装车间", "paint", EquipmentType.INDUSTRIAL_ROBOT, 2, "ZX-PT", "涂装机器人 {n}"),
    ("ZX-GA", "总装车间", "assembly", EquipmentType.OTHER, 4, "ZX-GA", "总装 {n} 号工位"),
    ("ZX-QT", "检测线", "test", EquipmentType.INSPECTION_STATION, 3, "ZX-QT", "检测线 {n}"),
)


def _maker(session: Session) -> tuple[int, Principal]:
    maker_id = accounts_service.create_organisation(
        session, None, OrganisationCreate(name=MAKER, kind=OrganisationKind.ENTERPRISE, district="嘉定区")
    ).id
    user = accounts_service.create_user(
        session, None,
        UserCreate(username=MAKER_USER.username, display_name=MAKER_USER.display_name, password=MAKER_USER.password,
                   role=MAKER_USER.role, organisation_id=maker_id),
    )  # fmt: skip
    actor = principal_of(user)
    session.rollback()  # reading the new user began a transaction; the next service begins its own
    return maker_id, actor


def _plant(session: Session, actor: Principal, maker_id: int) -> list[tuple[int, Centre]]:
    """The plant in the asset model, and a work centre for each of its machines: (equipment id, centre)."""
    site = assets.create_node(
        session, actor, NodeCreate(enterprise_id=maker_id, level=NodeLevel.SITE, code="ZX", name="安亭整车工厂")
    )
    centres = []
    for area_code, area_name, kind, equipment_type, count, prefix, station in PLANT:
        area = assets.create_node(
            session, actor,
            NodeCreate(enterprise_id=maker_id, parent_id=site.id, level=NodeLevel.AREA, code=area_code, name=area_name),
        )  # fmt: skip
        for number in range(1, count + 1):
            name = station.format(n=number)
            equipment = assets.create_equipment(
                session, actor,
                EquipmentCreate(enterprise_id=maker_id, node_id=area.id, code=f"{prefix}-{number:02d}", name=name,
                                equipment_type=equipment_type, manufacturer="智行汽车", year=2023),
            )  # fmt: skip
            centres.append((equipment.id, Centre(kind, name)))
    with session.begin():
        session.add_all(
            WorkCentre(enterprise_id=maker_id, kind=centre.kind, equipment_id=equipment_id, station=centre.station)
            for equipment_id, centre in centres
        )
    return centres


def _buyers(session: Session, rng: random.Random) -> list[int]:
    """Simulated buyers: consumer accounts no one can sign in as (inactive, and "!" is no argon2 hash of anything:
    it never verifies)."""
    with session.begin():
        consumers = session.scalar(select(Organisation.id).where(Organisation.kind == OrganisationKind.CONSUMER))
        rows = [
            {"username": f"c2m-buyer-{index:03d}", "display_name": f"{rng.choice(SURNAMES)}{rng.choice(TITLES)}",
             "password_hash": "!", "role": Role.CONSUMER, "organisation_id": consumers, "is_active": False}
            for index in range(1, BUYERS + 1)
        ]  # fmt: skip
        session.execute(insert(User), rows)
        return list(session.scalars(select(User.id).where(User.username.like("c2m-buyer-%")).order_by(User.id)))


def _store(
    session: Session, maker_id: int, model_id: int, simulated: list[SimulatedOrder], consumers: list[int],
    equipment_ids: list[int], now: datetime,
) -> None:  # fmt: skip
    """The orders with their operations and events, in bulk (a few thousand rows)."""
    model = load_demo_model()
    orders = [
        ConsumerOrder(
            number=f"pending-{index}",
            maker_id=maker_id,
            consumer_id=consumers[index],
            model_id=model_id,
            chosen=sorted(order.chosen),
            price_cny=model.price_of(set(order.chosen)),
            region=order.region.value,
            status=order.status,
            station=order.station,
            due_at=order.created_at + timedelta(days=DEFAULT_LEAD_DAYS),
            created_at=order.created_at,
            updated_at=order.events[-1][2],
        )
        for index, order in enumerate(simulated)
    ]
    session.add_all(orders)
    session.flush()
    numbers = [{"id": row.id, "number": order_number(row.id, row.created_at)} for row in orders]
    session.execute(update(ConsumerOrder), numbers)
    operations, events = [], []
    for row, order in zip(orders, simulated, strict=True):
        for op in order.operations:
            started = op.start is not None and op.start <= now
            operations.append({
                "order_id": row.id, "seq": op.step.seq, "code": op.step.code, "kind": op.step.kind,
                "minutes": op.step.minutes, "equipment_id": None if op.centre is None else equipment_ids[op.centre],
                "planned_start": op.start, "planned_end": op.end, "started_at": op.start if started else None,
                "finished_at": op.end if started and op.end is not None and op.end <= now else None,
            })  # fmt: skip
        events += [
            {"order_id": row.id, "status": status, "station": station, "at": at} for status, station, at in order.events
        ]
    session.execute(insert(OrderOperation), operations)
    session.execute(insert(OrderEvent), events)


def _consumers(
    rng: random.Random, simulated: list[SimulatedOrder], buyers: list[int], demo: int, now: datetime
) -> list[int]:
    """Who placed each order: simulated buyers, and the demo consumer two of them — one shipped about five weeks
    ago, the newest one already under way."""
    chosen = [rng.choice(buyers) for _ in simulated]
    old = min(range(len(simulated)), key=lambda i: abs(simulated[i].created_at - (now - timedelta(weeks=5))))
    under_way = [i for i, order in enumerate(simulated) if order.status.value in ("scheduled", "in_production")]
    for index in (old, *under_way[-1:]):
        chosen[index] = demo
    return chosen


def seed(database: Database, settings: Settings) -> SeedReport:
    began = time.monotonic()
    now = datetime.now(UTC)
    rng = random.Random(SEED)  # noqa: S311 - a reproducible demo, not a secret
    with database.session() as session:
        maker_id, maker = _maker(session)
        plant = _plant(session, maker, maker_id)
        row = versions.create_draft(session, maker, load_demo_model())
        model_id = row.id
    with database.session() as session:
        versions.release(session, maker, model_id)
    with database.session() as session:
        buyers = _buyers(session, rng)
    simulated = simulate(rng, load_demo_model(), [centre for _, centre in plant], now, ZoneInfo(settings.timezone))
    with database.session() as session, session.begin():
        demo = session.scalar(select(User.id).where(User.username == DEMO_CONSUMER))
        consumers = _consumers(rng, simulated, buyers, demo or buyers[0], now)
        _store(session, maker_id, model_id, simulated, consumers, [equipment for equipment, _ in plant], now)
    statuses: dict[str, int] = {}
    for order in simulated:
        statuses[order.status.value] = statuses.get(order.status.value, 0) + 1
    return SeedReport(
        title="C2M mass customisation (a vehicle maker's customisable SUV and its consumer orders)",
        headers=("what", "figure"),
        rows=[
            ("maker login", f"{MAKER_USER.username} / {MAKER_USER.password}"),
            ("model", "ZX-S7 智行 S7, version 1 released (45 option families)"),
            ("work centres", str(len(plant))),
            ("orders (12 weeks)", ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))),
            ("seconds", f"{time.monotonic() - began:.1f}"),
        ],
    )
