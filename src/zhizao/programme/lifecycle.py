"""The lifecycle of a factory project as a pure transition table (stage, action) → Transition.

A project is applied for (申报), diagnosed on site (现场咨询诊断), gets its upgrade plan approved (智能化升级方案),
is built (建设实施), accepted (验收), recognised as a smart factory (认定) and may be designated a benchmark (标杆).
The programme office may reject it with a rationale up to its recognition; the enterprise (or an officer for it)
may withdraw it before acceptance. Rejected and withdrawn are final: an enterprise applies again in a later edition.

Each transition names the evidence it needs, who may make it and where it is made (``Channel``): a transition whose
evidence is a record decided elsewhere — the upgrade plan's approval, the acceptance, the benchmark decision — is made
only by the service that decides that record, never posted on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from zhizao.accounts.roles import Role
from zhizao.errors import Conflict, PermissionDenied
from zhizao.programme.kinds import ProjectStage
from zhizao.ui.i18n import N_


class Action(StrEnum):
    RECORD_DIAGNOSIS = "record_diagnosis"
    APPROVE_PLAN = "approve_plan"
    START_CONSTRUCTION = "start_construction"
    ACCEPT = "accept"
    RECOGNISE = "recognise"
    DESIGNATE_BENCHMARK = "designate_benchmark"
    REJECT = "reject"
    WITHDRAW = "withdraw"


class Note(StrEnum):
    """Timeline entries that are not transitions: the application itself and steps that do not move the stage."""

    APPLY = "apply"
    PLAN_SUBMITTED = "plan_submitted"
    PLAN_RETURNED = "plan_returned"
    ROBOTS_RECORDED = "robots_recorded"
    ACCEPTANCE_FAILED = "acceptance_failed"


class EvidenceKind(StrEnum):
    DIAGNOSIS = "diagnosis"  # a closed on-site diagnosis of the project's enterprise, with its maturity level
    UPGRADE_PLAN = "upgrade_plan"  # the project's submitted upgrade plan
    ACCEPTANCE = "acceptance"  # a decided, passed acceptance
    BENCHMARK_DECISION = "benchmark_decision"


class Channel(StrEnum):
    """Where a transition is made."""

    TRANSITIONS = "transitions"  # POST /api/programme/projects/{id}/transitions
    PLAN_REVIEW = "plan_review"  # approving the upgrade plan (service_plans)
    ACCEPTANCE = "acceptance"  # the acceptance decision (acceptance area)
    BENCHMARK = "benchmark"  # the benchmark decision (acceptance area)


# The key each kind of evidence must carry in the timeline event, so that every step can be traced to its record.
EVIDENCE_KEYS: dict[EvidenceKind, str] = {
    EvidenceKind.DIAGNOSIS: "diagnosis_id",
    EvidenceKind.UPGRADE_PLAN: "plan_id",
    EvidenceKind.ACCEPTANCE: "acceptance_id",
    EvidenceKind.BENCHMARK_DECISION: "decision_id",
}


@dataclass(frozen=True, slots=True)
class Transition:
    target: ProjectStage
    evidence: EvidenceKind | None
    roles: frozenset[Role]
    channel: Channel = Channel.TRANSITIONS
    needs_rationale: bool = False


_S, _A = ProjectStage, Action
OVERSEERS = frozenset({Role.ADMIN, Role.OFFICER})
OWNER_OR_OVERSEER = frozenset({Role.ADMIN, Role.OFFICER, Role.ENTERPRISE})

# Up to recognition the office may still refuse the project; before acceptance its owner may still withdraw it.
REJECTABLE = (_S.APPLIED, _S.DIAGNOSED, _S.PLAN_APPROVED, _S.IN_CONSTRUCTION, _S.ACCEPTED)
WITHDRAWABLE = (_S.APPLIED, _S.DIAGNOSED, _S.PLAN_APPROVED, _S.IN_CONSTRUCTION)

TRANSITIONS: dict[tuple[ProjectStage, Action], Transition] = {
    (_S.APPLIED, _A.RECORD_DIAGNOSIS): Transition(_S.DIAGNOSED, EvidenceKind.DIAGNOSIS, OVERSEERS),
    (_S.DIAGNOSED, _A.APPROVE_PLAN): Transition(
        _S.PLAN_APPROVED, EvidenceKind.UPGRADE_PLAN, OVERSEERS, Channel.PLAN_REVIEW
    ),
    (_S.PLAN_APPROVED, _A.START_CONSTRUCTION): Transition(_S.IN_CONSTRUCTION, None, OWNER_OR_OVERSEER),
    (_S.IN_CONSTRUCTION, _A.ACCEPT): Transition(_S.ACCEPTED, EvidenceKind.ACCEPTANCE, OVERSEERS, Channel.ACCEPTANCE),
    (_S.ACCEPTED, _A.RECOGNISE): Transition(_S.RECOGNISED, EvidenceKind.ACCEPTANCE, OVERSEERS),
    (_S.RECOGNISED, _A.DESIGNATE_BENCHMARK): Transition(
        _S.BENCHMARK, EvidenceKind.BENCHMARK_DECISION, OVERSEERS, Channel.BENCHMARK
    ),
    **{(stage, _A.REJECT): Transition(_S.REJECTED, None, OVERSEERS, needs_rationale=True) for stage in REJECTABLE},
    **{(stage, _A.WITHDRAW): Transition(_S.WITHDRAWN, None, OWNER_OR_OVERSEER) for stage in WITHDRAWABLE},
}

FINAL_STAGES = frozenset({_S.BENCHMARK, _S.REJECTED, _S.WITHDRAWN})
INITIAL_STAGE = _S.APPLIED

ACTION_LABELS: dict[str, str] = {
    Note.APPLY: N_("Application submitted"),
    _A.RECORD_DIAGNOSIS: N_("Record the diagnosis"),
    _A.APPROVE_PLAN: N_("Approve the upgrade plan"),
    _A.START_CONSTRUCTION: N_("Start construction"),
    _A.ACCEPT: N_("Pass the acceptance"),
    _A.RECOGNISE: N_("Recognise as smart factory"),
    _A.DESIGNATE_BENCHMARK: N_("Designate as benchmark"),
    _A.REJECT: N_("Reject the project"),
    _A.WITHDRAW: N_("Withdraw the project"),
    Note.PLAN_SUBMITTED: N_("Submitted the upgrade plan"),
    Note.PLAN_RETURNED: N_("Returned the upgrade plan"),
    Note.ROBOTS_RECORDED: N_("Recorded robots deployed"),
    Note.ACCEPTANCE_FAILED: N_("Acceptance not passed"),
}


def next_transition(stage: ProjectStage, action: Action, role: Role) -> Transition:
    """The transition ``action`` makes from ``stage``: Conflict (409) when the stage does not allow it,
    PermissionDenied (403) when the stage does but not for ``role``."""
    found = TRANSITIONS.get((stage, action))
    if found is None:
        raise Conflict(f"a project that is {stage.value} cannot {action.value.replace('_', ' ')}")
    if role not in found.roles:
        raise PermissionDenied(f"role {role.value} may not {action.value.replace('_', ' ')} a project")
    return found


def available_actions(stage: ProjectStage, role: Role, channel: Channel = Channel.TRANSITIONS) -> list[Action]:
    """The actions ``role`` may take from ``stage`` through ``channel``, in the table's order."""
    return [
        action
        for (from_stage, action), found in TRANSITIONS.items()
        if from_stage == stage and role in found.roles and found.channel == channel
    ]
