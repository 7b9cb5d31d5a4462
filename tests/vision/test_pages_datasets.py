"""The dataset and model pages as a signed-in enterprise user: creating a dataset, uploading, counts per class and per
split, the labelling page (class, boxes, next image), the model comparison with its figures; other roles and
tenants kept out. On both backends."""

from __future__ import annotations

import json
import re

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World
from tests.sharing.owner_helpers import sign_in
from tests.vision.test_training import detect_version
from tests.vision.vision_world import png, principal, spots, stripes, surface
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.settings import Settings
from zhizao.vision import datasets, provenance, training, versions
from zhizao.vision.models import VisionDataset, VisionImage, VisionModel
from zhizao.vision.schemas import DatasetCreate, VersionCreate
from zhizao.vision.types import Task


def cells(html: str, row_attribute: str) -> list[str]:
    """The text of the cells of the table row carrying ``row_attribute`` (e.g. ``data-class="spots"``)."""
    row = re.search(rf"<tr[^>]*{re.escape(row_attribute)}[^>]*>(.*?)</tr>", html, re.S)
    assert row is not None, row_attribute
    found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in found]


def test_a_dataset_is_created_filled_and_versioned_from_its_pages(client: TestClient, world: World) -> None:
    account = world.user(Role.ENTERPRISE)
    token = sign_in(client, account, "/vision/datasets")
    listed = client.get("/vision/datasets")
    assert 'data-nav="/vision/datasets"' in listed.text and 'data-nav="/vision/models"' in listed.text
    form = {"csrf_token": token, "name": "钢板", "task": "classify", "product_code": "S-1", "classes": "spots，stripes"}
    created = client.post("/vision/datasets", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    detail_url = created.headers["location"]
    taken = client.post("/vision/datasets", data=form)
    assert taken.status_code == 422 and "taken by another dataset" in taken.text

    for label, make in (("spots", spots), ("stripes", stripes)):
        files = [("files", (f"{label}{i}.png", png(make(i)), "image/png")) for i in range(10)]
        sent = client.post(f"{detail_url}/upload", data={"csrf_token": token, "label": label}, files=files,
                           follow_redirects=False)  # fmt: skip
        assert sent.status_code == 303, sent.text
    broken = client.post(f"{detail_url}/upload", data={"csrf_token": token},
                         files=[("files", ("half.png", png(spots(50))[:40], "image/png"))])  # fmt: skip
    assert broken.status_code == 422 and "half.png" in broken.text

    made = client.post(f"{detail_url}/versions", data={"csrf_token": token, "seed": "5"}, follow_redirects=False)
    assert made.status_code == 303
    page = client.get(detail_url).text
    assert cells(page, 'data-class="spots"') == ["spots", "10"]
    assert cells(page, 'data-class="stripes"') == ["stripes", "10"]
    assert [cell.split()[0] for cell in cells(page, 'data-split="train"')[:2]] == ["1", "5"]  # version 1, seed 5
    assert cells(page, 'data-split="train"')[3:6] == ["7", "7", "14"]
    assert cells(page, 'data-split="validation"')[1:] == ["1", "1", "2"]
    assert cells(page, 'data-split="test"')[1:] == ["2", "2", "4"]  # round(10 × 0.15) = 2 of each class
    with world.database.session() as session:
        dataset = session.scalars(select(VisionDataset)).one()
        assert dataset.organisation_id == account.organisation_id and dataset.classes == ["spots", "stripes"]


def test_the_labelling_page_labels_one_image_after_another(
    client: TestClient, world: World, settings: Settings
) -> None:
    account = world.user(Role.ENTERPRISE)
    owner = principal(account)
    with world.database.session() as session:
        data = DatasetCreate(name="tiles", task=Task.ANOMALY, product_code="T", classes=["crack"])
        dataset_id = datasets.create_dataset(session, owner, data).id
    incoming = [datasets.Incoming(png(surface(i)), f"{i}.png", f"{i}", False) for i in range(2)]
    with world.database.session() as session:
        first, second = datasets.add_images(session, settings, owner, dataset_id, incoming).added
    token = sign_in(client, account, f"/vision/datasets/{dataset_id}/label")
    page = client.get(f"/vision/datasets/{dataset_id}/label").text
    assert f'src="/api/vision/images/{first.id}/file"' in page and 'value="good"' in page and 'value="crack"' in page

    wrong = client.post(f"/vision/images/{first.id}/label", data={"csrf_token": token, "label": "dent"})
    assert wrong.status_code == 422 and "&#39;dent&#39; is not a class" in wrong.text
    saved = client.post(f"/vision/images/{first.id}/label", data={"csrf_token": token, "label": "good"},
                        follow_redirects=False)  # fmt: skip
    assert saved.headers["location"] == f"/vision/datasets/{dataset_id}/label?image={second.id}"
    client.post(f"/vision/images/{second.id}/label", data={"csrf_token": token, "label": "crack"})
    assert 'id="all-labelled"' in client.get(f"/vision/datasets/{dataset_id}/label").text
    with world.database.session() as session:
        labels = {row.id: (row.labelled, row.label) for row in session.scalars(select(VisionImage))}
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.action == "vision_image.label")))
    assert labels == {first.id: (True, None), second.id: (True, "crack")} and len(actions) == 2


