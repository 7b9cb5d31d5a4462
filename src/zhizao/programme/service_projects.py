"""Factory projects (智能工厂建设项目): applications, the list with its filters, a project with its timeline, the
transitions of the lifecycle with their evidence, robots deployed during construction and the case narrative.

Every transition goes through ``apply_transition``, which checks the table (``lifecycle``), moves the stage, copies
the evidence onto the project, and writes the timeline event and the audit entry in the caller's transaction. The
transitions endpoint checks the evidence it is given itself (a closed diagnosis of the project's enterprise; the
acceptance recorded when the project was accepted); the plan review, the acceptance and the benchmark decision
check theirs in their own services and then call ``apply_transition``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.assessment import service_levels
from zhizao.errors import Conflict, FieldProblem, InputError, NotFound, PermissionDenied
from zhizao.programme import service_editions
from zhizao.programme.kinds import ProjectStage
from zhizao.programme.lifecycle import (
    ACTION_LABELS,
    EVIDENCE_KEYS,
    INITIAL_STAGE,
    Action,
    Channel,
    Note,
    next_transition,
)
from zhizao.programme.models import EnterpriseRecord, FactoryProject, ProjectEvent
from zhizao.programme.project_access import get_project
from zhizao.programme.project_reads import read_project
from zhizao.programme.schemas_projects import (
    CaseUpdate,
    ProjectCreate,
    ProjectDetail,
    RobotsUpdate,
    TransitionRequest,
)
from zhizao.telemetry.assets import flush_unique
from zhizao.telemetry.scope import enterprise_for_write

# The programme's dates (applied, recognised) are Shanghai dates, whatever the server's zone.
PROGRAMME_ZONE = ZoneInfo("Asia/Shanghai")
PROJECT_FIELDS = (
    "stage", "diagnosis_id", "maturity_level", "integrator_id", "budget_cny", "robots_planned", "robots_deployed",
    "verification_id", "recognised_on",
)  # fmt: skip
CASE_FIELDS = ("case_title", "case_summary_zh", "case_summary_en")
# A project that ended without a factory has no case to tell.
NO_CASE_STAGES = frozenset({ProjectStage.REJECTED, ProjectStage.WITHDRAWN})
# Evidence a transition copies onto the project (when present), so that lists and rules read it from the project.
KEPT_EVIDENCE: dict[Action, tuple[str, ...]] = {
    Action.RECORD_DIAGNOSIS: ("diagnosis_id", "maturity_level"),
    Action.APPROVE_PLAN: ("integrator_id", "budget_cny", "robots_planned"),
    Action.ACCEPT: ("verification_id", "maturity_level"),
}
# Where a transition whose evidence is a record of its own is made instead of the transitions endpoint.
MADE_ELSEWHERE = {
    Channel.PLAN_REVIEW: "by approving the project's upgrade plan (POST …/plan/approve)",
    Channel.ACCEPTANCE: "by the decision of a passed acceptance",
    Channel.BENCHMARK: "by the benchmark decision",
}


def programme_today() -> date:
    return datetime.now(PROGRAMME_ZONE).date()


# --- applying ----------------------------------------------------------------------------------------------


def _decision_day(actor: Principal, requested: date | None, field: str, *, earliest: date) -> date:
    """The day a step happened: today, or, for the programme office registering a past decision, the day named
    (never in the future, never before ``earliest``)."""
    today = programme_today()
    if requested is None:
        return today
    if actor.role not in (Role.ADMIN, Role.OFFICER):
        raise PermissionDenied(
            "only the programme office records a past date", fields=[FieldProblem(field, "leave it out: today")]
        )
    if requested > today:
        raise InputError.for_field(field, f"{requested} is in the future")
    if requested < earliest:
        raise InputError.for_field(field, f"{requested} is before {earliest}")
    return requested


def _edition_id(session: Session, actor: Principal, requested: int | None) -> int:
    """The edition applied to: the current one unless an officer names another (to register past projects)."""
    field = "body.edition_id"
    if requested is None or actor.role == Role.ENTERPRISE:
        try:
            current = service_editions.current_edition(session).id
        except NotFound as exc:
            raise InputError.for_field(field, exc.message) from None
        if requested is not None and requested != current:
            raise InputError.for_field(field, f"edition {requested} is not the current one: enterprises apply there")
        return current
    try:
        return service_editions.get_edition(session, requested).id
    except NotFound:
        raise InputError.for_field(field, f"edition {requested} does not exist") from None


def apply(session: Session, actor: Principal, data: ProjectCreate) -> ProjectDetail:
    """An enterprise applies for itself, an officer for any enterprise registered with the programme; one project
    per enterprise and edition (409 on ``body.enterprise_id``)."""
    with session.begin():
        enterprise_id = enterprise_for_write(session, actor, data.enterprise_id)
        record = session.get(EnterpriseRecord, enterprise_id)
        if record is None:
            raise InputError.for_field(
                "body.enterprise_id",
                f"enterprise {enterprise_id} is not registered with the programme: record its industry and district",
            )
        edition_id = _edition_id(session, actor, data.edition_id)
        edition = service_editions.get_edition(session, edition_id)
        applied_on = _decision_day(actor, data.applied_on, "body.applied_on", earliest=date(edition.start_year, 1, 1))
        duplicate = f"enterprise {enterprise_id} has applied to this edition already"
        exists = session.scalar(
            select(FactoryProject.id).where(
                FactoryProject.edition_id == edition_id, FactoryProject.enterprise_id == enterprise_id
            )
        )
        if exists is not None:
            raise Conflict(f"{duplicate} (project {exists})", fields=[FieldProblem("body.enterprise_id", duplicate)])
        project = FactoryProject(
            edition_id=edition_id,
            enterprise_id=enterprise_id,
            title=data.title,
            industry=record.industry,  # the quota the project counts against, fixed from now on
            stage=INITIAL_STAGE,
            applied_on=applied_on,
        )
        session.add(project)
        flush_unique(session, "body.enterprise_id", duplicate)
        _event(session, actor, project, Note.APPLY, None, INITIAL_STAGE, None, {"title": data.title})
        audit.record(
            session, actor, action="programme_project.apply", entity_type="programme_project",
            entity_id=project.id, organisation_id=enterprise_id,
            after={"edition_id": edition_id, "title": project.title, "industry": record.industry.value},
        )  # fmt: skip
    return read_project(session, actor, project.id)


# --- transitions -------------------------------------------------------------------------------------------


def _event(
    session: Session,
    actor: Principal,
    project: FactoryProject,
    action: Action | Note,
    from_stage: ProjectStage | None,
    to_stage: ProjectStage | None,
    rationale: str | None,
    evidence: dict[str, Any] | None,
) -> ProjectEvent:
    event = ProjectEvent(
        project_id=project.id,
        actor_id=actor.user_id,
        actor_name=actor.username,
        actor_role=actor.role.value,
        action=action.value,
        from_stage=None if from_stage is None else from_stage.value,
        to_stage=None if to_stage is None else to_stage.value,
        rationale=rationale,
        evidence=evidence,
    )
    session.add(event)
    session.flush()
    return event


def note(
    session: Session, actor: Principal, project: FactoryProject, kind: Note, *, rationale: str | None = None,
    evidence: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    """A timeline entry that does not move the stage, in the caller's transaction."""
    _event(session, actor, project, kind, None, None, rationale, evidence)


