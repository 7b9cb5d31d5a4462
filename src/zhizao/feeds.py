"""Figures one context measures and another counts, joined above both (the contexts never import each other).

Capacity sharing → the programme's platform target: a registered platform that names an equipment maker
(``Platform.sharing_owner_id``) serves every small firm that completed a lease with that maker; those firms are linked
as the platform's clients (``PlatformClient``), which the cockpit counts where they outnumber the declared figure.
Links are only added: a firm served once stays served.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.programme.models_directory import Platform, PlatformClient
from zhizao.sharing.models import Booking, BookingStatus


def link_sharing_clients(session: Session) -> int:
    """Link the lessees of each platform's sharing owner as its clients; the number of new links."""
    added = 0
    with session.begin():
        platforms = session.execute(
            select(Platform.id, Platform.sharing_owner_id).where(Platform.sharing_owner_id.is_not(None))
        ).all()
        for platform_id, owner_id in platforms:
            served = set(
                session.scalars(
                    select(Booking.lessee_id)
                    .where(Booking.owner_id == owner_id, Booking.status == BookingStatus.COMPLETED)
                    .distinct()
                )
            )
            linked = set(
                session.scalars(select(PlatformClient.enterprise_id).where(PlatformClient.platform_id == platform_id))
            )
            for enterprise_id in sorted(served - linked):
                session.add(
                    PlatformClient(platform_id=platform_id, enterprise_id=enterprise_id, linked_at=datetime.now(UTC))
                )
                added += 1
    return added
