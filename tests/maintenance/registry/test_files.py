"""Model files into the registry: the header is read and the payload checked before anything is unpickled; a
damaged, altered or foreign file is a 422 naming the file; only an enterprise's users (or administrators) register
models for that enterprise."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from zhizao.accounts.roles import Role
from zhizao.errors import InputError
from zhizao.maintenance.health.predictor import UnsafeArtefact, check_pickle, restricted_loads
from zhizao.maintenance.rul import online as rul_online
from zhizao.maintenance.rul import persistence
from zhizao.maintenance.vibration import online as bearing_online


class Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


def _with_payload(path: Path, payload: bytes) -> bytes:
    header = path.read_bytes().partition(b"\n")[0]
    return header + b"\n" + payload


def test_the_rul_header_is_read_without_unpickling(rul_model_file: Path) -> None:
    info = rul_online.inspect(rul_model_file.read_bytes())
    assert info.signals == ("vib", "temp", "machinery_item_state")
    assert info.metrics["cycle_minutes"] == 2 and info.metrics["training_units"] == 12
    assert 0 < info.metrics["validation_rmse_cycles"] < 10


def test_a_damaged_or_altered_rul_file_is_refused(rul_model_file: Path) -> None:
    data = rul_model_file.read_bytes()
    with pytest.raises(InputError, match="checksum"):
        rul_online.inspect(data[:-10])
    with pytest.raises(InputError, match="no header"):
        rul_online.inspect(b"garbage\n" + data)
    # A payload swapped for one that runs code: the checksum in the header no longer matches ...
    with pytest.raises(InputError, match="checksum"):
        rul_online.inspect(_with_payload(rul_model_file, pickle.dumps(Boom())))


def test_a_pickle_naming_anything_outside_the_model_packages_is_refused_unrun() -> None:
    with pytest.raises(UnsafeArtefact, match=r"(posix|os)\.system"):
        check_pickle(pickle.dumps(Boom()))
    with pytest.raises(UnsafeArtefact, match=r"(posix|os)\.system"):
        restricted_loads(pickle.dumps(Boom()))
    with pytest.raises(UnsafeArtefact, match="not a complete pickle"):
        check_pickle(pickle.dumps({"a": [1, 2, 3]})[:-3])


def test_a_rul_file_without_a_cycle_definition_is_refused(rul_model_file: Path, tmp_path: Path) -> None:
    model = rul_online.load(rul_model_file.read_bytes())
    plain = tmp_path / "plain.model"
    assert isinstance(model, rul_online.RulPredictor)
    persistence.save(model.model, plain)
    with pytest.raises(InputError, match="cycle-minutes"):
        rul_online.inspect(plain.read_bytes())


def test_a_damaged_bearing_file_is_refused(bearing_model_file: Path) -> None:
    data = bearing_model_file.read_bytes()
    assert bearing_online.inspect(data).metrics["checksum"] == "sha256"
    with pytest.raises(InputError, match="checksum"):
        bearing_online.inspect(data[:-5])
    magic, _, rest = data.partition(b"\n")
    header, _, payload = rest.partition(b"\n")
    damaged = json.loads(header)
    damaged["features_version"] = "bearing-features/0"
    with pytest.raises(InputError, match="bearing-features/0"):
        bearing_online.inspect(magic + b"\n" + json.dumps(damaged).encode() + b"\n" + payload)
    with pytest.raises(InputError, match="header is damaged"):
        bearing_online.inspect(magic + b"\n{not json\n" + payload)


def _upload(client: TestClient, headers: dict[str, str], content: bytes, **form: object) -> httpx.Response:
    files = {"file": ("model.bin", content, "application/octet-stream")}
    data = {"name": "spindle", **{k: str(v) for k, v in form.items()}}  # a name's versions count up
    return client.post("/api/maintenance/models/upload", headers=headers, files=files, data=data)


def test_upload_registers_each_format_for_its_own_enterprise(
    client: TestClient, world: World, rul_model_file: Path, bearing_model_file: Path
) -> None:
    enterprise = world.organisation()
    owner = bearer(client, world.user(Role.ENTERPRISE, enterprise))
    response = _upload(client, owner, rul_model_file.read_bytes())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "rul" and body["enterprise_id"] == enterprise and body["version"] == 1
    assert body["artefact_format"] == "zhizao-rul-model/1"
    assert body["signals"] == ["vib", "temp", "machinery_item_state"]
    assert body["metrics"]["training_data"] == "synthetic run-to-failure units"
    response = _upload(client, owner, bearing_model_file.read_bytes(), name="spindle bearing")
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "bearing"

    damaged = _upload(client, owner, rul_model_file.read_bytes()[:-1])
    assert damaged.status_code == 422
    problem = damaged.json()["error"]["fields"][0]
    assert problem["field"] == "body.file" and "checksum" in problem["message"]
    foreign = _upload(client, owner, b"PK\x03\x04 not a model")
    assert foreign.status_code == 422 and "unknown header" in foreign.text

    other = bearer(client, world.user(Role.ENTERPRISE))
    refused = _upload(client, other, rul_model_file.read_bytes(), enterprise_id=enterprise)
    assert refused.status_code == 404
    officer = bearer(client, world.user(Role.OFFICER))
    assert _upload(client, officer, rul_model_file.read_bytes()).status_code == 403
    admin = bearer(client, world.user(Role.ADMIN))
    response = _upload(client, admin, rul_model_file.read_bytes(), enterprise_id=enterprise)
    assert response.status_code == 201 and response.json()["version"] == 2
