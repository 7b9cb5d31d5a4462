"""The review queue: the least sure verdicts first; a quality engineer's confirmation or correction is recorded and
audited; a correction moves the unit between good and scrap in production's counts (the station's counters stay as
they counted) and joins the model's dataset for its next version. The model is a stand-in (``station_support``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import World
from tests.vision.station_support import (
    HeatModel,
    daily_output,
    model_row,
    principal_of,
    produced,
    station,
    station_row,
    store,
    tenant,
    use_stand_in,
    with_calendar,
)
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.errors import InputError, NotFound, PermissionDenied
from zhizao.production.models import CountCorrection
from zhizao.settings import Settings
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.vision import inspection, review, synthetic
from zhizao.vision.models import ImageSource, VisionImage, VisionModel
from zhizao.vision.station_models import CountedAs, InspectionSource, VisionInspection
from zhizao.vision.station_schemas import ReviewIn
from zhizao.vision.types import Task, VerdictKind

__all__ = ["store"]


def _inspect(database: Database, settings: Settings, store: TelemetryStore, station_id: int, kind: str, seed: int
             ) -> VisionInspection:  # fmt: skip
    with database.session() as session:
        return inspection.inspect(
            session, settings, store, station_id, synthetic.to_png(synthetic.generate(kind, seed).image),
            source=InspectionSource.UPLOAD,
        )  # fmt: skip


def _audits(database: Database, inspection_id: int) -> list[AuditEntry]:
    with database.session() as session:
        query = select(AuditEntry).where(
            AuditEntry.entity_type == "vision_inspection", AuditEntry.entity_id == str(inspection_id)
        )
        return list(session.scalars(query.order_by(AuditEntry.id)))


def _dataset_images(database: Database, model_id: int) -> list[VisionImage]:
    with database.session() as session:
        model = session.get(VisionModel, model_id)
        assert model is not None
        return list(session.scalars(select(VisionImage).where(VisionImage.dataset_id == model.dataset_id)))


def test_a_correction_is_recorded_audited_counted_and_joins_the_dataset(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    model_id = model_row(database, owner.organisation_id)
    station_id = station(database, owner, model_id)
    with_calendar(database, owner)
    missed = _inspect(database, settings, store, station_id, "scratch", 0)  # the stand-in misses faint scratches
    assert missed.verdict_kind is VerdictKind.PASS and missed.counted_as is CountedAs.GOOD
    assert produced(database, store, owner.equipment_id) == (1, 0)

    with database.session() as session:
        decision = ReviewIn(kind=VerdictKind.DEFECT, label="scratch", note="faint line, left edge")
        corrected = review.review(session, settings, store, owner.principal, missed.id, decision)
    assert (corrected.reviewed_kind, corrected.reviewed_label, corrected.review_note) == (
        VerdictKind.DEFECT, "scratch", "faint line, left edge",
    )  # fmt: skip
    assert corrected.reviewed_by == owner.account.user_id and corrected.reviewed_at is not None
    assert corrected.counted_as is CountedAs.SCRAP
    # the unit moves from good to scrap: one unit made, and it is scrap, in the stored daily output too
    assert produced(database, store, owner.equipment_id) == (0, 1)
    assert daily_output(database, owner.equipment_id) == (0, 1)
    with database.session() as session:  # the station's counters stay as the station counted
        assert station_row(session, station_id).good_total == 1 and station_row(session, station_id).scrap_total == 0

    [entry] = _audits(database, missed.id)
    assert (entry.action, entry.actor_id, entry.organisation_id) == (
        "vision_inspection.correct", owner.account.user_id, owner.organisation_id,
    )  # fmt: skip
    assert entry.before is not None and entry.after is not None
    assert (entry.before["counted_as"], entry.before["verdict_kind"]) == ("good", "pass")
    assert (entry.after["reviewed_kind"], entry.after["reviewed_label"], entry.after["counted_as"]) == (
        "defect", "scratch", "scrap",
    )  # fmt: skip
    [image] = _dataset_images(database, model_id)
    assert (image.source, image.labelled, image.label) == (ImageSource.REVIEW, True, "scratch")
    assert entry.after["dataset_image_id"] == image.id


def test_a_confirmation_is_audited_and_changes_no_count_and_no_dataset(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    model_id = model_row(database, owner.organisation_id)
    station_id = station(database, owner, model_id)
    spot = _inspect(database, settings, store, station_id, "spot", 1)
    with database.session() as session:
        review.review(session, settings, store, owner.principal, spot.id, ReviewIn(kind=VerdictKind.DEFECT,
                                                                                    label="spot"))  # fmt: skip
    assert [entry.action for entry in _audits(database, spot.id)] == ["vision_inspection.confirm"]
    assert produced(database, store, owner.equipment_id) == (0, 1)
    assert _dataset_images(database, model_id) == []


def test_correcting_back_and_forth_counts_each_change_and_relabels_the_dataset_image(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    model_id = model_row(database, owner.organisation_id)
    station_id = station(database, owner, model_id)
    spot = _inspect(database, settings, store, station_id, "spot", 2)
    for kind, label in ((VerdictKind.PASS, None), (VerdictKind.DEFECT, "scratch")):
        with database.session() as session:
            review.review(session, settings, store, owner.principal, spot.id, ReviewIn(kind=kind, label=label))
    # scrap (inspection), good (pass), scrap (scratch): one unit, scrap in the end; each change was one move
    assert produced(database, store, owner.equipment_id) == (0, 1)
    with database.session() as session:
        moves = session.scalars(select(CountCorrection.to_scrap).order_by(CountCorrection.id)).all()
    assert moves == [-1, 1]
    [image] = _dataset_images(database, model_id)
    assert (image.label, image.labelled) == ("scratch", True)
    assert [entry.action for entry in _audits(database, spot.id)] == ["vision_inspection.correct"] * 2


def test_the_queue_shows_the_least_sure_first_and_drops_what_was_reviewed(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch, HeatModel())  # confidence: distance of the score from the threshold
    owner = tenant(world, database)
    station_id = station(database, owner, model_row(database, owner.organisation_id, task=Task.ANOMALY, classes=()))
    made = [_inspect(database, settings, store, station_id, kind, seed)
            for kind, seed in (("good", 1), ("spot", 2), ("patch", 3), ("good", 4))]  # fmt: skip
    with database.session() as session:
        queue = review.awaiting_review(session, owner.principal)
    expected = sorted(
        (m for m in made if m.verdict_kind is not VerdictKind.PASS or m.confidence < review.REVIEW_CONFIDENCE),
        key=lambda m: (m.confidence, -m.id),
    )
    assert [m.id for m in queue] == [m.id for m in expected]
    assert [m.confidence for m in queue] == sorted(m.confidence for m in queue)
    assert {m.id for m in made if m.verdict_kind is not VerdictKind.PASS} <= {m.id for m in queue}
    with database.session() as session:
        review.review(session, settings, store, owner.principal, queue[0].id,
                      ReviewIn(kind=queue[0].verdict_kind, label=queue[0].label))  # fmt: skip
    with database.session() as session:
        assert queue[0].id not in {m.id for m in review.awaiting_review(session, owner.principal)}
        defects = review.awaiting_review(session, owner.principal, defects_only=True)
        assert all(m.verdict_kind is not VerdictKind.PASS for m in defects)


def test_an_anomaly_corrected_to_pass_joins_its_dataset_as_defect_free(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch, HeatModel())
    owner = tenant(world, database)
    model_id = model_row(database, owner.organisation_id, task=Task.ANOMALY, classes=("patch", "spot"))
    station_id = station(database, owner, model_id)
    patch = _inspect(database, settings, store, station_id, "patch", 5)
    assert patch.verdict_kind is VerdictKind.ANOMALOUS
    with database.session() as session:
        review.review(session, settings, store, owner.principal, patch.id, ReviewIn(kind=VerdictKind.PASS))
    [image] = _dataset_images(database, model_id)
    assert (image.labelled, image.label) == (True, None)
    assert produced(database, store, owner.equipment_id) == (1, 0)


@pytest.mark.parametrize(
    ("kind", "label", "message"),
    [
        (VerdictKind.DEFECT, None, "name the defect class"),
        (VerdictKind.DEFECT, "dent", "not a class of the model"),
        (VerdictKind.PASS, "spot", "a pass has no defect class"),
    ],
)
def test_a_review_naming_no_or_an_unknown_class_changes_nothing(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch,
    kind: VerdictKind, label: str | None, message: str,
) -> None:  # fmt: skip
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    model_id = model_row(database, owner.organisation_id)
    spot = _inspect(database, settings, store, station(database, owner, model_id), "spot", 3)
    with database.session() as session, pytest.raises(InputError, match=message):
        review.review(session, settings, store, owner.principal, spot.id, ReviewIn(kind=kind, label=label))
    with database.session() as session:
        row = session.get(VisionInspection, spot.id)
        assert row is not None and row.reviewed_at is None and row.counted_as is CountedAs.SCRAP
    assert _audits(database, spot.id) == [] and _dataset_images(database, model_id) == []
    assert produced(database, store, owner.equipment_id) == (0, 1)


def test_a_pass_needs_a_pass_class_in_a_classify_dataset(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    model_id = model_row(database, owner.organisation_id, classes=("scratch", "spot"))
    spot = _inspect(database, settings, store, station(database, owner, model_id), "spot", 3)
    with database.session() as session, pytest.raises(InputError, match="no pass class"):
        review.review(session, settings, store, owner.principal, spot.id, ReviewIn(kind=VerdictKind.PASS))
    assert produced(database, store, owner.equipment_id) == (0, 1)


def test_other_tenants_get_404_and_officers_may_not_review(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner, other = tenant(world, database), tenant(world, database, "VIS-2")
    spot = _inspect(database, settings, store, station(database, owner, model_row(database, owner.organisation_id)),
                    "spot", 3)  # fmt: skip
    officer = principal_of(world.user(Role.OFFICER))
    decision = ReviewIn(kind=VerdictKind.PASS)
    with database.session() as session, pytest.raises(NotFound):
        review.review(session, settings, store, other.principal, spot.id, decision)
    with database.session() as session, pytest.raises(PermissionDenied):
        review.review(session, settings, store, officer, spot.id, decision)
    with database.session() as session:
        assert review.awaiting_review(session, other.principal) == []
        assert [m.id for m in review.awaiting_review(session, officer)] == [spot.id]
