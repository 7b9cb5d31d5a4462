"""``POST /api/ingest/{enterprise_id}/{device_code}`` with a device's token, on both database backends."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World, bearer
from tests.telemetry.ingest.support import IngestWorld, dead_letter_reasons, stored_counts
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.settings import Settings
from zhizao.telemetry.api_ingest import INGEST_PATH, router
from zhizao.telemetry.kinds import DataType
from zhizao.telemetry.models import DeadLetter, Device
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.timeutil import now_us
from zhizao.web.app import create_app

TOKEN = "zz_device-token-of-press-1-0123456789abcdef"


@pytest.fixture
def client(settings: Settings, database: Database, store: TelemetryStore) -> Iterator[TestClient]:
    app = create_app(settings, database)
    if not any(getattr(route, "path", None) == INGEST_PATH for route in app.routes):
        app.include_router(router)  # until create_app includes it
    if getattr(app.state, "telemetry_store", None) is None:
        app.state.telemetry_store = store
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def press(ingest_world: IngestWorld) -> tuple[int, int]:
    tenant = ingest_world.enterprise()
    device = ingest_world.device(tenant, "press-1", token=TOKEN)
    ingest_world.signal(device, "force")
    ingest_world.signal(device, "program", data_type=DataType.STRING)
    return tenant, device


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def url(tenant: int, code: str = "press-1") -> str:
    return f"/api/ingest/{tenant}/{code}"


def test_samples_are_stored_before_the_answer(client: TestClient, database: Database, press: tuple[int, int]) -> None:
    tenant, device = press
    now_ms = now_us() // 1000
    body = {
        "samples": [{"signal": "force", "ts": now_ms - 1, "value": 12.5}],
        "ts": now_ms,
        "values": {"force": 13.0, "program": "O1001"},
    }
    response = client.post(url(tenant), json=body, headers=auth())
    assert response.status_code == 200, response.text
    assert response.json() == {"stored": 3, "duplicates": 0, "rejected": []}
    assert stored_counts(database) == (2, 1, 2)
    again = client.post(url(tenant), json=body, headers=auth())
    assert again.json() == {"stored": 0, "duplicates": 3, "rejected": []}
    with database.session() as session:
        assert session.get_one(Device, device).last_seen_at is not None
    metrics = client.get("/metrics").text
    assert "zhizao_http_ingest_samples_stored_total 3.0" in metrics


def test_rejected_samples_are_reported_and_kept(client: TestClient, database: Database, press: tuple[int, int]) -> None:
    tenant, _device = press
    now_ms = now_us() // 1000
    body = (
        f'{{"samples": [{{"signal": "force", "ts": {now_ms}, "value": NaN}},'
        f' {{"signal": "force", "ts": {now_ms + 3_600_000}, "value": 1}},'
        f' {{"signal": "force", "ts": {now_ms}, "value": 2}}],'
        f' "ts": {now_ms}, "values": {{"unknown": 1, "program": 5}}}}'
    )
    response = client.post(url(tenant), content=body, headers={**auth(), "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["stored"] == 1
    assert [(r["index"], r["reason"]) for r in result["rejected"]] == [
        (0, "not_finite"),
        (1, "timestamp_out_of_range"),
        (3, "unknown_signal"),
        (4, "wrong_type"),
    ]
    assert dead_letter_reasons(database) == {
        "not_finite": 1,
        "timestamp_out_of_range": 1,
        "unknown_signal": 1,
        "wrong_type": 1,
    }
    with database.session() as session:
        letter = session.scalars(select(DeadLetter)).first()
        assert letter is not None
        assert (letter.source, letter.enterprise_id, letter.topic) == ("http", tenant, None)


def test_common_samples_of_unknown_or_text_signals_are_refused_each_with_its_index(
    client: TestClient, database: Database, press: tuple[int, int]
) -> None:
    """A message whose samples are all well formed numbers takes the decoder's fast path; the signals it names that
    cannot take them are still reported sample by sample, and the rest stored."""
    tenant, _device = press
    now_ms = now_us() // 1000
    samples = [
        {"signal": "force", "ts": now_ms - 2, "value": 1.5},
        {"signal": "unknown", "ts": now_ms - 2, "value": 2.0},
        {"signal": "program", "ts": now_ms - 2, "value": 3},
        {"signal": "force", "ts": now_ms - 1, "value": 4},
    ]
    response = client.post(url(tenant), json={"samples": samples}, headers=auth())
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["stored"] == 2
    assert [(r["index"], r["reason"]) for r in result["rejected"]] == [(1, "unknown_signal"), (2, "wrong_type")]
    assert stored_counts(database)[0] == 2
    assert dead_letter_reasons(database) == {"unknown_signal": 1, "wrong_type": 1}


def test_auto_registration_applies_to_http_too(
    client: TestClient, database: Database, ingest_world: IngestWorld
) -> None:
    tenant = ingest_world.enterprise(auto_register=True)
    ingest_world.device(tenant, "gw", token=TOKEN)
    response = client.post(url(tenant, "gw"), json={"ts": now_us() // 1000, "values": {"new": 1}}, headers=auth())
    assert response.json() == {"stored": 1, "duplicates": 0, "rejected": []}


@pytest.mark.parametrize(
    ("payload", "status", "code", "reason"),
    [
        (b"{not json", 400, "malformed_input", "malformed_json"),
        (b"[1, 2]", 422, "invalid_input", "schema"),
        (b'{"values": {"force": 1}}', 422, "invalid_input", "schema"),
        (json.dumps({"ts": 1, "values": {"force": "x" * 300_000}}).encode(), 413, "payload_too_large", "oversize"),
    ],
)
def test_a_message_refused_whole_is_kept_and_answered_in_the_error_shape(
    client: TestClient,
    database: Database,
    press: tuple[int, int],
    payload: bytes,
    status: int,
    code: str,
    reason: str,
) -> None:
    tenant, _device = press
    response = client.post(url(tenant), content=payload, headers={**auth(), "Content-Type": "application/json"})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"].startswith(reason)
    assert dead_letter_reasons(database) == {reason: 1}


def test_no_token_or_a_wrong_one_is_401(client: TestClient, world: World, press: tuple[int, int]) -> None:
    tenant, _device = press
    body = {"ts": now_us() // 1000, "values": {"force": 1}}
    admin = bearer(client, world.user(Role.ADMIN))  # a user's token is not a device's
    for headers in ({}, auth("zz_not-the-token"), admin, {"Authorization": "Basic eDp5"}):
        response = client.post(url(tenant), json=body, headers=headers)
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "not_authenticated"


def test_another_devices_path_is_404(client: TestClient, ingest_world: IngestWorld, press: tuple[int, int]) -> None:
    tenant, _device = press
    victim = ingest_world.enterprise()
    ingest_world.device(victim, "press-1")
    ingest_world.device(tenant, "press-2")
    body = {"ts": now_us() // 1000, "values": {"force": 1}}
    for path in (url(victim), url(tenant, "press-2"), url(999_999)):
        response = client.post(path, json=body, headers=auth())
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"


def test_a_disabled_device_is_403(client: TestClient, ingest_world: IngestWorld) -> None:
    tenant = ingest_world.enterprise()
    ingest_world.device(tenant, "off", token=TOKEN, active=False)
    response = client.post(url(tenant, "off"), json={"ts": 1, "values": {}}, headers=auth())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
