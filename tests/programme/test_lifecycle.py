"""The factory-project lifecycle, table-driven: every (stage, action) pair either moves as listed, for the roles
listed, or is refused — Conflict for the stage, PermissionDenied for the role."""

from __future__ import annotations

import itertools

import pytest

from zhizao.accounts.roles import Role
from zhizao.errors import Conflict, PermissionDenied
from zhizao.programme.kinds import ProjectStage
from zhizao.programme.lifecycle import (
    ACTION_LABELS,
    EVIDENCE_KEYS,
    FINAL_STAGES,
    TRANSITIONS,
    Action,
    Channel,
    EvidenceKind,
    Note,
    available_actions,
    next_transition,
)

S, A, E, C = ProjectStage, Action, EvidenceKind, Channel
OFFICE = {Role.ADMIN, Role.OFFICER}
OWNER = {Role.ADMIN, Role.OFFICER, Role.ENTERPRISE}

# (stage, action) → target, evidence, roles, channel, rationale required
ALLOWED: dict[tuple[ProjectStage, Action], tuple[ProjectStage, EvidenceKind | None, set[Role], Channel, bool]] = {
    (S.APPLIED, A.RECORD_DIAGNOSIS): (S.DIAGNOSED, E.DIAGNOSIS, OFFICE, C.TRANSITIONS, False),
    (S.DIAGNOSED, A.APPROVE_PLAN): (S.PLAN_APPROVED, E.UPGRADE_PLAN, OFFICE, C.PLAN_REVIEW, False),
    (S.PLAN_APPROVED, A.START_CONSTRUCTION): (S.IN_CONSTRUCTION, None, OWNER, C.TRANSITIONS, False),
    (S.IN_CONSTRUCTION, A.ACCEPT): (S.ACCEPTED, E.ACCEPTANCE, OFFICE, C.ACCEPTANCE, False),
    (S.ACCEPTED, A.RECOGNISE): (S.RECOGNISED, E.ACCEPTANCE, OFFICE, C.TRANSITIONS, False),
    (S.RECOGNISED, A.DESIGNATE_BENCHMARK): (S.BENCHMARK, E.BENCHMARK_DECISION, OFFICE, C.BENCHMARK, False),
    (S.APPLIED, A.REJECT): (S.REJECTED, None, OFFICE, C.TRANSITIONS, True),
    (S.DIAGNOSED, A.REJECT): (S.REJECTED, None, OFFICE, C.TRANSITIONS, True),
    (S.PLAN_APPROVED, A.REJECT): (S.REJECTED, None, OFFICE, C.TRANSITIONS, True),
    (S.IN_CONSTRUCTION, A.REJECT): (S.REJECTED, None, OFFICE, C.TRANSITIONS, True),
    (S.ACCEPTED, A.REJECT): (S.REJECTED, None, OFFICE, C.TRANSITIONS, True),
    (S.APPLIED, A.WITHDRAW): (S.WITHDRAWN, None, OWNER, C.TRANSITIONS, False),
    (S.DIAGNOSED, A.WITHDRAW): (S.WITHDRAWN, None, OWNER, C.TRANSITIONS, False),
    (S.PLAN_APPROVED, A.WITHDRAW): (S.WITHDRAWN, None, OWNER, C.TRANSITIONS, False),
    (S.IN_CONSTRUCTION, A.WITHDRAW): (S.WITHDRAWN, None, OWNER, C.TRANSITIONS, False),
}

ALLOWED_WITH_ROLE = [(stage, action, role) for (stage, action), spec in ALLOWED.items() for role in sorted(spec[2])]
REFUSED_ROLE = [
    (stage, action, role) for (stage, action), spec in ALLOWED.items() for role in sorted(set(Role) - spec[2])
]
NOT_FROM_STAGE = [(stage, action) for stage, action in itertools.product(S, A) if (stage, action) not in ALLOWED]