def test_boxes_drawn_on_the_canvas_are_saved(client: TestClient, world: World, settings: Settings) -> None:
    account = world.user(Role.ENTERPRISE)
    owner = principal(account)
    with world.database.session() as session:
        data = DatasetCreate(name="boxes", task=Task.DETECT, product_code="B", classes=["spot"])
        dataset_id = datasets.create_dataset(session, owner, data).id
    with world.database.session() as session:
        image = datasets.add_image(session, settings, owner, dataset_id, png(spots(1)), label=None, boxes=(),
                                   source="upload", labelled=False)  # fmt: skip
    token = sign_in(client, account, f"/vision/datasets/{dataset_id}/label")
    page = client.get(f"/vision/datasets/{dataset_id}/label").text
    assert 'id="label-canvas"' in page and 'data-width="32"' in page
    url = f"/vision/images/{image.id}/label"
    for hostile in ("not json", '{"x0": 1}', '[{"x0": "a", "y0": 1, "x1": 2, "y1": 3, "label": "spot"}]', "[1]"):
        refused = client.post(url, data={"csrf_token": token, "boxes": hostile})
        assert refused.status_code == 422 and "not a list of boxes" in refused.text, hostile
    outside = json.dumps([{"x0": 30, "y0": 0, "x1": 40, "y1": 5, "label": "spot"}])
    assert "outside the 32 × 32 image" in client.post(url, data={"csrf_token": token, "boxes": outside}).text
    drawn = json.dumps([{"x0": 2, "y0": 3, "x1": 9.4, "y1": 12, "label": "spot"}])
    assert client.post(url, data={"csrf_token": token, "boxes": drawn}, follow_redirects=False).status_code == 303
    with world.database.session() as session:
        stored = session.get(VisionImage, image.id)
        assert stored is not None and stored.boxes == [{"x0": 2, "y0": 3, "x1": 9, "y1": 12, "label": "spot"}]


