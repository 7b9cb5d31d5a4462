"""Who may call the programme's routes: the role groups of each area and the dependencies that admit them, shared by
the JSON API and the pages so that a guard is written once (the route-walking test reads the roles from them).

Which rows a caller then reaches is the services' business (``project_access`` and each service's scope); the
navigation uses the same groups, so a link shows only to those its page admits.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from zhizao.accounts.deps import require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role

# The programme office: officers and platform administrators.
OVERSEERS = (Role.ADMIN, Role.OFFICER)

# Enterprise register: an enterprise user reads and edits (part of) its own record.
ENTERPRISE_READERS = (*OVERSEERS, Role.ENTERPRISE)

# Factory projects; the transitions endpoint admits MOVERS and the lifecycle table then decides per action.
PROJECT_VIEWERS = (*OVERSEERS, Role.ENTERPRISE, Role.INTEGRATOR, Role.EXPERT)
APPLICANTS = (*OVERSEERS, Role.ENTERPRISE)
MOVERS = (*OVERSEERS, Role.ENTERPRISE)
PLAN_AUTHORS = (Role.ADMIN, Role.ENTERPRISE, Role.INTEGRATOR)
ROBOT_REPORTERS = (*OVERSEERS, Role.ENTERPRISE)
CASE_AUTHORS = (Role.ADMIN, Role.ENTERPRISE)

# Acceptance: experts see those they are assigned to review.
ACCEPTANCE_VIEWERS = (*OVERSEERS, Role.EXPERT)

# Integrator directory and platforms.
ENTRY_READERS = (*OVERSEERS, Role.INTEGRATOR)
INTEGRATOR_APPLICANTS = (Role.ADMIN, Role.INTEGRATOR)
MATCH_READERS = (*OVERSEERS, Role.ENTERPRISE)
PLATFORM_MANAGERS = (*OVERSEERS, Role.PLATFORM)

# Community: supply–demand requests are posted by enterprises, integrators and platforms.
MATCHMAKERS = (*OVERSEERS, Role.ENTERPRISE, Role.INTEGRATOR, Role.PLATFORM)
SUPPORT_READERS = (*OVERSEERS, Role.ENTERPRISE)

Overseer = Annotated[Principal, Depends(require_role(*OVERSEERS))]
EnterpriseReader = Annotated[Principal, Depends(require_role(*ENTERPRISE_READERS))]
ProjectViewer = Annotated[Principal, Depends(require_role(*PROJECT_VIEWERS))]
Applicant = Annotated[Principal, Depends(require_role(*APPLICANTS))]
Mover = Annotated[Principal, Depends(require_role(*MOVERS))]
PlanAuthor = Annotated[Principal, Depends(require_role(*PLAN_AUTHORS))]
RobotReporter = Annotated[Principal, Depends(require_role(*ROBOT_REPORTERS))]
CaseAuthor = Annotated[Principal, Depends(require_role(*CASE_AUTHORS))]
AcceptanceViewer = Annotated[Principal, Depends(require_role(*ACCEPTANCE_VIEWERS))]
Expert = Annotated[Principal, Depends(require_role(Role.EXPERT))]
EntryReader = Annotated[Principal, Depends(require_role(*ENTRY_READERS))]
IntegratorApplicant = Annotated[Principal, Depends(require_role(*INTEGRATOR_APPLICANTS))]
MatchReader = Annotated[Principal, Depends(require_role(*MATCH_READERS))]
PlatformManager = Annotated[Principal, Depends(require_role(*PLATFORM_MANAGERS))]
Matchmaker = Annotated[Principal, Depends(require_role(*MATCHMAKERS))]
SupportReader = Annotated[Principal, Depends(require_role(*SUPPORT_READERS))]
