"""``zhizao production sync``: the sync job from the command line, against the test database."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import World
from tests.production.conftest import Rig, one_shift_samples, prepare_one_shift
from zhizao.cli.production import production_app
from zhizao.production.models import BucketTotals, StateInterval
from zhizao.telemetry.store.base import Batch


def test_sync_builds_the_ledger_and_totals_and_reports_what_changed(rig: Rig, world: World) -> None:
    prepare_one_shift(rig, world)
    rig.store.write(Batch(points=one_shift_samples(rig)))
    url = rig.database.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(production_app, ["sync", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "1 changed" in result.output
    with rig.database.session() as session:
        assert session.scalar(select(func.count()).select_from(StateInterval)) > 0
        assert session.scalar(select(func.count()).select_from(BucketTotals)) > 0
    again = CliRunner().invoke(production_app, ["sync", "--database-url", url])
    assert again.exit_code == 0, again.output
