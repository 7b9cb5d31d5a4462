"""The OEE and downtime-Pareto API over the one-shift scenario (figures computed by hand in ``conftest``)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.production.conftest import ONE_SHIFT_DAY, Rig
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role

PERIOD = {"start": ONE_SHIFT_DAY.isoformat(), "end": ONE_SHIFT_DAY.isoformat()}


def test_line_oee_with_buckets_equipment_and_waterfall(synced: Rig, world: World, client: TestClient) -> None:
    staff = world.user(Role.ENTERPRISE, synced.plant.enterprise_id)
    response = client.get(
        "/api/production/oee",
        params={**PERIOD, "node_id": synced.plant.line_id, "granularity": "shift"},
        headers=bearer(client, staff),
    )
    assert response.status_code == 200, response.text
    report = response.json()
    total = report["total"]
    assert total["times"]["pbt_s"] == 27_000
    assert total["times"]["apt_s"] == 25_140
    assert total["kpis"]["availability"] == pytest.approx(25_140 / 27_000)
    assert total["kpis"]["effectiveness"] == pytest.approx(410 * 60 / 25_140)
    assert total["kpis"]["quality_ratio"] == pytest.approx(400 / 410)
    assert total["kpis"]["oee"] == pytest.approx(60 * 400 / 27_000)
    assert [bucket["key"] for bucket in report["buckets"] if bucket["times"]["pot_s"]] == ["2026-01-01/A"]
    # Drill-down: the CNC machine carries everything, the robot on the same line has no data and no calendar.
    by_code = {row["code"]: row for row in report["equipment"]}
    assert by_code["L1-CNC-01"]["kpis"]["oee"] == pytest.approx(60 * 400 / 27_000)
    assert by_code["L1-RB-01"]["times"]["pbt_s"] == 0
    assert report["waterfall"]["breakdown_loss_s"] == 1_800
    assert report["waterfall"]["fully_productive_s"] == 24_000


def test_pareto_splits_unclassified_lost_time_by_what_the_machine_did(
    synced: Rig, world: World, client: TestClient
) -> None:
    staff = world.user(Role.ENTERPRISE, synced.plant.enterprise_id)
    response = client.get(
        "/api/production/downtime-pareto",
        params={**PERIOD, "equipment_id": synced.plant.equipment_id},
        headers=bearer(client, staff),
    )
    assert response.status_code == 200, response.text
    rows = response.json()
    assert [(row["reason"], row["seconds"]) for row in rows] == [
        ("unclassified:down", 1_800),
        ("unclassified:micro_stop", 60),
    ]
    assert rows[-1]["cumulative_share"] == pytest.approx(1.0)


def test_another_enterprises_line_is_not_found(synced: Rig, world: World, client: TestClient) -> None:
    other = build_plant(world)
    staff = world.user(Role.ENTERPRISE, synced.plant.enterprise_id)
    for path in ("/api/production/oee", "/api/production/downtime-pareto"):
        response = client.get(path, params={**PERIOD, "node_id": other.line_id}, headers=bearer(client, staff))
        assert response.status_code == 404, response.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-01-02", "end": "2026-01-01"}, "query.end"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "query.end"),
    ],
)
def test_bad_periods_name_the_field(
    synced: Rig, world: World, client: TestClient, params: dict[str, str], field: str
) -> None:
    staff = world.user(Role.ENTERPRISE, synced.plant.enterprise_id)
    response = client.get("/api/production/oee", params=params, headers=bearer(client, staff))
    assert response.status_code == 422
    assert field in {problem["field"] for problem in response.json()["error"]["fields"]}
