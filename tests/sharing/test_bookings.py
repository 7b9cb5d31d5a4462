"""The booking lifecycle (table-driven), the quote (hand-computed), and the booking services on both backends:
bad input named by field, no double booking, cancellation notice, no-show, and concurrent confirmations."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeAlias

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from tests.conftest import Account, World
from tests.sharing.tenant_cases import API, at, bearer, build_offer, request
from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, PermissionDenied
from zhizao.sharing import bookings
from zhizao.sharing.bookings import Side, next_status, quote_amount, timing_problem, window_hours
from zhizao.sharing.models import Booking, BookingStatus
from zhizao.sharing.schemas import Action, TransitionIn

S: TypeAlias = BookingStatus
A: TypeAlias = Action
OWNER, LESSEE, BOTH = frozenset({Side.OWNER}), frozenset({Side.LESSEE}), frozenset(Side)

ALLOWED = [
    (S.REQUESTED, A.CONFIRM, OWNER, S.CONFIRMED),
    (S.REQUESTED, A.REJECT, OWNER, S.REJECTED),
    (S.REQUESTED, A.CANCEL, LESSEE, S.CANCELLED),
    (S.CONFIRMED, A.CANCEL, LESSEE, S.CANCELLED),
    (S.CONFIRMED, A.START, OWNER, S.ACTIVE),
    (S.CONFIRMED, A.NO_SHOW, OWNER, S.NO_SHOW),
    (S.ACTIVE, A.COMPLETE, OWNER, S.COMPLETED),
    (S.REQUESTED, A.CONFIRM, BOTH, S.CONFIRMED),  # an administrator acts for either side
]


@pytest.mark.parametrize(("status", "action", "sides", "target"), ALLOWED)
def test_allowed_transitions(status: S, action: A, sides: frozenset[Side], target: S) -> None:
    assert next_status(status, action, sides) is target


WRONG_SIDE = [
    (S.REQUESTED, A.CONFIRM, LESSEE),
    (S.REQUESTED, A.REJECT, LESSEE),
    (S.REQUESTED, A.CANCEL, OWNER),
    (S.CONFIRMED, A.NO_SHOW, LESSEE),
    (S.ACTIVE, A.COMPLETE, LESSEE),
    (S.REQUESTED, A.CONFIRM, frozenset()),
]


@pytest.mark.parametrize(("status", "action", "sides"), WRONG_SIDE)
def test_the_wrong_side_is_refused(status: S, action: A, sides: frozenset[Side]) -> None:
    with pytest.raises(PermissionDenied):
        next_status(status, action, sides)


def test_every_other_pair_is_a_conflict() -> None:
    allowed = set(bookings.TRANSITIONS)
    for status in S:
        for action in A:
            if (status, action) not in allowed:
                with pytest.raises(Conflict):
                    next_status(status, action, BOTH)
    assert all(not any(source is final for source, _ in allowed) for final in bookings.FINAL_STATUSES)


START = datetime(2026, 12, 10, 8, tzinfo=UTC)
TIMING = [
    (S.CONFIRMED, A.CANCEL, START - timedelta(seconds=1), False),  # late notice: priced by the tariff's bands
    (S.CONFIRMED, A.CANCEL, START, True),  # at the start it is a no-show, not a cancellation
    (S.REQUESTED, A.CANCEL, START + timedelta(hours=1), False),  # an unconfirmed request goes any time
    (S.CONFIRMED, A.NO_SHOW, START + timedelta(minutes=29), True),
    (S.CONFIRMED, A.NO_SHOW, START + timedelta(minutes=30), False),
    (S.REQUESTED, A.CONFIRM, START, True),  # the window has begun
    (S.REQUESTED, A.CONFIRM, START - timedelta(seconds=1), False),
    (S.CONFIRMED, A.START, START - timedelta(hours=2), True),
    (S.CONFIRMED, A.START, START - timedelta(minutes=59), False),
]


@pytest.mark.parametrize(("status", "action", "now", "refused"), TIMING)
def test_timing_rules(status: S, action: A, now: datetime, refused: bool) -> None:
    assert (timing_problem(status, action, START, now) is not None) is refused


@pytest.mark.parametrize(
    ("hours", "rate", "amount"),
    [
        (Decimal("4"), Decimal("120.00"), Decimal("480.00")),
        (Decimal("2.5"), Decimal("99.99"), Decimal("249.98")),  # 249.975 → half up
        (Decimal("0.01"), Decimal("0.50"), Decimal("0.01")),  # 0.005 → half up to one fen
        (Decimal("1.33"), Decimal("0"), Decimal("0.00")),
    ],
)
def test_quote_is_hours_times_rate_half_up_to_the_fen(hours: Decimal, rate: Decimal, amount: Decimal) -> None:
    assert quote_amount(hours, rate) == amount


def test_window_hours() -> None:
    assert window_hours(START, START + timedelta(minutes=100)) == Decimal("1.67")


# -- services, both backends -----------------------------------------------------------------------------------


def test_request_is_quoted_and_confirmation_gives_a_job_id(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    made = request(client, offer, at(2), 4)
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "requested"
    assert Decimal(made.json()["quote_cny"]) == Decimal("480.00")
    job = request(client, offer, at(3), 10, part_name="壳体", quantity=20, estimated_hours="7.5")
    assert Decimal(job.json()["quote_cny"]) == Decimal("900.00")  # 7.5 h × 120, not the 10 h window
    booking_id = made.json()["id"]
    confirmed = client.post(
        f"{API}/bookings/{booking_id}/transitions", json={"action": "confirm"}, headers=bearer(client, offer.owner)
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["job_id"] == f"SH-{booking_id}"


def test_bad_windows_are_named_by_field(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    past = request(client, offer, at(-1), 2)
    assert past.status_code == 422
    assert "body.start_at" in {p["field"] for p in past.json()["error"]["fields"]}
    backwards = request(client, offer, at(2), -2)
    assert {p["field"] for p in backwards.json()["error"]["fields"]} == {"body.end_at"}
    outside = request(client, offer, at(40), 2)
    assert outside.status_code == 422
    assert "availability" in outside.json()["error"]["fields"][0]["message"]
    job = request(client, offer, at(2), 2, part_name="轴", estimated_hours="3")
    assert job.json()["error"]["fields"][0]["field"] == "body.estimated_hours"


def test_overlapping_confirmed_booking_is_refused(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    first = request(client, offer, at(2), 4).json()
    second = request(client, offer, at(2, 2), 4).json()  # overlapping requests may both wait
    owner = bearer(client, offer.owner)
    ok = client.post(f"{API}/bookings/{first['id']}/transitions", json={"action": "confirm"}, headers=owner)
    assert ok.status_code == 200
    clash = client.post(f"{API}/bookings/{second['id']}/transitions", json={"action": "confirm"}, headers=owner)
    assert clash.status_code == 409, clash.text
    late = request(client, offer, at(2, 3), 2)  # a new request over the confirmed window
    assert late.status_code == 409
    assert late.json()["error"]["fields"][0]["field"] == "body.start_at"
    touching = request(client, offer, at(2, 4), 2)  # [start, end): back to back is fine
    assert touching.status_code == 201


def test_cancellation_before_the_start_keeps_its_notice_and_no_show_waits(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    made = request(client, offer, at(2), 4).json()
    owner, lessee = bearer(client, offer.owner), bearer(client, offer.lessee)
    client.post(f"{API}/bookings/{made['id']}/transitions", json={"action": "confirm"}, headers=owner)
    principal = bookings_principal(offer.lessee)
    with world.database.session() as session, pytest.raises(Conflict, match="begun"):
        bookings.transition(session, principal, made["id"], _t(A.CANCEL), now=at(2, 1))
    early_no_show = client.post(f"{API}/bookings/{made['id']}/transitions", json={"action": "no_show"}, headers=owner)
    assert early_no_show.status_code == 409
    cancel = client.post(
        f"{API}/bookings/{made['id']}/transitions", json={"action": "cancel", "reason": "计划变更"}, headers=lessee
    )
    assert cancel.status_code == 200, cancel.text
    assert cancel.json()["status"] == "cancelled"
    notice = datetime.fromisoformat(made["start_at"]) - datetime.fromisoformat(cancel.json()["cancelled_at"])
    assert timedelta(hours=23) < notice <= timedelta(hours=48)


def bookings_principal(account: Account) -> Principal:
    return Principal(account.user_id, account.username, account.username, account.role, account.organisation_id)


def _t(action: Action) -> TransitionIn:
    return TransitionIn(action=action)


# -- PostgreSQL: the database itself refuses a double booking ---------------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_exclusion_constraint_refuses_overlap_written_around_the_service(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    ids = [request(client, offer, at(2, i), 4).json()["id"] for i in (0, 1)]
    refused = pytest.raises(IntegrityError, match="ex_share_booking_no_overlap")
    with world.database.session() as session, refused, session.begin():
        for row in session.query(Booking).filter(Booking.id.in_(ids)):
            row.status = BookingStatus.CONFIRMED


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_concurrent_confirmations_one_wins_the_other_gets_409(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    ids = [request(client, offer, at(2, i), 4).json()["id"] for i in (0, 2)]
    owner = bearer(client, offer.owner)
    barrier = threading.Barrier(2)
    codes: dict[int, int] = {}

    def confirm(booking_id: int) -> None:
        with TestClient(client.app, base_url="https://testserver") as own:
            barrier.wait()
            answer = own.post(f"{API}/bookings/{booking_id}/transitions", json={"action": "confirm"}, headers=owner)
            codes[booking_id] = answer.status_code

    threads = [threading.Thread(target=confirm, args=(booking_id,)) for booking_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(codes.values()) == [200, 409], codes
    with world.database.session() as session:
        held = [row.status for row in session.query(Booking).filter(Booking.id.in_(ids))]
    assert sorted(held) == [BookingStatus.CONFIRMED, BookingStatus.REQUESTED]
