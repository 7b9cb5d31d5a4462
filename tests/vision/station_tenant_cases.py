"""The tenant cases of the inspection-station routes for ``tests/web/test_route_authz.py`` (merge ``TENANT_CASES``
and ``TENANT_BODIES`` there): a station of enterprise A with one inspection, and a user of enterprise B."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.vision.station_support import model_row, station, tenant
from zhizao.accounts.roles import Role
from zhizao.telemetry.store.factory import open_store
from zhizao.vision import inspection, synthetic
from zhizao.vision.station_models import CountedAs, InspectionSource, VisionInspection
from zhizao.vision.types import Task, VerdictKind

TenantCase = Callable[[World, TestClient], tuple[Account, dict[str, object]]]
API = "/api/vision"


def station_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    owner = tenant(world, world.database)
    station_id = station(world.database, owner, None)
    with world.database.session() as session, session.begin():
        row = VisionInspection(
            station_id=station_id, organisation_id=owner.organisation_id, product_code="P",
            source=InspectionSource.UPLOAD,
            received_at=datetime.now(UTC), counted_at_us=1, image_path="vision/inspections/00/" + "0" * 64 + ".png",
            width=8, height=8, verdict_kind=VerdictKind.DEFECT, label="spot", score=0.9, confidence=0.9, boxes=[],
            latency_ms=1.0, counted_as=CountedAs.SCRAP,
        )  # fmt: skip
        session.add(row)
        session.flush()
        inspection_id = row.id
    return world.user(Role.ENTERPRISE), {"station_id": station_id, "inspection_id": inspection_id}


ROUTES = [
    ("GET", f"{API}/stations/{{station_id}}"),
    ("PATCH", f"{API}/stations/{{station_id}}"),
    ("PUT", f"{API}/stations/{{station_id}}/model"),
    ("POST", f"{API}/stations/{{station_id}}/token"),
    ("POST", f"{API}/stations/{{station_id}}/inspections"),
    ("GET", f"{API}/stations/{{station_id}}/inspections"),
    ("GET", f"{API}/stations/{{station_id}}/rejections"),
    ("GET", f"{API}/inspections/{{inspection_id}}"),
    ("POST", f"{API}/inspections/{{inspection_id}}/review"),
]
TENANT_CASES: dict[tuple[str, str], TenantCase] = dict.fromkeys(ROUTES, station_of_another_enterprise)
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("PUT", f"{API}/stations/{{station_id}}/model"): {"model_id": None},
    ("POST", f"{API}/inspections/{{inspection_id}}/review"): {"kind": "pass"},
}


def walk_ids(world: World, client: TestClient) -> dict[str, int]:
    """For the page walk (``tests/web/test_page_forms.py``, which puts ``HeatModel`` in for the deployed model): a
    station with an inspection whose image and heat map are stored, so that every station page opens."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    owner = tenant(world, world.database, code="VIS-WALK")
    station_id = station(world.database, owner, model_row(world.database, owner.organisation_id, task=Task.ANOMALY))
    store = open_store(world.database)
    try:
        with world.database.session() as session:
            content = synthetic.to_png(synthetic.generate("spot", 7).image)
            row = inspection.inspect(session, settings, store, station_id, content, source=InspectionSource.UPLOAD)
            return {"station_id": station_id, "inspection_id": row.id}
    finally:
        store.close()
