"""The lifecycle through the stored path: samples committed → observer → stored states and events; ticks from the
ticker; operator actions through the service. Table-driven, on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import World
from tests.telemetry.alarms.stored import T0, alarms_for
from zhizao.errors import Conflict
from zhizao.telemetry.alarms import service
from zhizao.telemetry.alarms.schemas import AcknowledgeIn, ShelveIn, UnshelveIn

ON, OFF, ACK = "condition_true", "condition_false", "acknowledge"

# (name, rule fields, steps: ("feed", [(t, v), …]) or ("tick", t), expected (t, event, state) in order)
CASES: list[tuple[str, dict[str, Any], list[tuple[str, Any]], list[tuple[float, str, str]]]] = [
    (
        "threshold with deadband",
        {"kind": "threshold", "limit": "high", "setpoint": 100.0, "deadband": 5.0},
        [("feed", [(0, 90.0), (1, 100.0), (2, 97.0), (3, 96.0), (4, 94.0)])],
        [(1, ON, "active_unacked"), (4, OFF, "cleared_unacked")],
    ),
    (
        "on-delay: a short excursion does not alarm, a long one does",
        {"kind": "threshold", "limit": "high", "setpoint": 100.0, "on_delay_s": 5.0},
        [("feed", [(0, 101.0), (3, 90.0), (10, 101.0)]), ("tick", 14.0), ("tick", 15.0)],
        [(15, ON, "active_unacked")],
    ),
    (
        "off-delay holds the alarm until the condition stayed clear",
        {"kind": "threshold", "limit": "low", "setpoint": 10.0, "off_delay_s": 3.0},
        [("feed", [(0, 5.0), (1, 20.0), (2, 5.0), (3, 20.0)]), ("tick", 10.0)],
        [(0, ON, "active_unacked"), (6, OFF, "cleared_unacked")],
    ),
    (
        "rate of change",
        {"kind": "rate_of_change", "limit": 2.0, "window_s": 10.0, "direction": "rising"},
        [("feed", [(0, 10.0), (1, 11.0), (2, 20.0), (3, 20.0), (20, 20.0)])],
        [(2, ON, "active_unacked"), (20, OFF, "cleared_unacked")],
    ),
    (
        "state equals (a state code stored as a float)",
        {"kind": "state_equals", "values": [1]},
        [("feed", [(0, 2.0), (1, 1.0), (2, 2.0)])],
        [(1, ON, "active_unacked"), (2, OFF, "cleared_unacked")],
    ),
    (
        "state equals on text",
        {"kind": "state_equals", "values": ["ERROR"]},
        [("feed", [(0, "OK"), (1, "ERROR")])],
        [(1, ON, "active_unacked")],
    ),
    (
        "stale data via the ticker, cleared by the next sample",
        {"kind": "stale", "stale_after_s": 10.0},
        [("tick", 0.0), ("feed", [(1, 5.0)]), ("tick", 11.0), ("tick", 12.0), ("feed", [(20, 5.0)])],
        [(11.000001, ON, "active_unacked"), (20, OFF, "cleared_unacked")],
    ),
]


@pytest.mark.parametrize(("name", "fields", "steps", "expected"), CASES, ids=[case[0] for case in CASES])
def test_lifecycle_through_storage(
    world: World, name: str, fields: dict[str, Any], steps: list[tuple[str, Any]], expected: list[Any]
) -> None:
    alarms = alarms_for(world)
    alarms.rule(**fields)
    for step, argument in steps:
        if step == "feed":
            alarms.feed(*argument)
        else:
            alarms.tick(argument)
    assert alarms.events() == expected


def test_a_replayed_batch_writes_no_event_twice(world: World) -> None:
    alarms = alarms_for(world)
    rule = alarms.rule(kind="threshold", limit="high", setpoint=100.0)
    batch = [(0, 90.0), (1, 120.0), (2, 90.0), (3, 130.0)]
    first = alarms.feed(*batch)
    assert [event.event for event in first] == [ON, OFF, ON]
    assert alarms.feed(*batch) == []  # at-least-once: the same batch again
    assert alarms.feed(*batch[:2]) == []
    assert len(alarms.events()) == 3
    assert alarms.state(rule) == "active_unacked"


def test_acknowledge_with_comment_and_refusals(world: World) -> None:
    alarms = alarms_for(world)
    rule = alarms.rule(kind="threshold", limit="high", setpoint=100.0)
    with world.database.session() as session, pytest.raises(Conflict, match="nothing to acknowledge"):
        service.act(session, alarms.actor, rule, AcknowledgeIn(comment="early"))
    alarms.feed((0, 120.0))
    with world.database.session() as session:
        event = service.act(session, alarms.actor, rule, AcknowledgeIn(comment="checked the pump"))
    assert (event.event, event.to_state, event.comment) == (ACK, "active_acked", "checked the pump")
    assert event.user == alarms.actor.username
    alarms.feed((5, 50.0))
    assert alarms.state(rule) == "normal"
    assert [e[1:] for e in alarms.events()] == [(ON, "active_unacked"), (ACK, "active_acked"), (OFF, "normal")]


def test_shelving_expires_via_the_ticker(world: World) -> None:
    alarms = alarms_for(world)
    rule = alarms.rule(kind="threshold", limit="high", setpoint=100.0)
    alarms.feed((0, 120.0))
    with world.database.session() as session:
        shelved = service.act(session, alarms.actor, rule, ShelveIn(duration_s=60, reason="sensor being replaced"))
    assert shelved.to_state == "shelved" and shelved.shelved_until_us is not None
    with world.database.session() as session, pytest.raises(Conflict, match="already shelved"):
        service.act(session, alarms.actor, rule, ShelveIn(duration_s=60, reason="again"))
    until_s = (shelved.shelved_until_us - T0) / 1_000_000
    assert alarms.tick(until_s - 1) == []
    expired = alarms.tick(until_s + 1)
    assert [(e.event, e.to_state) for e in expired] == [("shelf_expired", "active_unacked")]  # still active: again


def test_unshelve_returns_to_what_the_condition_says(world: World) -> None:
    alarms = alarms_for(world)
    rule = alarms.rule(kind="threshold", limit="high", setpoint=100.0)
    alarms.feed((0, 120.0))
    with world.database.session() as session:
        service.act(session, alarms.actor, rule, ShelveIn(duration_s=3600, reason="noisy"))
    alarms.feed((1, 50.0))  # the condition clears while shelved: tracked, not annunciated
    assert alarms.state(rule) == "shelved"
    with world.database.session() as session:
        event = service.act(session, alarms.actor, rule, UnshelveIn())
    assert event.to_state == "normal"


def test_a_rule_change_keeps_or_clears_the_state(world: World) -> None:
    alarms = alarms_for(world)
    rule = alarms.rule(kind="threshold", limit="high", setpoint=100.0)
    alarms.feed((0, 120.0))
    body = {"id": "R1", "signal_id": alarms.plant.signal_id, "kind": "threshold", "limit": "high", "setpoint": 100.0}
    with world.database.session() as session:
        service.update_rule(session, alarms.actor, rule, {**body, "severity": "critical", "message": "too hot"})
    assert alarms.state(rule) == "active_unacked"  # severity and message only: the alarm stays
    with world.database.session() as session:
        service.update_rule(session, alarms.actor, rule, {**body, "severity": "critical", "setpoint": 150.0})
    assert alarms.state(rule) == "normal"  # a new condition: the rule starts afresh
    assert alarms.feed((1, 120.0)) == []
    assert [e.event for e in alarms.feed((2, 160.0))] == [ON]
