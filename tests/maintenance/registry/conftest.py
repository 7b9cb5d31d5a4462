from __future__ import annotations

from pathlib import Path

import pytest

from tests.maintenance.registry.builders import bearing_file, rul_file


@pytest.fixture(scope="session")
def rul_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rul_file(tmp_path_factory.mktemp("rul"))


@pytest.fixture(scope="session")
def bearing_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bearing_file(tmp_path_factory.mktemp("bearing"))