def apply_transition(
    session: Session,
    actor: Principal,
    project: FactoryProject,
    action: Action,
    *,
    rationale: str | None = None,
    evidence: dict[str, Any] | None = None,
    on: date | None = None,
) -> None:
    """Move ``project`` by ``action`` inside the caller's transaction, once the caller has checked the evidence:
    the table decides (Conflict for the stage, PermissionDenied for the role), a rejection needs its rationale and
    evidence must carry its record's id (``lifecycle.EVIDENCE_KEYS``). What the project keeps of the evidence is
    copied onto it (``KEPT_EVIDENCE``): the diagnosis and its level; the plan's integrator, budget and robots; the
    acceptance's KPI verification and level. Recognition dates the project (``on``, else today)."""
    found = next_transition(project.stage, action, actor.role)
    if found.needs_rationale and not (rationale and rationale.strip()):
        raise InputError.for_field("body.rationale", f"say why the project is {action.value.replace('_', ' ')}ed")
    if found.evidence is not None:
        key = EVIDENCE_KEYS[found.evidence]
        if not evidence or evidence.get(key) is None:
            raise InputError.for_field(f"evidence.{key}", f"{action.value} needs its {found.evidence.value} evidence")
    evidence = evidence or None
    before = audit.snapshot(project, PROJECT_FIELDS)
    from_stage = project.stage
    project.stage = found.target
    for key in KEPT_EVIDENCE.get(action, ()):
        if evidence and evidence.get(key) is not None:
            # Evidence is JSON (money as a string); the project keeps the typed value.
            setattr(project, key, Decimal(evidence[key]) if key == "budget_cny" else evidence[key])
    if action == Action.RECOGNISE:
        project.recognised_on = on or programme_today()
    _event(session, actor, project, action, from_stage, found.target, rationale, evidence)
    audit.record(
        session, actor, action=f"programme_project.{action.value}", entity_type="programme_project",
        entity_id=project.id, organisation_id=project.enterprise_id, before=before,
        after=audit.snapshot(project, PROJECT_FIELDS), detail=rationale,
    )  # fmt: skip


