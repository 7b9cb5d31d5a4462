"""End to end with a real model: synthetic images imported into a dataset, a version, a classifier trained on the
CPU (``classify``), deployed to a station; new images are inspected, their verdicts become the good and scrap units
production counts, and a reviewer's correction joins the dataset's next version."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.conftest import World
from tests.vision.station_support import produced, station, store, tenant, trained_model
from zhizao.db.engine import Database
from zhizao.settings import Settings
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.vision import inspection, review, synthetic, versions
from zhizao.vision.models import ImageSource, VisionImage, VisionModel, VisionVersionItem
from zhizao.vision.schemas import VersionCreate
from zhizao.vision.station_models import InspectionSource, VisionInspection
from zhizao.vision.station_schemas import ReviewIn
from zhizao.vision.types import VerdictKind

__all__ = ["store"]


def test_a_trained_model_inspects_counts_and_learns_from_review(
    world: World, database: Database, settings: Settings, store: TelemetryStore, tmp_path: Path
) -> None:
    owner = tenant(world, database)
    model_id = trained_model(database, settings, owner, tmp_path / "images")
    station_id = station(database, owner, model_id)

    made: list[VisionInspection] = []
    for kind, seed in (("good", 9001), ("spot", 9002), ("patch", 9003), ("good", 9004), ("spot", 9005)):
        content = synthetic.to_png(synthetic.generate(kind, seed).image)
        with database.session() as session:
            made.append(inspection.inspect(session, settings, store, station_id, content,
                                           source=InspectionSource.UPLOAD))  # fmt: skip
    assert [(m.verdict_kind, m.label) for m in made] == [
        (VerdictKind.PASS, None), (VerdictKind.DEFECT, "spot"), (VerdictKind.DEFECT, "patch"),
        (VerdictKind.PASS, None), (VerdictKind.DEFECT, "spot"),
    ]  # fmt: skip
    assert all(0.0 < m.confidence <= 1.0 and m.model_id == model_id for m in made)
    assert produced(database, store, owner.equipment_id) == (2, 3)

    # a reviewer says the first "good" part had a spot: it moves to scrap, and it joins the dataset
    with database.session() as session:
        review.review(session, settings, store, owner.principal, made[0].id,
                      ReviewIn(kind=VerdictKind.DEFECT, label="spot"))  # fmt: skip
    assert produced(database, store, owner.equipment_id) == (1, 4)
    with database.session() as session:
        model = session.get(VisionModel, model_id)
        assert model is not None
        [added] = session.scalars(
            select(VisionImage).where(
                VisionImage.dataset_id == model.dataset_id, VisionImage.source == ImageSource.REVIEW
            )
        ).all()
        assert (added.label, added.labelled) == ("spot", True)
        dataset_id = model.dataset_id
    with database.session() as session:
        second = versions.create_version(session, owner.principal, dataset_id, VersionCreate())
    with database.session() as session:
        items = session.scalars(select(VisionVersionItem).where(VisionVersionItem.version_id == second.id)).all()
        assert (added.id, "spot") in {(item.image_id, item.label) for item in items}
        assert len(items) == 3 * 10 + 1
