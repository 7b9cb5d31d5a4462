"""The demo: a fresh database filled by each context's seeder, in dependency order."""

from __future__ import annotations

from zhizao.accounts import demo as accounts_demo
from zhizao.db.engine import Database
from zhizao.demo import assessment as assessment_demo
from zhizao.demo import c2m as c2m_demo
from zhizao.demo import connected as connected_demo
from zhizao.demo import governance as governance_demo
from zhizao.demo import maintenance as maintenance_demo
from zhizao.demo import production as production_demo
from zhizao.demo import sharing as sharing_demo
from zhizao.demo import vision as vision_demo
from zhizao.seeding import Seeder, SeedReport
from zhizao.settings import Settings
from zhizao.simulator import seed as factory_demo

# Accounts, then the virtual factory's plant, then its production history (which needs both); the diagnoses, then
# the programme run on them (which needs the diagnosed enterprises and the expert pool); last the cell read over
# OPC UA and Modbus, with the plant's alarm rules; then its healthy history, health baselines and the maintenance
# plans and past repairs (which need the cell and the plant); then the equipment maker's shared fleet; last the
# vehicle maker's C2M orders (which need only the demo consumer); and the inspection station on line L1 (which needs
# the plant).
SEEDERS: tuple[Seeder, ...] = (
    accounts_demo.seed,
    factory_demo.seed,
    production_demo.seed,
    assessment_demo.seed,
    governance_demo.seed,
    connected_demo.seed,
    maintenance_demo.seed,
    sharing_demo.seed,
    c2m_demo.seed,
    vision_demo.seed,
)


def seed_all(database: Database, settings: Settings) -> list[SeedReport]:
    return [seeder(database, settings) for seeder in SEEDERS]