def _diagnosis_evidence(session: Session, project: FactoryProject, diagnosis_id: int | None) -> dict[str, Any]:
    field = "body.diagnosis_id"
    if diagnosis_id is None:
        raise InputError.for_field(field, "name the enterprise's closed on-site diagnosis")
    found = service_levels.diagnosis_level(session, diagnosis_id)
    if found is None or found.enterprise_id != project.enterprise_id:
        raise InputError.for_field(field, f"assessment {diagnosis_id} is not an assessment of this enterprise")
    if not found.is_closed_diagnosis:
        raise InputError.for_field(
            field, f"assessment {diagnosis_id} is a {found.kind.value} that is {found.status.value}: a closed "
            "on-site diagnosis is needed",
        )  # fmt: skip
    return {"diagnosis_id": found.assessment_id, "maturity_level": found.level, "overall": found.overall}


def _acceptance_evidence(session: Session, project: FactoryProject) -> dict[str, Any]:
    """The acceptance the project was accepted on, from its timeline (only a passed acceptance accepts it)."""
    accepted = session.scalars(
        select(ProjectEvent)
        .where(ProjectEvent.project_id == project.id, ProjectEvent.action == Action.ACCEPT.value)
        .order_by(ProjectEvent.at.desc(), ProjectEvent.id.desc())
    ).first()
    acceptance_id = (accepted.evidence or {}).get("acceptance_id") if accepted else None
    if acceptance_id is None:
        raise Conflict(f"project {project.id} has no passed acceptance on record")
    return {"acceptance_id": acceptance_id}


def transition(session: Session, actor: Principal, project_id: int, data: TransitionRequest) -> ProjectDetail:
    """Record a diagnosis, start construction, recognise, reject or withdraw; the other transitions are made where
    their evidence is decided (422 on ``body.action`` saying where)."""
    with session.begin():
        project = get_project(session, actor, project_id, lock=True)
        found = next_transition(project.stage, data.action, actor.role)
        if found.channel != Channel.TRANSITIONS:
            raise InputError.for_field(
                "body.action", f"{data.action.value} is recorded {MADE_ELSEWHERE[found.channel]}, not posted here"
            )
        evidence: dict[str, Any] | None = None
        if data.action == Action.RECORD_DIAGNOSIS:
            evidence = _diagnosis_evidence(session, project, data.diagnosis_id)
        elif data.action == Action.RECOGNISE:
            evidence = _acceptance_evidence(session, project)
        if data.recognised_on is not None and data.action != Action.RECOGNISE:
            raise InputError.for_field("body.recognised_on", "is the day of a recognition: send it only to recognise")
        on = None
        if data.action == Action.RECOGNISE:
            on = _decision_day(actor, data.recognised_on, "body.recognised_on", earliest=project.applied_on)
            if evidence is not None and data.recognised_on is not None:
                evidence["recognised_on"] = on.isoformat()
        apply_transition(session, actor, project, data.action, rationale=data.rationale, evidence=evidence, on=on)
    return read_project(session, actor, project_id)


# --- construction and the case narrative -------------------------------------------------------------------


def record_robots(session: Session, actor: Principal, project_id: int, data: RobotsUpdate) -> ProjectDetail:
    """Robots deployed so far, while the project is in construction. More than the plan's number is allowed (a
    plan is an estimate); the acceptance reviews the figure, and the timeline keeps each report."""
    with session.begin():
        project = get_project(session, actor, project_id, lock=True)
        if project.stage != ProjectStage.IN_CONSTRUCTION:
            message = f"project {project.id} is {project.stage.value}: robots are recorded during construction"
            raise Conflict(message, fields=[FieldProblem("body.robots_deployed", message)])
        before = project.robots_deployed
        project.robots_deployed = data.robots_deployed
        note(session, actor, project, Note.ROBOTS_RECORDED, evidence={"before": before, "after": data.robots_deployed})
        audit.record(
            session, actor, action="programme_project.robots", entity_type="programme_project",
            entity_id=project.id, organisation_id=project.enterprise_id, before={"robots_deployed": before},
            after={"robots_deployed": project.robots_deployed},
        )  # fmt: skip
    return read_project(session, actor, project_id)


def update_case(session: Session, actor: Principal, project_id: int, data: CaseUpdate) -> ProjectDetail:
    """The enterprise's case narrative for the case collection; fields left out are kept."""
    with session.begin():
        project = get_project(session, actor, project_id, lock=True)
        if project.stage in NO_CASE_STAGES:
            raise Conflict(f"project {project.id} is {project.stage.value}: it has no case to tell")
        before = audit.snapshot(project, CASE_FIELDS)
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(project, name, value or None)
        session.flush()
        audit.record(
            session, actor, action="programme_project.case", entity_type="programme_project", entity_id=project.id,
            organisation_id=project.enterprise_id, before=before, after=audit.snapshot(project, CASE_FIELDS),
        )  # fmt: skip
    return read_project(session, actor, project_id)


def action_label(action: str) -> str:
    """The readable (English message id) name of a timeline entry's action."""
    return ACTION_LABELS.get(action, action)
