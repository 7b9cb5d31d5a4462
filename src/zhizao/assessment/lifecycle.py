"""The lifecycle of an assessment as a pure transition table (kind, status, action) → next status.

A self-assessment (自评估) is a draft until the enterprise submits it. An on-site diagnosis (现场咨询诊断) is opened
by an officer, gets a proposed team, runs once every expert has accepted, moves to the consensus stage where the
agreed ratings are recorded, and is closed with its stored score; it may be cancelled at any stage before that.
"""

from __future__ import annotations

from enum import StrEnum

from zhizao.errors import Conflict
from zhizao.ui.i18n import N_


class AssessmentKind(StrEnum):
    SELF = "self"  # 自评估, by the enterprise
    DIAGNOSIS = "diagnosis"  # 现场咨询诊断, by an expert team


class AssessmentStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    OPENED = "opened"
    TEAM_PROPOSED = "team_proposed"
    IN_PROGRESS = "in_progress"
    CONSENSUS = "consensus"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    SUBMIT = "submit"
    PROPOSE_TEAM = "propose_team"  # a proposal or an officer's adjustment; repeatable until everyone accepted
    START = "start"  # every expert on the team accepted
    START_CONSENSUS = "start_consensus"
    CLOSE = "close"
    CANCEL = "cancel"


_S, _K, _A = AssessmentStatus, AssessmentKind, Action
_OPEN_DIAGNOSIS = (_S.OPENED, _S.TEAM_PROPOSED, _S.IN_PROGRESS, _S.CONSENSUS)

TRANSITIONS: dict[tuple[AssessmentKind, AssessmentStatus, Action], AssessmentStatus] = {
    (_K.SELF, _S.DRAFT, _A.SUBMIT): _S.SUBMITTED,
    (_K.DIAGNOSIS, _S.OPENED, _A.PROPOSE_TEAM): _S.TEAM_PROPOSED,
    (_K.DIAGNOSIS, _S.TEAM_PROPOSED, _A.PROPOSE_TEAM): _S.TEAM_PROPOSED,
    (_K.DIAGNOSIS, _S.TEAM_PROPOSED, _A.START): _S.IN_PROGRESS,
    (_K.DIAGNOSIS, _S.IN_PROGRESS, _A.START_CONSENSUS): _S.CONSENSUS,
    (_K.DIAGNOSIS, _S.CONSENSUS, _A.CLOSE): _S.CLOSED,
    **{(_K.DIAGNOSIS, status, _A.CANCEL): _S.CANCELLED for status in _OPEN_DIAGNOSIS},
}

FINAL_STATUSES = frozenset({_S.SUBMITTED, _S.CLOSED, _S.CANCELLED})
# Diagnoses that count towards an expert's workload when the next team is proposed.
OPEN_DIAGNOSIS_STATUSES = frozenset(_OPEN_DIAGNOSIS)

STATUS_LABELS: dict[str, str] = {
    _S.DRAFT: N_("Draft"),
    _S.SUBMITTED: N_("Submitted"),
    _S.OPENED: N_("Opened"),
    _S.TEAM_PROPOSED: N_("Team proposed"),
    _S.IN_PROGRESS: N_("Diagnosis in progress"),
    _S.CONSENSUS: N_("Agreeing consensus"),
    _S.CLOSED: N_("Closed"),
    _S.CANCELLED: N_("Cancelled"),
}


def next_status(kind: AssessmentKind, status: AssessmentStatus, action: Action) -> AssessmentStatus:
    """The status after ``action``; Conflict (409) when the action is not allowed from ``status``."""
    target = TRANSITIONS.get((kind, status, action))
    if target is None:
        raise Conflict(f"a {kind.value} assessment that is {status.value} cannot {action.value.replace('_', ' ')}")
    return target
