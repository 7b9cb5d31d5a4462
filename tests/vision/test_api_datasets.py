"""The vision data API: datasets, uploads all or nothing, labels, versions, training in the background and the model
registry, with errors naming the field, 403 for other roles and 404 for other tenants. On both backends."""

from __future__ import annotations

import io
import time

from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import Account, World, bearer
from tests.vision.vision_world import png, spots, stripes, surface
from zhizao.accounts.roles import Role
from zhizao.settings import Settings

API = "/api/vision"


def fields(response: object) -> list[str]:
    return [problem["field"] for problem in response.json()["error"]["fields"]]  # type: ignore[attr-defined]


def make_dataset(client: TestClient, headers: dict[str, str], **extra: object) -> int:
    body = {"name": "表面缺陷", "task": "classify", "product_code": "P-100", "classes": ["good", "spots", "stripes"],
            **extra}  # fmt: skip
    response = client.post(f"{API}/datasets", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def upload(client: TestClient, headers: dict[str, str], dataset_id: int, files: list[tuple[str, bytes]],
           label: str | None = None) -> object:  # fmt: skip
    parts = [("files", (name, content, "image/png")) for name, content in files]
    data = {"label": label} if label is not None else None
    return client.post(f"{API}/datasets/{dataset_id}/images", files=parts, data=data, headers=headers)


def test_datasets_are_created_by_their_enterprise_and_refused_to_others(client: TestClient, world: World) -> None:
    owner = bearer(client, world.user(Role.ENTERPRISE))
    dataset_id = make_dataset(client, owner)
    again = client.post(f"{API}/datasets", json={"name": "表面缺陷", "task": "classify", "product_code": "P"},
                        headers=owner)  # fmt: skip
    assert again.status_code == 409 and fields(again) == ["body.name"]
    bad = client.post(f"{API}/datasets", json={"name": "x", "task": "anomaly", "product_code": "P",
                                               "classes": ["good"]}, headers=owner)  # fmt: skip
    assert bad.status_code == 422 and fields(bad) == ["body.classes.0"]
    admin = bearer(client, world.user(Role.ADMIN))
    missing = client.post(f"{API}/datasets", json={"name": "y", "task": "detect", "product_code": "P"}, headers=admin)
    assert missing.status_code == 422 and fields(missing) == ["body.organisation_id"]
    for role in (Role.CONSUMER, Role.OFFICER, Role.INTEGRATOR):
        assert client.get(f"{API}/datasets", headers=bearer(client, world.user(role))).status_code == 403
    stranger = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get(f"{API}/datasets/{dataset_id}", headers=stranger).status_code == 404
    assert client.get(f"{API}/datasets", headers=stranger).json() == []
    assert [row["id"] for row in client.get(f"{API}/datasets", headers=admin).json()] == [dataset_id]


def test_an_upload_is_all_or_nothing_and_names_the_bad_file(
    client: TestClient, world: World, settings: Settings
) -> None:
    owner = bearer(client, world.user(Role.ENTERPRISE))
    dataset_id = make_dataset(client, owner)
    good, corrupt = png(spots(1)), png(spots(2))[:50]
    refused = upload(client, owner, dataset_id, [("a.png", good), ("b.png", corrupt), ("c.png", b"")])
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert fields(refused) == ["body.files.1", "body.files.2"]
    assert not (settings.data_dir / "vision" / "images").exists() or not any(
        path.is_file() for path in (settings.data_dir / "vision" / "images").rglob("*")
    )
    detail = client.get(f"{API}/datasets/{dataset_id}", headers=owner).json()
    assert detail["images"] == 0

    accepted = upload(client, owner, dataset_id, [("a.png", good), ("d.png", png(stripes(3)))], label="spots")
    assert accepted.status_code == 201, accepted.text  # type: ignore[attr-defined]
    body = accepted.json()  # type: ignore[attr-defined]
    assert [row["original_name"] for row in body["added"]] == ["a.png", "d.png"] and body["duplicates"] == 0
    assert all(row["labelled"] and row["label"] == "spots" for row in body["added"])
    twice = upload(client, owner, dataset_id, [("again.png", good), ("new.png", png(surface(5)))])
    assert twice.json()["duplicates"] == 1 and twice.json()["added"][0]["labelled"] is False  # type: ignore[attr-defined]
    unknown = upload(client, owner, dataset_id, [("e.png", png(spots(9)))], label="dents")
    assert unknown.status_code == 422 and fields(unknown) == ["body.files.0.label"]  # type: ignore[attr-defined]

    image_id = body["added"][0]["id"]
    served = client.get(f"{API}/images/{image_id}/file", headers=owner)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).size == (32, 32)
    page = client.get(f"{API}/datasets/{dataset_id}/images", params={"labelled": False}, headers=owner).json()
    assert page["total"] == 1 and page["items"][0]["original_name"] == "new.png"
    stranger = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get(f"{API}/images/{image_id}/file", headers=stranger).status_code == 404
    assert upload(client, stranger, dataset_id, [("x.png", good)]).status_code == 404  # type: ignore[attr-defined]


