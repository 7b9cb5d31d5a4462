"""On-site diagnosis through the services: team rules end to end (proposal, adjustment, decline and re-proposal),
independent ratings hidden from each other until the consensus stage, agreement, closing with a stored result."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.assessment.builders import (
    INDUSTRY,
    admin,
    all_items,
    diagnosis,
    enterprise,
    expert,
    principal_of,
    running_diagnosis,
)
from tests.conftest import World
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.assessment import service, service_access, service_diagnosis, service_ratings
from zhizao.assessment.lifecycle import AssessmentKind, AssessmentStatus
from zhizao.assessment.models import MemberStatus
from zhizao.assessment.schemas import RatingInput
from zhizao.assessment.team import NoValidTeam, TeamRule
from zhizao.errors import Conflict, InputError, NotFound, PermissionDenied


def _team(world: World, diagnosis_id: int) -> list[tuple[int, MemberStatus]]:
    with world.database.session() as session:
        read = service.assessment_read(
            session, service_access.get_kind(session, admin(world), diagnosis_id, AssessmentKind.DIAGNOSIS)
        )
    return [(member.expert_id, member.status) for member in read.team]


def test_proposal_follows_the_rules_and_a_decline_leads_to_a_new_proposal(world: World) -> None:
    target = enterprise(world)
    conflicted = [
        expert(world, employer_id=target.id),
        expert(world, employer_id=target.integrator_id),
        expert(world, employer_id=target.competitor_id),
        expert(world, available=False),
    ]
    busy = expert(world)
    lead = expert(world)
    other = expert(world, ("电子信息",))
    spare = expert(world, ("电子信息",))
    # `busy` is already on another open diagnosis, so the least-loaded industry expert leads.
    elsewhere = diagnosis(world, enterprise(world))
    with world.database.session() as session:
        service_diagnosis.adjust_team(session, admin(world), elsewhere, [busy.id, spare.id])

    officer = principal_of(world.user(Role.OFFICER))
    diagnosis_id = diagnosis(world, target)
    with world.database.session() as session:
        proposed = service_diagnosis.propose_team(session, officer, diagnosis_id)
    assert proposed.status == AssessmentStatus.TEAM_PROPOSED
    assert _team(world, diagnosis_id) == [(lead.id, MemberStatus.INVITED), (other.id, MemberStatus.INVITED)]
    assert not {member.id for member in conflicted} & {expert_id for expert_id, _ in _team(world, diagnosis_id)}

    with world.database.session() as session:
        service_diagnosis.respond(session, principal_of(lead.user), diagnosis_id, accept=True)
    with world.database.session() as session:
        service_diagnosis.respond(session, principal_of(other.user), diagnosis_id, accept=False)
    with world.database.session() as session:
        service_diagnosis.propose_team(session, officer, diagnosis_id)
    assert _team(world, diagnosis_id) == [
        (lead.id, MemberStatus.ACCEPTED),
        (busy.id, MemberStatus.INVITED),
        (other.id, MemberStatus.DECLINED),
    ]
    # The decliner no longer sees the diagnosis; the new member accepts and the diagnosis starts.
    with world.database.session() as session, pytest.raises(NotFound):
        service_diagnosis.respond(session, principal_of(other.user), diagnosis_id, accept=True)
    with world.database.session() as session:
        started = service_diagnosis.respond(session, principal_of(busy.user), diagnosis_id, accept=True)
    assert started.status == AssessmentStatus.IN_PROGRESS
    with world.database.session() as session, pytest.raises(Conflict, match="in_progress cannot propose team"):
        service_diagnosis.propose_team(session, officer, diagnosis_id)


def test_an_adjusted_team_is_checked_against_every_rule(world: World) -> None:
    target = enterprise(world)
    from_integrator = expert(world, employer_id=target.integrator_id)
    from_competitor = expert(world, ("电子信息",), employer_id=target.competitor_id)
    outsider = expert(world, ("电子信息",))
    diagnosis_id = diagnosis(world, target)
    with world.database.session() as session, pytest.raises(InputError) as caught:
        service_diagnosis.adjust_team(
            session, admin(world), diagnosis_id, [from_integrator.id, from_competitor.id, outsider.id, 999]
        )
    problems = {(problem.field, problem.message.split(":")[0]) for problem in caught.value.fields}
    assert problems == {
        ("body.expert_ids[0]", TeamRule.EMPLOYED_BY_INTEGRATOR.value),
        ("body.expert_ids[1]", TeamRule.EMPLOYED_BY_COMPETITOR.value),
        ("body.expert_ids[3]", TeamRule.UNKNOWN_EXPERT.value),
    }
    assert _team(world, diagnosis_id) == []
    with world.database.session() as session, pytest.raises(InputError) as industry:
        service_diagnosis.adjust_team(session, admin(world), diagnosis_id, [from_competitor.id, outsider.id][1:] * 1)
    assert {problem.message.split(":")[0] for problem in industry.value.fields} == {"team_size", "industry"}


def test_a_pool_that_cannot_staff_the_diagnosis_says_which_rule(world: World) -> None:
    target = enterprise(world)
    expert(world, employer_id=target.integrator_id)
    expert(world, ("电子信息",))
    expert(world, ("电子信息",))
    diagnosis_id = diagnosis(world, target)
    with world.database.session() as session, pytest.raises(NoValidTeam, match=INDUSTRY) as caught:
        service_diagnosis.propose_team(session, admin(world), diagnosis_id)
    assert caught.value.rule == TeamRule.INDUSTRY
    assert caught.value.fields[0].message.startswith("industry:")


def _rate(world: World, actor_account: object, diagnosis_id: int, ratings: list[RatingInput]) -> None:
    with world.database.session() as session:
        service_ratings.save_ratings(session, principal_of(actor_account), diagnosis_id, ratings)  # type: ignore[arg-type]


def test_experts_rate_independently_then_agree_and_closing_stores_the_result(world: World) -> None:
    target = enterprise(world)
    diagnosis_id, (lead, second) = running_diagnosis(world, target)
    _rate(
        world,
        lead.user,
        diagnosis_id,
        [RatingInput(item="data.L1.1", rating=1), RatingInput(item="data.L1.2", rating=0.8)],
    )
    _rate(
        world,
        second.user,
        diagnosis_id,
        [RatingInput(item="data.L1.1", rating=0.8), RatingInput(item="data.L1.2", rating=0.8)],
    )
    with world.database.session() as session:
        seen = service_ratings.visible_ratings(session, principal_of(second.user), diagnosis_id)
    assert {row.rater_id for row in seen} == {second.user.user_id}
    with world.database.session() as session:
        assert service_ratings.visible_ratings(session, principal_of(target.user), diagnosis_id) == []
    with world.database.session() as session, pytest.raises(PermissionDenied):
        service_diagnosis.agreement(session, principal_of(lead.user), diagnosis_id)
    officer = admin(world)
    with world.database.session() as session, pytest.raises(PermissionDenied):  # consensus waits for its stage
        service_ratings.save_ratings(session, officer, diagnosis_id, [RatingInput(item="data.L1.1", rating=1)])
    with world.database.session() as session, pytest.raises(PermissionDenied):  # only the lead moves it on
        service_diagnosis.start_consensus(session, principal_of(second.user), diagnosis_id)
    with world.database.session() as session:
        service_diagnosis.start_consensus(session, principal_of(lead.user), diagnosis_id)

    with world.database.session() as session:
        assert len(service_ratings.visible_ratings(session, principal_of(second.user), diagnosis_id)) == 4
        agreement = service_diagnosis.agreement(session, principal_of(second.user), diagnosis_id)
    assert agreement.experts == 2
    assert [
        (entry.domain, entry.items, entry.mean_absolute_difference, entry.exact_agreement)
        for entry in agreement.domains
    ] == [("data", 2, 0.1, 0.5)]
    with world.database.session() as session, pytest.raises(PermissionDenied):  # independent ratings are frozen
        service_ratings.save_ratings(
            session, principal_of(second.user), diagnosis_id, [RatingInput(item="data.L1.1", rating=1)]
        )

    audits_before = _audits(world)
    _rate(world, lead.user, diagnosis_id, all_items(rating=0.8))
    assert _audits(world) == audits_before + len(all_items())
    with world.database.session() as session:
        closed = service_diagnosis.close(session, officer, diagnosis_id)
    assert closed.status == AssessmentStatus.CLOSED
    with world.database.session() as session:
        result = service_ratings.result(session, principal_of(target.user), diagnosis_id)
        consensus = service_ratings.visible_ratings(session, principal_of(target.user), diagnosis_id)
    assert result.stored and result.score.level == 5 and result.score.overall == 5.0
    assert [(entry.domain, entry.items) for entry in result.score.agreement] == [("data", 2)]
    assert len(consensus) == len(all_items()) and {row.rater_id for row in consensus} == {None}
    with world.database.session() as session, pytest.raises(Conflict, match="closed cannot cancel"):
        service_diagnosis.cancel(session, officer, diagnosis_id)


def _audits(world: World) -> int:
    with world.database.session() as session:
        return session.scalar(select(func.count()).where(AuditEntry.action == "assessment.rating")) or 0


def test_an_expert_sees_only_the_diagnoses_they_are_on(world: World) -> None:
    target = enterprise(world)
    diagnosis_id, (lead, _) = running_diagnosis(world, target)
    other_id, (other_lead, _) = running_diagnosis(world, enterprise(world))
    with world.database.session() as session:
        mine = service.list_assessments(session, principal_of(lead.user))
        with pytest.raises(NotFound):
            service_ratings.progress(session, principal_of(lead.user), other_id)
    assert [row.id for row in mine] == [diagnosis_id]
    with world.database.session() as session, pytest.raises(NotFound):
        service_ratings.save_ratings(
            session, principal_of(other_lead.user), diagnosis_id, [RatingInput(item="data.L1.1", rating=1)]
        )
