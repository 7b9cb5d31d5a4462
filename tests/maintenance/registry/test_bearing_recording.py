"""A vibration recording uploaded for an equipment is diagnosed with the enterprise's bearing model: stored as a
prediction with its evidence, a case opened for a fault; none for a healthy bearing; another tenant gets 404."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.maintenance.vibration.builders import FS, bearing_signal
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role
from zhizao.maintenance.vibration.online import read_recording

RPM = 1750.0  # the model was trained at 1797 rpm


def _csv(signal: np.ndarray) -> bytes:
    return ("acceleration_g\n" + "\n".join(f"{x:.6f}" for x in signal)).encode()


def _post(client: TestClient, headers: dict[str, str], equipment_id: int, name: str, content: bytes) -> dict[str, Any]:
    response = client.post(
        f"/api/maintenance/equipment/{equipment_id}/recordings",
        headers=headers,
        files={"file": (name, content, "application/octet-stream")},
        data={"fs": str(FS), "rpm": str(RPM)},
    )
    return {"status": response.status_code, "body": response.json()}


def test_recordings_read_from_csv_and_npz() -> None:
    assert read_recording(b"x\n1\n2.5\n-3\n", "r.csv").tolist() == [1.0, 2.5, -3.0]
    buffer = io.BytesIO()
    np.savez(buffer, DE=np.arange(4.0))
    assert read_recording(buffer.getvalue(), "r.npz").tolist() == [0.0, 1.0, 2.0, 3.0]


def test_a_faulty_recording_opens_a_case(client: TestClient, world: World, bearing_model_file: Path) -> None:
    plant = build_plant(world)
    owner = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    no_model = _post(client, owner, plant.equipment_id, "r.csv", _csv(bearing_signal("normal", RPM, seconds=1.0)))
    assert no_model["status"] == 422 and "no bearing model" in str(no_model["body"])
    files = {"file": ("bearing.model", bearing_model_file.read_bytes(), "application/octet-stream")}
    uploaded = client.post("/api/maintenance/models/upload", headers=owner, files=files, data={"name": "de bearing"})
    assert uploaded.status_code == 201, uploaded.text
    deploy = f"/api/maintenance/models/{uploaded.json()['id']}/deploy"
    refused = client.post(deploy, headers=owner, json={"equipment_id": plant.equipment_id})
    assert refused.status_code == 422 and "not deployed to the stream" in refused.text  # it needs waveforms

    healthy = _post(client, owner, plant.equipment_id, "ok.csv", _csv(bearing_signal("normal", RPM, seconds=1.0)))
    assert healthy["status"] == 201, healthy
    assert healthy["body"]["prediction"]["label"] == "normal" and healthy["body"]["case_id"] is None

    buffer = io.BytesIO()
    np.savez(buffer, DE=bearing_signal("OR007", RPM, seconds=1.0, seed=5))
    faulty = _post(client, owner, plant.equipment_id, "de.npz", buffer.getvalue())
    assert faulty["status"] == 201, faulty
    prediction = faulty["body"]["prediction"]
    assert prediction["kind"] == "bearing" and prediction["label"] == "OR007@6" and prediction["alert"]
    assert prediction["unit"] == "p" and prediction["value"] > 0.5
    detail = prediction["detail"]
    assert detail["fault"] == "outer_race" and detail["evidence"]["defect"] == "bpfo"
    assert detail["evidence"]["amplitude_ratio"] > 3 and detail["samples"] == int(FS)
    case_id = faulty["body"]["case_id"]
    case = client.get(f"/api/maintenance/cases/{case_id}", headers=owner).json()
    assert case["trigger"] == "diagnosis" and case["prediction_id"] == prediction["id"]
    listed = client.get(f"/api/maintenance/predictions?equipment_id={plant.equipment_id}", headers=owner).json()
    assert {row["label"] for row in listed} == {"normal", "OR007@6"}

    stranger = bearer(client, world.user(Role.ENTERPRISE))
    assert _post(client, stranger, plant.equipment_id, "x.csv", _csv(np.ones(3)))["status"] == 404
    bad = _post(client, owner, plant.equipment_id, "x.csv", b"g\n1\nnot-a-number\n")
    assert bad["status"] == 422 and "line 3" in str(bad["body"])
    short = _post(client, owner, plant.equipment_id, "x.csv", _csv(bearing_signal("normal", RPM, seconds=0.05)))
    assert short["status"] == 422