def test_labels_are_checked_by_field(client: TestClient, world: World) -> None:
    owner = bearer(client, world.user(Role.ENTERPRISE))
    dataset_id = make_dataset(client, owner, task="detect", classes=["spot"])
    image_id = upload(client, owner, dataset_id, [("a.png", png(surface(1)))]).json()["added"][0]["id"]  # type: ignore[attr-defined]
    url = f"{API}/images/{image_id}/label"
    outside = client.put(
        url, json={"boxes": [{"x0": 20, "y0": 20, "x1": 40, "y1": 30, "label": "spot"}]}, headers=owner
    )
    assert outside.status_code == 422 and fields(outside) == ["body.boxes.0"]
    unknown = client.put(url, json={"boxes": [{"x0": 1, "y0": 1, "x1": 4, "y1": 4, "label": "dent"}]}, headers=owner)
    assert unknown.status_code == 422 and fields(unknown) == ["body.boxes.0.label"]
    negative = client.put(url, json={"boxes": [{"x0": -1, "y0": 1, "x1": 4, "y1": 4, "label": "spot"}]}, headers=owner)
    assert negative.status_code == 422 and fields(negative) == ["body.boxes.0.x0"]
    saved = client.put(url, json={"boxes": [{"x0": 1, "y0": 2, "x1": 32, "y1": 9, "label": "spot"}]}, headers=owner)
    assert saved.status_code == 200 and saved.json()["label"] == "spot" and saved.json()["labelled"]
    assert client.put(url, json={"label": "good"}, headers=owner).json()["boxes"] == []


def wait_for(client: TestClient, model_id: int, headers: dict[str, str]) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        model = client.get(f"{API}/models/{model_id}", headers=headers).json()
        if model["status"] in ("done", "failed"):
            return dict(model)
        time.sleep(0.2)
    raise AssertionError(f"model {model_id} still {model['status']}")


def trained_world(client: TestClient, world: World) -> tuple[Account, dict[str, str], int, int]:
    account = world.user(Role.ENTERPRISE)
    owner = bearer(client, account)
    dataset_id = make_dataset(client, owner)
    makers = {"good": lambda i: surface(300 + i), "spots": lambda i: spots(100 + i), "stripes": stripes}
    for label, make in makers.items():
        response = upload(client, owner, dataset_id, [(f"{label}{i}.png", png(make(i))) for i in range(14)], label)
        assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    version = client.post(f"{API}/datasets/{dataset_id}/versions", json={"seed": 11}, headers=owner)
    assert version.status_code == 201, version.text
    return account, owner, dataset_id, int(version.json()["id"])


def test_versions_and_background_training(client: TestClient, world: World) -> None:
    _account, owner, dataset_id, version_id = trained_world(client, world)
    version = client.get(f"{API}/versions/{version_id}", headers=owner).json()
    assert version["number"] == 1 and version["seed"] == 11
    assert version["counts"]["test"] == {"good": 2, "spots": 2, "stripes": 2}
    items = client.get(f"{API}/versions/{version_id}/items", params={"split": "test"}, headers=owner).json()
    assert items["total"] == 6 and {item["split"] for item in items["items"]} == {"test"}

    maps = client.post(f"{API}/models", json={"version_id": version_id, "learned_maps": True}, headers=owner)
    assert maps.status_code == 422 and fields(maps) == ["body.learned_maps"]  # a classifier has no box maps
    assert "detection" in maps.json()["error"]["fields"][0]["message"]
    typed = client.post(f"{API}/models", json={"version_id": version_id, "learned_maps": "maybe"}, headers=owner)
    assert typed.status_code == 422 and fields(typed) == ["body.learned_maps"]
    queued = client.post(f"{API}/models", json={"version_id": version_id}, headers=owner)
    assert queued.status_code == 202 and queued.json()["status"] in ("queued", "running", "done")
    assert queued.json()["number"] == 1 and queued.json()["options"] == {}  # the refused request left no row
    model = wait_for(client, queued.json()["id"], owner)
    assert model["status"] == "done" and model["algorithm"], model
    metrics = model["metrics"]
    assert isinstance(metrics, dict) and metrics["accuracy"] == 1.0 and metrics["test_images"] == 6
    assert isinstance(model["latency_ms"], float) and model["latency_ms"] > 0
    listed = client.get(f"{API}/models", params={"dataset_id": dataset_id}, headers=owner).json()
    assert [row["id"] for row in listed] == [model["id"]]
    stranger = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get(f"{API}/models/{model['id']}", headers=stranger).status_code == 404
    assert client.post(f"{API}/models", json={"version_id": version_id}, headers=stranger).status_code == 404
    asked = {"version_id": version_id, "learned_maps": True}  # the version is looked up first: no hint it exists
    assert client.post(f"{API}/models", json=asked, headers=stranger).status_code == 404
    assert client.delete(f"{API}/datasets/{dataset_id}", headers=owner).status_code == 409  # a model needs it


def test_an_empty_class_refuses_the_version_naming_it(client: TestClient, world: World) -> None:
    owner = bearer(client, world.user(Role.ENTERPRISE))
    dataset_id = make_dataset(client, owner, classes=["spots", "stripes"])
    upload(client, owner, dataset_id, [("a.png", png(spots(1))), ("b.png", png(spots(2)))], label="spots")
    response = client.post(f"{API}/datasets/{dataset_id}/versions", json={}, headers=owner)
    assert response.status_code == 422 and fields(response) == ["classes.stripes"]
    bad_share = client.post(f"{API}/datasets/{dataset_id}/versions", json={"test_share": 0.9}, headers=owner)
    assert bad_share.status_code == 422 and fields(bad_share) == ["body.test_share"]
