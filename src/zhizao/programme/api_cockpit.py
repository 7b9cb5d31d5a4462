"""JSON API of the programme cockpit and the publications.

``GET /api/programme/cockpit`` is the programme office's (officers and administrators); the published smart-factory
list ``GET /api/programme/public/smart-factories`` answers anyone (``public_paths``).
"""

from __future__ import annotations

from fastapi import APIRouter

from zhizao.accounts.deps import SessionDep
from zhizao.fields import IdQuery
from zhizao.programme import service_cockpit, service_publications
from zhizao.programme.cockpit import Cockpit
from zhizao.programme.deps import Overseer
from zhizao.programme.publications import SmartFactoryList

router = APIRouter(prefix="/api/programme", tags=["programme"])


@router.get("/cockpit")
def read_cockpit(principal: Overseer, session: SessionDep, edition_id: IdQuery = None) -> Cockpit:
    """Every target of the edition (the current one unless named) against its measured progress: smart factories
    by industry quota, benchmarks, the lifecycle funnel, districts, robots, integrators, platforms, the accepted
    factories' verified KPIs, talent and support. Shares are fractions (0.25 is 25 %)."""
    return service_cockpit.read_cockpit(session, principal, edition_id)


@router.get("/public/smart-factories")
def published_smart_factories(session: SessionDep, edition_id: IdQuery = None) -> SmartFactoryList:
    """The published list (智能工厂名单) of the edition (the current one unless named): each recognised smart
    factory and benchmark with its industry, district and year recognised. No sign-in needed."""
    return service_publications.smart_factories(session, edition_id)