def test_the_comparison_page_sets_models_side_by_side(client: TestClient, world: World, settings: Settings) -> None:
    account = world.user(Role.ENTERPRISE)
    owner = principal(account)
    classes = {"good": lambda i: surface(300 + i), "spots": lambda i: spots(100 + i), "stripes": stripes}
    with world.database.session() as session:
        data = DatasetCreate(name="比较", task=Task.CLASSIFY, product_code="C", classes=list(classes))
        dataset_id = datasets.create_dataset(session, owner, data).id
    incoming = [datasets.Incoming(png(make(i)), None, f"{label}{i}", True, label)
                for label, make in classes.items() for i in range(12)]  # fmt: skip
    with world.database.session() as session:
        datasets.add_images(session, settings, owner, dataset_id, incoming)
    models = []
    for seed in (3, 4):
        with world.database.session() as session:
            version = versions.create_version(session, owner, dataset_id, VersionCreate(seed=seed))
        with world.database.session() as session:
            models.append(training.train_model(session, settings, owner, version.id))
    sign_in(client, account, f"/vision/datasets/{dataset_id}/models")
    page = client.get(f"/vision/datasets/{dataset_id}/models").text
    assert cells(page, 'id="row-algorithm"')[1:] == [m.algorithm for m in models]
    assert cells(page, 'id="row-version"')[1:] == ["1", "2"]
    figures = [cell.split()[-1] for cell in cells(page, 'id="row-headline"')[1:]]
    assert figures == [f"{m.metrics['accuracy']:.4f}" for m in models]
    for name in classes:
        recalls = [f"{m.metrics['recall_per_class'][name]:.4f}" for m in models]
        assert cells(page, f'data-class="{name}"') == [name, *recalls]
    assert cells(page, 'id="row-latency"')[1:] == [f"{m.latency_ms:.2f}" for m in models if m.latency_ms]
    assert cells(page, 'id="row-train-seconds"')[1:] == [f"{m.train_seconds:.1f}" for m in models if m.train_seconds]
    software = [provenance.described(m.metrics["environment"]) for m in models]
    assert cells(page, 'id="row-environment"')[1:] == software and f"numpy {np.__version__}" in software[0]
    registry_page = client.get("/vision/models").text
    assert all(f'id="model-{m.id}"' in registry_page for m in models)


def test_other_roles_and_tenants_are_kept_off_the_pages(client: TestClient, world: World) -> None:
    owner = principal(world.user(Role.ENTERPRISE))
    with world.database.session() as session:
        data = DatasetCreate(name="their own", task=Task.CLASSIFY, product_code="M")
        dataset_id = datasets.create_dataset(session, owner, data).id
    sign_in(client, world.user(Role.CONSUMER), "/account")
    assert client.get("/vision/datasets").status_code == 403
    assert 'data-nav="/vision/datasets"' not in client.get("/account").text
    sign_in(client, world.user(Role.ENTERPRISE), "/vision/datasets")
    for path in ("", "/label", "/models"):
        assert client.get(f"/vision/datasets/{dataset_id}{path}").status_code == 404, path
    assert f"dataset-{dataset_id}" not in client.get("/vision/datasets").text


def test_learned_maps_are_offered_for_detection_and_refused_elsewhere(
    client: TestClient, world: World, settings: Settings
) -> None:
    account = world.user(Role.ENTERPRISE)
    detect_version(world, settings, account)
    token = sign_in(client, account, "/vision/datasets")
    with world.database.session() as session:
        detect_dataset = session.scalars(select(VisionDataset)).one()
    assert 'name="learned_maps"' in client.get(f"/vision/datasets/{detect_dataset.id}").text

    owner = principal(account)
    with world.database.session() as session:
        data = DatasetCreate(name="面", task=Task.CLASSIFY, product_code="S-2", classes=["spots", "stripes"])
        classify_id = datasets.create_dataset(session, owner, data).id
    incoming = [datasets.Incoming(png(make(i)), f"{label}{i}.png", f"{label}{i}", True, label)
                for label, make in (("spots", spots), ("stripes", stripes)) for i in range(4)]  # fmt: skip
    with world.database.session() as session:
        datasets.add_images(session, settings, owner, classify_id, incoming)
    with world.database.session() as session:
        classify_version_id = versions.create_version(session, owner, classify_id, VersionCreate()).id
    assert 'name="learned_maps"' not in client.get(f"/vision/datasets/{classify_id}").text
    refused = client.post(f"/vision/versions/{classify_version_id}/train",
                          data={"csrf_token": token, "learned_maps": "1"})  # fmt: skip
    assert refused.status_code == 422 and "only detection models have learned maps" in refused.text
    with world.database.session() as session:
        assert session.scalars(select(VisionModel)).all() == []  # nothing queued
