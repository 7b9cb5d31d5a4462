"""Stored alarms for tests: a plant, rules made through the service, samples committed through the observer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from tests.conftest import World
from tests.telemetry.builders import Plant, build_plant
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.telemetry.alarms import evaluator, service
from zhizao.telemetry.alarms.models import AlarmEvent, AlarmStatus
from zhizao.telemetry.store.base import Point, TextPoint

S = 1_000_000
T0 = 1_767_225_600 * S  # 2026-01-01T00:00:00Z


@dataclass
class Alarms:
    database: Database
    plant: Plant
    actor: Principal
    evaluator: evaluator.AlarmEvaluator

    def rule(self, **fields: Any) -> int:
        body = {"id": "R1", "signal_id": self.plant.signal_id, "severity": "high", **fields}
        with self.database.session() as session:
            return service.create_rule(session, self.actor, body).id

    def feed(self, *samples: tuple[float, float | str], signal_id: int | None = None) -> list[AlarmEvent]:
        """Samples (seconds after T0, value) committed as one batch and handed to the observer."""
        signal = signal_id or self.plant.signal_id
        points = [Point(signal, T0 + round(t * S), v) for t, v in samples if not isinstance(v, str)]
        texts = [TextPoint(signal, T0 + round(t * S), v) for t, v in samples if isinstance(v, str)]
        self.evaluator.refresh(force=True)
        return self.evaluator.evaluate(points, texts)

    def tick(self, t: float) -> list[AlarmEvent]:
        return evaluator.tick(self.database, T0 + round(t * S))

    def events(self) -> list[tuple[float, str, str]]:
        """(seconds after T0, event, new state) of every stored event, in order."""
        with self.database.session() as session:
            rows = session.scalars(select(AlarmEvent).order_by(AlarmEvent.id)).all()
            return [((row.ts_us - T0) / S, row.event, row.to_state) for row in rows]

    def state(self, rule_pk: int) -> str:
        with self.database.session() as session:
            status = session.get(AlarmStatus, rule_pk)
            assert status is not None
            return status.alarm_state


def alarms_for(world: World, plant: Plant | None = None) -> Alarms:
    plant = plant or build_plant(world)
    owner = world.user(Role.ENTERPRISE, plant.enterprise_id)
    actor = Principal(owner.user_id, owner.username, owner.username, Role.ENTERPRISE, plant.enterprise_id)
    return Alarms(world.database, plant, actor, evaluator.AlarmEvaluator(world.database))
