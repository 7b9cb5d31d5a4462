"""The assessment demo: diagnosed enterprises across industries and levels, made through the services, with the
demo expert leading some of them, and a report that renders."""

from __future__ import annotations

import pypdfium2 as pdfium
from sqlalchemy import func, select

from zhizao.accounts import demo as accounts_demo
from zhizao.accounts.auth import principal_of
from zhizao.accounts.models import AuditEntry, Organisation, User
from zhizao.assessment import service, service_report
from zhizao.assessment.lifecycle import AssessmentKind, AssessmentStatus
from zhizao.assessment.models import Assessment, AssessmentResult, EnterpriseProfile, IntegratorCapability
from zhizao.db.engine import Database
from zhizao.demo import assessment as assessment_demo
from zhizao.settings import Settings
from zhizao.simulator import seed as factory_demo


def test_demo_diagnoses_reach_their_levels(database: Database, settings: Settings) -> None:
    accounts_demo.seed(database, settings)
    factory_demo.seed(database, settings)
    # Its speed is measured by `zhizao bench web` (seeding time per seeder), not asserted on a shared machine.
    report = assessment_demo.seed(database, settings)

    targets = {target.name: target for target in assessment_demo.DEMO_TARGETS}
    assert len(targets) >= 6 and len({target.industry for target in targets.values()}) >= 5
    assert {target.enterprise_type.value for target in targets.values()} == {"discrete", "process"}
    assert [row[0] for row in report.rows] == list(targets)
    with database.session() as session:
        results = session.execute(
            select(Organisation.name, Assessment, AssessmentResult)
            .join(Assessment, Assessment.enterprise_id == Organisation.id)
            .join(AssessmentResult, AssessmentResult.assessment_id == Assessment.id)
        ).all()
        assert len(results) == len(targets)
        for name, assessment, result in results:
            target = targets[name]
            assert assessment.kind == AssessmentKind.DIAGNOSIS and assessment.status == AssessmentStatus.CLOSED
            assert result.score["level"] == target.level, name
            # The generator tunes the next level's score by whole rating steps: close to the chosen partial score.
            assert abs(result.score["overall"] - target.level - target.partial) < 0.05, (name, result.score["overall"])
            assert result.score["agreement"], name  # two experts rated independently
            assert result.gaps is not None and result.gaps["items"], name
            assert session.get(EnterpriseProfile, assessment.enterprise_id) is not None
        assert {result.score["level"] for _name, _a, result in results} >= {1, 2, 3, 4}
        ratings_audited = session.scalar(select(func.count()).where(AuditEntry.action == "assessment.rating"))
        assert ratings_audited is not None and ratings_audited > 1000
        assert session.scalar(select(func.count()).select_from(IntegratorCapability)) == 1

        # The demo login `expert` leads at least one diagnosis, and sees it.
        expert = principal_of(session.scalars(select(User).where(User.username == "expert")).one())
        session.rollback()
        seen = service.list_assessments(session, expert)
        assert seen and any(service.assessment_read(session, row).team[0].user_id == expert.user_id for row in seen)
        demo_enterprise = factory_demo.demo_enterprise_id(database)
        diagnosis = next(row for row in seen if row.enterprise_id == demo_enterprise)
        pdf = service_report.report_pdf(session, expert, diagnosis.id, "zh", settings.timezone)
    text = "\n".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf))
    assert factory_demo.DEMO_ENTERPRISE in text and "第3级" in text
