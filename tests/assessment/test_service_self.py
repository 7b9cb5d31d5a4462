"""Self-assessment through the services: save in batches and resume, progress, provisional result, submit; bad
input is refused naming the field and changes nothing; every rating change is audit-logged."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.assessment.builders import all_items, enterprise, principal_of
from tests.conftest import World
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.assessment import service, service_access, service_ratings
from zhizao.assessment.kinds import EnterpriseType, EvidenceGrade
from zhizao.assessment.lifecycle import AssessmentStatus
from zhizao.assessment.model import load_model
from zhizao.assessment.models import AssessmentResult, RatingRecord
from zhizao.assessment.schemas import RatingInput, SelfAssessmentCreate
from zhizao.db.engine import Database
from zhizao.errors import Conflict, InputError, NotFound, PermissionDenied


def _rating_rows(database: Database) -> list[tuple[str, float | None]]:
    with database.session() as session:
        rows = session.execute(select(RatingRecord.item_id, RatingRecord.rating).order_by(RatingRecord.item_id))
        return [(item, rating) for item, rating in rows]


def _rating_audits(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).where(AuditEntry.action == "assessment.rating")) or 0


def test_save_resume_progress_and_provisional_result(world: World) -> None:
    target = enterprise(world)
    actor = principal_of(target.user)
    with world.database.session() as session:
        draft = service.create_self_assessment(session, actor, SelfAssessmentCreate())
    assert draft.status == AssessmentStatus.DRAFT and draft.model_version == load_model().version
    with world.database.session() as session, pytest.raises(Conflict, match=f"self-assessment {draft.id} is still"):
        service.create_self_assessment(session, actor, SelfAssessmentCreate())

    batch = [
        RatingInput(item="production.energy.L1.1", rating=1, evidence_grade=EvidenceGrade.DOCUMENTED),
        RatingInput(item="production.energy.L1.2", rating=0.8),
        RatingInput(item="logistics.L1.2", not_applicable=True, comment="客户自提"),
    ]
    with world.database.session() as session:
        service_ratings.save_ratings(session, actor, draft.id, batch)
    # Resume: a second batch changes one rating and clears another.
    with world.database.session() as session:
        service_ratings.save_ratings(
            session,
            actor,
            draft.id,
            [RatingInput(item="production.energy.L1.2", rating=0.5), RatingInput(item="logistics.L1.2")],
        )
    assert _rating_rows(world.database) == [("production.energy.L1.1", 1.0), ("production.energy.L1.2", 0.5)]
    # Three entries for the first batch, two for the change and the clearing; an unchanged save adds none.
    assert _rating_audits(world.database) == 5
    with world.database.session() as session:
        service_ratings.save_ratings(session, actor, draft.id, [RatingInput(item="production.energy.L1.2", rating=0.5)])
    assert _rating_audits(world.database) == 5

    with world.database.session() as session:
        progress = service_ratings.progress(session, actor, draft.id)
        result = service_ratings.result(session, actor, draft.id)
    production = next(entry for entry in progress.domains if entry.domain == "production")
    assert (progress.rated, progress.applicable) == (2, 202)
    assert production.rated == 2 and production.applicable > 2
    assert result.stored is False and result.score.provisional
    assert result.score.levels[0].score == 0.75  # the energy items alone: (1 + 0.5) / 2
    assert result.score.rated_items == 2 and len(result.score.unrated_items) == 200


@pytest.mark.parametrize(
    ("entry", "field", "message"),
    [
        (RatingInput(item="production.energy.L1.1", rating=0.7), "body.ratings[1].rating", "rating 0.7 is not one"),
        (RatingInput(item="production.energy.L9.1", rating=1), "body.ratings[1].item", "no such item in model"),
        (RatingInput(item="production.operations.L4.3", rating=1), "body.ratings[1].item", "process manufacturing"),
        (
            RatingInput(item="production.energy.L1.1", rating=1, not_applicable=True),
            "body.ratings[1].rating",
            "not both",
        ),
    ],
)
def test_bad_ratings_are_refused_naming_the_field_and_nothing_is_stored(
    world: World, entry: RatingInput, field: str, message: str
) -> None:
    target = enterprise(world)
    actor = principal_of(target.user)
    with world.database.session() as session:
        draft = service.create_self_assessment(session, actor, SelfAssessmentCreate())
    good = RatingInput(item="data.L1.1", rating=1)
    with world.database.session() as session, pytest.raises(InputError, match=message) as caught:
        service_ratings.save_ratings(session, actor, draft.id, [good, entry])
    assert [problem.field for problem in caught.value.fields] == [field]
    assert _rating_rows(world.database) == []
    assert _rating_audits(world.database) == 0


def test_submit_refuses_unrated_items_then_stores_the_result(world: World) -> None:
    target = enterprise(world, EnterpriseType.PROCESS)
    actor = principal_of(target.user)
    with world.database.session() as session:
        draft = service.create_self_assessment(session, actor, SelfAssessmentCreate())
    items = all_items(EnterpriseType.PROCESS)
    with world.database.session() as session:
        service_ratings.save_ratings(session, actor, draft.id, items[:-2])
    with world.database.session() as session, pytest.raises(InputError, match="2 applicable item") as caught:
        service.submit_self_assessment(session, actor, draft.id)
    assert [problem.field for problem in caught.value.fields] == [f"ratings.{entry.item}" for entry in items[-2:]]
    with world.database.session() as session:
        assert service_access.get_kind(session, actor, draft.id, draft.kind).status == AssessmentStatus.DRAFT
        assert session.get(AssessmentResult, draft.id) is None

    # Level 1 fully met, everything above half met: level 1, overall 1.5.
    rest = [RatingInput(item=entry.item, rating=1.0 if ".L1." in entry.item else 0.5) for entry in items]
    with world.database.session() as session:
        service_ratings.save_ratings(session, actor, draft.id, rest)
    with world.database.session() as session:
        submitted = service.submit_self_assessment(session, actor, draft.id)
    assert submitted.status == AssessmentStatus.SUBMITTED
    with world.database.session() as session:
        result = service_ratings.result(session, actor, draft.id)
    assert result.stored and result.score.level == 1 and result.score.overall == 1.5
    assert result.score.enterprise_type == EnterpriseType.PROCESS
    assert result.gaps is not None and result.gaps.next_level == 2 and result.gaps.items
    with world.database.session() as session, pytest.raises(Conflict, match="final"):
        service_ratings.save_ratings(session, actor, draft.id, [RatingInput(item="data.L1.1", rating=0)])


def test_self_assessments_are_confined_to_their_enterprise(world: World) -> None:
    target = enterprise(world)
    owner = principal_of(target.user)
    with world.database.session() as session:
        draft = service.create_self_assessment(session, owner, SelfAssessmentCreate())
    stranger = principal_of(world.user(Role.ENTERPRISE))
    officer = principal_of(world.user(Role.OFFICER))
    expert = principal_of(world.user(Role.EXPERT))
    batch = [RatingInput(item="data.L1.1", rating=1)]
    for outsider in (stranger, expert):
        with world.database.session() as session, pytest.raises(NotFound):
            service_ratings.save_ratings(session, outsider, draft.id, batch)
    with world.database.session() as session, pytest.raises(PermissionDenied):
        service_ratings.save_ratings(session, officer, draft.id, batch)
    with world.database.session() as session:
        assert service_ratings.progress(session, officer, draft.id).rated == 0
    with world.database.session() as session, pytest.raises(InputError, match="no assessment profile"):
        service.create_self_assessment(session, stranger, SelfAssessmentCreate())
