"""A booking the owner can start now, and what the job dispatch left behind (audit rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World
from tests.sharing.tenant_cases import API, Offer, at, bearer, build_offer, request
from zhizao.accounts.models import AuditEntry
from zhizao.sharing.dispatch import AUDIT_ACTION


def startable_booking(client: TestClient, world: World) -> tuple[Offer, int]:
    """A confirmed booking that begins in a few minutes (so the owner may start it now) on the offer's CNC, whose
    data source is the MQTT JSON device ``L1-CNC-01``."""
    offer = build_offer(world, client)
    owner = bearer(client, offer.owner)
    today = {"start_at": at(0).isoformat(), "end_at": at(1).isoformat()}  # up to the offer's window
    added = client.post(f"{API}/listings/{offer.listing_id}/availability", json=today, headers=owner)
    assert added.status_code == 201, added.text
    made = request(client, offer, datetime.now(UTC) + timedelta(minutes=5), 2)
    assert made.status_code == 201, made.text
    booking_id = int(made.json()["id"])
    confirmed = act(client, offer, booking_id, "confirm")
    assert confirmed["job_id"] == f"SH-{booking_id}" and confirmed["job_dispatch"] is None
    return offer, booking_id


def act(client: TestClient, offer: Offer, booking_id: int, action: str) -> dict[str, Any]:
    answer = client.post(
        f"{API}/bookings/{booking_id}/transitions", json={"action": action}, headers=bearer(client, offer.owner)
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def dispatch_audit(world: World, booking_id: int) -> list[AuditEntry]:
    with world.database.session() as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == AUDIT_ACTION, AuditEntry.entity_id == str(booking_id))
            .order_by(AuditEntry.id)
        ).all()
        session.expunge_all()
        return list(rows)
