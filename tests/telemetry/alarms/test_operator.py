"""Operator actions in the engine: acknowledgement with comment, shelving and its expiry, out of service."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from tests.telemetry.alarms.support import S, series, steps, threshold, tick
from zhizao.errors import NotFound
from zhizao.telemetry.alarms.engine import AlarmEngine
from zhizao.telemetry.alarms.lifecycle import AlarmState, LifecycleEvent, TransitionRefused
from zhizao.telemetry.alarms.state import (
    Acknowledge,
    OperatorAction,
    RemoveFromService,
    ReturnToService,
    Shelve,
    Unshelve,
)

RULE = "temp.h"


def active_engine(**fields: object) -> AlarmEngine:
    engine = AlarmEngine([threshold(**fields)])
    engine.feed(series((0, 101.0)))
    assert engine.rule_state(RULE).state is AlarmState.ACTIVE_UNACKED
    return engine


def test_acknowledgement_records_who_and_the_comment() -> None:
    engine = active_engine()
    transition = engine.act(RULE, 5 * S, Acknowledge(user="li.wei", comment="checked the coolant pump"))
    assert (transition.event, transition.from_state, transition.to_state) == (
        LifecycleEvent.ACKNOWLEDGE,
        AlarmState.ACTIVE_UNACKED,
        AlarmState.ACTIVE_ACKED,
    )
    assert (transition.user, transition.comment, transition.ts_us, transition.value) == (
        "li.wei",
        "checked the coolant pump",
        5 * S,
        101.0,
    )
    assert not transition.is_activation
    # Acknowledged and then clear: straight back to normal, nothing more to acknowledge.
    assert steps(engine.feed(series((6, 90.0)))) == [(6, "condition_false", "normal")]
    with pytest.raises(TransitionRefused, match="nothing to acknowledge"):
        engine.act(RULE, 7 * S, Acknowledge(user="li.wei"))


def test_acknowledging_a_cleared_alarm_returns_it_to_normal() -> None:
    engine = active_engine()
    engine.feed(series((1, 90.0)))
    assert engine.act(RULE, 2 * S, Acknowledge(user="op")).to_state is AlarmState.NORMAL


def test_acknowledging_a_normal_alarm_is_refused_and_changes_nothing() -> None:
    engine = AlarmEngine([threshold()])
    with pytest.raises(TransitionRefused):
        engine.act(RULE, 0, Acknowledge(user="op"))
    assert engine.rule_state(RULE).state is AlarmState.NORMAL


@pytest.mark.parametrize(
    ("after_shelving", "until", "expected_at_expiry"),
    [
        pytest.param([], 3700, [(3610, "shelf_expired", "active_unacked")], id="still active: back as a new alarm"),
        pytest.param([(20, 90.0)], 3700, [(3610, "shelf_expired", "normal")], id="cleared meanwhile: normal"),
        pytest.param([(20, 90.0), (30, 105.0)], 3700, [(3610, "shelf_expired", "active_unacked")], id="came back"),
        pytest.param([], 3609, [], id="not yet expired"),
    ],
)
def test_shelving_and_its_expiry(
    after_shelving: list[tuple[float, float]], until: float, expected_at_expiry: list[tuple[float, str, str]]
) -> None:
    engine = active_engine()
    shelved = engine.act(RULE, 10 * S, Shelve(user="op", duration_s=3600, reason="sensor being recalibrated"))
    assert (shelved.to_state, shelved.shelved_until_us, shelved.comment) == (
        AlarmState.SHELVED,
        3610 * S,
        "sensor being recalibrated",
    )
    tracked = engine.feed(series(*after_shelving))
    # The condition is tracked while shelved, but nothing is annunciated.
    assert all(t.to_state is AlarmState.SHELVED and not t.is_activation for t in tracked)
    assert len(tracked) == len(after_shelving)
    assert steps(engine.tick(round(until * S))) == expected_at_expiry


def test_an_expired_shelf_counts_as_an_activation_when_the_condition_holds() -> None:
    engine = active_engine()
    engine.act(RULE, 0, Shelve(user="op", duration_s=60, reason="known"))
    (expired,) = engine.feed([tick(61)])
    assert expired.is_activation
    assert engine.rule_state(RULE).shelved_until_us is None


def test_delays_keep_running_while_shelved() -> None:
    engine = AlarmEngine([threshold(on_delay_s=30.0)])
    engine.act(RULE, 0, Shelve(user="op", duration_s=100, reason="start-up"))
    assert steps(engine.feed([*series((10, 150.0)), tick(200)])) == [
        (40, "condition_true", "shelved"),
        (100, "shelf_expired", "active_unacked"),
    ]


def test_unshelving_early_goes_by_the_condition() -> None:
    engine = active_engine()
    engine.act(RULE, 1 * S, Shelve(user="op", duration_s=600, reason="nuisance"))
    unshelved = engine.act(RULE, 2 * S, Unshelve(user="op", comment="fixed"))
    assert (unshelved.to_state, unshelved.comment) == (AlarmState.ACTIVE_UNACKED, "fixed")
    assert engine.feed([tick(1000)]) == []  # the shelf is gone: no expiry later
    with pytest.raises(TransitionRefused, match="not shelved"):
        engine.act(RULE, 3 * S, Unshelve(user="op"))


def test_out_of_service_tracks_the_condition_until_returned() -> None:
    engine = active_engine()
    engine.act(RULE, 1 * S, Shelve(user="op", duration_s=60, reason="noisy"))
    removed = engine.act(RULE, 2 * S, RemoveFromService(user="tech", reason="transmitter replaced"))
    assert removed.to_state is AlarmState.OUT_OF_SERVICE
    assert engine.rule_state(RULE).shelved_until_us is None  # the shelf does not expire out of service
    assert steps(engine.feed([*series((3, 50.0)), tick(500)])) == [(3, "condition_false", "out_of_service")]
    with pytest.raises(TransitionRefused, match="already shelved or out of service"):
        engine.act(RULE, 4 * S, Shelve(user="op", duration_s=60, reason="x"))
    assert engine.act(RULE, 501 * S, ReturnToService(user="tech")).to_state is AlarmState.NORMAL


def test_unknown_rule_is_not_found() -> None:
    with pytest.raises(NotFound):
        AlarmEngine([threshold()]).act("nope", 0, Acknowledge(user="op"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": "shelve", "user": "op", "duration_s": 0, "reason": "x"}, "duration_s"),
        ({"action": "shelve", "user": "op", "duration_s": 90_000, "reason": "x"}, "duration_s"),
        ({"action": "shelve", "user": "op", "duration_s": 60}, "reason"),
        ({"action": "acknowledge", "user": ""}, "user"),
        ({"action": "acknowledge", "user": "op", "comment": "x" * 501}, "comment"),
        ({"action": "remove_from_service", "user": "op", "reason": ""}, "reason"),
    ],
)
def test_operator_actions_are_validated(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(OperatorAction).validate_python(data)
    assert [error["loc"][-1] for error in caught.value.errors()] == [field]