def test_the_table_is_exactly_the_allowed_list() -> None:
    assert {
        key: (t.target, t.evidence, set(t.roles), t.channel, t.needs_rationale) for key, t in TRANSITIONS.items()
    } == ALLOWED


@pytest.mark.parametrize(("stage", "action", "role"), ALLOWED_WITH_ROLE)
def test_allowed_transitions_for_their_roles(stage: ProjectStage, action: Action, role: Role) -> None:
    transition = next_transition(stage, action, role)
    assert transition.target == ALLOWED[(stage, action)][0]
    assert transition.evidence == ALLOWED[(stage, action)][1]


@pytest.mark.parametrize(("stage", "action", "role"), REFUSED_ROLE)
def test_other_roles_are_refused_where_the_stage_allows_the_action(
    stage: ProjectStage, action: Action, role: Role
) -> None:
    with pytest.raises(PermissionDenied, match=f"role {role.value} may not"):
        next_transition(stage, action, role)


@pytest.mark.parametrize(("stage", "action"), NOT_FROM_STAGE)
@pytest.mark.parametrize("role", [Role.ADMIN, Role.ENTERPRISE])
def test_every_other_pair_is_a_conflict_whoever_asks(stage: ProjectStage, action: Action, role: Role) -> None:
    with pytest.raises(Conflict, match=f"a project that is {stage.value} cannot"):
        next_transition(stage, action, role)


def test_final_stages_have_no_way_out_and_every_other_stage_has_one() -> None:
    assert {S.BENCHMARK, S.REJECTED, S.WITHDRAWN} == FINAL_STAGES
    origins = {stage for stage, _ in TRANSITIONS}
    assert origins == set(S) - FINAL_STAGES


def test_the_happy_path_walks_the_funnel_in_order() -> None:
    path = [A.RECORD_DIAGNOSIS, A.APPROVE_PLAN, A.START_CONSTRUCTION, A.ACCEPT, A.RECOGNISE, A.DESIGNATE_BENCHMARK]
    stage = S.APPLIED
    visited = [stage]
    for action in path:
        stage = next_transition(stage, action, Role.OFFICER).target
        visited.append(stage)
    assert visited == [
        S.APPLIED,
        S.DIAGNOSED,
        S.PLAN_APPROVED,
        S.IN_CONSTRUCTION,
        S.ACCEPTED,
        S.RECOGNISED,
        S.BENCHMARK,
    ]


@pytest.mark.parametrize(
    ("stage", "role", "expected"),
    [
        (S.APPLIED, Role.OFFICER, [A.RECORD_DIAGNOSIS, A.REJECT, A.WITHDRAW]),
        (S.APPLIED, Role.ENTERPRISE, [A.WITHDRAW]),
        (S.DIAGNOSED, Role.OFFICER, [A.REJECT, A.WITHDRAW]),  # plan approval is the plan review's
        (S.PLAN_APPROVED, Role.ENTERPRISE, [A.START_CONSTRUCTION, A.WITHDRAW]),
        (S.IN_CONSTRUCTION, Role.OFFICER, [A.REJECT, A.WITHDRAW]),  # acceptance is the acceptance area's
        (S.ACCEPTED, Role.OFFICER, [A.RECOGNISE, A.REJECT]),
        (S.ACCEPTED, Role.ENTERPRISE, []),
        (S.RECOGNISED, Role.ADMIN, []),
        (S.REJECTED, Role.ADMIN, []),
        (S.IN_CONSTRUCTION, Role.INTEGRATOR, []),
    ],
)
def test_available_actions_through_the_transitions_endpoint(
    stage: ProjectStage, role: Role, expected: list[Action]
) -> None:
    assert available_actions(stage, role) == expected


def test_every_action_and_note_has_a_label_and_every_evidence_a_key() -> None:
    assert set(ACTION_LABELS) == set(A) | set(Note)
    assert set(EVIDENCE_KEYS) == set(E)
