"""``zhizao vision dataset import|version``, ``vision train`` and ``vision models`` against the test database (both
backends): a folder becomes a dataset, a version, a trained model in the registry; mistakes are one line, exit 1."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import World
from tests.vision.vision_world import class_folder, png, surface
from zhizao.accounts.roles import Role
from zhizao.cli.vision import vision_app
from zhizao.settings import Settings
from zhizao.vision.models import VisionDataset, VisionImage


def run(world: World, settings: Settings, *args: str) -> tuple[int, str]:
    url = world.database.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(vision_app, [*args, "--database-url", url, "--data-dir", str(settings.data_dir)])
    return result.exit_code, result.output


def test_import_version_train_and_list(world: World, settings: Settings, tmp_path: Path) -> None:
    world.user(Role.ADMIN)  # the CLI acts as the first administrator
    enterprise = world.organisation(name="上海某钢板厂")
    root = class_folder(tmp_path / "plates", per_class=12)
    for index in range(12):  # a third class, so that the version has a pass class too
        (root / "good").mkdir(exist_ok=True)
        (root / "good" / f"g{index}.png").write_bytes(png(surface(500 + index)))
    code, output = run(world, settings, "dataset", "import", "--enterprise", "上海某钢板厂", "--name", "钢板",
                       "--task", "classify", "--product", "S-1", "--data", str(root))  # fmt: skip
    assert code == 0, output
    assert "36 images added, 0 already held" in output
    with world.database.session() as session:
        dataset = session.scalars(select(VisionDataset)).one()
        assert dataset.organisation_id == enterprise and dataset.classes == ["good", "spots", "stripes"]
    code, output = run(world, settings, "dataset", "version", "--dataset", str(dataset.id), "--seed", "3")
    assert code == 0, output
    assert "version 1 of dataset" in output and "train: " in output
    code, output = run(world, settings, "train", "--version", "1", "--learned-maps")
    assert code == 2 and "learned_maps: only detection models have learned maps" in output, output
    code, output = run(world, settings, "train", "--version", "1")
    assert code == 0, output
    assert "accuracy" in output and "latency" in output and "#1 of dataset" in output  # the refusal left no row
    code, output = run(world, settings, "models", "--dataset", str(dataset.id))
    assert code == 0 and "done" in output and "accuracy" in output


def test_mistakes_are_one_line_and_exit_1(world: World, settings: Settings, tmp_path: Path) -> None:
    world.user(Role.ADMIN)
    world.organisation(name="厂")
    root = class_folder(tmp_path / "plates", per_class=2)
    (root / "spots" / "p01.png").write_bytes(b"not an image")
    code, output = run(world, settings, "dataset", "import", "--enterprise", "厂", "--name", "x", "--task",
                       "classify", "--product", "P", "--data", str(root))  # fmt: skip
    assert code == 2 and "spots/p01.png" in output and "Traceback" not in output
    with world.database.session() as session:  # all or nothing: not even the dataset stays
        assert session.scalar(select(func.count()).select_from(VisionDataset)) == 0
        assert session.scalar(select(func.count()).select_from(VisionImage)) == 0
    code, output = run(world, settings, "dataset", "import", "--enterprise", "nobody", "--name", "x", "--task",
                       "classify", "--product", "P", "--data", str(root))  # fmt: skip
    assert code == 2 and "enterprise: no organisation 'nobody'" in output
    code, output = run(world, settings, "train", "--version", "42")
    assert code == 2 and "dataset version 42 not found" in output
