"""JSON API of the programme's directory area: the integrator directory (public search, applications, the
programme office's review), integrators matched to a factory's gaps, and vertical platforms with their clients.

``/api/programme/directory`` and ``/api/programme/platforms/public`` answer anyone (``public_paths``); everything else
needs a role, and a tenant-confined caller reaches only its own organisation's rows (404 for another's).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from zhizao.accounts.deps import SessionDep
from zhizao.assessment.schemas import Label
from zhizao.fields import IdPath, TextQuery
from zhizao.programme import service_directory, service_matching, service_platforms
from zhizao.programme.deps import EntryReader, IntegratorApplicant, MatchReader, Overseer, PlatformManager
from zhizao.programme.directory import IntegratorStatus, RevenueBand
from zhizao.programme.kinds import Industry
from zhizao.programme.schemas_directory import (
    DirectoryEntry,
    IntegratorApplication,
    IntegratorRead,
    IntegratorReview,
    IntegratorSummary,
    MatchesRead,
    PlatformClientCreate,
    PlatformClientRead,
    PlatformCreate,
    PlatformRead,
    PlatformUpdate,
    PublicPlatform,
)

router = APIRouter(prefix="/api/programme", tags=["programme: directory and platforms"])

NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED


# --- integrator directory ------------------------------------------------------------------------------------


@router.get("/directory")
def public_directory(
    session: SessionDep,
    q: TextQuery = None,
    industry: Industry | None = None,
    capability: Annotated[Label | None, Query()] = None,
    min_band: RevenueBand | None = None,
) -> list[DirectoryEntry]:
    """The public directory (no login): listed integrators only, without contact details; revenue as a band."""
    return service_directory.public_directory(session, q=q, industry=industry, capability=capability, min_band=min_band)


@router.get("/integrators")
def list_integrators(
    principal: Overseer, session: SessionDep, status: IntegratorStatus | None = None
) -> list[IntegratorSummary]:
    """The review queue with each application's criteria check against the current edition's rules."""
    return service_directory.list_entries(session, status)


@router.get("/integrators/{integrator_id}")
def read_integrator(integrator_id: IdPath, principal: EntryReader, session: SessionDep) -> IntegratorRead:
    return service_directory.read_entry(session, principal, integrator_id)


@router.put("/integrators/{integrator_id}")
def put_application(
    integrator_id: IdPath, data: IntegratorApplication, principal: IntegratorApplicant, session: SessionDep
) -> IntegratorRead:
    """Apply or replace one's application (revenues, capabilities, industries); a rejected one is resubmitted."""
    return service_directory.put_application(session, principal, integrator_id, data)


@router.post("/integrators/{integrator_id}/review")
def review_integrator(
    integrator_id: IdPath, data: IntegratorReview, principal: Overseer, session: SessionDep
) -> IntegratorRead:
    """List (criteria met), reject or suspend (with a note) an application."""
    return service_directory.review(session, principal, integrator_id, data)


@router.get("/enterprises/{enterprise_id}/integrator-matches")
def integrator_matches(enterprise_id: IdPath, principal: MatchReader, session: SessionDep) -> MatchesRead:
    """Listed integrators ranked against the gaps of the enterprise's latest closed diagnosis (409 without one)."""
    return service_matching.integrator_matches(session, principal, enterprise_id)


# --- platforms -----------------------------------------------------------------------------------------------


@router.get("/platforms/public")
def public_platforms(session: SessionDep, industry: Industry | None = None) -> list[PublicPlatform]:
    """Every registered vertical platform (no login)."""
    return service_platforms.public_platforms(session, industry)


@router.get("/platforms")
def list_platforms(principal: PlatformManager, session: SessionDep) -> list[PlatformRead]:
    """The caller's platforms (an operator's own; the programme office all)."""
    return service_platforms.list_platforms(session, principal)


@router.post("/platforms", status_code=CREATED)
def create_platform(data: PlatformCreate, principal: PlatformManager, session: SessionDep) -> PlatformRead:
    return service_platforms.create_platform(session, principal, data)


@router.get("/platforms/{platform_id}")
def read_platform(platform_id: IdPath, principal: PlatformManager, session: SessionDep) -> PlatformRead:
    return service_platforms.read_platform(session, principal, platform_id)


@router.patch("/platforms/{platform_id}")
def update_platform(
    platform_id: IdPath, data: PlatformUpdate, principal: PlatformManager, session: SessionDep
) -> PlatformRead:
    return service_platforms.update_platform(session, principal, platform_id, data)


@router.delete("/platforms/{platform_id}", status_code=NO_CONTENT)
def delete_platform(platform_id: IdPath, principal: PlatformManager, session: SessionDep) -> Response:
    service_platforms.delete_platform(session, principal, platform_id)
    return Response(status_code=NO_CONTENT)


@router.get("/platforms/{platform_id}/clients")
def list_clients(platform_id: IdPath, principal: PlatformManager, session: SessionDep) -> list[PlatformClientRead]:
    return service_platforms.list_clients(session, principal, platform_id)


@router.post("/platforms/{platform_id}/clients", status_code=CREATED)
def link_client(
    platform_id: IdPath, data: PlatformClientCreate, principal: PlatformManager, session: SessionDep
) -> PlatformClientRead:
    """Link an enterprise registered here, named by its unified social credit code."""
    return service_platforms.link_client(session, principal, platform_id, data)


@router.delete("/platforms/{platform_id}/clients/{enterprise_id}", status_code=NO_CONTENT)
def unlink_client(
    platform_id: IdPath, enterprise_id: IdPath, principal: PlatformManager, session: SessionDep
) -> Response:
    service_platforms.unlink_client(session, principal, platform_id, enterprise_id)
    return Response(status_code=NO_CONTENT)
