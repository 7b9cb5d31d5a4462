"""Capacity sharing feeds the programme's platform target: a registered platform that names an equipment maker gains
the maker's lessees as clients once they completed a lease, and the cockpit's count follows (both backends)."""

from __future__ import annotations

from datetime import date

from tests.conftest import World
from tests.sharing.billing_world import add_booking, build_leasing, local
from zhizao.accounts.roles import OrganisationKind
from zhizao.feeds import link_sharing_clients
from zhizao.programme.kinds import Industry
from zhizao.programme.models_directory import Platform
from zhizao.programme.service_platforms import platform_counts
from zhizao.sharing.models import BookingStatus


def test_lessees_of_completed_leases_count_towards_the_platform_target(world: World) -> None:
    leasing = build_leasing(world, wear=False)
    operator_id = world.organisation(OrganisationKind.PLATFORM)
    with world.database.session() as session, session.begin():
        session.add(Platform(operator_id=operator_id, name="共享制造平台", industry=Industry.HIGH_END_EQUIPMENT,
                             description="产能共享", enterprises_served=0, served_as_of=date(2026, 11, 1),
                             sharing_owner_id=leasing.owner_id))  # fmt: skip
    add_booking(world, leasing, local(6, 8), local(6, 10), BookingStatus.CONFIRMED)
    with world.database.session() as session:
        assert link_sharing_clients(session) == 0  # confirmed, not yet served
    add_booking(world, leasing, local(7, 8), local(7, 10), BookingStatus.COMPLETED,
                started_at=local(7, 8), completed_at=local(7, 10))  # fmt: skip
    with world.database.session() as session:
        assert link_sharing_clients(session) == 1
    with world.database.session() as session:
        assert link_sharing_clients(session) == 0  # linked once
        assert platform_counts(session) == (1, 1)
