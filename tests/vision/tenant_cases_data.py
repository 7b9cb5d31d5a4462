"""The tenant cases of the vision dataset and model routes for ``tests/web/test_route_authz.py``: an enterprise's
dataset with an image, a version and a queued model, reached by an enterprise user of another enterprise."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.vision.vision_world import png, principal, spots
from zhizao.accounts.roles import Role
from zhizao.vision import datasets, training, versions
from zhizao.vision.schemas import DatasetCreate, VersionCreate
from zhizao.vision.types import Box, Task

API = "/api/vision"
TenantCase = Callable[[World, TestClient], tuple[Account, dict[str, object]]]


def another_enterprises_dataset(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    owner = principal(world.user(Role.ENTERPRISE))
    settings = client.app.state.settings  # type: ignore[attr-defined]
    with world.database.session() as session:
        data = DatasetCreate(name="victim", task=Task.CLASSIFY, product_code="P", classes=["spots"])
        dataset_id = datasets.create_dataset(session, owner, data).id
    with world.database.session() as session:
        image = datasets.add_image(session, settings, owner, dataset_id, png(spots(1)), label="spots", boxes=(),
                                   source="upload")  # fmt: skip
    with world.database.session() as session:
        version = versions.create_version(session, owner, dataset_id, VersionCreate())
    with world.database.session() as session:
        model = training.queue_training(session, owner, version.id)
    params = {"dataset_id": dataset_id, "image_id": image.id, "version_id": version.id, "model_id": model.id}
    return world.user(Role.ENTERPRISE), params


TENANT_CASES: dict[tuple[str, str], TenantCase] = {
    (method, f"{API}{path}"): another_enterprises_dataset
    for method, path in (
        ("GET", "/datasets/{dataset_id}"),
        ("PATCH", "/datasets/{dataset_id}"),
        ("DELETE", "/datasets/{dataset_id}"),
        ("GET", "/datasets/{dataset_id}/images"),
        ("POST", "/datasets/{dataset_id}/images"),
        ("GET", "/images/{image_id}"),
        ("GET", "/images/{image_id}/file"),
        ("PUT", "/images/{image_id}/label"),
        ("GET", "/datasets/{dataset_id}/versions"),
        ("POST", "/datasets/{dataset_id}/versions"),
        ("GET", "/versions/{version_id}"),
        ("GET", "/versions/{version_id}/items"),
        ("GET", "/models/{model_id}"),
    )
}
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("PUT", f"{API}/images/{{image_id}}/label"): {"label": "spots"},
    ("PATCH", f"{API}/datasets/{{dataset_id}}"): {"name": "mine now"},
}


def walk_ids(world: World, client: TestClient) -> dict[str, int]:
    """For the page walk (``tests/web/test_page_forms.py``): a detect dataset with a frozen version and an image
    still to label, so that its pages show every form (upload, classes, version, training, the labelling canvas)."""
    owner = principal(world.user(Role.ENTERPRISE))
    settings = client.app.state.settings  # type: ignore[attr-defined]
    with world.database.session() as session:
        data = DatasetCreate(name="walk", task=Task.DETECT, product_code="W", classes=["spot"])
        dataset_id = datasets.create_dataset(session, owner, data).id
    with world.database.session() as session:
        datasets.add_image(session, settings, owner, dataset_id, png(spots(1)), label=None,
                           boxes=[Box(2, 2, 9, 9, "spot")], source="upload")  # fmt: skip
    with world.database.session() as session:
        versions.create_version(session, owner, dataset_id, VersionCreate())
    with world.database.session() as session:
        image = datasets.add_image(session, settings, owner, dataset_id, png(spots(2)), label=None, boxes=(),
                                   source="upload", labelled=False)  # fmt: skip
    return {"dataset_id": dataset_id, "image_id": image.id}
