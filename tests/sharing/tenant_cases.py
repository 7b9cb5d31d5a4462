"""A sharing world (owner, lessee, listing, tariff, availability, bookings) and the tenant cases of the sharing
routes for ``tests/web/test_route_authz.py`` (merge ``TENANT_CASES`` and ``TENANT_BODIES`` there)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.conftest import bearer as fresh_bearer
from tests.sharing.billing_world import disputed_invoice
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role

API = "/api/sharing"
# A time-only tariff: the plant's CNC has no spindle load signal, so it configures no wear components (and a tariff
# may price only the components its listing configures).
RATES = {"hourly_rate": "120.00", "setup_rate": "200.00"}
TenantCase = Callable[[World, TestClient], tuple[Account, dict[str, object]]]


def bearer(client: TestClient, account: Account) -> dict[str, str]:
    """The account's bearer header, fetched once per test client."""
    tokens: dict[str, dict[str, str]] = client.__dict__.setdefault("_sharing_tokens", {})
    if account.username not in tokens:
        tokens[account.username] = fresh_bearer(client, account)
    return tokens[account.username]


def at(days: float, hours: float = 0) -> datetime:
    """A whole hour ``days`` + ``hours`` from now (UTC)."""
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return base + timedelta(days=days, hours=hours)


@dataclass(frozen=True)
class Offer:
    owner: Account
    lessee: Account
    listing_id: int
    equipment_id: int
    window_id: int
    robot_id: int  # another machine of the owner, not offered


def build_offer(world: World, client: TestClient, *, published: bool = True) -> Offer:
    """A CNC offered by its owner at 120 CNY/h, available from tomorrow for 30 days, and a lessee enterprise."""
    plant = build_plant(world)
    owner = world.user(Role.ENTERPRISE, plant.enterprise_id)
    lessee = world.user(Role.ENTERPRISE)
    body = {
        "equipment_id": plant.equipment_id, "title": "五轴加工中心 DMU 50", "axes": 5, "envelope_x_mm": 650,
        "envelope_y_mm": 520, "envelope_z_mm": 475, "materials": ["铝合金", "钛合金"], "precision_mm": "0.005",
        "location": "临港", "published": published, "rates": RATES,
    }  # fmt: skip
    listing = client.post(f"{API}/listings", json=body, headers=bearer(client, owner))
    assert listing.status_code == 201, listing.text
    listing_id = int(listing.json()["id"])
    window = client.post(
        f"{API}/listings/{listing_id}/availability",
        json={"start_at": at(1).isoformat(), "end_at": at(31).isoformat()},
        headers=bearer(client, owner),
    )
    assert window.status_code == 201, window.text
    return Offer(owner, lessee, listing_id, plant.equipment_id, int(window.json()["id"]), plant.robot_id)


def request(client: TestClient, offer: Offer, start: datetime, hours: float, **extra: Any) -> Any:
    body = {"listing_id": offer.listing_id, "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=hours)).isoformat(), **extra}  # fmt: skip
    return client.post(f"{API}/bookings", json=body, headers=bearer(client, offer.lessee))


def _unpublished_listing_and_booking(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    draft = build_offer(world, client, published=False)
    offer = build_offer(world, client)
    booking = request(client, offer, at(2), 4)
    assert booking.status_code == 201, booking.text
    params = {"listing_id": draft.listing_id, "window_id": draft.window_id, "booking_id": booking.json()["id"]}
    return world.user(Role.ENTERPRISE), params


def _invoice_and_dispute(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    made = disputed_invoice(world, client.app.state.telemetry_store)  # type: ignore[attr-defined]
    return world.user(Role.ENTERPRISE), {"invoice_id": made.invoice_id, "dispute_id": made.dispute_id}


INVOICE_ROUTES = (
    ("GET", "/invoices/{invoice_id}"),
    ("GET", "/invoices/{invoice_id}.pdf"),
    ("GET", "/invoices/{invoice_id}.xlsx"),
    ("GET", "/invoices/{invoice_id}/recompute"),
    ("POST", "/invoices/{invoice_id}/disputes"),
    ("POST", "/disputes/{dispute_id}/answer"),
)
TENANT_CASES: dict[tuple[str, str], TenantCase] = {
    (method, f"{API}{path}"): _unpublished_listing_and_booking
    for method, path in (
        ("GET", "/listings/{listing_id}"),
        ("PATCH", "/listings/{listing_id}"),
        ("GET", "/listings/{listing_id}/tariffs"),
        ("POST", "/listings/{listing_id}/tariffs"),
        ("GET", "/listings/{listing_id}/availability"),
        ("POST", "/listings/{listing_id}/availability"),
        ("GET", "/listings/{listing_id}/quote"),
        ("PUT", "/listings/{listing_id}/photo"),
        ("GET", "/listings/{listing_id}/components"),
        ("POST", "/listings/{listing_id}/components/replacements"),
        ("DELETE", "/availability/{window_id}"),
        ("GET", "/bookings/{booking_id}"),
        ("POST", "/bookings/{booking_id}/transitions"),
    )
}
TENANT_CASES.update({(method, f"{API}{path}"): _invoice_and_dispute for method, path in INVOICE_ROUTES})
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("PATCH", f"{API}/listings/{{listing_id}}"): {"title": "x"},
    ("POST", f"{API}/listings/{{listing_id}}/tariffs"): {"hourly_rate": "1.00"},
    ("POST", f"{API}/listings/{{listing_id}}/availability"): {
        "start_at": "2030-01-01T08:00:00+08:00",
        "end_at": "2030-01-01T18:00:00+08:00",
    },
    ("POST", f"{API}/listings/{{listing_id}}/components/replacements"): {
        "component_id": "spindle",
        "replaced_at": "2026-01-01T08:00:00+08:00",
    },
    ("POST", f"{API}/bookings/{{booking_id}}/transitions"): {"action": "confirm"},
    ("POST", f"{API}/invoices/{{invoice_id}}/disputes"): {"line_id": 1, "reason": "x"},
    ("POST", f"{API}/disputes/{{dispute_id}}/answer"): {"accept": False, "answer": "x"},
}
# The quote route needs its window in the query to reach the tenant check.
TENANT_QUERIES: dict[tuple[str, str], dict[str, str | int]] = {
    ("GET", f"{API}/listings/{{listing_id}}/quote"): {
        "start_at": "2030-01-01T08:00:00+08:00",
        "end_at": "2030-01-01T18:00:00+08:00",
    },
}
